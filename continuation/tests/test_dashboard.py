"""The compliance dashboard and the participants list: what each user sees, and the queries it costs."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from continuation import services
from continuation.models import Election
from continuation.obligations import ObligationKind, OwedBy, obligation_list
from continuation.tests.conftest import make_family
from enrollments.models import CobraEligibility, Dependent, EligibilityStatus, InitialRightsItem, QualifyingEvent
from enrollments.tests.factories import EmployeeFactory, EnrollmentFactory, PlanFactory

D = date
pytestmark = pytest.mark.django_db
DASHBOARD = "admin:continuation_dashboard"


def test_each_kind_with_its_deadline_and_who_owes_it(world, family):
    employee, (spouse, child), _ = family
    services.election_notice_record(eligibilities=list(CobraEligibility.objects.filter(dependent=spouse)),
                                    sent_on=D(2026, 11, 20))
    services.election_record(employee=employee, dependent=None, choice="elect", sent_on=D(2026, 12, 10), today=D(2026, 12, 10))
    rows = {(o.kind, o.member_id): o for o in obligation_list(as_of=D(2026, 12, 20))}
    expected = {
        (ObligationKind.ELECTION_NOTICE, "E100-2"): (OwedBy.ADMINISTRATOR, D(2026, 11, 30)),
        (ObligationKind.ELECTION, "E100-1"): (OwedBy.BENEFICIARY, D(2027, 1, 30)),
        (ObligationKind.FIRST_PREMIUM, "E100"): (OwedBy.BENEFICIARY, D(2027, 1, 24)),
        (ObligationKind.CONFIRMATION, "E100"): (OwedBy.CARRIER, D(2027, 1, 9)),
    }
    for key, (owed_by, due) in expected.items():
        assert (rows[key].owed_by, rows[key].due) == (owed_by, due), key
    assert rows[(ObligationKind.ELECTION_NOTICE, "E100-2")].overdue
    assert rows[(ObligationKind.ELECTION_NOTICE, "E100-2")].days_left == -20
    assert rows[(ObligationKind.FIRST_PREMIUM, "E100")].days_left == 35


def test_sorted_by_urgency(world, family):
    dues = [o.due for o in obligation_list(as_of=D(2026, 12, 20))]
    assert dues == sorted(dues)


def _alpha_and_beta(world, plans):
    make_family(world.beta, [plans["med"]], employee_id="B1")
    alpha_plan = PlanFactory(company=world.alpha, code="alpha-med", plan_year_start=D(2026, 7, 1), plan_year_end=D(2027, 6, 30))
    make_family(world.alpha, [alpha_plan], employee_id="A1")


@pytest.mark.parametrize("username, visible", [
    ("broker_a", {"A1"}), ("hr_alpha", {"A1"}), ("broker_b", {"B1"}), ("support", {"A1", "B1"}), ("admin", {"A1", "B1"}),
])
def test_dashboard_shows_only_the_users_companies(client, world, plans, username, visible):
    _alpha_and_beta(world, plans)
    client.force_login(getattr(world, username))
    response = client.get(reverse(DASHBOARD))
    assert response.status_code == 200
    assert {o.member_id for o in response.context["page"]} == visible


def test_another_agencys_company_is_a_404(client, world, plans):
    _alpha_and_beta(world, plans)
    client.force_login(world.broker_a)
    assert client.get(reverse(DASHBOARD), {"company": world.beta.pk}).status_code == 404
    assert client.get(reverse("admin:continuation_participants"), {"company": world.beta.pk}).status_code == 404
    assert client.get(reverse(DASHBOARD), {"company": world.alpha.pk}).status_code == 200


def test_overdue_rows_are_red(client, world):
    plan = PlanFactory(company=world.beta)
    today = timezone.localdate()
    for n, due in enumerate([D(2026, 4, 1), today + timedelta(days=10)]):
        employee = EmployeeFactory(company=world.beta, employee_id=f"IR{n}")
        enrollment = EnrollmentFactory(employee=employee, plan=plan)
        InitialRightsItem.objects.create(enrollment=enrollment, employee=employee, plan=plan, coverage_start=D(2026, 1, 1),
                                         notice_due=due, created_on=D(2026, 1, 1))
    client.force_login(world.broker_b)
    response = client.get(reverse(DASHBOARD))
    html = response.content.decode()
    assert html.count('<tr class="overdue">') == 1
    assert html.count('<tr class="">') == 1
    assert "days overdue" in html
    assert response.context["overdue"] == 1
    only = client.get(reverse(DASHBOARD), {"overdue": "1"})
    assert [o.member_id for o in only.context["page"]] == ["IR0"]


def test_unknown_law_is_shown_never_federal(client, world):
    """cobra-rules.md: a state missing from the table is "unknown: check the state's law"."""
    world.alpha.plan_situs_state = "PA"
    world.alpha.save()
    plan = PlanFactory(company=world.alpha, code="pa-med", plan_year_start=D(2026, 7, 1), plan_year_end=D(2027, 6, 30))
    make_family(world.alpha, [plan], employee_id="PA1")
    client.force_login(world.broker_a)
    response = client.get(reverse(DASHBOARD))
    assert [o.law_label for o in response.context["page"]] == ["Unknown: check the state's law"]
    assert "Unknown: check the state&#x27;s law" in response.content.decode()


def test_participants_list(client, world, family):
    employee, (spouse, _), _ = family
    services.election_record(employee=employee, dependent=spouse, choice="elect", sent_on=D(2026, 12, 10), today=D(2026, 12, 10))
    services.payment_record(employee=employee, dependent=spouse, amount=Decimal("561.00"), sent_on=D(2026, 12, 20),
                            today=D(2026, 12, 20))
    client.force_login(world.broker_b)
    response = client.get(reverse("admin:continuation_participants"))
    rows = response.context["participants"]
    assert [(p.member_id, p.since, p.until, p.paid_through, p.law) for p in rows] == [
        ("E100-1", D(2026, 12, 1), D(2028, 5, 31), D(2026, 12, 31), "Federal COBRA")] * 2
    assert "Federal COBRA" in response.content.decode()
    client.force_login(world.broker_a)
    assert client.get(reverse("admin:continuation_participants")).context["participants"] == []


@pytest.mark.parametrize("law, label, source", [
    ("federal", "Federal COBRA", "seed 003"),
    ("CA", "CA state continuation", "seed 004"),
    ("unknown", "Unknown: check the state's law", "cobra-rules.md: never silently federal"),
    ("none", "No continuation coverage", "cobra-rules.md: self-funded plans get no state continuation"),
])
def test_law_labels(law, label, source):
    from continuation.selectors import law_label
    assert law_label(law) == label, source


def _many_obligations(company, count):
    """About `count` open obligations on one enrollment, of every kind that scales with rows: general notices
    (some on a vendor file not yet acknowledged), election notices, elections, first premiums, confirmations."""
    from exchange.models import Connection, ConnectionStatus, ExchangeItem, ItemKind, ItemStatus, Vendor
    plan = PlanFactory(company=company, code=f"bulk-{count}")
    employee = EmployeeFactory(company=company, employee_id=f"BULK{count}")
    enrollment = EnrollmentFactory(employee=employee, plan=plan)
    event = QualifyingEvent.objects.create(employee=employee, event_type="divorce", event_date=D(2026, 11, 1),
                                           entered_on=D(2026, 11, 2), source="life_event")
    dependents = Dependent.objects.bulk_create(
        [Dependent(employee=employee, dependent_id=str(n), relationship="child", first_name="Kid", last_name=str(n))
         for n in range(count)])
    third = count // 3
    items = InitialRightsItem.objects.bulk_create(
        [InitialRightsItem(enrollment=enrollment, employee=employee, dependent=d, plan=plan, coverage_start=D(2026, 1, 1),
                           notice_due=D(2026, 4, 1), created_on=D(2026, 1, 1)) for d in dependents[:third]])
    statuses = [EligibilityStatus.ELIGIBLE, EligibilityStatus.NOTIFIED, EligibilityStatus.ELECTED]
    eligibilities = CobraEligibility.objects.bulk_create(
        [CobraEligibility(event=event, employee=employee, dependent=d, enrollment=enrollment, plan=plan,
                          coverage_end=D(2026, 11, 30), eligibility_date=D(2026, 12, 1), max_months=36,
                          max_end=D(2029, 11, 30), continuation_law="federal", election_due=D(2027, 1, 30),
                          status=statuses[n % 3])
         for n, d in enumerate(dependents[third:])])
    Election.objects.bulk_create(
        [Election(eligibility=e, choice="elect", sent_on=D(2026, 12, 10), recorded_on=D(2026, 12, 10), plan=plan,
                  monthly_premium=Decimal("612.00"), first_premium_due=D(2027, 1, 24))
         for e in eligibilities if e.status == EligibilityStatus.ELECTED])
    vendor, _ = Vendor.objects.get_or_create(code="bulk", defaults={"name": "Bulk COBRA"})
    connection_, _ = Connection.objects.get_or_create(company=company, vendor=vendor,
                                                      defaults={"status": ConnectionStatus.ACTIVE})
    ExchangeItem.objects.bulk_create(
        [ExchangeItem(connection=connection_, kind=ItemKind.IR, initial_rights=item, record_id=f"IR-{item.pk}",
                      due_on=D(2026, 1, 1), status=ItemStatus.SENT if n % 2 else ItemStatus.PENDING,
                      sent_at=timezone.now() if n % 2 else None)
         for n, item in enumerate(items)])


def _dashboard_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(DASHBOARD))
    assert response.status_code == 200
    return len(queries), response.context["total"]


def test_dashboard_queries_do_not_grow_with_10000_obligations(client, world):
    client.force_login(world.broker_b)
    _many_obligations(world.beta, 12)
    few, total = _dashboard_queries(client)
    assert total >= 12
    assert {o.kind for o in obligation_list(as_of=D(2027, 1, 1))} == {
        ObligationKind.GENERAL_NOTICE, ObligationKind.VENDOR_ACK, ObligationKind.ELECTION_NOTICE, ObligationKind.ELECTION,
        ObligationKind.FIRST_PREMIUM, ObligationKind.CONFIRMATION}
    _many_obligations(world.beta, 10_000)
    many, total = _dashboard_queries(client)
    assert total >= 10_000
    assert many == few


def test_dashboard_uses_today(client, world, family):
    client.force_login(world.broker_b)
    assert client.get(reverse(DASHBOARD)).context["as_of"] == timezone.localdate()


@pytest.fixture
def vendor_connection(world):
    from exchange.models import Connection, ConnectionStatus, Vendor
    vendor = Vendor.objects.create(name="Acme COBRA", code="acme", ack_due_days=5)
    return Connection.objects.create(company=world.beta, vendor=vendor, status=ConnectionStatus.ACTIVE)


def test_employer_notice_until_the_vendor_gets_the_event_then_its_acknowledgement(world, plans, vendor_connection):
    """cobra-rules.md: the employer tells the administrator (the vendor) within 30 days of the event."""
    from exchange.models import ExchangeItem, ItemStatus
    make_family(world.beta, [plans["med"]], employee_id="E500", dependents=("spouse",))
    rows = [o for o in obligation_list(as_of=D(2026, 11, 20)) if o.kind == ObligationKind.EMPLOYER_NOTICE]
    assert [(o.member_id, o.owed_by, o.due) for o in rows] == [("E500", OwedBy.EMPLOYER, D(2026, 12, 10))]
    sent_at = timezone.make_aware(timezone.datetime(2026, 11, 23, 9, 0))
    ExchangeItem.objects.update(status=ItemStatus.SENT, sent_at=sent_at)
    kinds = {o.kind: o for o in obligation_list(as_of=D(2026, 11, 30))}
    assert ObligationKind.EMPLOYER_NOTICE not in kinds
    ack = kinds[ObligationKind.VENDOR_ACK]
    assert (ack.owed_by, ack.due, ack.days_left, ack.name) == (OwedBy.CARRIER, D(2026, 11, 28), -2, "Acme COBRA")
    ExchangeItem.objects.update(status=ItemStatus.ACKNOWLEDGED)
    assert ObligationKind.VENDOR_ACK not in {o.kind for o in obligation_list(as_of=D(2026, 11, 30))}


def test_general_notice_until_generated_or_delivered(world):
    from reports.models import GeneratedNotice, NoticeKind
    plan = PlanFactory(company=world.beta)
    employee = EmployeeFactory(company=world.beta, employee_id="IR1")
    enrollment = EnrollmentFactory(employee=employee, plan=plan)
    item = InitialRightsItem.objects.create(enrollment=enrollment, employee=employee, plan=plan,
                                            coverage_start=D(2026, 1, 1), notice_due=D(2026, 4, 1), created_on=D(2026, 1, 1))
    rows = [o for o in obligation_list(as_of=D(2026, 3, 1)) if o.kind == ObligationKind.GENERAL_NOTICE]
    assert [(o.member_id, o.owed_by, o.due, o.days_left) for o in rows] == [("IR1", OwedBy.ADMINISTRATOR, D(2026, 4, 1), 31)]
    notice = GeneratedNotice.objects.create(kind=NoticeKind.GENERAL, company=world.beta, employee=employee,
                                            recipient_name="Pat", notice_date=D(2026, 3, 2), due_date=D(2026, 4, 1),
                                            file="notices/x.pdf")
    notice.initial_rights_items.add(item)
    assert obligation_list(as_of=D(2026, 3, 3)) == []


def test_notice_of_unavailability_until_generated(world):
    """cobra-rules.md Deadlines: notice of unavailability 14 days after the request (2590.606-4(c))."""
    from reports.models import ContinuationDenial, GeneratedNotice, NoticeKind
    employee = EmployeeFactory(company=world.beta, employee_id="U1")
    denial = ContinuationDenial.objects.create(employee=employee, request_date=D(2026, 11, 2), reason="Not covered")
    rows = [o for o in obligation_list(as_of=D(2026, 11, 20)) if o.kind == ObligationKind.UNAVAILABILITY_NOTICE]
    assert [(o.member_id, o.owed_by, o.due, o.overdue) for o in rows] == [("U1", OwedBy.ADMINISTRATOR, D(2026, 11, 16), True)]
    GeneratedNotice.objects.create(kind=NoticeKind.UNAVAILABILITY, company=world.beta, employee=employee, denial=denial,
                                   recipient_name="Pat", notice_date=D(2026, 11, 21), due_date=D(2026, 11, 16),
                                   file="notices/u.pdf")
    assert obligation_list(as_of=D(2026, 11, 22)) == []
