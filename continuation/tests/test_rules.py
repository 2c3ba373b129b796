"""Table-driven tests of the lifecycle rules; each row names its source."""
from datetime import date

import pytest

from continuation import rules
from continuation.rules import EndReason

D = date


@pytest.mark.parametrize("law, allowed, source", [
    ("IL", True, "cobra-rules.md state table: IL 100% + admin fee"),
    ("federal", False, "seed 003: at most 102% (the 2% is the administration fee)"),
    ("CA", False, "cobra-rules.md state table: CA 110%, no fee on top"),
    ("unknown", False, "cobra-rules.md: unknown is never priced"),
])
def test_admin_fee_allowed(law, allowed, source):
    assert rules.admin_fee_allowed(law) is allowed, source


@pytest.mark.parametrize("sent_on, due, timely, source", [
    (D(2027, 1, 30), D(2027, 1, 30), True, "cobra-rules.md Payments: counts on the date sent (postmark)"),
    (D(2027, 1, 31), D(2027, 1, 30), False, "cobra-rules.md Deadlines: election 60 days"),
    (D(2026, 12, 1), D(2027, 1, 30), True, "seed 003: 60 days to decide"),
])
def test_election_is_timely(sent_on, due, timely, source):
    assert rules.election_is_timely(sent_on=sent_on, election_due=due) is timely, source


@pytest.mark.parametrize("revoked_on, due, allowed, source", [
    (D(2027, 1, 30), D(2027, 1, 30), True, "cobra-rules.md Payments: a waiver may be revoked within the election period"),
    (D(2027, 2, 1), D(2027, 1, 30), False, "cobra-rules.md Payments: ... within the election period only"),
])
def test_waiver_revocable(revoked_on, due, allowed, source):
    assert rules.waiver_revocable(revoked_on=revoked_on, election_due=due) is allowed, source


@pytest.mark.parametrize("sent_on, deadline, timely, source", [
    (D(2027, 3, 31), D(2027, 3, 31), True, "seed 003: made on the date it is sent, not the received-by date"),
    (D(2027, 4, 1), D(2027, 3, 31), False, "seed 003: 30-day grace period"),
])
def test_payment_is_timely(sent_on, deadline, timely, source):
    assert rules.payment_is_timely(sent_on, deadline) is timely, source


@pytest.mark.parametrize("start, first_due, deadline, source", [
    (D(2026, 12, 1), D(2027, 1, 24), D(2027, 1, 24), "seed 003: periods due before the 45 days are paid by the first premium"),
    (D(2027, 1, 1), D(2027, 1, 24), D(2027, 1, 31), "seed 003: due date in the plan with a 30-day grace period"),
    (D(2027, 3, 1), D(2027, 1, 24), D(2027, 3, 31), "cobra-rules.md Deadlines: later premiums, 30-day grace"),
    (D(2027, 2, 15), D(2027, 1, 24), D(2027, 3, 17), "seed 002: coverage ending on the event date starts mid-month periods"),
])
def test_payment_deadline(start, first_due, deadline, source):
    assert rules.payment_deadline(period_start_on=start, first_premium_due_on=first_due) == deadline, source


@pytest.mark.parametrize("eligibility_date, month, index, start, end", [
    (D(2026, 12, 1), D(2026, 12, 1), 0, D(2026, 12, 1), D(2026, 12, 31)),
    (D(2026, 12, 1), D(2027, 2, 1), 2, D(2027, 2, 1), D(2027, 2, 28)),
    (D(2026, 11, 11), D(2027, 1, 1), 2, D(2027, 1, 11), D(2027, 2, 10)),
    (D(2026, 12, 1), D(2026, 11, 1), None, None, None),
])
def test_periods_run_from_the_loss_of_coverage(eligibility_date, month, index, start, end):
    """cobra-rules.md: coverage is reinstated back to the loss date once elected and paid: no gap."""
    assert rules.period_index(eligibility_date, month) == index
    if index is not None:
        assert rules.period_start(eligibility_date, index) == start
        assert rules.period_end(eligibility_date, index) == end


