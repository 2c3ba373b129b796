"""Writes of the continuation lifecycle: the admin, the commands and the daily job all come through here.

Status lives on CobraEligibility (enrollments); every change is saved with its history user and reason.
"""
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from continuation import rules, selectors
from continuation.models import CarrierSwitchOffer, ContinuationSettings, Election, OfferAnswer, Payment, PaymentStatus
from continuation.rules import ElectionChoice, EndReason
from enrollments import selectors as enrollment_selectors
from enrollments.cobra import rules as cobra_rules
from enrollments.cobra.codes import QualifyingEventType, Relationship
from enrollments.models import CobraEligibility, EligibilityStatus


class ContinuationError(Exception):
    """A lifecycle step the input does not allow; `errors` maps a field to its messages."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {m}" for k, msgs in errors.items() for m in msgs))


def _fail(field, message):
    raise ContinuationError({field: [message]})


def _set_status(eligibility, status, *, by, reason):
    eligibility.status = status
    eligibility._history_user = by
    eligibility._change_reason = reason
    eligibility.save(update_fields=["status"])


def _save(election, fields, *, by=None, reason=""):
    election._history_user = by
    election._change_reason = reason
    election.save(update_fields=fields)


def continuation_of(eligibility, state_rules=None):
    """The law recorded on the eligibility when it was marked, as the rule engine's Continuation."""
    law = eligibility.continuation_law
    rules_by_state = enrollment_selectors.state_rules() if state_rules is None else state_rules
    return cobra_rules.Continuation(law, rules_by_state.get(law), "")


def company_settings(company):
    return ContinuationSettings.objects.filter(company=company).first() or ContinuationSettings(company=company)


def premiums(*, eligibility, plan):
    """(monthly premium, disability-month premium) of one line, priced by the rule engine (seed 003), plus the
    company's admin fee where the law allows one; (None, None) when the plan has no cost or the law is none or
    unknown (cobra-rules.md: never silently federal)."""
    continuation = continuation_of(eligibility)
    if plan.monthly_premium is None or continuation.law in (cobra_rules.ContinuationLaw.NONE, cobra_rules.ContinuationLaw.UNKNOWN):
        return None, None
    fee = company_settings(eligibility.employee.company).admin_fee if rules.admin_fee_allowed(continuation.law) else Decimal("0")
    return tuple(cobra_rules.monthly_premium(plan_cost=plan.monthly_premium, continuation=continuation,
                                             disability_month=disability, admin_fee=fee)
                 for disability in (False, True))


@transaction.atomic
def election_notice_record(*, eligibilities, sent_on, by=None):
    """The election notice went out: eligible -> notified, and the election period runs from the later of the
    loss of coverage and the notice (cobra-rules.md Deadlines)."""
    notified = []
    for eligibility in eligibilities:
        if eligibility.status != EligibilityStatus.ELIGIBLE:
            continue
        deadlines = cobra_rules.event_deadlines(
            event_type=QualifyingEventType(eligibility.event.event_type), event_date=eligibility.event.event_date,
            eligibility_date=eligibility.eligibility_date,
            employer_is_administrator=company_settings(eligibility.employee.company).employer_is_administrator,
            administrator_notified_on=eligibility.event.entered_on, election_notice_sent_on=sent_on,
            continuation=continuation_of(eligibility))
        eligibility.election_due = deadlines.election_due
        eligibility.status = EligibilityStatus.NOTIFIED
        eligibility._history_user = by
        eligibility._change_reason = f"Election notice sent {sent_on:%Y-%m-%d}"
        eligibility.save(update_fields=["status", "election_due"])
        notified.append(eligibility)
    return notified


