"""Demo agencies, companies and users. Password for every demo user: demo-pass-2026."""
from decimal import Decimal

from django.contrib.auth.models import Group, User

from companies.models import BrokerAgency, Company
from companies.roles import BROKER, HR, SUPPORT, roles_sync

DEMO_PASSWORD = "demo-pass-2026"


def _user(username, group=None, **extra):
    user = User.objects.create_user(username, f"{username}@example.com", DEMO_PASSWORD, is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def seed(*, today):
    roles_sync()
    _user("admin", is_superuser=True)
    _user("support", SUPPORT)
    acme = BrokerAgency.objects.create(name="Acme Benefits")
    pine = BrokerAgency.objects.create(name="Pine Brokerage")
    acme.users.add(_user("broker.acme", BROKER))
    pine.users.add(_user("broker.pine", BROKER))
    sunrise = Company.objects.create(
        code="sunrise", name="Sunrise Bakery LLC", ein="94-1234567", address1="12 Mission St", city="San Francisco",
        state="CA", zip="94105", phone="415-555-0100", plan_situs_state="CA",
        prior_year_employee_count=Decimal("12.5"), broker_agency=acme)
    Company.objects.create(
        code="harbor", name="Harbor Logistics Inc", ein="13-7654321", address1="400 Pier Ave", city="Brooklyn",
        state="NY", zip="11201", phone="718-555-0199", plan_situs_state="NY",
        prior_year_employee_count=Decimal("85"), broker_agency=acme)
    Company.objects.create(
        code="redwood", name="Redwood Clinic PA", ein="74-2468101", address1="9 Elm St", city="Austin",
        state="TX", zip="78701", phone="512-555-0142", plan_situs_state="TX",
        prior_year_employee_count=Decimal("45"), broker_agency=pine)
    sunrise.hr_users.add(_user("hr.sunrise", HR))
