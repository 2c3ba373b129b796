"""The lifecycle services and daily jobs: elections, payments, extensions, terminations, carrier switches.

Family E100 (beta, federal COBRA): terminated 11/10/2026, coverage lost 12/01/2026, 18 months to 05/31/2028.
Medical $500 and dental $50 a month: 102% is $510.00 and $51.00 (seed 003).
"""
from datetime import date
from decimal import Decimal

import pytest

from continuation import services
from continuation.models import CarrierSwitchOffer, Election, OfferAnswer, PaymentStatus
from continuation.rules import EndReason
from continuation.selectors import member_elections
from continuation.services import ContinuationError
from continuation.tasks import daily_run
from continuation.tests.conftest import eligibilities, make_family
from enrollments.models import CobraEligibility, EligibilityStatus
from enrollments.tests.factories import PlanFactory

D = date
pytestmark = pytest.mark.django_db


def notify(employee, on=D(2026, 11, 20)):
    return services.election_notice_record(
        eligibilities=list(CobraEligibility.objects.filter(employee=employee).select_related("event", "employee__company")),
        sent_on=on)


def elect(employee, dependent=None, choice="elect", sent=D(2027, 1, 5), plans=None):
    return services.election_record(employee=employee, dependent=dependent, choice=choice, sent_on=sent,
                                    plan_codes=plans, today=sent)


def pay(employee, amount, sent, dependent=None, period=None):
    return services.payment_record(employee=employee, dependent=dependent, amount=Decimal(amount), sent_on=sent,
                                   period=period, today=sent)


def status(employee, dependent=None):
    return {code: e.status for code, e in eligibilities(employee, dependent).items()}


def election(employee, code, dependent=None):
    return Election.objects.get(eligibility__employee=employee, eligibility__dependent=dependent, plan__code=code)


def test_marked_event_starts_eligible_with_the_federal_period(family):
    employee, (spouse, child), _ = family
    for person in (None, spouse, child):
        for eligibility in eligibilities(employee, person).values():
            assert (eligibility.status, eligibility.eligibility_date, eligibility.max_months, eligibility.max_end) == \
                (EligibilityStatus.ELIGIBLE, D(2026, 12, 1), 18, D(2028, 5, 31))


def test_election_notice_sent_makes_notified_and_runs_the_election_period_from_the_later_date(family):
    """cobra-rules.md: election 60 days after the later of loss of coverage and the election notice."""
    employee, _, _ = family
    notify(employee, on=D(2026, 12, 20))
    eligibility = eligibilities(employee)["med"]
    assert eligibility.status == EligibilityStatus.NOTIFIED
    assert eligibility.election_due == D(2027, 2, 18)


def test_each_beneficiary_elects_each_line_independently(family):
    """seed 004 Plan options: continue medical and drop dental; 2590.606-4(b)(4)(iv): independent right to elect."""
    employee, (spouse, child), _ = family
    notify(employee)
    elect(employee)
    elect(employee, spouse, plans=["med"])
    elect(employee, child, choice="waive")
    assert status(employee) == {"med": "elected", "den": "elected"}
    assert status(employee, spouse) == {"med": "elected", "den": "waived"}
    assert status(employee, child) == {"med": "waived", "den": "waived"}
    med = election(employee, "med")
    assert (med.monthly_premium, med.first_premium_due) == (Decimal("510.00"), D(2027, 2, 19))
    assert election(employee, "den").monthly_premium == Decimal("51.00")


def test_only_lines_enrolled_at_the_event_can_be_elected(world, plans):
    """seed 004: only lines they were actively enrolled in at the time of termination."""
    employee, _, _ = make_family(world.beta, [plans["med"]], employee_id="E200")
    notify(employee)
    with pytest.raises(ContinuationError, match="not enrolled in den"):
        elect(employee, plans=["den"])


def test_late_election_is_refused_and_a_waiver_is_revocable_within_the_period(family):
    """cobra-rules.md Payments: the postmark counts; a waiver may be revoked within the election period."""
    employee, (spouse, _), _ = family
    notify(employee)
    with pytest.raises(ContinuationError, match="ended on 2027-01-30"):
        elect(employee, sent=D(2027, 1, 31))
    elect(employee, spouse, choice="waive", sent=D(2027, 1, 2))
    elect(employee, spouse, sent=D(2027, 1, 30))
    assert status(employee, spouse) == {"med": "elected", "den": "elected"}


def test_election_period_expires_without_an_answer(family):
    employee, _, _ = family
    notify(employee)
    daily_run(D(2027, 1, 30))
    assert set(status(employee).values()) == {"notified"}
    daily_run(D(2027, 1, 31))
    assert set(status(employee).values()) == {"expired"}