@transaction.atomic
def election_record(*, employee, dependent, choice, sent_on, plan_codes=None, by=None, today):
    """Record one beneficiary's election or waiver, per line of coverage.

    Each beneficiary elects independently, only lines they were enrolled in at the event, and may drop some:
    electing some lines waives the others (seed 004 "Plan options"; 2590.606-4(b)(4)(iv)). The election counts
    on its postmark date; a waiver may be revoked within the election period (cobra-rules.md Payments).
    """
    choice = ElectionChoice(choice)
    member_id = selectors.member_id_of(employee, dependent)
    every = selectors.member_eligibilities(employee=employee, dependent=dependent)
    eligibilities = [e for e in every if e.status in (*selectors.OPEN_STATUSES, EligibilityStatus.WAIVED)]
    open_codes = {e.plan.code for e in eligibilities}
    if plan_codes:
        unknown = sorted(set(plan_codes) - {e.plan.code for e in every})
        if unknown:
            _fail("plans", f"{member_id} was not enrolled in {', '.join(unknown)} at the event; "
                           f"choose from {', '.join(sorted(open_codes)) or 'nothing: no line is open'}.")
        closed = sorted(set(plan_codes) - open_codes)
        if closed:
            _fail("plans", f"{member_id}: {', '.join(closed)} can no longer be elected or waived (already "
                           f"{', '.join(sorted({e.get_status_display() for e in every if e.plan.code in closed}))}).")
        chosen = set(plan_codes)
    else:
        chosen = open_codes
    if not eligibilities:
        _fail("member_id", f"{member_id} has no continuation coverage open for election.")
    if choice == ElectionChoice.WAIVE:
        eligibilities = [e for e in eligibilities if e.plan.code in chosen]
    for eligibility in eligibilities:
        timely = rules.waiver_revocable if eligibility.status == EligibilityStatus.WAIVED else rules.election_is_timely
        if not timely(sent_on, eligibility.election_due):
            _fail("sent", f"The election period for {eligibility.plan.code} ended on {eligibility.election_due:%Y-%m-%d}; "
                          f"an election sent on {sent_on:%Y-%m-%d} is too late.")
    recorded = []
    for eligibility in eligibilities:
        line_choice = choice if eligibility.plan.code in chosen else ElectionChoice.WAIVE
        recorded.append(_election_save(eligibility, line_choice, sent_on=sent_on, by=by, today=today))
    return recorded


def _election_save(eligibility, choice, *, sent_on, by, today):
    election = Election.objects.filter(eligibility=eligibility).first()
    if election is not None and election.choice == choice:
        return election
    if election is None:
        election = Election(eligibility=eligibility, plan=eligibility.plan)
    election.choice = choice
    election.sent_on = sent_on
    election.recorded_on = today
    election.recorded_by = by
    if choice == ElectionChoice.ELECT:
        election.monthly_premium, election.disability_premium = premiums(eligibility=eligibility, plan=election.plan)
        election.first_premium_due = cobra_rules.first_premium_due(sent_on)
    else:
        election.first_premium_due = None
    election._history_user = by
    election.save()
    status = EligibilityStatus.ELECTED if choice == ElectionChoice.ELECT else EligibilityStatus.WAIVED
    _set_status(eligibility, status, by=by, reason=f"{election.get_choice_display()} (sent {sent_on:%Y-%m-%d})")
    return election


def _period_due(elections, start):
    """Amount due for the period starting `start` across the member's lines that have that period."""
    total = Decimal("0")
    for election in elections:
        index = rules.period_index(election.eligibility.eligibility_date, start)
        disability = rules.is_disability_month(index, max_months=election.eligibility.max_months)
        premium = election.disability_premium if disability and election.disability_premium else election.monthly_premium
        total += premium or Decimal("0")
    return total


