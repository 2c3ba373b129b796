"""Exchange test data: vendors, connections and COBRA records written the way enrollments.services writes them
(rows plus the cobra_records_changed signal, in one transaction)."""
from datetime import date, timedelta

from django.db import transaction

from enrollments.cobra.codes import EventSource, Relationship, Tier
from enrollments.models import CobraEligibility, InitialRightsItem, QualifyingEvent
from enrollments.signals import cobra_records_changed
from enrollments.tests.factories import DependentFactory, EmployeeFactory, EnrollmentFactory, PlanFactory
from exchange import services
from exchange.models import ConnectionStatus, ExchangeItem, Vendor


def vendor(code="acme", **fields):
    return Vendor.objects.create(code=code, name=fields.pop("name", f"{code.title()} COBRA"), **fields)


def connect(company, vendor_, status=ConnectionStatus.ACTIVE, **fields):
    connection = services.connection_connect(company=company, vendor=vendor_, **fields)
    if status != ConnectionStatus.NEW:
        services.connection_status_set(connection=connection, status=status)
    return connection


def covered_family(company, *, plan_type="medical", year=2026, dependents=("spouse",), **employee_fields):
    plan = PlanFactory(company=company, plan_type=plan_type, plan_year_start=date(year, 1, 1),
                       plan_year_end=date(year, 12, 31))
    employee = EmployeeFactory(company=company, **employee_fields)
    family = [DependentFactory(employee=employee, relationship=rel) for rel in dependents]
    tier = Tier.EMPLOYEE_SPOUSE if family else Tier.EMPLOYEE
    enrollment = EnrollmentFactory(employee=employee, plan=plan, tier=tier, dependents=family)
    return enrollment


@transaction.atomic
def record_initial_rights(enrollment, *, coverage_start=None, today=date(2026, 11, 23), dependents=()):
    coverage_start = coverage_start or enrollment.effective_date
    rows = [InitialRightsItem.objects.create(
        enrollment=enrollment, employee=enrollment.employee, dependent=dependent, plan=enrollment.plan,
        coverage_start=coverage_start, notice_due=coverage_start + timedelta(days=90), created_on=today)
        for dependent in [None, *dependents]]
    cobra_records_changed.send(sender=InitialRightsItem, records=rows, action="add")
    return rows


@transaction.atomic
def record_event(enrollment, *, event_type="termination", event_date=date(2026, 11, 13), entered_on=date(2026, 11, 23),
                 dependents=None, law="federal"):
    event = QualifyingEvent.objects.create(employee=enrollment.employee, event_type=event_type, event_date=event_date,
                                           entered_on=entered_on, source=EventSource.TERMINATION_TOOL)
    people = [None, *enrollment.covered_dependents.all()] if dependents is None else dependents
    coverage_end = event_date.replace(day=28) + timedelta(days=4)
    coverage_end = coverage_end - timedelta(days=coverage_end.day)
    rows = [CobraEligibility.objects.create(
        event=event, employee=enrollment.employee, dependent=dependent, enrollment=enrollment, plan=enrollment.plan,
        coverage_end=coverage_end, eligibility_date=coverage_end + timedelta(days=1),
        max_months=18 if dependent is None or dependent.relationship == Relationship.CHILD else 36,
        max_end=coverage_end + timedelta(days=548), continuation_law=law, election_due=coverage_end + timedelta(days=60))
        for dependent in people]
    cobra_records_changed.send(sender=CobraEligibility, records=rows, action="add")
    return rows


def items(connection, **filters):
    return list(ExchangeItem.objects.filter(connection=connection, **filters).order_by("pk"))
