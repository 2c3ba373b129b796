"""The COBRA rule engine: which plans and events, who, for how long, by when, at what price.

Pure functions over dates, Decimals, the codes.py enums and small frozen dataclasses; "today" is
always an argument. Each rule lives here once and names its source: seeds 001-004 (shared/seeds),
shared/spec/cobra-rules.md, ERISA §§601-608, 29 CFR 2590.606-1 to -4, 26 CFR 54.4980B.
Tests: enrollments/tests/test_rules.py.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import TextChoices

from enrollments.cobra.codes import (
    CoverageEnds, EnrollmentSource, EventSource, LifeEventReason, PlanType, QualifyingEventType, Relationship,
    TerminationReason,
)
from enrollments.cobra.reasons import ClassChangeDrop, CobraChangeReason

QE = QualifyingEventType

# Plans

COBRA_QUALIFIED_PLAN_TYPES = frozenset({
    PlanType.MEDICAL, PlanType.DENTAL, PlanType.VISION, PlanType.SUPPLEMENTAL_HEALTH, PlanType.TELEMEDICINE,
    PlanType.PRESCRIPTION, PlanType.EAP_COBRA, PlanType.HRA, PlanType.FSA, PlanType.LPFSA,
})
FSA_PLAN_TYPES = frozenset({PlanType.FSA, PlanType.LPFSA})


def is_cobra_qualified(plan_type):
    """Seed 001 "Plans transmitted": medical, dental, vision, supplemental health, telemedicine, prescription,
    COBRA-qualified EAP, HRA, FSA and limited-purpose FSA; not life, disability, accident, a plain EAP or other."""
    return plan_type in COBRA_QUALIFIED_PLAN_TYPES


def needs_fsa_caveat(plan_type):
    """Seed 001 "Important Note on FSA": FSA and LPFSA are sent, but whether COBRA is owed depends on the
    account's balance, so the COBRA administrator confirms with the FSA administrator."""
    return plan_type in FSA_PLAN_TYPES


# Qualifying events

TERMINATION_REASON_EVENTS = {
    TerminationReason.VOLUNTARY: QE.TERMINATION,
    TerminationReason.INVOLUNTARY: QE.TERMINATION,
    TerminationReason.REDUCTION_IN_FORCE: QE.TERMINATION,
    TerminationReason.RETIREMENT: QE.TERMINATION,
    TerminationReason.OTHER: QE.TERMINATION,
    TerminationReason.DEATH: QE.DEATH,
}

LIFE_EVENT_REASON_EVENTS = {
    CobraChangeReason.REDUCTION_IN_HOURS: QE.REDUCTION_OF_HOURS,
    CobraChangeReason.MILITARY_LEAVE: QE.MILITARY_LEAVE,
    CobraChangeReason.NO_LONGER_ELIGIBLE: QE.LOSS_OF_ELIGIBILITY,
    CobraChangeReason.DIVORCE: QE.DIVORCE,
    CobraChangeReason.DEPENDENT_LEAVES_COLLEGE: QE.DEPENDENT_AGE_OFF,
    CobraChangeReason.DEPENDENT_OVER_AGE: QE.DEPENDENT_AGE_OFF,
}

ENROLLMENT_EDITOR_REASON_EVENTS = {
    CobraChangeReason.AUTOMATED_LOSS_OF_DEPENDENT_ELIGIBILITY: QE.DEPENDENT_AGE_OFF,
    CobraChangeReason.DIVORCE: QE.DIVORCE,
    CobraChangeReason.MEDICARE: QE.MEDICARE,
    TerminationReason.DEATH: QE.DEATH,
    CobraChangeReason.DEPENDENT_CHANGE: QE.OTHER,
    TerminationReason.INVOLUNTARY: QE.TERMINATION,
    CobraChangeReason.OTHER_COBRA: QE.OTHER,
    TerminationReason.OTHER: QE.TERMINATION,
    TerminationReason.REDUCTION_IN_FORCE: QE.TERMINATION,
    TerminationReason.RETIREMENT: QE.TERMINATION,
    TerminationReason.VOLUNTARY: QE.TERMINATION,
    CobraChangeReason.LOSS_OF_DEPENDENT_CHILD_STATUS: QE.DEPENDENT_AGE_OFF,
    CobraChangeReason.MILITARY_LEAVE: QE.MILITARY_LEAVE,
    CobraChangeReason.NO_LONGER_ELIGIBLE: QE.LOSS_OF_ELIGIBILITY,
    CobraChangeReason.REDUCTION_IN_HOURS: QE.REDUCTION_OF_HOURS,
    CobraChangeReason.DEPENDENT_OVER_AGE: QE.DEPENDENT_AGE_OFF,
}