def test_first_premium_makes_active_and_pays_the_months_already_due(family):
    """seed 003: first payment within 45 days after electing; coverage reinstated to the loss date (no gap)."""
    employee, _, _ = family
    notify(employee)
    elect(employee)
    payment = pay(employee, "1683.00", D(2027, 2, 19))
    assert (payment.status, payment.periods, payment.paid_through) == (PaymentStatus.APPLIED, 3, D(2027, 2, 28))
    assert status(employee) == {"med": "active", "den": "active"}


def test_first_premium_sent_after_45_days_is_late_and_coverage_never_resumes(family):
    employee, _, _ = family
    notify(employee)
    elect(employee)
    assert pay(employee, "561.00", D(2027, 2, 20)).status == PaymentStatus.LATE
    daily_run(D(2027, 2, 19))
    assert set(status(employee).values()) == {"elected"}
    daily_run(D(2027, 2, 20))
    assert set(status(employee).values()) == {"terminated"}
    med = election(employee, "med")
    assert (med.end_reason, med.ended_on, med.termination_notice_due) == (EndReason.NON_PAYMENT, D(2026, 11, 30), D(2027, 3, 6))


@pytest.mark.parametrize("amount, outcome, source", [
    ("561.00", PaymentStatus.APPLIED, "seed 003: the full premium"),
    ("520.00", PaymentStatus.APPLIED, "cobra-rules.md: short by less than the lesser of $50 or 10% counts as full"),
    ("500.00", PaymentStatus.SHORT, "cobra-rules.md: a significant shortfall is not payment"),
])
def test_shortfall(family, amount, outcome, source):
    employee, _, _ = family
    notify(employee)
    elect(employee, sent=D(2026, 11, 25))
    assert pay(employee, amount, D(2026, 12, 1)).status == outcome, source


def test_grace_period_then_termination_retroactive_to_the_last_paid_period(family):
    """issue 7: non-payment after grace terminates coverage retroactive to the end of the last paid period."""
    employee, (spouse, _), _ = family
    notify(employee)
    elect(employee)
    elect(employee, spouse, plans=["med"])
    pay(employee, "1683.00", D(2027, 2, 10))
    pay(employee, "1530.00", D(2027, 2, 10), dependent=spouse)
    pay(employee, "561.00", D(2027, 3, 31), period=D(2027, 3, 1))
    daily_run(D(2027, 5, 1))
    assert set(status(employee).values()) == {"active"}
    daily_run(D(2027, 5, 2))
    assert set(status(employee).values()) == {"terminated"}
    assert election(employee, "med").ended_on == D(2027, 3, 31)
    assert status(employee, spouse) == {"med": "terminated", "den": "waived"}
    assert election(employee, "med", spouse).ended_on == D(2027, 2, 28)


def test_a_period_cannot_be_skipped_or_paid_twice(family):
    employee, _, _ = family
    notify(employee)
    elect(employee)
    with pytest.raises(ContinuationError, match="2026-12-01 is unpaid"):
        pay(employee, "561.00", D(2027, 1, 10), period=D(2027, 1, 1))
    pay(employee, "561.00", D(2027, 1, 10))
    with pytest.raises(ContinuationError, match="already paid"):
        pay(employee, "561.00", D(2027, 1, 10), period=D(2026, 12, 1))


def test_end_of_maximum_period_terminates_without_a_notice_of_early_termination(family):
    employee, _, _ = family
    notify(employee)
    elect(employee)
    assert pay(employee, str(561 * 18), D(2027, 1, 10)).paid_through == D(2028, 5, 31)
    daily_run(D(2028, 5, 31))
    assert set(status(employee).values()) == {"active"}
    daily_run(D(2028, 6, 1))
    med = election(employee, "med")
    assert (med.eligibility.status, med.end_reason, med.ended_on, med.termination_notice_due) == \
        ("terminated", EndReason.MAX_PERIOD, D(2028, 5, 31), None)


def test_an_unpaid_last_month_ends_for_non_payment_not_the_maximum_period(family):
    employee, _, _ = family
    notify(employee)
    elect(employee)
    pay(employee, str(561 * 17), D(2027, 1, 10))
    daily_run(D(2028, 5, 31))
    assert set(status(employee).values()) == {"active"}
    daily_run(D(2028, 6, 1))
    med = election(employee, "med")
    assert (med.end_reason, med.ended_on) == (EndReason.NON_PAYMENT, D(2028, 4, 30))


