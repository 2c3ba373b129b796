"""COBRA event services against the database: who gets marked, for which plans, and what blocks a mark."""
from datetime import date
from types import SimpleNamespace

import pytest

from enrollments import selectors, services
from enrollments.cobra.codes import CoverageEnds, EventSource, QualifyingEventType, Relationship
from enrollments.models import CobraEligibility, EligibilityStatus, EmploymentStatus, QualifyingEvent
from enrollments.services import CobraEventError
from enrollments.tests.factories import DependentFactory, EmployeeFactory, EnrollmentFactory, PlanFactory


def make_family(company, *, year=2026, plans=("medical", "dental", "life"), **employee_fields):
    """An employee with a spouse and a child, all covered on one plan of each type for `year`."""
    employee = EmployeeFactory(company=company, **employee_fields)
    spouse = DependentFactory(employee=employee, relationship=Relationship.SPOUSE, first_name="Sam")
    child = DependentFactory(employee=employee, relationship=Relationship.CHILD, first_name="Kit", dob=date(2008, 4, 2))
    family = SimpleNamespace(employee=employee, spouse=spouse, child=child, enrollments={})
    for plan_type in plans:
        plan = PlanFactory(company=company, plan_type=plan_type, code=f"{company.code}-{plan_type}-{year}-{employee.employee_id}",
                           name=f"{plan_type.title()} {year}", plan_year_start=date(year, 1, 1),
                           plan_year_end=date(year, 12, 31))
        family.enrollments[plan_type] = EnrollmentFactory(employee=employee, plan=plan, dependents=[spouse, child])
    return family


def marked(event):
    """{(beneficiary first name, plan type)} an event made COBRA-eligible."""
    return {(row.beneficiary.first_name, row.plan.plan_type)
            for row in CobraEligibility.objects.filter(event=event).select_related("employee", "dependent", "plan")}


@pytest.fixture
def family(world):
    return make_family(world.alpha, first_name="Pat")


def test_termination_marks_employee_spouse_and_child_per_qualified_plan(family, world, today):
    """Seed 002: termination covers everyone on the plan; life is not COBRA-qualified (seed 001)."""
    event = services.employee_terminate(employee=family.employee, termination_date=date(2026, 11, 13),
                                        reason="voluntary", by=world.hr_alpha, today=today)
    assert event.event_type == QualifyingEventType.TERMINATION
    assert event.source == EventSource.TERMINATION_TOOL
    assert marked(event) == {(name, plan) for name in ("Pat", "Sam", "Kit") for plan in ("medical", "dental")}
    row = CobraEligibility.objects.filter(event=event, dependent__isnull=True, plan__plan_type="medical").get()
    # Alpha is a 12-employee CA company: Cal-COBRA's 36 months, not federal COBRA's 18 (cobra-rules.md state table).
    assert (row.coverage_end, row.eligibility_date, row.max_months) == (date(2026, 11, 30), date(2026, 12, 1), 36)
    assert row.continuation_law == "CA"
    assert row.election_due > row.eligibility_date
    family.employee.refresh_from_db()
    assert family.employee.employment_status == EmploymentStatus.TERMINATED


def test_termination_at_a_federal_company_gives_18_months(world, today):
    """cobra-rules.md: 20+ employees -> federal COBRA, 18 months after a termination."""
    beta_family = make_family(world.beta, first_name="Bo")
    event = services.employee_terminate(employee=beta_family.employee, termination_date=date(2026, 11, 13),
                                        reason="involuntary", by=world.broker_b, today=today)
    row = CobraEligibility.objects.filter(event=event, dependent__isnull=True, plan__plan_type="medical").get()
    assert (row.max_months, row.max_end, row.continuation_law) == (18, date(2028, 5, 31), "federal")


def test_gross_misconduct_terminates_without_an_event(family, world, today):
    """Seed 001: gross misconduct is not a qualifying event."""
    assert services.employee_terminate(employee=family.employee, termination_date=date(2026, 11, 13),
                                       reason="gross_misconduct", by=world.hr_alpha, today=today) is None
    assert not QualifyingEvent.objects.exists() and not CobraEligibility.objects.exists()
    family.employee.refresh_from_db()
    assert family.employee.employment_status == EmploymentStatus.TERMINATED