REASON_EVENTS = {
    EventSource.TERMINATION_TOOL: TERMINATION_REASON_EVENTS,
    EventSource.IMPORT: TERMINATION_REASON_EVENTS,
    EventSource.LIFE_EVENT: LIFE_EVENT_REASON_EVENTS,
    EventSource.ENROLLMENT_EDITOR: ENROLLMENT_EDITOR_REASON_EVENTS,
    EventSource.CLASS_CHANGE: {ClassChangeDrop.DROP_COBRA: QE.LOSS_OF_ELIGIBILITY},
}

LIFE_EVENT_BACKDATE_DAYS = 30


def termination_reason_entered(reason):
    """A blank termination reason is entered as voluntary termination (seed 001, Imports note)."""
    return TerminationReason(reason or TerminationReason.VOLUNTARY)


def qualifying_event_for(*, source, reason):
    """The qualifying event a coverage loss entered through `source` with `reason` triggers, or None
    (seed 001 "Events that trigger COBRA on the Qualifying Event file").

    - termination tool and import: every TerminationReason but gross misconduct (ERISA §603(2)); a blank
      reason is entered as voluntary termination (seed 001, Imports note). An unknown reason is a ValueError;
    - life events and the enrollment editor: only their COBRA reasons (reasons.CobraChangeReason, plus the
      editor's termination reasons);
    - a system-dropped dependent ceased to be eligible for the plan: loss of dependent-child status;
    - a class change: only a drop HR marks as a COBRA event (reasons.ClassChangeDrop).
    """
    source = EventSource(source)
    if source == EventSource.SYSTEM_DROP:
        return QE.DEPENDENT_AGE_OFF
    if source in (EventSource.TERMINATION_TOOL, EventSource.IMPORT):
        reason = termination_reason_entered(reason)
    return REASON_EVENTS[source].get(reason)


def life_event_backdate_allowed(*, source, event_date, today):
    """Seed 001: "Life events do not allow you to go back more than 30 days. If that is the case then use
    enrollment editor." Every other path may be backdated."""
    return source != EventSource.LIFE_EVENT or event_date >= today - timedelta(days=LIFE_EVENT_BACKDATE_DAYS)


# Initial rights (the general notice)

GENERAL_NOTICE_DAYS = 90

INITIAL_RIGHTS_WINDOWS = {
    EnrollmentSource.NEW_HIRE: frozenset({Relationship.EMPLOYEE, Relationship.SPOUSE}),
    EnrollmentSource.NEWLY_ELIGIBLE: frozenset({Relationship.EMPLOYEE, Relationship.SPOUSE}),
    EnrollmentSource.OPEN_ENROLLMENT: frozenset({Relationship.EMPLOYEE, Relationship.SPOUSE, Relationship.CHILD}),
}

INITIAL_RIGHTS_LIFE_EVENTS = {
    LifeEventReason.EMPLOYEE_LOSS_OF_COVERAGE: Relationship.EMPLOYEE,
    LifeEventReason.DIVORCE: Relationship.EMPLOYEE,
    LifeEventReason.DEATH_OF_SPOUSE: Relationship.EMPLOYEE,
    LifeEventReason.INCREASE_IN_HOURS: Relationship.EMPLOYEE,
    LifeEventReason.RETURN_FROM_LEAVE: Relationship.EMPLOYEE,
    LifeEventReason.SPOUSE_LOSES_COVERAGE: Relationship.EMPLOYEE,
    LifeEventReason.SPOUSE_OPEN_ENROLLMENT: Relationship.EMPLOYEE,
    LifeEventReason.MARRIAGE: Relationship.SPOUSE,
    LifeEventReason.DEPENDENT_LOSS_OF_COVERAGE: Relationship.SPOUSE,
}


