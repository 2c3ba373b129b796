"""PII never in clear where it is shown or stored beside the encrypted column; logins lock out; prod settings."""
import logging
import os
import subprocess
import sys

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from companies.pii import MaskPIIFilter, ssn_hash
from enrollments.models import Employee
from enrollments.tests.factories import EmployeeFactory


@pytest.fixture
def person(world):
    employee = EmployeeFactory(company=world.alpha, ssn="123456789")
    employee.save()
    return employee


def test_ssn_encrypted_at_rest_hashed_and_last4(person):
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn, ssn_hash, ssn_last4 FROM enrollments_employee WHERE id = %s", [person.pk])
        stored, hashed, last4 = cursor.fetchone()
    assert "123456789" not in stored
    assert hashed == ssn_hash("123456789") and last4 == "6789"
    assert Employee.objects.get(ssn_hash=ssn_hash("123456789")) == person


def test_history_table_has_no_ssn_column(person):
    columns = [c.name for c in connection.introspection.get_table_description(connection.cursor(), "enrollments_historicalemployee")]
    assert "ssn" not in columns and "ssn_last4" in columns


def test_str_and_admin_pages_mask_ssn(client, world, person):
    assert "6789" not in str(person)
    client.force_login(world.broker_a)
    change = client.get(reverse("admin:enrollments_employee_change", args=[person.pk])).content.decode()
    listing = client.get(reverse("admin:enrollments_employee_changelist")).content.decode()
    for html in (change, listing):
        assert "123456789" not in html and "123-45-6789" not in html
        assert "***-**-6789" in html
    assert "1980" in change and "1980-05-17" not in change and "05/17/1980" not in change  # DOB masked for brokers


def test_ssn_change_through_admin_leaves_no_pii_in_logentry(client, world, person):
    client.force_login(world.hr_alpha)
    url = reverse("admin:enrollments_employee_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (list, dict))}
    data.update({"ssn_entry": "987-65-4321", "dob": "1980-05-17", "hire_date": "2020-01-06", "company": world.alpha.pk,
                 "dependents-TOTAL_FORMS": 0, "dependents-INITIAL_FORMS": 0})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    person.refresh_from_db()
    assert person.ssn == "987654321" and person.ssn_last4 == "4321"
    for entry in LogEntry.objects.all():
        assert "987" not in entry.change_message and "4321" not in entry.change_message


def test_bad_ssn_gets_a_message_naming_the_field(client, world, person):
    client.force_login(world.hr_alpha)
    url = reverse("admin:enrollments_employee_change", args=[person.pk])
    response = client.post(url, {"ssn_entry": "12-34"})
    assert "ssn_entry" in response.context["adminform"].form.errors


def test_log_filter_masks_ssn():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "member %s ssn %s", ("E1", "123-45-6789"), None)
    MaskPIIFilter().filter(record)
    assert "123-45-6789" not in record.getMessage() and "E1" in record.getMessage()


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_login_locks_out_after_repeated_failures(client, world):
    from django.core.cache import cache
    cache.clear()
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": "hr_alpha", "password": "wrong"})
    response = client.post(url, {"username": "hr_alpha", "password": "pw-for-tests-2026"})
    assert not response.wsgi_request.user.is_authenticated
    cache.clear()


def test_production_settings_pass_deploy_check():
    env = {**os.environ, "DJANGO_ENV": "production", "SECRET_KEY": "x" * 30 + "-Zq9#kLm2$Wp8&Rt5^Yn1*Bv7!Hc3@Jd",
           "SALT_KEY": "salt", "SSN_HASH_KEY": "hash", "DATABASE_URL": "sqlite:////tmp/cobra-deploy-check.sqlite3"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SALT_KEY", "SSN_HASH_KEY")}
    env["DJANGO_ENV"] = "production"
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_sessions_expire_after_30_minutes_idle(settings):
    assert settings.SESSION_COOKIE_AGE == 1800 and settings.SESSION_SAVE_EVERY_REQUEST
