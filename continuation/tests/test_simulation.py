"""A year of one company fed day by day through the daily jobs (issue 7 "Done when").

Beta (NY, 120 employees: federal COBRA), plan year 07/01-06/30, medical moving from Aetna to Kaiser at the
07/01/2027 renewal. Each day: the day's events, elections and payments, then `daily_run(day)`; checkpoints
assert statuses, the notices owed and the digest e-mailed to the company's contact.
"""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail

from continuation import services
from continuation.models import CarrierSwitchOffer, Election
from continuation.obligations import ObligationKind, obligation_list
from continuation.rules import EndReason
from continuation.tasks import daily_run
from continuation.tests.conftest import make_family
from enrollments.models import CobraEligibility, EligibilityStatus, Enrollment, QualifyingEvent
from enrollments.tests.factories import EmployeeFactory, PlanFactory

D = date
pytestmark = pytest.mark.django_db


def statuses(employee_id, dependent_id=None):
    rows = CobraEligibility.objects.filter(employee__employee_id=employee_id).select_related("plan", "dependent")
    return {e.plan.code: e.status for e in rows
            if (e.dependent.dependent_id if e.dependent else None) == dependent_id}


def owed(as_of, kind):
    return sorted(o.member_id for o in obligation_list(as_of=as_of) if o.kind == kind)


def member(employee_id, dependent_id=None):
    employee = CobraEligibility.objects.filter(employee__employee_id=employee_id).first().employee
    return employee, (employee.dependents.get(dependent_id=dependent_id) if dependent_id else None)


def notice(employee_id, on):
    services.election_notice_record(
        eligibilities=list(CobraEligibility.objects.filter(employee__employee_id=employee_id).select_related("event")),
        sent_on=on)


def elect(member_id, on, choice="elect", plans=None):
    employee, dependent = member(*member_id.split("-"))
    services.election_record(employee=employee, dependent=dependent, choice=choice, sent_on=on, plan_codes=plans, today=on)


def pay(member_id, amount, on):
    employee, dependent = member(*member_id.split("-"))
    return services.payment_record(employee=employee, dependent=dependent, amount=Decimal(amount), sent_on=on, today=on)


@pytest.fixture
def beta_year(world, plans):
    contact = User.objects.create_user("hr_beta", "hr@beta.example", "pw-for-tests-2026")
    world.beta.hr_users.add(contact)
    old_med = PlanFactory(company=world.beta, code="med", plan_type="medical", carrier="Aetna",
                          plan_year_start=D(2025, 7, 1), plan_year_end=D(2026, 6, 30), monthly_premium=Decimal("480.00"))
    plans["med"].renews = old_med
    plans["med"].save()
    PlanFactory(company=world.beta, code="med", plan_type="medical", carrier="Kaiser", plan_year_start=D(2027, 7, 1),
                plan_year_end=D(2028, 6, 30), monthly_premium=Decimal("600.00"), renews=plans["med"])
    PlanFactory(company=world.beta, code="den", plan_type="dental", carrier="Delta", plan_year_start=D(2027, 7, 1),
                plan_year_end=D(2028, 6, 30), monthly_premium=Decimal("60.00"), renews=plans["den"])
    veteran = _participant_since_2025(world.beta, old_med)
    return {"plans": plans, "veteran": veteran}


def _participant_since_2025(company, old_med):
    """E050 left in June 2025 and has paid through 11/30/2026: the last month of the 18 is December 2026."""
    employee = EmployeeFactory(company=company, employee_id="E050")
    enrollment = Enrollment.objects.create(employee=employee, plan=old_med, effective_date=D(2025, 1, 1),
                                           end_date=D(2025, 6, 30))
    event = QualifyingEvent.objects.create(employee=employee, event_type="termination", event_date=D(2025, 6, 15),
                                           entered_on=D(2025, 6, 16), source="termination_tool")
    CobraEligibility.objects.create(
        event=event, employee=employee, enrollment=enrollment, plan=old_med, coverage_end=D(2025, 6, 30),
        eligibility_date=D(2025, 7, 1), max_months=18, max_end=D(2026, 12, 31), continuation_law="federal",
        election_due=D(2025, 8, 30), status=EligibilityStatus.NOTIFIED)
    services.election_record(employee=employee, dependent=None, choice="elect", sent_on=D(2025, 7, 20),
                             today=D(2025, 7, 20))
    services.payment_record(employee=employee, dependent=None, amount=Decimal("489.60") * 17, sent_on=D(2025, 8, 1),
                            today=D(2025, 8, 1))
    services.election_confirm(elections=list(Election.objects.filter(eligibility__employee=employee)),
                              confirmed_on=D(2025, 8, 15))
    return employee