def triggers_initial_rights(*, source, life_event_reason, is_new_coverage, relationship, plan_type):
    """Whether newly covering this person under this plan owes an Initial Rights (general notice) item
    (seed 001 "Windows and life events that trigger COBRA on the Initial Rights file"; 29 CFR 2590.606-1).

    - only new coverage of a COBRA-qualified plan: a renewal of the same coverage owes nothing;
    - new hire and newly eligible windows: the employee and the spouse, to whom the general notice is
      addressed (2590.606-1(a)); the employee's notice serves the children;
    - open enrollment: an employee, spouse or child not enrolled before (seed 001);
    - life events: the employee under the employee-add reasons, the spouse under marriage and dependent
      loss of coverage (seed 001's two lists); birth or adoption adds only a child, who gets no item;
    - import and modify (a correction) never (seed 001).
    A domestic partner is not a federal qualified beneficiary, so gets no item.
    """
    if not (is_new_coverage and is_cobra_qualified(plan_type)):
        return False
    if source == EnrollmentSource.LIFE_EVENT:
        return INITIAL_RIGHTS_LIFE_EVENTS.get(life_event_reason) == relationship
    return relationship in INITIAL_RIGHTS_WINDOWS.get(source, ())


def initial_rights_deadline(coverage_start):
    """The general notice is due 90 days after coverage begins (29 CFR 2590.606-1(b)(1); seed 001, seed 003)."""
    return coverage_start + timedelta(days=GENERAL_NOTICE_DAYS)


def initial_rights_sendable(*, coverage_start, today):
    """Seed 001: the Initial Rights item goes out only once coverage has started ("often employees may
    terminate prior to coverage commencement and they would not need a notice")."""
    return today >= coverage_start


# Qualified beneficiaries and the maximum period

FEDERAL_MONTHS = 18
DISABILITY_MONTHS = 29
EXTENDED_MONTHS = 36

EIGHTEEN_MONTH_EVENTS = frozenset({
    QE.TERMINATION, QE.REDUCTION_OF_HOURS, QE.MILITARY_LEAVE, QE.LOSS_OF_ELIGIBILITY, QE.OTHER,
})
# The events that can extend an 18-month period to 36 as a second qualifying event (ERISA §602(2)(A)(ii)):
# the 36-month events.
SECOND_QUALIFYING_EVENTS = frozenset(QE) - EIGHTEEN_MONTH_EVENTS


@dataclass(frozen=True)
class Member:
    """A person covered by an enrollment: the caller's key (e.g. "employee", "dependent:12") and relationship."""
    member_key: str
    relationship: Relationship


def _is_qualified_beneficiary(member, event_type, chosen, state_continuation):
    relationship = member.relationship
    if relationship == Relationship.DOMESTIC_PARTNER:
        if not state_continuation:
            return False
        relationship = Relationship.SPOUSE
    if event_type in EIGHTEEN_MONTH_EVENTS:
        return True
    if event_type in (QE.DEATH, QE.MEDICARE):
        return relationship != Relationship.EMPLOYEE
    if event_type == QE.DIVORCE and relationship == Relationship.SPOUSE:
        return True
    return relationship == Relationship.CHILD and member.member_key in chosen


def qualified_beneficiaries(*, event_type, covered: Sequence[Member], chosen=None, state_continuation=False):
    """Who, among the people covered the day before the event, is a qualified beneficiary
    (ERISA §607(3); seed 002 event table; cobra-rules.md).

    - termination, reduction of hours and the events treated like them (military leave, loss of
      eligibility, other): everyone covered;
    - death of the employee, Medicare: the spouse and the children;
    - divorce or legal separation: the spouse, and the children in `chosen` (those who lose coverage
      with them: seed 002 lets the person entering the event choose);
    - loss of dependent-child status: only the children in `chosen`.
    `chosen` holds member keys. A domestic partner is no qualified beneficiary under federal COBRA; some
    state laws make them one, so they count as a spouse only when `state_continuation` is set.
    """
    chosen = chosen or frozenset()
    return [m for m in covered if _is_qualified_beneficiary(m, QE(event_type), chosen, state_continuation)]


def max_period_months(*, event_type, disability_extension=False, second_event=False):
    """Maximum coverage period in months (ERISA §602(2)(A); cobra-rules.md table): 18 after termination or
    reduction of hours (military leave, loss of eligibility and other count as those), 36 after death,
    divorce, Medicare or age-off. An 18-month period becomes 29 with the disability extension and 36 with a
    second qualifying event."""
    if event_type not in EIGHTEEN_MONTH_EVENTS or second_event:
        return EXTENDED_MONTHS
    return DISABILITY_MONTHS if disability_extension else FEDERAL_MONTHS


