"""The daily digest e-mail to each company's primary contact."""
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core import mail

from continuation.models import Digest
from continuation.tasks import daily_run

D = date
pytestmark = pytest.mark.django_db


def test_one_digest_per_company_per_day_to_its_hr_contacts(world, family):
    world.hr_alpha.email = "hr@alpha.example"
    world.hr_alpha.save()
    world.beta.hr_users.add(User.objects.create_user("hr_beta", "hr@beta.example", "pw-for-tests-2026"))
    summary = daily_run(D(2026, 12, 1))
    assert summary["digests"] == 1
    assert [m.to for m in mail.outbox] == [["hr@beta.example"]]
    message = mail.outbox[0]
    assert message.subject == "COBRA compliance 12/01/2026: Beta Freight: 3 overdue, 3 open"
    assert "OVERDUE 1 days  due 11/30/2026  Election notice (14/44 days)" in message.body
    assert "E100-1" in message.body
    employee, dependents, _ = family
    assert not any(person.ssn in message.body or person.ssn_last4 in message.body for person in [employee, *dependents])
    daily_run(D(2026, 12, 1))
    assert len(mail.outbox) == 1
    daily_run(D(2026, 12, 2))
    assert len(mail.outbox) == 2
    assert Digest.objects.filter(company=world.beta).count() == 2


def test_the_connections_primary_contact_comes_first(world, family):
    from exchange.models import Connection, Vendor
    contact = User.objects.create_user("vendor_contact", "contact@beta.example", "pw-for-tests-2026")
    world.beta.hr_users.add(User.objects.create_user("hr_beta", "hr@beta.example", "pw-for-tests-2026"))
    Connection.objects.create(company=world.beta, vendor=Vendor.objects.create(name="Vendor", code="ven"),
                              primary_contact=contact)
    daily_run(D(2026, 12, 1))
    assert [m.to for m in mail.outbox] == [["contact@beta.example"]]


def test_a_company_without_a_contact_is_reported_not_mailed(world, family):
    summary = daily_run(D(2026, 12, 1))
    assert summary["no_primary_contact"] == ["beta"]
    assert mail.outbox == []
