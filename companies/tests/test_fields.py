"""SSNs at rest: AES-GCM tokens, old Fernet tokens still read and re-encrypted, key rotation, wrong keys refused."""
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings
from encrypted_fields.fields import EncryptedCharField as FernetField

from companies import fields
from enrollments.models import Employee
from enrollments.tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def stored(employee):
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn FROM enrollments_employee WHERE id = %s", [employee.pk])
        return cursor.fetchone()[0]


def test_an_ssn_is_stored_as_an_aes_gcm_token_and_read_back_plain(world):
    employee = EmployeeFactory(company=world.alpha, ssn="123456789")
    token = stored(employee)
    assert token.startswith(fields.PREFIX) and "123456789" not in token
    assert Employee.objects.get(pk=employee.pk).ssn == "123456789"
    assert fields.encrypt("123456789") != fields.encrypt("123456789")  # a fresh nonce every time


def test_a_blank_ssn_stays_null(world):
    employee = EmployeeFactory(company=world.alpha, ssn=None)
    assert stored(employee) is None
    assert Employee.objects.get(pk=employee.pk).ssn is None


def test_a_value_written_by_the_old_fernet_field_is_read_and_the_migration_re_encrypts_it(world):
    employee = EmployeeFactory(company=world.alpha, ssn="987654321")
    legacy = FernetField(max_length=9).get_prep_value("987654321")
    Employee.objects.filter(pk=employee.pk).update(ssn=None)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE enrollments_employee SET ssn = %s WHERE id = %s", [legacy, employee.pk])
    assert not fields.is_current(stored(employee))
    assert Employee.objects.get(pk=employee.pk).ssn == "987654321"

    migration = importlib.import_module("enrollments.migrations.0003_ssn_aes_gcm")
    migration.reencrypt(apps, None)
    assert fields.is_current(stored(employee))
    assert Employee.objects.get(pk=employee.pk).ssn == "987654321"


def test_keys_rotate_through_secret_key_fallbacks(world, settings):
    old_key = settings.SECRET_KEY
    employee = EmployeeFactory(company=world.alpha, ssn="111223333")
    with override_settings(SECRET_KEY="a-new-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
                           SECRET_KEY_FALLBACKS=[old_key]):
        assert Employee.objects.get(pk=employee.pk).ssn == "111223333"
        employee.save()  # re-written under the new key
        with override_settings(SECRET_KEY_FALLBACKS=[]):
            assert Employee.objects.get(pk=employee.pk).ssn == "111223333"


def test_a_wrong_key_is_refused_loudly_instead_of_returning_ciphertext(world):
    employee = EmployeeFactory(company=world.alpha, ssn="123456789")
    with override_settings(SALT_KEY="another-salt"):
        with pytest.raises(fields.Undecryptable, match="SECRET_KEY and SALT_KEY"):
            Employee.objects.get(pk=employee.pk)
    with pytest.raises(fields.Undecryptable):
        fields.decrypt(fields.PREFIX + "bm90LWEtdG9rZW4=")
    with pytest.raises(fields.Undecryptable):
        fields.decrypt("gAAAAABnot-a-valid-token")