def test_early_end_requested_ends_at_month_end_and_the_others_stay(family):
    """seed 004: terminate dependents while keeping others; carriers end coverage at the end of the month."""
    employee, (spouse, _), _ = family
    notify(employee)
    elect(employee)
    elect(employee, spouse)
    pay(employee, str(561 * 12), D(2027, 1, 10))
    pay(employee, str(561 * 12), D(2027, 1, 10), dependent=spouse)
    services.continuation_end_request(elections=member_elections(employee=employee, dependent=spouse),
                                      reason=EndReason.EARLY_END_REQUESTED, occurred_on=D(2027, 6, 12), today=D(2027, 6, 12))
    daily_run(D(2027, 6, 30))
    assert set(status(employee, spouse).values()) == {"active"}
    daily_run(D(2027, 7, 1))
    assert set(status(employee, spouse).values()) == {"terminated"}
    assert set(status(employee).values()) == {"active"}
    assert election(employee, "med", spouse).ended_on == D(2027, 6, 30)


@pytest.mark.parametrize("reason, occurred_on, last_day", [
    (EndReason.OTHER_GROUP_COVERAGE, D(2027, 4, 1), D(2027, 3, 31)),
    (EndReason.MEDICARE, D(2027, 4, 15), D(2027, 4, 14)),
])
def test_other_coverage_or_medicare_after_electing(family, reason, occurred_on, last_day):
    employee, _, _ = family
    notify(employee)
    elect(employee)
    pay(employee, str(561 * 6), D(2027, 1, 10))
    services.continuation_end_request(elections=member_elections(employee=employee, dependent=None), reason=reason,
                                      occurred_on=occurred_on, today=D(2027, 5, 2))
    med = election(employee, "med")
    assert (med.eligibility.status, med.ended_on, med.end_reason) == ("terminated", last_day, reason)


def test_medicare_before_the_election_does_not_end_continuation(family):
    employee, _, _ = family
    notify(employee)
    elect(employee)
    with pytest.raises(ContinuationError, match="before the election"):
        services.continuation_end_request(elections=member_elections(employee=employee, dependent=None),
                                          reason=EndReason.MEDICARE, occurred_on=D(2026, 12, 1), today=D(2027, 1, 10))


def test_employer_ending_all_plans_ends_every_participant(world, family):
    employee, (spouse, _), _ = family
    notify(employee)
    elect(employee)
    elect(employee, spouse)
    pay(employee, str(561 * 4), D(2027, 1, 10))
    pay(employee, str(561 * 4), D(2027, 1, 10), dependent=spouse)
    services.employer_plans_end(company=world.beta, last_day=D(2027, 3, 31), today=D(2027, 3, 1))
    daily_run(D(2027, 4, 1))
    assert {e.end_reason for e in Election.objects.all()} == {EndReason.EMPLOYER_ENDED_PLANS}
    assert {e.ended_on for e in Election.objects.all()} == {D(2027, 3, 31)}


def test_disability_extension_takes_the_family_to_29_months_at_150_percent(family):
    """cobra-rules.md / seed 003: 18 -> 29 months for all the family; 150% in months 19-29."""
    employee, (spouse, child), _ = family
    notify(employee)
    elect(employee)
    services.disability_extension_record(employee=employee, dependent=child, disabled_on=D(2026, 12, 15),
                                         determined_on=D(2027, 4, 1), notified_on=D(2027, 5, 1))
    for person in (None, spouse, child):
        assert {(e.max_months, e.max_end) for e in eligibilities(employee, person).values()} == {(29, D(2029, 4, 30))}
    assert election(employee, "med").disability_premium == Decimal("750.00")
    payment = pay(employee, str(561 * 18 + 825), D(2027, 1, 10))
    assert payment.paid_through == D(2028, 6, 30)


def test_disability_extension_told_too_late_is_refused(family):
    employee, _, _ = family
    with pytest.raises(ContinuationError, match="more than 60 days after the SSA determination"):
        services.disability_extension_record(employee=employee, dependent=None, disabled_on=D(2026, 12, 15),
                                             determined_on=D(2027, 4, 1), notified_on=D(2027, 6, 5))
    assert {e.max_months for e in eligibilities(employee).values()} == {18}


def test_second_event_extends_the_spouse_to_36_months_from_the_first(family):
    """cobra-rules.md: divorce during the 18 months, told within 60 days: spouse to 36 months from the first event."""
    employee, (spouse, _), _ = family
    extended = services.second_event_record(employee=employee, dependents=[spouse], event_type="divorce",
                                            event_date=D(2027, 6, 1), notified_on=D(2027, 7, 1))
    assert {(e.max_months, e.max_end) for e in extended} == {(36, D(2029, 11, 30))}
    assert {e.max_months for e in eligibilities(employee).values()} == {18}


def test_medicare_before_the_event_gives_dependents_36_months_from_entitlement(world, plans):
    """cobra-rules.md: Medicare less than 18 months before a termination: spouse and children until the later of
    36 months from the entitlement or 18 months from the event."""
    employee, (spouse,), _ = make_family(world.beta, [plans["med"]], employee_id="E300", dependents=("spouse",),
                                         medicare_entitlement_date=D(2026, 3, 1))
    assert eligibilities(employee)["med"].max_end == D(2028, 5, 31)
    assert eligibilities(employee, spouse)["med"].max_end == D(2029, 2, 28)