def max_period_end(*, event_type, eligibility_date, event_date, medicare_entitlement_date, relationship,
                   disability_extension=False, state_rule=None):
    """(months, last day of coverage) of one qualified beneficiary's maximum period.

    The period runs from the COBRA eligibility date, so it ends on eligibility date + months - 1 day
    (seed 002). Medicare before the event (ERISA §602(2)(A); cobra-rules.md): when the employee became
    entitled to Medicare less than 18 months before a termination or reduction of hours, the spouse and
    children keep coverage until the later of that end and 36 months from the entitlement; months is then
    36, counted from the entitlement date.
    Under a state continuation law (`state_rule`, seed 004) the state's maximum period applies instead.
    """
    if state_rule is not None:
        return state_rule.max_months, eligibility_date + relativedelta(months=state_rule.max_months) - timedelta(days=1)
    months = max_period_months(event_type=event_type, disability_extension=disability_extension)
    end = eligibility_date + relativedelta(months=months) - timedelta(days=1)
    medicare_came_first = (
        medicare_entitlement_date is not None
        and medicare_entitlement_date <= event_date < medicare_entitlement_date + relativedelta(months=FEDERAL_MONTHS))
    if medicare_came_first and event_type in EIGHTEEN_MONTH_EVENTS and relationship != Relationship.EMPLOYEE:
        medicare_end = medicare_entitlement_date + relativedelta(months=EXTENDED_MONTHS) - timedelta(days=1)
        if medicare_end > end:
            return EXTENDED_MONTHS, medicare_end
    return months, end


# Coverage dates and the plans of record

MARKING_WINDOW_DAYS = 45


def coverage_end_date(*, event_date, coverage_ends):
    """The plan's last day of coverage after the event: the event date, or the last day of its month
    (seed 002: "the day after the Date of Product Termination"; cobra-rules.md)."""
    if coverage_ends == CoverageEnds.EVENT_DATE:
        return event_date
    return event_date + relativedelta(day=31)


def cobra_eligibility_date(coverage_end):
    """Seed 002: COBRA coverage begins the day after the plan's coverage ends, not the day after the event."""
    return coverage_end + timedelta(days=1)


@dataclass(frozen=True)
class EnrollmentFact:
    """One enrollment as the rules see it; `key` and `plan_key` are the caller's ids."""
    key: object
    plan_key: object
    plan_type: PlanType
    plan_year_start: date
    plan_year_end: date
    effective_date: date
    end_date: date | None
    coverage_ends: CoverageEnds
    covered_member_keys: frozenset = frozenset()

    def started_by(self, day):
        """Coverage had begun on `day`, within this plan year (ignoring any end)."""
        return self.plan_year_start <= day <= self.plan_year_end and self.effective_date <= day

    def in_force_on(self, day):
        return self.started_by(day) and (self.end_date is None or self.end_date >= day)


REINSTATING_SOURCES = frozenset({EventSource.TERMINATION_TOOL, EventSource.IMPORT})


def plans_of_record(*, event_date, enrollments: Sequence[EnrollmentFact], source):
    """The COBRA-qualified enrollments a qualifying event on `event_date` applies to
    (seed 001 "How COBRA works with retro and future events", and "coverage is in effect").

    - in force on the event date: coverage effective on the termination date counts, a termination the
      day before coverage starts does not; a future termination uses the plans in force on its date,
      renewals that start later included;
    - a retro termination (termination tool, import) into a prior plan year (one the employee has since
      renewed out of) reinstates that year's enrollments even though they have ended;
    - backdated life events and enrollment-editor drops reinstate nothing: only enrollments in force count.
    """
    qualified = [e for e in enrollments if is_cobra_qualified(e.plan_type)]
    if source not in REINSTATING_SOURCES:
        return [e for e in qualified if e.in_force_on(event_date)]
    latest_plan_year = max((e.plan_year_start for e in enrollments), default=None)
    return [e for e in qualified
            if e.in_force_on(event_date) or (e.started_by(event_date) and e.plan_year_end < latest_plan_year)]


def marking_window_open(*, product_end, today):
    """Seed 002: products can be marked COBRA-eligible within 45 days after they ended (so the employer
    can give the plan administrator its 30-day notice)."""
    return today <= product_end + timedelta(days=MARKING_WINDOW_DAYS)