@pytest.mark.parametrize("index, max_months, disability, source", [
    (17, 29, False, "seed 003: 102% for the first 18 months"),
    (18, 29, True, "cobra-rules.md: 150% for months 19-29"),
    (28, 29, True, "cobra-rules.md: 150% for months 19-29"),
    (20, 36, False, "cobra-rules.md: only disability-extension months cost 150%"),
])
def test_disability_months(index, max_months, disability, source):
    assert rules.is_disability_month(index, max_months=max_months) is disability, source


@pytest.mark.parametrize("paid_through, last_day, source", [
    (D(2027, 3, 31), D(2027, 3, 31), "issue 7: retroactive to the end of the last paid period"),
    (None, D(2026, 11, 30), "seed 004: terminate retroactively to the date on which they failed to pay"),
])
def test_non_payment_last_day(paid_through, last_day, source):
    assert rules.non_payment_last_day(eligibility_date=D(2026, 12, 1), paid_through=paid_through) == last_day, source


@pytest.mark.parametrize("reason, occurred_on, elected_on, allowed, source", [
    (EndReason.OTHER_GROUP_COVERAGE, D(2027, 3, 1), D(2027, 1, 5), True, "cobra-rules.md: after electing, other group coverage"),
    (EndReason.OTHER_GROUP_COVERAGE, D(2026, 12, 1), D(2027, 1, 5), False, "cobra-rules.md: coverage before electing does not end it"),
    (EndReason.MEDICARE, D(2027, 6, 1), D(2027, 1, 5), True, "cobra-rules.md: after electing, becomes entitled to Medicare"),
    (EndReason.MEDICARE, D(2026, 6, 1), D(2027, 1, 5), False, "cobra-rules.md: Medicare before the election does not end it"),
    (EndReason.EARLY_END_REQUESTED, D(2027, 2, 10), D(2027, 1, 5), True, "seed 004: early end on request"),
    (EndReason.EMPLOYER_ENDED_PLANS, D(2027, 2, 10), D(2027, 1, 5), True, "cobra-rules.md: the employer ends all plans"),
])
def test_early_end_allowed(reason, occurred_on, elected_on, allowed, source):
    assert rules.early_end_allowed(reason=reason, occurred_on=occurred_on, elected_on=elected_on) is allowed, source


@pytest.mark.parametrize("reason, occurred_on, last_day, source", [
    (EndReason.EARLY_END_REQUESTED, D(2027, 2, 10), D(2027, 2, 28), "seed 004: carriers require cancellation at the end of the month"),
    (EndReason.EARLY_END_REQUESTED, D(2027, 4, 30), D(2027, 4, 30), "seed 004: end of that month"),
    (EndReason.OTHER_GROUP_COVERAGE, D(2027, 3, 1), D(2027, 2, 28), "cobra-rules.md: ends when other coverage begins"),
    (EndReason.MEDICARE, D(2027, 6, 15), D(2027, 6, 14), "cobra-rules.md: ends at Medicare entitlement"),
    (EndReason.EMPLOYER_ENDED_PLANS, D(2027, 6, 30), D(2027, 6, 30), "seed 004: remain until the company's plans end"),
    (EndReason.CARRIER_SWITCH_UNANSWERED, D(2027, 1, 1), D(2026, 12, 31), "seed 004: canceled as of the renewal date"),
])
def test_early_end_last_day(reason, occurred_on, last_day, source):
    assert rules.early_end_last_day(reason=reason, occurred_on=occurred_on) == last_day, source