@transaction.atomic
def payment_record(*, employee, dependent, amount, sent_on, period=None, by=None, today):
    """Record a premium payment (postmark date counts) and apply it to whole monthly periods.

    The first premium is due 45 days after the election, later ones on the period's first day with 30 days'
    grace (seed 003); a shortfall that is not significant counts as full payment (is_payment_sufficient). A
    first payment makes the lines active.
    """
    amount = Decimal(amount)
    if amount <= 0:
        _fail("amount", "Enter a positive amount, e.g. 612.00.")
    member_id = selectors.member_id_of(employee, dependent)
    elections = selectors.member_elections(employee=employee, dependent=dependent)
    payment = Payment(employee=employee, dependent=dependent, amount=amount, sent_on=sent_on, recorded_on=today,
                      recorded_by=by)
    if not elections:
        _fail("member_id", f"{member_id} has no elected continuation coverage to pay for.")
    for election in elections:
        if election.monthly_premium is None:
            election.monthly_premium, election.disability_premium = premiums(eligibility=election.eligibility, plan=election.plan)
            if election.monthly_premium is None:
                _fail("amount", f"No premium for {election.plan.code}: set the plan's monthly premium, and the company's "
                                f"continuation law if it is {election.eligibility.continuation_law}, then record the payment.")
            _save(election, ["monthly_premium", "disability_premium"], by=by, reason="Premium priced")
    start = min(selectors.next_unpaid_start(e) for e in elections)
    if period is not None:
        indexes = [(e.eligibility.eligibility_date, rules.period_index(e.eligibility.eligibility_date, period))
                   for e in elections]
        if any(index is None for _, index in indexes):
            began = min(begins for begins, _ in indexes)
            _fail("period", f"{period:%Y-%m} is before continuation began ({began:%Y-%m-%d}).")
        wanted = [rules.period_start(begins, index) for begins, index in indexes]
        if min(wanted) > start:
            _fail("period", f"The period starting {start:%Y-%m-%d} is unpaid: pay it before {period:%Y-%m}.")
        if min(wanted) < start:
            _fail("period", f"{period:%Y-%m} is already paid; the next unpaid period starts {start:%Y-%m-%d}.")
    due_elections = [e for e in elections if selectors.next_unpaid_start(e) == start]
    deadline = min(rules.payment_deadline(period_start_on=start, first_premium_due_on=e.first_premium_due)
                   for e in due_elections)
    if not rules.payment_is_timely(sent_on, deadline):
        payment.status = PaymentStatus.LATE
        payment.message = f"Sent {sent_on:%Y-%m-%d}, after the deadline {deadline:%Y-%m-%d} for the period from {start:%Y-%m-%d}."
        payment.save()
        return payment
    if all(start > selectors.coverage_last_day(e) for e in due_elections):
        payment.status = PaymentStatus.NOTHING_DUE
        payment.message = f"Already paid through the end of coverage ({start - timedelta(days=1):%Y-%m-%d})."
        payment.save()
        return payment
    before = {e.pk: e.paid_through for e in due_elections}
    first_start, remaining, paid_through, periods = start, amount, None, 0
    while True:
        lines = [e for e in due_elections if start <= selectors.coverage_last_day(e)]
        if not lines:
            break
        due = _period_due(lines, start)
        if remaining < due and not cobra_rules.is_payment_sufficient(amount_due=due, amount_paid=remaining):
            break
        remaining = max(remaining - due, Decimal("0"))
        paid_through = rules.period_end(lines[0].eligibility.eligibility_date,
                                        rules.period_index(lines[0].eligibility.eligibility_date, start))
        for election in lines:
            election.paid_through = paid_through
        periods += 1
        start = paid_through + timedelta(days=1)
        if remaining <= 0:
            break
    if periods == 0:
        payment.status = PaymentStatus.SHORT
        payment.message = f"${amount} is significantly short of the ${_period_due(due_elections, start)} due."
        payment.save()
        return payment
    payment.status = PaymentStatus.APPLIED
    payment.period_start = first_start
    payment.periods = periods
    payment.paid_through = paid_through
    if remaining > 0:
        payment.message = f"${remaining} more than the periods paid."
    for election in due_elections:
        if election.paid_through != before[election.pk]:
            _save(election, ["paid_through"], by=by, reason=f"Payment sent {sent_on:%Y-%m-%d}")
            if election.eligibility.status == EligibilityStatus.ELECTED:
                _set_status(election.eligibility, EligibilityStatus.ACTIVE, by=by,
                            reason=f"First premium sent {sent_on:%Y-%m-%d}")
    payment.save()
    return payment