# Employer size and the governing law

FEDERAL_COBRA_MIN_EMPLOYEES = 20
HUNDREDTH = Decimal("0.01")


def employer_size_count(*, full_time_count, part_time_hours: Sequence[Decimal], full_time_hours):
    """Employees on a typical business day, for the 20-employee test (seed 003; 26 CFR 54.4980B-2 Q&A-5):
    a full-timer counts 1, a part-timer the hours they worked / the hours a full-timer works (same period),
    at most 1. Rounded down to hundredths, so rounding never lifts an employer to 20."""
    full_time_hours = Decimal(full_time_hours)
    fractions = (min(Decimal(hours) / full_time_hours, Decimal(1)) for hours in part_time_hours)
    return (Decimal(full_time_count) + sum(fractions, Decimal(0))).quantize(HUNDREDTH, ROUND_DOWN)


def subject_to_federal_cobra(*, prior_year_employee_count):
    """Seed 003: 20 or more full- and part-time employees on more than 50% of business days last year."""
    return prior_year_employee_count >= FEDERAL_COBRA_MIN_EMPLOYEES


@dataclass(frozen=True)
class StateRule:
    """A state's continuation ("mini-COBRA") law as data (cobra-rules.md state table); kept in the
    StateContinuationRule model, editable in the admin. Employee bounds are whole employees, inclusive:
    2-19 means at least 2 and fewer than 20."""
    state: str
    max_months: int
    premium_cap_pct: Decimal
    disability_premium_pct: Decimal | None
    election_days: int
    min_employees: int | None
    max_employees: int | None
    insured_only: bool = True
    extends_federal_to_months: int | None = None
    last_verified: date | None = None
    source_note: str = ""

    def covers(self, employee_count):
        return ((self.min_employees is None or employee_count >= self.min_employees)
                and (self.max_employees is None or employee_count < self.max_employees + 1))

    @property
    def verified(self):
        return f"last verified {self.last_verified:%Y-%m-%d}" if self.last_verified else "not verified"


SPEC_TABLE = "Source: shared/spec/cobra-rules.md state table."
DEFAULT_STATE_RULES = (
    # state, months, premium cap %, disability %, election days, min and max employees
    StateRule("CA", 36, Decimal("110"), Decimal("150"), 60, 2, 19, extends_federal_to_months=36, source_note=(
        f"Cal-COBRA: insured plans of employers of 2-19; also extends federal COBRA to 36 months in total. {SPEC_TABLE}")),
    StateRule("NY", 36, Decimal("102"), None, 60, None, None, extends_federal_to_months=36, source_note=(
        f"Insured plans of any size; extends federal COBRA to 36 months. {SPEC_TABLE}")),
    StateRule("TX", 9, Decimal("102"), None, 60, None, 19, source_note=(
        f"Insured plans of employers not subject to COBRA; 6 more months after federal COBRA. Verify. {SPEC_TABLE}")),
    StateRule("FL", 18, Decimal("115"), None, 30, None, 19, source_note=(
        "Employers under 20; 29 months if disabled; election within 30 days after the notice; the beneficiary "
        f"tells the carrier within 63 days of the loss. Verify. {SPEC_TABLE}")),
    StateRule("IL", 12, Decimal("100"), None, 30, None, None, source_note=(
        f"Insured plans; 100% plus an administration fee; the employer tells the employee within 10 days. Verify. {SPEC_TABLE}")),
    StateRule("NJ", 18, Decimal("102"), None, 30, 2, 50, source_note=(
        f"Employers of 2-50; 29 or 36 months in some cases. Verify. {SPEC_TABLE}")),
    StateRule("MA", 18, Decimal("102"), None, 60, 2, 19, source_note=(
        f"Employers of 2-19; 29 or 36 months in some cases. Verify. {SPEC_TABLE}")),
    StateRule("GA", 3, Decimal("100"), None, 31, None, 19, source_note=(
        f"Employers under 20; the rest of the month of the loss plus 3 months. Verify. {SPEC_TABLE}")),
)


class ContinuationLaw(TextChoices):
    """Continuation.law when it is not a state code."""
    FEDERAL = "federal", "Federal COBRA"
    NONE = "none", "No continuation coverage"
    UNKNOWN = "unknown", "Unknown: check the state's law"


