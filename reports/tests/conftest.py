"""A family in each company: beta (NY, 120 employees: federal COBRA) and alpha (CA, 12: Cal-COBRA)."""
from datetime import timedelta
from decimal import Decimal

import pytest

from enrollments import services as enrollment_services
from enrollments.cobra.codes import (
    EnrollmentSource,
    EventSource,
    QualifyingEventType,
    Tier,
)
from enrollments.tests.factories import (
    DependentFactory,
    EmployeeFactory,
    EnrollmentFactory,
    PlanFactory,
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class Family:
    pass


def family_make(company, today, *, first, last, city, state, zip_code, medical, dental):
    f = Family()
    company.phone = "555-0100"
    company.save()
    f.company = company
    f.medical = PlanFactory(company=company, code=f"{company.code}-med", name=medical, carrier="Aetna",
                            monthly_premium=Decimal("600.00"))
    f.dental = PlanFactory(company=company, code=f"{company.code}-den", name=dental, plan_type="dental",
                           carrier="Delta Dental", monthly_premium=Decimal("50.00"))
    f.employee = EmployeeFactory(company=company, first_name=first, last_name=last, address1="77 River Rd", city=city,
                                 state=state, zip=zip_code, ssn="123456789")
    f.spouse = DependentFactory(employee=f.employee, first_name="Tomas", last_name=last, relationship="spouse",
                                ssn="223456789", dependent_id="D1")
    f.child = DependentFactory(employee=f.employee, first_name="Lucia", last_name=last, relationship="child",
                               ssn="323456789", dependent_id="D2")
    f.enrollments = [
        EnrollmentFactory(employee=f.employee, plan=f.medical, tier=Tier.FAMILY, dependents=[f.spouse, f.child],
                          effective_date=today - timedelta(days=60), source=EnrollmentSource.NEW_HIRE),
        EnrollmentFactory(employee=f.employee, plan=f.dental, tier=Tier.EMPLOYEE_SPOUSE, dependents=[f.spouse],
                          effective_date=today - timedelta(days=60), source=EnrollmentSource.NEW_HIRE),
    ]
    return f


def initial_rights(family, today):
    for enrollment in family.enrollments:
        enrollment_services.initial_rights_record(enrollment=enrollment, today=today)


def terminate(family, today, days_ago=5):
    return enrollment_services.qualifying_event_mark(
        employee=family.employee, event_type=QualifyingEventType.TERMINATION, event_date=today - timedelta(days=days_ago),
        source=EventSource.TERMINATION_TOOL, reason="voluntary", today=today)


@pytest.fixture
def beta_family(world, today):
    return family_make(world.beta, today, first="Maria", last="Lopez", city="Albany", state="NY", zip_code="12207",
                       medical="Beta Medical PPO", dental="Beta Dental Plus")


@pytest.fixture
def alpha_family(world, today):
    return family_make(world.alpha, today, first="Ana", last="Reyes", city="Fresno", state="CA", zip_code="93650",
                       medical="Alpha Medical HMO", dental="Alpha Dental")
