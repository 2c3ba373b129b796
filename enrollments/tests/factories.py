"""Factories for people, plans and enrollments (factory_boy)."""
from datetime import date
from decimal import Decimal

import factory

from enrollments.cobra.codes import CoverageEnds, EnrollmentSource, Tier
from enrollments.models import Dependent, Employee, Enrollment, Plan


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.plan_type.title()} {o.code}")
    plan_type = "medical"
    carrier = "Blue Shield"
    plan_year_start = date(2026, 1, 1)
    plan_year_end = date(2026, 12, 31)
    coverage_ends = CoverageEnds.END_OF_MONTH
    monthly_premium = Decimal("600.00")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employee_id = factory.Sequence(lambda n: f"E{n:05d}")
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = "Doe"
    ssn = factory.Sequence(lambda n: f"{123000000 + n:09d}")
    dob = date(1980, 5, 17)
    gender = "F"
    address1 = "10 Elm St"
    city = "Fresno"
    state = "CA"
    zip = "93650"
    hire_date = date(2020, 1, 6)


class DependentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dependent

    dependent_id = factory.Sequence(lambda n: f"D{n}")
    relationship = "spouse"
    first_name = factory.Sequence(lambda n: f"Sam{n}")
    last_name = "Doe"
    ssn = factory.Sequence(lambda n: f"{223000000 + n:09d}")
    dob = date(1982, 2, 3)
    gender = "M"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment
        skip_postgeneration_save = True

    tier = Tier.EMPLOYEE
    effective_date = factory.LazyAttribute(lambda o: o.plan.plan_year_start)
    source = EnrollmentSource.IMPORT

    @factory.post_generation
    def dependents(self, create, extracted, **kwargs):
        if extracted:
            self.covered_dependents.set(extracted)