def test_terminate_without_marking_leaves_the_event_to_the_wizard(family, world, today):
    """Seed 002: "Terminate & Continue to COBRA" terminates, then the wizard marks."""
    assert services.employee_terminate(employee=family.employee, termination_date=date(2026, 11, 13),
                                       reason="death", by=world.hr_alpha, today=today, mark=False) is None
    assert not QualifyingEvent.objects.exists()
    assert services.termination_event_type(reason="death") == QualifyingEventType.DEATH
    assert services.termination_event_type(reason="gross_misconduct") is None
    family.enrollments["medical"].refresh_from_db()
    assert family.enrollments["medical"].end_date == date(2026, 11, 30)


def _mark(family, event_type, *, dependents=None, today, event_date=date(2026, 11, 13), **extra):
    return services.qualifying_event_mark(employee=family.employee, event_type=event_type, event_date=event_date,
                                          source=EventSource.ENROLLMENT_EDITOR, dependents=dependents, today=today, **extra)


def test_divorce_marks_the_spouse_and_only_the_chosen_children(family, today):
    """Seed 002: for divorce the person entering it chooses the eligible individuals; the spouse always is one."""
    event = _mark(family, QualifyingEventType.DIVORCE, dependents=[family.spouse], today=today)
    assert marked(event) == {("Sam", "medical"), ("Sam", "dental")}
    assert {row.max_months for row in event.eligibilities.all()} == {36}
    event = _mark(family, QualifyingEventType.DIVORCE, dependents=[family.child], today=today,
                  enrollments=[family.enrollments["medical"]])
    assert marked(event) == {("Sam", "medical"), ("Kit", "medical")}


def test_age_off_marks_only_the_chosen_child(family, today):
    """Seed 002: dependent age-off makes only that child eligible."""
    event = _mark(family, QualifyingEventType.DEPENDENT_AGE_OFF, dependents=[family.child], today=today,
                  enrollments=[family.enrollments["medical"]])
    assert marked(event) == {("Kit", "medical")}


def test_product_ended_more_than_45_days_ago_is_refused(family, today):
    """Seed 002: products can be marked COBRA-eligible only within 45 days after they end."""
    with pytest.raises(CobraEventError) as error:
        _mark(family, QualifyingEventType.REDUCTION_OF_HOURS, event_date=date(2026, 9, 10), today=today)
    assert "products" in error.value.errors
    assert "45 days" in " ".join(error.value.errors["products"])
    assert not QualifyingEvent.objects.exists()


def test_life_event_cannot_be_backdated_more_than_30_days(family, today):
    """Seed 001: backdated life events do not trigger COBRA; the enrollment editor path may."""
    with pytest.raises(CobraEventError) as error:
        services.qualifying_event_mark(employee=family.employee, event_type=QualifyingEventType.REDUCTION_OF_HOURS,
                                       event_date=date(2026, 10, 19), source=EventSource.LIFE_EVENT, today=today)
    assert "event_date" in error.value.errors
    event = _mark(family, QualifyingEventType.REDUCTION_OF_HOURS, event_date=date(2026, 10, 19), today=today)
    assert event.eligibilities.count() == 6


def test_missing_demographics_block_the_mark_naming_person_and_fields(family, today):
    """Seed 001: SSN, date of birth, gender and address are required before a COBRA record is sent."""
    family.spouse.set_ssn(None)
    family.spouse.gender = ""
    family.spouse.save()
    with pytest.raises(CobraEventError) as error:
        _mark(family, QualifyingEventType.REDUCTION_OF_HOURS, today=today)
    message = " ".join(error.value.errors["beneficiaries"])
    assert "Sam Doe is missing SSN, gender" in message
    assert "Pat" not in message
    assert not QualifyingEvent.objects.exists()