def _extend(eligibility, months, *, by, reason):
    """A longer maximum period, from the same start (seed 002); never shorter than the one it replaces."""
    eligibility.max_months = months
    eligibility.max_end = max(eligibility.max_end, rules.period_start(eligibility.eligibility_date, months) - timedelta(days=1))
    eligibility._history_user = by
    eligibility._change_reason = reason
    eligibility.save(update_fields=["max_months", "max_end"])


def _extensible(eligibilities):
    return [e for e in eligibilities if e.status not in (EligibilityStatus.REVERSED, EligibilityStatus.TERMINATED,
                                                         EligibilityStatus.WAIVED, EligibilityStatus.EXPIRED)]


@transaction.atomic
def disability_extension_record(*, employee, dependent, disabled_on, determined_on, notified_on, by=None):
    """A beneficiary's SSA disability determination: every qualified beneficiary of the same event goes from 18
    to 29 months, months 19-29 at the disability premium (cobra-rules.md; seed 003).

    Raises ContinuationError naming the condition that is not met.
    """
    own = _extensible(selectors.member_eligibilities(employee=employee, dependent=dependent))
    if not own:
        _fail("member_id", f"{selectors.member_id_of(employee, dependent)} has no continuation coverage to extend.")
    event = own[-1].event
    family = _extensible(list(CobraEligibility.objects.filter(event=event).select_related("event", "plan")))
    extended = []
    for eligibility in family:
        decision = rules.disability_extension(
            max_months=eligibility.max_months, eligibility_date=eligibility.eligibility_date, disabled_on=disabled_on,
            determined_on=determined_on, notified_on=notified_on)
        if not decision.allowed:
            _fail("disability", decision.reason)
        _extend(eligibility, decision.months, by=by, reason=f"{decision.reason} Told {notified_on:%Y-%m-%d}.")
        extended.append(eligibility)
    return extended


@transaction.atomic
def second_event_record(*, employee, dependents, event_type, event_date, notified_on, by=None):
    """A second qualifying event during an 18- or 29-month period: the spouse and children it affects go to
    36 months measured from the first event (cobra-rules.md). Returns the extended eligibilities."""
    extended = []
    for dependent in dependents:
        for eligibility in _extensible(selectors.member_eligibilities(employee=employee, dependent=dependent)):
            decision = rules.second_event_extension(
                max_months=eligibility.max_months, relationship=Relationship(dependent.relationship),
                event_type=event_type, event_date=event_date, eligibility_date=eligibility.eligibility_date,
                max_end=eligibility.max_end, notified_on=notified_on)
            if not decision.allowed:
                _fail("event", f"{dependent.full_name}: {decision.reason}")
            _extend(eligibility, decision.months, by=by,
                    reason=f"{decision.reason} ({event_type} on {event_date:%Y-%m-%d}, told {notified_on:%Y-%m-%d}).")
            extended.append(eligibility)
    return extended


@transaction.atomic
def continuation_end_request(*, elections, reason, occurred_on, by=None, today):
    """Schedule an early end: requested by the beneficiary (end of that month), other group coverage or Medicare
    after electing, the employer ending all plans. Coverage ends when the daily job passes the last day;
    one dependent may end while the others stay (seed 004 FAQ)."""
    reason = EndReason(reason)
    scheduled = []
    for election in elections:
        if election.eligibility.status not in selectors.COVERED_STATUSES:
            continue
        if not rules.early_end_allowed(reason=reason, occurred_on=occurred_on, elected_on=election.sent_on):
            _fail("reason", f"{reason.label} began on {occurred_on:%Y-%m-%d}, before the election on "
                            f"{election.sent_on:%Y-%m-%d}: it does not end continuation.")
        last_day = rules.early_end_last_day(reason=reason, occurred_on=occurred_on)
        if election.scheduled_end and election.scheduled_end <= last_day:
            continue
        election.scheduled_end = last_day
        election.end_reason = reason
        _save(election, ["scheduled_end", "end_reason"], by=by, reason=f"{reason.label} ({occurred_on:%Y-%m-%d})")
        scheduled.append(election)
    _ends_apply(as_of=today, by=by)
    return scheduled