def test_a_year_day_by_day(world, plans, beta_year):
    beta = world.beta
    script = {
        D(2026, 11, 16): [lambda: make_family(beta, [plans["med"], plans["den"]], employee_id="E100",
                                              dependents=("spouse", "child"))],
        D(2026, 11, 20): [lambda: notice("E100", D(2026, 11, 20))],
        D(2026, 12, 3): [lambda: pay("E050", "510.00", D(2026, 12, 3))],
        D(2026, 12, 15): [lambda: elect("E100", D(2026, 12, 15)), lambda: elect("E100-1", D(2026, 12, 15), plans=["med"])],
        D(2026, 12, 20): [lambda: elect("E100-2", D(2026, 12, 20), choice="waive")],
        D(2027, 1, 4): [lambda: make_family(beta, [plans["med"]], employee_id="E200", event_day=D(2026, 12, 31),
                                            marked_on=D(2027, 1, 4))],
        D(2027, 1, 8): [lambda: notice("E200", D(2027, 1, 8))],
        D(2027, 1, 10): [lambda: pay("E100", "1122.00", D(2027, 1, 10))],
        D(2027, 1, 20): [lambda: pay("E100-1", "1530.00", D(2027, 1, 20)),
                         lambda: make_family(beta, [plans["med"], plans["den"]], employee_id="E300",
                                             event_day=D(2027, 1, 15), marked_on=D(2027, 1, 20))],
        D(2027, 1, 25): [lambda: notice("E300", D(2027, 1, 25))],
        D(2027, 2, 10): [lambda: elect("E300", D(2027, 2, 10))],
        D(2027, 3, 15): [lambda: services.disability_extension_record(
            employee=member("E100")[0], dependent=None, disabled_on=D(2026, 12, 20), determined_on=D(2027, 3, 1),
            notified_on=D(2027, 3, 15))],
        D(2027, 3, 20): [lambda: pay("E300", "1122.00", D(2027, 3, 20))],
        D(2027, 4, 6): [lambda: services.termination_notice_record(
            elections=list(Election.objects.filter(end_reason=EndReason.NON_PAYMENT)), sent_on=D(2027, 4, 6))],
        D(2027, 6, 1): [lambda: services.carrier_switch_answer(
            offer=CarrierSwitchOffer.objects.get(election__eligibility__employee__employee_id="E100",
                                                 election__eligibility__dependent=None, election__plan__code="med"),
            accept=True,
            answered_on=D(2027, 6, 1))],
        D(2027, 6, 12): [lambda: services.continuation_end_request(
            elections=list(Election.objects.filter(eligibility__employee__employee_id="E300")),
            reason=EndReason.EARLY_END_REQUESTED, occurred_on=D(2027, 6, 12), today=D(2027, 6, 12))],
    }
    for month in range(2, 11):
        day = D(2027, month, 5)
        script.setdefault(day, []).append(lambda day=day: pay("E100", "673.20" if day >= D(2027, 7, 1) else "561.00", day))
    for month in range(4, 7):
        day = D(2027, month, 1)
        script.setdefault(day, []).append(lambda day=day: pay("E300", "561.00", day))

    checks = {
        D(2026, 11, 16): lambda d: _assert(owed(d, ObligationKind.ELECTION_NOTICE) == ["E100", "E100-1", "E100-2"]),
        D(2026, 11, 20): lambda d: _assert(owed(d, ObligationKind.ELECTION) == ["E100", "E100-1", "E100-2"]),
        D(2026, 12, 15): lambda d: _assert(owed(d, ObligationKind.FIRST_PREMIUM) == ["E100", "E100-1"]),
        D(2027, 1, 1): lambda d: _assert(statuses("E050") == {"med": "terminated"}
                                         and Election.objects.get(eligibility__employee__employee_id="E050").end_reason
                                         == EndReason.MAX_PERIOD),
        D(2027, 1, 10): lambda d: _assert(statuses("E100") == {"med": "active", "den": "active"}
                                          and statuses("E100", "2") == {"med": "waived", "den": "waived"}),
        D(2027, 3, 9): lambda d: _assert(statuses("E200") == {"med": "notified"}),
        D(2027, 3, 10): lambda d: _assert(statuses("E200") == {"med": "expired"}),
        D(2027, 3, 31): lambda d: _assert(statuses("E100", "1") == {"med": "active", "den": "waived"}
                                          and owed(d, ObligationKind.PREMIUM_GRACE) == ["E100-1"]),
        D(2027, 4, 1): lambda d: _check_spouse_terminated(d),
        D(2027, 4, 6): lambda d: _assert(owed(d, ObligationKind.TERMINATION_NOTICE) == []),
        D(2027, 5, 1): lambda d: _assert(owed(d, ObligationKind.CARRIER_SWITCH) == ["E100", "E300"]),
        D(2027, 7, 1): lambda d: _check_renewal(d),
        D(2027, 10, 31): lambda d: _check_year_end(d),
    }
    day = D(2026, 11, 1)
    while day <= D(2027, 10, 31):
        for action in script.get(day, []):
            action()
        daily_run(day)
        if day in checks:
            checks[day](day)
        day += timedelta(days=1)


