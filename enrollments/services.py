"""Writes: every path (admin wizard, termination screen, census import, jobs) goes through these.

The same input gives the same records whichever path entered it.
"""
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from enrollments import selectors
from enrollments.cobra import rules
from enrollments.cobra.codes import EnrollmentSource, EventSource, PlanType, QualifyingEventType, Relationship
from enrollments.cobra.reasons import ClassChangeDrop
from enrollments.models import (
    CobraEligibility, EligibilityStatus, Employee, EmploymentStatus, Enrollment, InitialRightsItem, QualifyingEvent,
)
from enrollments.signals import cobra_records_changed


class CobraEventError(Exception):
    """A qualifying event that cannot be marked; `errors` maps a field to its messages."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {m}" for k, msgs in errors.items() for m in msgs))


@dataclass
class EventPlan:
    """What marking an event would create: shown by the wizard's confirm step, then written."""
    event_type: str
    event_date: date
    coverage_rows: list = field(default_factory=list)  # (enrollment, member, coverage_end, eligibility_date, months, max_end)
    missing: dict = field(default_factory=dict)  # member name -> [fields]
    continuation: object = None
    today: date = None

    def deadlines(self, eligibility_date):
        """The event's deadlines for a row starting on `eligibility_date`, the administrator told today."""
        return rules.event_deadlines(
            event_type=QualifyingEventType(self.event_type), event_date=self.event_date, eligibility_date=eligibility_date,
            employer_is_administrator=False, administrator_notified_on=self.today, election_notice_sent_on=None,
            continuation=self.continuation)


def _members(enrollment):
    """The people covered by an enrollment as (rules.Member, employee-or-dependent)."""
    employee = enrollment.employee
    yield rules.Member(member_key="employee", relationship=Relationship.EMPLOYEE), employee
    for dependent in enrollment.covered_dependents.all():
        yield rules.Member(member_key=f"dependent:{dependent.pk}", relationship=Relationship(dependent.relationship)), dependent


def qualifying_event_plan(*, employee, event_type, event_date, source, enrollments, dependents=None,
                          eligibility_date=None, today, continuation=None):
    """Compute, without writing, who is a qualified beneficiary of which plan and until when.

    Raises CobraEventError for a rule the input breaks (seed 001, seed 002).
    """
    errors = {}
    event_type = QualifyingEventType(event_type)
    if not rules.life_event_backdate_allowed(source=EventSource(source), event_date=event_date, today=today):
        errors.setdefault("event_date", []).append(
            "Life events cannot be backdated more than 30 days: use the enrollment editor path.")
    if not enrollments:
        errors.setdefault("products", []).append("Choose at least one COBRA-qualified product.")
    continuation = continuation or selectors.company_continuation(company=employee.company, on=event_date)
    chosen = {f"dependent:{d.pk}" for d in dependents} if dependents is not None else None
    result = EventPlan(event_type=event_type, event_date=event_date, continuation=continuation, today=today)
    for enrollment in enrollments:
        coverage_end = rules.coverage_end_date(event_date=event_date, coverage_ends=enrollment.plan.coverage_ends)
        if not rules.marking_window_open(product_end=coverage_end, today=today):
            errors.setdefault("products", []).append(
                f"{enrollment.plan.name} ended on {coverage_end:%m/%d/%Y}: products can be marked COBRA-eligible "
                "only within 45 days after they end.")
            continue
        start = eligibility_date or rules.cobra_eligibility_date(coverage_end)
        people = dict(_members(enrollment))
        state_rule = continuation.rule if continuation.is_state_law else None
        for member in rules.qualified_beneficiaries(event_type=event_type, covered=list(people), chosen=chosen,
                                                    state_continuation=state_rule is not None):
            person = people[member]
            months, max_end = rules.max_period_end(
                event_type=event_type, eligibility_date=start, event_date=event_date,
                medicare_entitlement_date=employee.medicare_entitlement_date, relationship=member.relationship,
                state_rule=state_rule)
            result.coverage_rows.append((enrollment, person, coverage_end, start, months, max_end))
            missing = person.missing_vendor_fields()
            if missing:
                result.missing[person.full_name] = missing
    if result.missing:
        errors.setdefault("beneficiaries", []).extend(
            f"{name} is missing {', '.join(fields)}" for name, fields in result.missing.items())
    if enrollments and not result.coverage_rows and "products" not in errors:
        errors.setdefault("beneficiaries", []).append("Nobody covered by the chosen products is a qualified beneficiary of this event.")
    if errors:
        raise CobraEventError(errors)
    return result