@dataclass(frozen=True)
class Continuation:
    """The law that governs a company's continuation coverage: ContinuationLaw or a state code.

    `rule` is the state row that decided it: the governing state law, or for federal COBRA the state law
    that extends it. `reason` says why, for the screens, with the row's verification date.
    """
    law: str
    rule: StateRule | None
    reason: str

    @property
    def is_state_law(self):
        return self.rule is not None and self.law == self.rule.state


def continuation_law(*, prior_year_employee_count, situs_state, state_rules: Mapping[str, StateRule],
                     self_funded=False):
    """Federal COBRA, a state's continuation law, none, or unknown.

    Seed 003: 20 or more employees last year -> federal COBRA. Seed 004: smaller employers get the law of
    the state the insured plans are written in. cobra-rules.md: state laws reach insured plans only (a
    self-funded small employer gets none), and a state missing from the table is unknown, never silently
    federal or none.
    """
    count = prior_year_employee_count
    if count is None:
        return Continuation(ContinuationLaw.UNKNOWN, None, "unknown: enter last year's employee count")
    rule = state_rules.get(situs_state) if situs_state else None
    if rule is not None and self_funded and rule.insured_only:
        rule = None
    if subject_to_federal_cobra(prior_year_employee_count=count):
        reason = f"federal: {count} employees last year (20 or more)"
        if rule is not None and rule.extends_federal_to_months:
            return Continuation(ContinuationLaw.FEDERAL, rule, (
                f"{reason}; {rule.state} extends it to {rule.extends_federal_to_months} months ({rule.verified})"))
        return Continuation(ContinuationLaw.FEDERAL, None, reason)
    if self_funded and rule is None:
        return Continuation(ContinuationLaw.NONE, None, (
            "none: under 20 employees and a self-funded plan, which state continuation laws do not reach"))
    if not situs_state:
        return Continuation(ContinuationLaw.UNKNOWN, None, "unknown: check the state's law (no plan situs state)")
    if rule is None:
        return Continuation(ContinuationLaw.UNKNOWN, None, (
            f"unknown: check the state's law ({situs_state} is not in the state continuation table)"))
    if not rule.covers(count):
        return Continuation(ContinuationLaw.NONE, rule, (
            f"none: {rule.state}'s law does not cover an employer of {count} employees ({rule.verified})"))
    return Continuation(rule.state, rule, f"{rule.state}: {count} employees last year, under 20 ({rule.verified})")


# Deadlines

EMPLOYER_NOTICE_DAYS = 30
BENEFICIARY_NOTICE_DAYS = 60
ELECTION_NOTICE_DAYS = 14
EMPLOYER_ADMINISTRATOR_NOTICE_DAYS = 44
ELECTION_DAYS = 60
FIRST_PREMIUM_DAYS = 45
GRACE_DAYS = 30
UNAVAILABILITY_NOTICE_DAYS = 14

BENEFICIARY_NOTICE_EVENTS = frozenset({QE.DIVORCE, QE.DEPENDENT_AGE_OFF})


@dataclass(frozen=True)
class EventDeadlines:
    employer_notice_due: date | None
    beneficiary_notice_due: date | None
    election_notice_due: date
    election_due: date