def _assert(condition):
    assert condition


def _check_spouse_terminated(day):
    """March not paid by 03/31: coverage ends 02/28, the last paid day; a notice of early termination is owed."""
    spouse_med = Election.objects.get(eligibility__employee__employee_id="E100", eligibility__dependent__dependent_id="1",
                                      plan__code="med")
    assert (spouse_med.eligibility.status, spouse_med.end_reason, spouse_med.ended_on) == \
        ("terminated", EndReason.NON_PAYMENT, D(2027, 2, 28))
    assert statuses("E100") == {"med": "active", "den": "active"}
    assert owed(day, ObligationKind.TERMINATION_NOTICE) == ["E100-1"]
    digest = [m for m in mail.outbox if m.subject.startswith("COBRA compliance 04/01/2027")]
    assert len(digest) == 1 and digest[0].to == ["hr@beta.example"]
    assert "Notice of early termination" in digest[0].body and "E100-1" in digest[0].body


def _check_renewal(day):
    """Accepted: E100 moves to Kaiser at 102% of $600; dental renews with Delta; E300 ended 06/30 on request."""
    med = Election.objects.get(eligibility__employee__employee_id="E100", eligibility__dependent=None, plan__code="med")
    assert (med.plan.carrier, med.monthly_premium) == ("Kaiser", Decimal("612.00"))
    assert statuses("E300") == {"med": "terminated", "den": "terminated"}
    assert {e.end_reason for e in Election.objects.filter(eligibility__employee__employee_id="E300")} == \
        {EndReason.EARLY_END_REQUESTED}
    assert {e.ended_on for e in Election.objects.filter(eligibility__employee__employee_id="E300")} == {D(2027, 6, 30)}


def _check_year_end(day):
    assert statuses("E100") == {"med": "active", "den": "active"}
    assert {e.max_end for e in CobraEligibility.objects.filter(employee__employee_id="E100", dependent=None)} == \
        {D(2029, 4, 30)}
    assert {e.paid_through for e in Election.objects.filter(eligibility__employee__employee_id="E100",
                                                           eligibility__dependent=None)} == {D(2027, 10, 31)}
    assert len({m.subject[:27] for m in mail.outbox}) == len(mail.outbox)
