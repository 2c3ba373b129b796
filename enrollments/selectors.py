"""Reads: plain queries the admin, commands, jobs and reports share."""
from django.db.models import Case, CharField, F, Prefetch, Q, Value, When

from enrollments.cobra import rules
from enrollments.cobra.codes import PlanType, Relationship
from enrollments.models import (
    ADDRESS_FIELDS,
    CobraEligibility,
    Dependent,
    EligibilityStatus,
    Enrollment,
    StateContinuationRule,
)


def beneficiary_is_employee(*, via=""):
    """SQL condition: the eligibility or initial-rights record (reached through `via`) is the employee's own."""
    return Q(**{f"{via}dependent__isnull": True})


def beneficiary_value(field, *, via=""):
    """SQL for the beneficiary's own value on an eligibility or initial-rights record reached through `via`
    (e.g. "eligibility__"): the dependent's on a dependent's record, else the employee's. One CASE, no extra query."""
    return Case(When(beneficiary_is_employee(via=via), then=F(f"{via}employee__{field}")), default=F(f"{via}dependent__{field}"))


def beneficiary_address(field, *, via=""):
    """`models.member_address` in SQL: the dependent's address when complete, else the employee's."""
    own = Q()
    for name in ADDRESS_FIELDS:
        own &= ~Q(**{f"{via}dependent__{name}": ""})
    return Case(When(beneficiary_is_employee(via=via) | ~own, then=F(f"{via}employee__{field}")), default=F(f"{via}dependent__{field}"))


def beneficiary_relationship(*, via=""):
    return Case(When(beneficiary_is_employee(via=via), then=Value(Relationship.EMPLOYEE.value)), default=F(f"{via}dependent__relationship"),
                output_field=CharField())


def enrollment_fact(enrollment):
    plan = enrollment.plan
    return rules.EnrollmentFact(
        key=enrollment.pk,
        plan_key=plan.pk,
        plan_type=PlanType(plan.plan_type),
        plan_year_start=plan.plan_year_start,
        plan_year_end=plan.plan_year_end,
        effective_date=enrollment.effective_date,
        end_date=enrollment.end_date,
        coverage_ends=plan.coverage_ends,
        covered_member_keys=frozenset(["employee", *(f"dependent:{d.pk}" for d in enrollment.covered_dependents.all())]),
    )


def employee_enrollments(*, employee):
    return list(
        Enrollment.objects.filter(employee=employee)
        .select_related("plan", "employee")
        .prefetch_related(Prefetch("covered_dependents", queryset=Dependent.objects.select_related("employee")))
        .order_by("plan__plan_year_start", "plan__code")
    )


def cobra_products(*, employee, event_date, source):
    """The COBRA-qualified enrollments in force on the event date (seed 001 retro / future rules)."""
    enrollments = employee_enrollments(employee=employee)
    by_key = {e.pk: e for e in enrollments}
    facts = rules.plans_of_record(event_date=event_date, enrollments=[enrollment_fact(e) for e in enrollments], source=source)
    return [by_key[f.key] for f in facts]


def cobra_eligibility_default(*, enrollments, event_date):
    """The wizard's pre-filled COBRA eligibility date: the day after the products' coverage ends (seed 002)."""
    ends = [rules.coverage_end_date(event_date=event_date, coverage_ends=e.plan.coverage_ends) for e in enrollments]
    return rules.cobra_eligibility_date(min(ends)) if ends else None


def employee_eligibilities(*, employee):
    """An employee's COBRA eligibilities, the family's included, that were not reversed."""
    return list(
        CobraEligibility.objects.filter(employee=employee).exclude(status=EligibilityStatus.REVERSED)
        .select_related("plan", "employee", "dependent", "event")
        .order_by("-eligibility_date", F("dependent_id").asc(nulls_first=True), "plan__code")
    )


def state_rules():
    return {row.state: row.as_rule() for row in StateContinuationRule.objects.all()}


def company_continuation(*, company, on=None):
    """Federal COBRA, a state's law, 'none' or 'unknown' for this company (seed 003, 004).

    `on` (an event date) applies the employer-size test of that year: the count of the calendar year before.
    Without it, the company's latest count decides.
    """
    count = company.prior_year_employee_count if on is None else company.employee_count_for(on.year - 1)
    return rules.continuation_law(
        prior_year_employee_count=count,
        situs_state=company.situs_state,
        state_rules=state_rules(),
        self_funded=company.self_funded,
    )