def test_reverse_requires_a_reason_and_records_it_in_history(family, world, today):
    """Seed 002: Support reverses a mistaken mark."""
    event = _mark(family, QualifyingEventType.REDUCTION_OF_HOURS, today=today)
    rows = list(event.eligibilities.all())
    with pytest.raises(CobraEventError) as error:
        services.eligibility_reverse(eligibilities=rows, reason="  ", by=world.support)
    assert "reason" in error.value.errors
    services.eligibility_reverse(eligibilities=rows, reason="Entered on the wrong employee", by=world.support)
    for row in CobraEligibility.objects.filter(event=event):
        assert row.status == EligibilityStatus.REVERSED
        latest = row.history.latest()
        assert (latest.history_change_reason, latest.history_user) == ("Entered on the wrong employee", world.support)


def test_retro_termination_marks_last_years_plans(world):
    """Seed 001: a termination backdated into last plan year triggers COBRA on last year's plans."""
    family = make_family(world.alpha, year=2025, plans=("medical",), first_name="Pat")
    renewal = PlanFactory(company=world.alpha, plan_type="medical", code="alpha-medical-2026", name="Medical 2026",
                          renews=family.enrollments["medical"].plan)
    EnrollmentFactory(employee=family.employee, plan=renewal, dependents=[family.spouse, family.child])
    event = services.employee_terminate(employee=family.employee, termination_date=date(2025, 12, 20),
                                        reason="voluntary", by=world.hr_alpha, today=date(2026, 1, 10))
    assert {row.plan.name for row in event.eligibilities.all()} == {"Medical 2025"}
    assert event.eligibilities.count() == 3


def test_class_change_drop_marks_only_when_it_is_a_qualifying_event(family, world, today):
    """Seed 001 (class changes): HR answers whether the drop is a COBRA event."""
    dental, medical = family.enrollments["dental"], family.enrollments["medical"]
    assert services.enrollment_drop(enrollment=dental, last_day=date(2026, 11, 13), cobra_event=False,
                                    by=world.hr_alpha, today=today) is None
    dental.refresh_from_db()
    assert dental.end_date == date(2026, 11, 30) and not QualifyingEvent.objects.exists()
    event = services.enrollment_drop(enrollment=medical, last_day=date(2026, 11, 13), cobra_event=True,
                                     by=world.hr_alpha, today=today)
    assert (event.source, event.event_type) == (EventSource.CLASS_CHANGE, QualifyingEventType.LOSS_OF_ELIGIBILITY)
    assert marked(event) == {("Pat", "medical"), ("Sam", "medical"), ("Kit", "medical")}
    medical.refresh_from_db()
    assert medical.end_date == date(2026, 11, 30)


def test_event_plan_shows_the_election_deadline_it_will_record(family, today):
    enrollment = family.enrollments["medical"]
    enrollment.plan.coverage_ends = CoverageEnds.EVENT_DATE
    enrollment.plan.save()
    plan = services.qualifying_event_plan(employee=family.employee, event_type=QualifyingEventType.TERMINATION,
                                          event_date=date(2026, 11, 13), source=EventSource.TERMINATION_TOOL,
                                          enrollments=[enrollment], today=today)
    assert {row[3] for row in plan.coverage_rows} == {date(2026, 11, 14)}
    event = _mark(family, QualifyingEventType.TERMINATION, enrollments=[enrollment], today=today)
    assert {row.election_due for row in event.eligibilities.all()} == {plan.deadlines(date(2026, 11, 14)).election_due}


def test_employer_size_test_uses_the_count_of_the_year_before_the_event(world, today):
    """Seed 003: 20+ employees in the previous calendar year -> federal COBRA; fewer -> the situs state's law.

    Beta's latest count is 120 (federal), but it had 12 employees in 2025, so a 2026 event falls under NY's law.
    """
    from companies.models import EmployeeCount

    EmployeeCount.objects.create(company=world.beta, year=2025, employee_count=12)
    small_year = make_family(world.beta, first_name="Al")
    event = services.employee_terminate(employee=small_year.employee, termination_date=date(2026, 11, 13),
                                        reason="involuntary", by=world.broker_b, today=today)
    assert set(event.eligibilities.values_list("continuation_law", flat=True)) == {"NY"}
    EmployeeCount.objects.create(company=world.beta, year=2024, employee_count=40)
    assert selectors.company_continuation(company=world.beta, on=date(2025, 6, 1)).law == "federal"
    assert selectors.company_continuation(company=world.beta).law == "federal"
