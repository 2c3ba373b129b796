"""Shared fixtures: two broker agencies with their own companies, so every test can check the other side's view."""
import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from companies.models import BrokerAgency, Company
from companies.roles import BROKER, HR, SUPPORT, roles_sync

TODAY = date(2026, 11, 23)


@pytest.fixture
def today():
    return TODAY


@pytest.fixture
def roles(db):
    roles_sync()
    _state_rules_present()


def _state_rules_present():
    """Transactional tests (live server, worker processes) flush the data migration's rows: put them back."""
    from django.apps import apps

    from enrollments.models import StateContinuationRule
    if not StateContinuationRule.objects.exists():
        importlib.import_module("enrollments.migrations.0002_state_continuation_defaults").load(apps, None)


def make_user(username, group=None, **extra):
    user = User.objects.create_user(username, f"{username}@example.com", "pw-for-tests-2026", is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def world(roles):
    """Agency A serves company alpha (CA, small); agency B serves company beta (NY, federal)."""
    class World:
        pass
    w = World()
    w.agency_a = BrokerAgency.objects.create(name="Agency A")
    w.agency_b = BrokerAgency.objects.create(name="Agency B")
    w.alpha = Company.objects.create(code="alpha", name="Alpha Foods", state="CA", plan_situs_state="CA",
                                     prior_year_employee_count=Decimal("12"), broker_agency=w.agency_a,
                                     address1="1 Main St", city="Fresno", zip="93650", ein="12-3456789")
    w.beta = Company.objects.create(code="beta", name="Beta Freight", state="NY", plan_situs_state="NY",
                                    prior_year_employee_count=Decimal("120"), broker_agency=w.agency_b,
                                    address1="2 Dock Rd", city="Albany", zip="12207", ein="98-7654321")
    w.broker_a = make_user("broker_a", BROKER)
    w.agency_a.users.add(w.broker_a)
    w.broker_b = make_user("broker_b", BROKER)
    w.agency_b.users.add(w.broker_b)
    w.hr_alpha = make_user("hr_alpha", HR)
    w.alpha.hr_users.add(w.hr_alpha)
    w.support = make_user("support_user", SUPPORT)
    w.admin = make_user("root", is_superuser=True)
    return w


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Creating test users with the production hasher costs seconds per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