@pytest.mark.parametrize("max_months, disabled_on, determined_on, notified_on, allowed, months, source", [
    (18, D(2027, 1, 15), D(2027, 5, 1), D(2027, 6, 1), True, 29,
     "cobra-rules.md: disabled in the first 60 days, told within 60 days of the determination"),
    (18, D(2026, 6, 1), D(2027, 5, 1), D(2027, 6, 1), True, 29, "cobra-rules.md: disabled before continuation counts"),
    (18, D(2027, 1, 29), D(2027, 5, 1), D(2027, 6, 1), True, 29, "cobra-rules.md: day 60 of continuation is 01/29/2027"),
    (18, D(2027, 1, 30), D(2027, 5, 1), D(2027, 6, 1), False, 18, "cobra-rules.md: at any time in the first 60 days"),
    (18, D(2027, 1, 15), D(2027, 5, 1), D(2027, 7, 1), False, 18, "cobra-rules.md: told within 60 days of the determination"),
    (18, D(2027, 1, 15), D(2028, 5, 20), D(2028, 6, 2), False, 18, "cobra-rules.md: ... and before the 18 months end"),
    (36, D(2027, 1, 15), D(2027, 5, 1), D(2027, 6, 1), False, 36, "cobra-rules.md: 18 -> 29 months only"),
])
def test_disability_extension(max_months, disabled_on, determined_on, notified_on, allowed, months, source):
    """Continuation began 12/01/2026: the first 60 days run to 01/30/2027, the 18 months to 05/31/2028."""
    decision = rules.disability_extension(max_months=max_months, eligibility_date=D(2026, 12, 1), disabled_on=disabled_on,
                                          determined_on=determined_on, notified_on=notified_on)
    assert (decision.allowed, decision.months) == (allowed, months), source


@pytest.mark.parametrize("max_months, relationship, event_type, event_date, notified_on, allowed, source", [
    (18, "spouse", "divorce", D(2027, 5, 1), D(2027, 6, 1), True, "cobra-rules.md: second event, spouse to 36 months"),
    (29, "child", "dependent_age_off", D(2028, 7, 1), D(2028, 7, 20), True, "cobra-rules.md: during an 18 (or 29)-month period"),
    (18, "child", "death", D(2027, 5, 1), D(2027, 7, 5), False, "cobra-rules.md: told within 60 days"),
    (18, "employee", "medicare", D(2027, 5, 1), D(2027, 5, 2), False, "cobra-rules.md: spouse and children extend"),
    (18, "spouse", "termination", D(2027, 5, 1), D(2027, 5, 2), False, "cobra-rules.md: death, divorce, Medicare, age-off"),
    (18, "spouse", "divorce", D(2028, 6, 1), D(2028, 6, 2), False, "cobra-rules.md: during the period"),
    (36, "spouse", "divorce", D(2027, 5, 1), D(2027, 5, 2), False, "cobra-rules.md: an 18- or 29-month period"),
])
def test_second_event_extension(max_months, relationship, event_type, event_date, notified_on, allowed, source):
    max_end = rules.period_start(D(2026, 12, 1), max_months) - (D(2026, 12, 2) - D(2026, 12, 1))
    decision = rules.second_event_extension(
        max_months=max_months, relationship=relationship, event_type=event_type, event_date=event_date,
        eligibility_date=D(2026, 12, 1), max_end=max_end, notified_on=notified_on)
    assert decision.allowed is allowed, source
    assert decision.months == (36 if allowed else max_months)


@pytest.mark.parametrize("old, new, switch, source", [
    ("Blue Shield", "Kaiser", True, "seed 004: switching insurance carriers during their eligibility period"),
    ("Blue Shield", "blue shield ", False, "seed 004: a renewal with the same carrier needs no new election"),
])
def test_carrier_switch(old, new, switch, source):
    assert rules.is_carrier_switch(old_carrier=old, new_carrier=new) is switch, source


@pytest.mark.parametrize("renewal, offered, due, source", [
    (D(2027, 7, 1), D(2027, 3, 1), D(2027, 6, 30), "seed 004: unresponsive during the renewal outreach: canceled as of the renewal date"),
    (D(2027, 7, 1), D(2027, 6, 20), D(2027, 7, 20), "product: at least 30 days to answer an offer made late"),
])
def test_carrier_switch_answer_due(renewal, offered, due, source):
    assert rules.carrier_switch_answer_due(renewal_start=renewal, offered_on=offered) == due, source


@pytest.mark.parametrize("elected_on, today, overdue", [
    (date(2026, 11, 1), date(2026, 12, 1), True),   # due 12/01, the day it has come
    (date(2026, 11, 2), date(2026, 12, 1), False),  # due 12/02
])
def test_confirmation_overdue_cutoff_agrees_with_confirmation_due(elected_on, today, overdue):
    """Product choice (closing note issue 7): the carrier or vendor confirms an election within 30 days."""
    assert (rules.confirmation_due(elected_on) <= today) is overdue
    assert (elected_on <= rules.confirmation_overdue_for_elections_by(today)) is overdue