@transaction.atomic
def employer_plans_end(*, company, last_day, by=None, today):
    """The employer ends all group health plans: every participant's continuation ends with them."""
    elections = list(selectors.covered_elections().filter(eligibility__employee__company=company))
    return continuation_end_request(elections=elections, reason=EndReason.EMPLOYER_ENDED_PLANS, occurred_on=last_day,
                                    by=by, today=today)


@transaction.atomic
def election_confirm(*, elections, confirmed_on, by=None):
    """The carrier or vendor confirmed the elections (they leave the dashboard)."""
    for election in elections:
        if election.confirmed_on is None:
            election.confirmed_on = confirmed_on
            _save(election, ["confirmed_on"], by=by, reason="Confirmed by the carrier or vendor")
    return elections


@transaction.atomic
def termination_notice_record(*, elections, sent_on, by=None):
    """The notice of early termination went out (2590.606-4(d))."""
    for election in elections:
        if election.termination_notice_due and election.termination_notice_sent_on is None:
            election.termination_notice_sent_on = sent_on
            _save(election, ["termination_notice_sent_on"], by=by, reason="Notice of early termination sent")
    return elections


@transaction.atomic
def carrier_switch_answer(*, offer, accept, answered_on, by=None):
    """A participant's answer to the new carrier's offer; a decline ends coverage at the renewal (seed 004)."""
    if offer.answer != OfferAnswer.PENDING:
        _fail("answer", f"This offer was already answered ({offer.get_answer_display()}).")
    offer.answer = OfferAnswer.ACCEPTED if accept else OfferAnswer.DECLINED
    offer.answered_on = answered_on
    offer._history_user = by
    offer.save(update_fields=["answer", "answered_on"])
    return offer


def _terminate(election, *, last_day, reason, by, as_of):
    election.ended_on = last_day
    election.end_reason = reason
    fields = ["ended_on", "end_reason"]
    if reason in rules.EARLY_END_REASONS:
        election.termination_notice_due = rules.termination_notice_due(as_of)
        fields.append("termination_notice_due")
    _save(election, fields, by=by, reason=f"{EndReason(reason).label}: coverage ends {last_day:%Y-%m-%d}")
    _set_status(election.eligibility, EligibilityStatus.TERMINATED, by=by, reason=EndReason(reason).label)


def elections_expire(*, as_of, by=None):
    """Notified beneficiaries who neither elected nor waived by the election deadline (cobra-rules.md Deadlines)."""
    expired = list(CobraEligibility.objects.filter(status=EligibilityStatus.NOTIFIED, election_due__lt=as_of))
    for eligibility in expired:
        _set_status(eligibility, EligibilityStatus.EXPIRED, by=by,
                    reason=f"Election period ended {eligibility.election_due:%Y-%m-%d}")
    return expired


def nonpayment_terminate(*, as_of, by=None):
    """A period not paid by its deadline ends coverage at the end of the last paid period (issue 7; seed 003)."""
    ended = []
    for election in selectors.covered_elections():
        start = selectors.next_unpaid_start(election)
        if start > selectors.coverage_last_day(election):
            continue
        deadline = rules.payment_deadline(period_start_on=start, first_premium_due_on=election.first_premium_due)
        if deadline < as_of:
            last_day = rules.non_payment_last_day(eligibility_date=election.eligibility.eligibility_date,
                                                  paid_through=election.paid_through)
            _terminate(election, last_day=last_day, reason=EndReason.NON_PAYMENT, by=by, as_of=as_of)
            ended.append(election)
    return ended