@pytest.fixture
def renewals(world, plans):
    """Next plan year: medical moves to Kaiser (a carrier switch), dental renews with Delta."""
    common = {"company": world.beta, "plan_year_start": D(2027, 7, 1), "plan_year_end": D(2028, 6, 30)}
    return {
        "med": PlanFactory(code="med", plan_type="medical", carrier="Kaiser", monthly_premium=Decimal("600.00"),
                           renews=plans["med"], **common),
        "den": PlanFactory(code="den", plan_type="dental", carrier="Delta", monthly_premium=Decimal("60.00"),
                           renews=plans["den"], **common),
    }


def test_carrier_switch_offers_the_new_plan_and_ends_those_who_do_not_answer(family, renewals):
    """seed 004: offered similar coverage with the new carrier; unresponsive: canceled as of the renewal date."""
    employee, (spouse, _), _ = family
    notify(employee)
    elect(employee)
    elect(employee, spouse, plans=["med"])
    pay(employee, str(561 * 12), D(2027, 1, 10))
    pay(employee, str(510 * 12), D(2027, 1, 10), dependent=spouse)
    daily_run(D(2027, 5, 1))
    offers = {o.election.eligibility.dependent_id: o for o in CarrierSwitchOffer.objects.select_related("election__eligibility")}
    assert set(offers) == {None, spouse.pk}
    assert {o.answer_due for o in offers.values()} == {D(2027, 6, 30)}
    services.carrier_switch_answer(offer=offers[None], accept=True, answered_on=D(2027, 6, 1))
    daily_run(D(2027, 7, 1))
    assert (election(employee, "med").plan, election(employee, "med").monthly_premium) == (renewals["med"], Decimal("612.00"))
    assert election(employee, "den").plan == renewals["den"]
    spouse_med = election(employee, "med", spouse)
    assert (spouse_med.eligibility.status, spouse_med.end_reason, spouse_med.ended_on) == \
        ("terminated", EndReason.CARRIER_SWITCH_UNANSWERED, D(2027, 6, 30))
    assert CarrierSwitchOffer.objects.get(pk=offers[spouse.pk].pk).answer == OfferAnswer.PENDING


def test_running_the_same_day_twice_changes_nothing(family):
    employee, _, _ = family
    notify(employee)
    elect(employee)
    first = daily_run(D(2027, 2, 20))
    counts = (CobraEligibility.history.count(), Election.history.count())
    assert daily_run(D(2027, 2, 20)) == first
    assert services.lifecycle_run(as_of=D(2027, 2, 20)) == {
        "expired": 0, "offers": 0, "renewed": 0, "switched_out": 0, "non_payment": 0, "ended": 0}
    assert (CobraEligibility.history.count(), Election.history.count()) == counts


def test_payment_beyond_the_end_of_coverage_or_before_it_began(family):
    employee, _, _ = family
    notify(employee)
    elect(employee)
    pay(employee, str(561 * 18), D(2027, 1, 10))
    assert pay(employee, "561.00", D(2027, 1, 11)).status == PaymentStatus.NOTHING_DUE
    with pytest.raises(ContinuationError, match="2026-11 is before continuation began"):
        pay(employee, "561.00", D(2027, 1, 11), period=D(2026, 11, 1))


@pytest.mark.parametrize("situs, fee, premium, source", [
    ("CA", "0", Decimal("440.00"), "cobra-rules.md state table: Cal-COBRA 110%"),
    ("IL", "7.50", Decimal("407.50"), "cobra-rules.md state table: IL 100% + admin fee"),
    ("GA", "0", Decimal("400.00"), "cobra-rules.md state table: GA 100%"),
])
def test_state_continuation_premium(world, situs, fee, premium, source):
    from continuation.models import ContinuationSettings
    world.alpha.plan_situs_state = situs
    world.alpha.save()
    ContinuationSettings.objects.create(company=world.alpha, admin_fee=Decimal(fee))
    plan = PlanFactory(company=world.alpha, code="alpha-med", plan_year_start=D(2026, 7, 1), plan_year_end=D(2027, 6, 30),
                       monthly_premium=Decimal("400.00"))
    employee, _, _ = make_family(world.alpha, [plan], employee_id="A1")
    assert eligibilities(employee)["alpha-med"].continuation_law == situs
    elect(employee, sent=D(2026, 12, 1))
    assert election(employee, "alpha-med").monthly_premium == premium, source


def test_an_admin_fee_is_refused_where_the_law_allows_none(world):
    from django.core.exceptions import ValidationError

    from continuation.models import ContinuationSettings
    with pytest.raises(ValidationError, match="allows no fee"):
        ContinuationSettings(company=world.beta, admin_fee=Decimal("5.00")).full_clean()