def event_deadlines(*, event_type, event_date, eligibility_date, employer_is_administrator,
                    administrator_notified_on, election_notice_sent_on, continuation: Continuation | None = None):
    """The deadlines a qualifying event starts (cobra-rules.md Deadlines). Loss of coverage is the
    eligibility date.

    - employer -> administrator, for the events the employer knows of: 30 days after the event
      (29 CFR 2590.606-2); none when the employer is the administrator (the 44 days below include it);
    - employee or beneficiary -> administrator, for divorce, separation and age-off: 60 days after the
      later of the event and the loss of coverage (29 CFR 2590.606-3);
    - election notice: 14 days after the administrator is told; 44 days after the event when the employer
      is the administrator and the event is one it knows of (29 CFR 2590.606-4(b)). Not told yet: an
      estimate from the last day it may be told;
    - election: 60 days after the later of the loss of coverage and the election notice (ERISA §605(a));
      notice not sent yet: an estimate from its due date. A governing state law's own window replaces the
      60 days, counted from the same day (seed 004; cobra-rules.md state table).
    """
    if event_type in BENEFICIARY_NOTICE_EVENTS:
        employer_notice_due = None
        beneficiary_notice_due = max(event_date, eligibility_date) + timedelta(days=BENEFICIARY_NOTICE_DAYS)
        election_notice_due = (administrator_notified_on or beneficiary_notice_due) + timedelta(days=ELECTION_NOTICE_DAYS)
    elif employer_is_administrator:
        employer_notice_due = beneficiary_notice_due = None
        election_notice_due = event_date + timedelta(days=EMPLOYER_ADMINISTRATOR_NOTICE_DAYS)
    else:
        employer_notice_due = event_date + timedelta(days=EMPLOYER_NOTICE_DAYS)
        beneficiary_notice_due = None
        election_notice_due = (administrator_notified_on or employer_notice_due) + timedelta(days=ELECTION_NOTICE_DAYS)
    election_days = continuation.rule.election_days if continuation and continuation.is_state_law else ELECTION_DAYS
    election_starts = max(eligibility_date, election_notice_sent_on or election_notice_due)
    return EventDeadlines(
        employer_notice_due=employer_notice_due,
        beneficiary_notice_due=beneficiary_notice_due,
        election_notice_due=election_notice_due,
        election_due=election_starts + timedelta(days=election_days),
    )


def first_premium_due(election_date):
    """First premium: 45 days after the election, the postmark counting (ERISA §602(3); seed 003)."""
    return election_date + timedelta(days=FIRST_PREMIUM_DAYS)


def grace_end(due_date):
    """Later premiums have a 30-day grace period after their due date (26 CFR 54.4980B-8 Q&A-5; seed 003)."""
    return due_date + timedelta(days=GRACE_DAYS)


def unavailability_notice_due(request_date):
    """A denied request for continuation gets a notice of unavailability within 14 days
    (29 CFR 2590.606-4(c); cobra-rules.md Deadlines)."""
    return request_date + timedelta(days=UNAVAILABILITY_NOTICE_DAYS)


# Premiums

FEDERAL_PREMIUM_PCT = Decimal("102")
FEDERAL_DISABILITY_PREMIUM_PCT = Decimal("150")
SHORTFALL_LIMIT = Decimal("50")
SHORTFALL_PCT = Decimal("10")
CENT = Decimal("0.01")


def monthly_premium(*, plan_cost, law=None, state_rule: StateRule | None = None, disability_month=False,
                    admin_fee=Decimal("0"), continuation: Continuation | None = None):
    """The most a qualified beneficiary may be charged a month, rounded down to the cent so it never
    exceeds the cap.

    Federal COBRA: 102% of the plan's cost, 150% in disability-extension months (ERISA §604; seed 003);
    the 2% is the administration fee, so `admin_fee` must be 0. A state law: its cap (its disability cap
    in disability months, when it has one), plus `admin_fee` where the law allows one on top (IL: "100% +
    admin fee"). Pass `continuation` instead of `law` and `state_rule` to use a continuation_law() result.
    No premium exists under law "none" or "unknown": ValueError.
    """
    if continuation is not None:
        law, state_rule = continuation.law, continuation.rule
    if law == ContinuationLaw.FEDERAL:
        if admin_fee:
            raise ValueError("Federal COBRA premiums are at most 102% of the plan's cost: the 2% is the administration fee.")
        pct = FEDERAL_DISABILITY_PREMIUM_PCT if disability_month else FEDERAL_PREMIUM_PCT
    elif state_rule is not None and law == state_rule.state:
        pct = state_rule.premium_cap_pct
        if disability_month and state_rule.disability_premium_pct is not None:
            pct = state_rule.disability_premium_pct
    else:
        raise ValueError(f"No continuation premium under law {law!r}: decide the governing law first.")
    return (plan_cost * pct / 100 + admin_fee).quantize(CENT, ROUND_DOWN)


def is_payment_sufficient(*, amount_due, amount_paid):
    """A payment short by no more than the lesser of $50 or 10% of the amount due counts as full payment
    (26 CFR 54.4980B-8 Q&A-5(d); cobra-rules.md Payments). The administrator may instead notify the
    shortfall and allow 30 days to pay it: that is the caller's business."""
    shortfall = amount_due - amount_paid
    return shortfall <= min(SHORTFALL_LIMIT, amount_due * SHORTFALL_PCT / 100)