def _ends_apply(*, as_of, by=None):
    """Scheduled early ends and the maximum period, once their last day has passed and it is paid for."""
    ended = []
    for election in selectors.covered_elections():
        last_day = selectors.coverage_last_day(election)
        if last_day >= as_of:
            continue
        paid_up = election.paid_through is not None and election.paid_through >= last_day
        scheduled = election.scheduled_end is not None and election.scheduled_end == last_day
        if not scheduled and not paid_up:
            continue  # the last period is still in its grace period: non-payment decides
        reason = election.end_reason if scheduled else EndReason.MAX_PERIOD
        _terminate(election, last_day=last_day, reason=reason, by=by, as_of=as_of)
        ended.append(election)
    return ended


def _renewal_in_coverage(election):
    """The renewal of the election's plan that starts while continuation lasts, if any."""
    last_day = selectors.coverage_last_day(election)
    return next((p for p in election.plan.renewals.all() if p.plan_year_start <= last_day), None)


def carrier_switch_offers_make(*, as_of, by=None):
    """Participants on a plan whose renewal moves to another carrier are offered the new carrier's plan (seed 004)."""
    made = []
    offered = set(CarrierSwitchOffer.objects.values_list("election_id", "new_plan_id"))
    for election in selectors.covered_elections().prefetch_related("plan__renewals"):
        renewal = _renewal_in_coverage(election)
        if renewal is None or (election.pk, renewal.pk) in offered or not rules.is_carrier_switch(
                old_carrier=election.plan.carrier, new_carrier=renewal.carrier):
            continue
        offer = CarrierSwitchOffer(election=election, new_plan=renewal, offered_on=as_of,
                                   answer_due=rules.carrier_switch_answer_due(renewal_start=renewal.plan_year_start,
                                                                              offered_on=as_of))
        offer._history_user = by
        offer.save()
        made.append(offer)
    return made


def renewals_apply(*, as_of, by=None):
    """From a renewal's start: the same carrier's plan carries over; after a carrier switch, an accepted offer
    carries over, a declined or unanswered one ends coverage the day before the renewal (seed 004)."""
    moved, ended = [], []
    offers = {(o.election_id, o.new_plan_id): o for o in CarrierSwitchOffer.objects.all()}
    for election in selectors.covered_elections().prefetch_related("plan__renewals"):
        renewal = _renewal_in_coverage(election)
        if renewal is None or renewal.plan_year_start > as_of:
            continue
        if rules.is_carrier_switch(old_carrier=election.plan.carrier, new_carrier=renewal.carrier):
            offer = offers.get((election.pk, renewal.pk))
            if offer is None or (offer.answer == OfferAnswer.PENDING and offer.answer_due >= as_of):
                continue
            if offer.answer != OfferAnswer.ACCEPTED:
                last_day = renewal.plan_year_start - timedelta(days=1)
                if election.scheduled_end is None or election.scheduled_end > last_day:
                    reason = EndReason.CARRIER_SWITCH_UNANSWERED if offer.answer == OfferAnswer.PENDING \
                        else EndReason.EARLY_END_REQUESTED
                    election.scheduled_end, election.end_reason = last_day, reason
                    _save(election, ["scheduled_end", "end_reason"], by=by, reason=EndReason(reason).label)
                    ended.append(election)
                continue
        election.plan = renewal
        election.monthly_premium, election.disability_premium = premiums(eligibility=election.eligibility, plan=renewal)
        _save(election, ["plan", "monthly_premium", "disability_premium"], by=by,
              reason=f"Renewal to {renewal.code} from {renewal.plan_year_start:%Y-%m-%d}")
        moved.append(election)
    return moved, ended


@transaction.atomic
def lifecycle_run(*, as_of, by=None):
    """Every status change the calendar makes as of a day; running the same day again changes nothing."""
    expired = elections_expire(as_of=as_of, by=by)
    offers = carrier_switch_offers_make(as_of=as_of, by=by)
    moved, switched_out = renewals_apply(as_of=as_of, by=by)
    unpaid = nonpayment_terminate(as_of=as_of, by=by)
    ended = _ends_apply(as_of=as_of, by=by)
    return {
        "expired": len(expired), "offers": len(offers), "renewed": len(moved), "switched_out": len(switched_out),
        "non_payment": len(unpaid), "ended": len(ended),
    }
