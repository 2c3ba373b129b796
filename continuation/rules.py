"""Lifecycle rules after the election notice: pure functions over dates, decimals and enums (no ORM).

The event's own deadlines, the maximum period, the first premium and grace period, premiums and the
federal/state choice are enrollments.cobra.rules; this module holds only what the rule engine does not:
premium periods and their deadlines, early ends, the extensions' conditions, carrier switches (shared/spec/cobra-rules.md,
seed 003, seed 004; 26 CFR 54.4980B-7 and -8; 29 CFR 2590.606-3).
"""
from dataclasses import dataclass
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import TextChoices

from enrollments.cobra.codes import QualifyingEventType, Relationship
from enrollments.cobra.rules import (
    DISABILITY_MONTHS, EXTENDED_MONTHS, FEDERAL_MONTHS, SECOND_QUALIFYING_EVENTS, grace_end,
)

EXTENSION_NOTICE_DAYS = 60
DISABILITY_ONSET_DAYS = 60
# Not set by law ("as soon as practicable"): the product's target, the same as the administrator's election notice.
TERMINATION_NOTICE_DAYS = 14
# Not set by law: how long a carrier or vendor may take to confirm an election before the dashboard flags it.
CONFIRMATION_DAYS = 30
# Not set by law: the least time a participant gets to answer a carrier switch offer.
CARRIER_SWITCH_ANSWER_DAYS = 30

# cobra-rules.md state table: only IL's cap is "100% + admin fee"; federal COBRA's 2% already is the fee.
ADMIN_FEE_STATES = frozenset({"IL"})

SECOND_EVENTS = SECOND_QUALIFYING_EVENTS


class ElectionChoice(TextChoices):
    ELECT = "elect", "Elected"
    WAIVE = "waive", "Waived"


class EndReason(TextChoices):
    MAX_PERIOD = "max_period", "End of the maximum period"
    NON_PAYMENT = "non_payment", "Premium not paid in time"
    OTHER_GROUP_COVERAGE = "other_group_coverage", "Other group health coverage after electing"
    MEDICARE = "medicare", "Medicare entitlement after electing"
    EMPLOYER_ENDED_PLANS = "employer_ended_plans", "Employer ended all group health plans"
    EARLY_END_REQUESTED = "early_end_requested", "Early end requested by the beneficiary"
    CARRIER_SWITCH_UNANSWERED = "carrier_switch_unanswered", "No answer to the new carrier's offer at renewal"


# Early ends that owe the beneficiary a notice of early termination (2590.606-4(d)); the end of the
# maximum period is the coverage running its course, not an early end.
EARLY_END_REASONS = frozenset(EndReason) - {EndReason.MAX_PERIOD}


def admin_fee_allowed(law):
    """A configurable administration fee is added on top of the premium only where the state law allows one
    (issue 7; cobra-rules.md state table "IL: 100% + admin fee"); never under federal COBRA (seed 003: 102%)."""
    return law in ADMIN_FEE_STATES


def election_is_timely(sent_on, election_due):
    """An election or waiver counts on the date it is sent (postmark), not received (cobra-rules.md, Payments)."""
    return sent_on <= election_due


def waiver_revocable(revoked_on, election_due):
    """A waiver may be revoked within the election period (cobra-rules.md, Payments)."""
    return revoked_on <= election_due


def payment_is_timely(sent_on, deadline):
    """Seed 003: "Payment is considered to be made on the date it is sent, not the 'received by' date"."""
    return sent_on <= deadline


def period_start(eligibility_date, index):
    """Monthly premium periods run from the date coverage was lost (coverage is reinstated back to it: no gap)."""
    return eligibility_date + relativedelta(months=index)


def period_end(eligibility_date, index):
    return period_start(eligibility_date, index + 1) - timedelta(days=1)


def period_index(eligibility_date, month):
    """The period that starts in `month` (any date in it), counted from 0; None before the first period."""
    index = (month.year - eligibility_date.year) * 12 + month.month - eligibility_date.month
    return index if index >= 0 else None


def payment_deadline(*, period_start_on, first_premium_due_on):
    """Last postmark date that pays a period.

    A period is due on its first day with a 30-day grace period, but nothing is owed before the first premium's
    45 days run out: periods already due at the election are paid by the first premium (seed 003:
    "first payment within 45 days after they elect ... subsequent premium payments are due on the date in the
    plan and have a 30-day grace period"; 26 CFR 54.4980B-8 Q&A-5).
    """
    return max(first_premium_due_on, grace_end(period_start_on))


def is_disability_month(index, *, max_months):
    """Months 19-29 of a disability extension may cost 150% (cobra-rules.md; seed 003)."""
    return max_months == DISABILITY_MONTHS and index >= FEDERAL_MONTHS


def non_payment_last_day(*, eligibility_date, paid_through):
    """Non-payment ends coverage retroactive to the end of the last paid period (issue 7); nothing paid: the
    coverage never resumed after it was lost (seed 004: "terminate ... retroactively to the date on which they
    failed to pay")."""
    return paid_through or eligibility_date - timedelta(days=1)


