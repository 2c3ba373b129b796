"""Continuation fixtures: beta (120 employees: federal COBRA) with a July plan year, families terminated through
the real termination service."""
from datetime import date
from decimal import Decimal

import pytest

from enrollments.cobra.codes import Tier
from enrollments.models import CobraEligibility
from enrollments.services import employee_terminate
from enrollments.tests.factories import DependentFactory, EmployeeFactory, EnrollmentFactory, PlanFactory

EVENT_DAY = date(2026, 11, 10)
MARKED_ON = date(2026, 11, 16)


@pytest.fixture
def plans(world):
    """Beta's medical (Aetna, $500) and dental (Delta, $50), plan year 07/01/2026-06/30/2027.

    Beta's plans are written in PA here (not in the state table): federal COBRA with no state extension.
    """
    world.beta.plan_situs_state = "PA"
    world.beta.save()
    common = {"company": world.beta, "plan_year_start": date(2026, 7, 1), "plan_year_end": date(2027, 6, 30)}
    return {
        "med": PlanFactory(code="med", plan_type="medical", carrier="Aetna", monthly_premium=Decimal("500.00"), **common),
        "den": PlanFactory(code="den", plan_type="dental", carrier="Delta", monthly_premium=Decimal("50.00"), **common),
    }


def make_family(company, plans, *, employee_id, dependents=(), event_day=EVENT_DAY, marked_on=MARKED_ON, **employee):
    """An employee (and dependents) on the plans, terminated on `event_day` through the termination service."""
    person = EmployeeFactory(company=company, employee_id=employee_id, **employee)
    family = [DependentFactory(employee=person, dependent_id=str(n), relationship=relationship)
              for n, relationship in enumerate(dependents, start=1)]
    tier = Tier.FAMILY if family else Tier.EMPLOYEE
    for plan in plans:
        EnrollmentFactory(employee=person, plan=plan, tier=tier, dependents=family)
    event = employee_terminate(employee=person, termination_date=event_day, reason="voluntary", today=marked_on)
    return person, family, event


def eligibilities(employee, dependent=None):
    return {e.plan.code: e for e in CobraEligibility.objects.filter(employee=employee, dependent=dependent).select_related("plan")}


@pytest.fixture
def family(world, plans):
    """E100 with spouse E100-1 and child E100-2 on medical and dental; terminated 11/10/2026, marked 11/16/2026."""
    return make_family(world.beta, [plans["med"], plans["den"]], employee_id="E100", dependents=("spouse", "child"))