@transaction.atomic
def qualifying_event_mark(*, employee, event_type, event_date, source, reason="", enrollments=None, dependents=None,
                          eligibility_date=None, by=None, today):
    """Record a qualifying event and one CobraEligibility per qualified beneficiary per plan.

    `enrollments` defaults to every COBRA-qualified product in force on the event date.
    """
    if enrollments is None:
        enrollments = selectors.cobra_products(employee=employee, event_date=event_date, source=source)
    plan = qualifying_event_plan(employee=employee, event_type=event_type, event_date=event_date, source=source,
                                 enrollments=enrollments, dependents=dependents, eligibility_date=eligibility_date,
                                 today=today)
    event = QualifyingEvent(employee=employee, event_type=event_type, event_date=event_date, entered_on=today,
                            source=source, reason=reason or "", entered_by=by)
    event._history_user = by
    event.save()
    rows = []
    for enrollment, person, coverage_end, start, months, max_end in plan.coverage_rows:
        deadlines = plan.deadlines(start)
        rows.append(CobraEligibility(
            event=event, employee=employee, dependent=None if isinstance(person, Employee) else person,
            enrollment=enrollment, plan=enrollment.plan, coverage_end=coverage_end, eligibility_date=start,
            max_months=months, max_end=max_end, continuation_law=plan.continuation.law,
            election_due=deadlines.election_due, status=EligibilityStatus.ELIGIBLE))
    bulk_create_with_history(rows, CobraEligibility, default_user=by)
    created = list(CobraEligibility.objects.filter(event=event).select_related("plan", "employee", "dependent"))
    cobra_records_changed.send(sender=CobraEligibility, records=created, action="add")
    return event


def termination_event_type(*, reason, source=EventSource.TERMINATION_TOOL):
    """The qualifying event a termination reason triggers, or None (gross misconduct: seed 001)."""
    return rules.qualifying_event_for(source=EventSource(source), reason=reason)


@transaction.atomic
def employee_terminate(*, employee, termination_date, reason, by=None, today, source=EventSource.TERMINATION_TOOL,
                       mark=True):
    """Terminate an employee; when the reason triggers COBRA, mark the event on the plans of record.

    A date after `today` is a future termination: stored as such, and marked as of its date (seed 001).
    Returns the QualifyingEvent, or None when the reason does not trigger COBRA (gross misconduct), when no
    COBRA-qualified plan was in force on the date, or when `mark` is False: "Terminate & Continue to COBRA" marks through the wizard instead (seed 002).
    """
    reason = rules.termination_reason_entered(reason)
    if termination_date > today:
        employee.future_termination_date = termination_date
    else:
        employee.termination_date = termination_date
        employee.employment_status = EmploymentStatus.TERMINATED
    employee.termination_reason = reason
    employee._history_user = by
    employee.save()
    if termination_date <= today:
        _end_coverage(employee=employee, last_day=termination_date, by=by)
    event_type = termination_event_type(source=source, reason=reason)
    if event_type is None or not mark:
        return None
    products = selectors.cobra_products(employee=employee, event_date=termination_date, source=source)
    if not products:
        return None  # seed 001: COBRA triggers only when a COBRA-qualified plan was in force on the event date
    return qualifying_event_mark(employee=employee, event_type=event_type, event_date=termination_date, source=source,
                                 reason=reason, enrollments=products, by=by, today=today)


@transaction.atomic
def enrollment_drop(*, enrollment, last_day, cobra_event, by=None, today):
    """End one enrollment after a class change; mark a qualifying event on it only when HR says the drop is one.

    Seed 001 (class changes): a drop is not always a COBRA event, so the person entering it decides.
    Returns the QualifyingEvent, or None.
    """
    coverage_end = rules.coverage_end_date(event_date=last_day, coverage_ends=enrollment.plan.coverage_ends)
    if coverage_end < enrollment.effective_date:
        raise CobraEventError({"last_day": [
            f"Coverage would end on {coverage_end:%m/%d/%Y}, before it started on {enrollment.effective_date:%m/%d/%Y}."]})
    reason = ClassChangeDrop.DROP_COBRA if cobra_event else ClassChangeDrop.DROP_NO_COBRA
    event_type = rules.qualifying_event_for(source=EventSource.CLASS_CHANGE, reason=reason)
    event = None
    if event_type is not None:
        event = qualifying_event_mark(employee=enrollment.employee, event_type=event_type, event_date=last_day,
                                      source=EventSource.CLASS_CHANGE, reason=reason, enrollments=[enrollment],
                                      by=by, today=today)
    if enrollment.end_date is None or enrollment.end_date > coverage_end:
        enrollment.end_date = coverage_end
        enrollment._history_user = by
        enrollment.save(update_fields=["end_date"])
    return event