def early_end_allowed(*, reason, occurred_on, elected_on):
    """Other group coverage and Medicare end continuation only when they begin after the election
    (cobra-rules.md Early termination: "after electing, the beneficiary gets other group coverage or becomes
    entitled to Medicare")."""
    if reason in (EndReason.OTHER_GROUP_COVERAGE, EndReason.MEDICARE):
        return occurred_on > elected_on
    return True


def early_end_last_day(*, reason, occurred_on):
    """Last day of coverage for an early end.

    - requested by the beneficiary: the end of that month (seed 004: "most carriers require cancellation at the
      end of the month");
    - other group coverage / Medicare: the day before it begins;
    - employer ended all group health plans: the day the plans end (seed 004: "remain on insurance until the
      company's plans are terminated");
    - no answer to a carrier switch: the day before the renewal (seed 004: "canceled as of the renewal date").
    """
    if reason == EndReason.EARLY_END_REQUESTED:
        return month_end(occurred_on)
    if reason in (EndReason.OTHER_GROUP_COVERAGE, EndReason.MEDICARE, EndReason.CARRIER_SWITCH_UNANSWERED):
        return occurred_on - timedelta(days=1)
    return occurred_on


def termination_notice_due(decided_on):
    """Notice of early termination: as soon as practicable after deciding (2590.606-4(d)); target in days."""
    return decided_on + timedelta(days=TERMINATION_NOTICE_DAYS)


def confirmation_due(elected_on):
    return elected_on + timedelta(days=CONFIRMATION_DAYS)


def confirmation_overdue_for_elections_by(today):
    """The last election date whose `confirmation_due` has come by `today` (for a query over elections)."""
    return today - timedelta(days=CONFIRMATION_DAYS)


@dataclass(frozen=True)
class Extension:
    allowed: bool
    months: int
    reason: str


def disability_extension(*, max_months, eligibility_date, disabled_on, determined_on, notified_on):
    """18 -> 29 months when a beneficiary is disabled (per SSA) at any time in the first 60 days of continuation
    and the administrator is told within 60 days of the determination and before the 18 months end
    (cobra-rules.md; 29 CFR 2590.606-3(e))."""
    if max_months != FEDERAL_MONTHS:
        return Extension(False, max_months, f"Only an 18-month period extends for disability (this one is {max_months}).")
    if disabled_on >= eligibility_date + timedelta(days=DISABILITY_ONSET_DAYS):
        return Extension(False, max_months, "The disability began after the first 60 days of continuation.")
    if notified_on > determined_on + timedelta(days=EXTENSION_NOTICE_DAYS):
        return Extension(False, max_months, "The administrator was told more than 60 days after the SSA determination.")
    if notified_on >= eligibility_date + relativedelta(months=FEDERAL_MONTHS):
        return Extension(False, max_months, "The administrator was told after the 18 months ended.")
    return Extension(True, DISABILITY_MONTHS, "Disability extension to 29 months.")


def second_event_extension(*, max_months, relationship, event_type, event_date, eligibility_date, max_end, notified_on):
    """Death, divorce, Medicare or age-off during an 18- or 29-month period extends the spouse and children to
    36 months from the first event, if the administrator is told within 60 days (cobra-rules.md)."""
    if Relationship(relationship) == Relationship.EMPLOYEE:
        return Extension(False, max_months, "A second event extends only the spouse and children.")
    if max_months not in (FEDERAL_MONTHS, DISABILITY_MONTHS):
        return Extension(False, max_months, f"Only an 18- or 29-month period extends (this one is {max_months}).")
    if QualifyingEventType(event_type) not in SECOND_EVENTS:
        return Extension(False, max_months, "Only death, divorce, Medicare or loss of dependent status is a second event.")
    if not eligibility_date <= event_date <= max_end:
        return Extension(False, max_months, "The second event did not happen during the continuation period.")
    if notified_on > event_date + timedelta(days=EXTENSION_NOTICE_DAYS):
        return Extension(False, max_months, "The administrator was told more than 60 days after the second event.")
    return Extension(True, EXTENDED_MONTHS, "Second qualifying event: 36 months from the first event.")


def carrier_switch_answer_due(*, renewal_start, offered_on):
    """A participant who has not answered by the renewal loses coverage as of the renewal date (seed 004); one
    offered late (elected after the renewal was set up) still gets the product's minimum time to answer."""
    return max(renewal_start - timedelta(days=1), offered_on + timedelta(days=CARRIER_SWITCH_ANSWER_DAYS))


def is_carrier_switch(*, old_carrier, new_carrier):
    """A renewal with another carrier needs the participant's answer; the same carrier's renewal carries over."""
    return old_carrier.strip().lower() != new_carrier.strip().lower()


def days_left(*, due, as_of):
    return (due - as_of).days


def month_end(day):
    return day + relativedelta(day=31)