def _end_coverage(*, employee, last_day, by):
    """End every enrollment in force on an employee's last day at its plan's coverage end (event date or month end)."""
    ended = []
    for enrollment in Enrollment.objects.filter(employee=employee).select_related("plan"):
        coverage_end = rules.coverage_end_date(event_date=last_day, coverage_ends=enrollment.plan.coverage_ends)
        if enrollment.effective_date <= coverage_end and (enrollment.end_date is None or enrollment.end_date > coverage_end):
            enrollment.end_date = coverage_end
            ended.append(enrollment)
    bulk_update_with_history(ended, Enrollment, ["end_date"], default_user=by)


@transaction.atomic
def eligibility_reverse(*, eligibilities, reason, by):
    """Support reverses a mistaken mark: reason required, history kept, vendors that got it receive a cancel."""
    if not reason or not reason.strip():
        raise CobraEventError({"reason": ["Give the reason for reversing this mark."]})
    now = timezone.now()
    reversed_rows = []
    for eligibility in eligibilities:
        if eligibility.status == EligibilityStatus.REVERSED:
            continue
        eligibility.status = EligibilityStatus.REVERSED
        eligibility.reversed_reason = reason.strip()
        eligibility.reversed_by = by
        eligibility.reversed_at = now
        eligibility._history_user = by
        eligibility._change_reason = reason.strip()
        eligibility.save()
        reversed_rows.append(eligibility)
    if reversed_rows:
        cobra_records_changed.send(sender=CobraEligibility, records=reversed_rows, action="cancel")
    return reversed_rows


def _previously_covered(enrollment):
    """Member keys covered by the plan this one renews (a renewal of the same coverage is not new)."""
    previous = Enrollment.objects.filter(employee=enrollment.employee, plan=enrollment.plan.renews_id).first() \
        if enrollment.plan.renews_id else None
    if previous is None:
        return set()
    return {member.member_key for member, _ in _members(previous)}


def initial_rights_record(*, enrollment, covered_before=frozenset(), today):
    """Create the Initial Rights items an enrollment save owes (seed 001 windows and life events).

    `covered_before` holds the member keys this enrollment covered before the save.
    Idempotent: a member who already has an item for this enrollment gets no second one.
    """
    plan = enrollment.plan

    def owed(member, *, is_new_coverage):
        return rules.triggers_initial_rights(
            source=EnrollmentSource(enrollment.source), life_event_reason=enrollment.life_event_reason or None,
            is_new_coverage=is_new_coverage, relationship=member.relationship, plan_type=PlanType(plan.plan_type))

    # Most saves (imports, corrections, renewals of non-qualified plans) owe nothing even for new coverage:
    # decide that before touching the database.
    candidates = [(member, person) for member, person in _members(enrollment) if owed(member, is_new_coverage=True)]
    if not candidates:
        return []
    already = set(covered_before) | _previously_covered(enrollment)
    existing_items = list(enrollment.initial_rights_items.all())
    existing = {(item.dependent_id or None) for item in existing_items}
    rows = []
    for member, person in candidates:
        dependent_id = None if member.relationship == Relationship.EMPLOYEE else person.pk
        if dependent_id in existing or not owed(member, is_new_coverage=member.member_key not in already):
            continue
        rows.append(InitialRightsItem(
            enrollment=enrollment, employee=enrollment.employee, dependent=None if dependent_id is None else person,
            plan=plan, coverage_start=enrollment.effective_date,
            notice_due=rules.initial_rights_deadline(enrollment.effective_date), created_on=today))
    if rows:
        with transaction.atomic():
            bulk_create_with_history(rows, InitialRightsItem)
            # Only the rows just written: items recorded earlier (even today) already have their outbox rows.
            created = list(InitialRightsItem.objects.filter(enrollment=enrollment, created_on=today)
                           .exclude(pk__in=[item.pk for item in existing_items])
                           .select_related("plan", "employee", "dependent"))
            cobra_records_changed.send(sender=InitialRightsItem, records=created, action="add")
    return rows
