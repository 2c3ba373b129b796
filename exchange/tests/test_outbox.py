"""Outbox rows are written with the records that cause them (issue 5: never lose, never double-send)."""
from datetime import date

import pytest
from django.db import transaction

from enrollments import services as enrollment_services
from enrollments.models import CobraEligibility
from exchange.models import ConnectionStatus, ExchangeItem, ItemAction, ItemStatus
from exchange.tests import helpers


def test_records_get_one_pending_item_per_connection_with_a_stable_record_id(world, alpha_acme):
    enrollment = helpers.covered_family(world.alpha)
    qe = helpers.record_event(enrollment)
    items = helpers.items(alpha_acme)
    assert [(i.kind, i.action, i.status, i.record_id) for i in items] == [
        ("QE", "add", "pending", f"QE-{qe[0].pk}"), ("QE", "add", "pending", f"QE-{qe[1].pk}")]
    assert {i.due_on for i in items} == {date(2026, 11, 23)}  # entered on


def test_future_event_is_due_on_its_date_and_initial_rights_on_coverage_start(world, alpha_acme):
    enrollment = helpers.covered_family(world.alpha, dependents=())
    helpers.record_event(enrollment, event_date=date(2026, 12, 15), entered_on=date(2026, 11, 23))
    helpers.record_initial_rights(enrollment, coverage_start=date(2027, 1, 1))
    assert {(i.kind, i.due_on) for i in helpers.items(alpha_acme)} == {("QE", date(2026, 12, 15)), ("IR", date(2027, 1, 1))}


def test_a_rolled_back_event_leaves_no_item(world, alpha_acme):
    enrollment = helpers.covered_family(world.alpha)
    with pytest.raises(RuntimeError), transaction.atomic():
        helpers.record_event(enrollment)
        raise RuntimeError("the event's transaction fails after the signal")
    assert not CobraEligibility.objects.exists() and not ExchangeItem.objects.exists()


def test_inactive_connections_excluded_and_unqualified_plans_get_skipped_items_new_ones_wait(world, acme):
    beta_vendor = helpers.vendor("beta-cobra")
    new = helpers.connect(world.alpha, acme, status=ConnectionStatus.NEW)
    inactive = helpers.connect(world.alpha, beta_vendor, status=ConnectionStatus.INACTIVE)
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    assert [(i.status, i.message) for i in helpers.items(new)] == [(ItemStatus.PENDING, "")]
    assert [i.status for i in helpers.items(inactive)] == [ItemStatus.SKIPPED]
    assert "Inactive" in helpers.items(inactive)[0].message

    active = helpers.connect(world.beta, acme)
    excluded = helpers.covered_family(world.beta, dependents=())
    life = helpers.covered_family(world.beta, plan_type="life", dependents=())
    from exchange import services
    services.plan_exclusions_set(connection=active, plans=[excluded.plan], excluded=True)
    helpers.record_event(excluded)
    helpers.record_event(life)
    messages = [i.message for i in helpers.items(active)]
    assert "excluded on this connection" in messages[0]
    assert "not COBRA-qualified" in messages[1]


def test_other_companies_connections_get_nothing(world, alpha_acme, acme):
    beta_acme = helpers.connect(world.beta, acme)
    helpers.record_event(helpers.covered_family(world.alpha))
    assert helpers.items(alpha_acme) and not helpers.items(beta_acme)


def test_reversal_before_sending_skips_the_item_and_after_sending_adds_a_cancel(world, alpha_acme, today):
    first = helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    enrollment_services.eligibility_reverse(eligibilities=first, reason="entered on the wrong employee", by=world.support)
    assert [(i.action, i.status) for i in helpers.items(alpha_acme)] == [("add", "skipped")]

    second = helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    ExchangeItem.objects.filter(eligibility=second[0]).update(status=ItemStatus.SENT)
    enrollment_services.eligibility_reverse(eligibilities=second, reason="mistake", by=world.support)
    cancel = ExchangeItem.objects.get(eligibility=second[0], action=ItemAction.CANCEL)
    assert (cancel.record_id, cancel.status, cancel.origin.action) == (f"QE-{second[0].pk}", "pending", "add")


def test_the_enrollments_services_write_items_in_their_own_transaction(world, alpha_acme, today):
    enrollment = helpers.covered_family(world.alpha, dependents=())
    with pytest.raises(RuntimeError), transaction.atomic():
        enrollment_services.employee_terminate(employee=enrollment.employee, termination_date=date(2026, 11, 13),
                                               reason="voluntary", by=world.hr_alpha, today=today)
        assert ExchangeItem.objects.count() == 1
        raise RuntimeError("rolled back after the event was marked")
    assert not ExchangeItem.objects.exists()
    enrollment_services.employee_terminate(employee=enrollment.employee, termination_date=date(2026, 11, 13),
                                           reason="voluntary", by=world.hr_alpha, today=today)
    [item] = helpers.items(alpha_acme)
    assert (item.kind, item.action, item.status, item.due_on) == ("QE", "add", "pending", today)


def test_a_second_save_the_same_day_adds_only_the_new_members_items(world, alpha_acme, today):
    """A spouse added to a new hire's enrollment later the same day: one more item, no second outbox row."""
    from enrollments.cobra.codes import EnrollmentSource
    from enrollments.tests.factories import DependentFactory
    enrollment = helpers.covered_family(world.alpha, dependents=())
    enrollment.source = EnrollmentSource.NEW_HIRE
    enrollment.save()
    assert len(enrollment_services.initial_rights_record(enrollment=enrollment, today=today)) == 1
    spouse = DependentFactory(employee=enrollment.employee, relationship="spouse")
    enrollment.covered_dependents.add(spouse)
    added = enrollment_services.initial_rights_record(enrollment=enrollment, covered_before={"employee"}, today=today)
    assert [item.dependent_id for item in added] == [spouse.pk]
    items = helpers.items(alpha_acme)
    assert sorted((i.kind, i.action, i.initial_rights.dependent_id or 0) for i in items) == [
        ("IR", "add", 0), ("IR", "add", spouse.pk)]


def test_items_written_while_the_connection_is_new_go_once_it_is_pending(world, alpha_acme, today):
    """Seed 001: New sends nothing; the items wait for the first file after Pending, never dropped."""
    from exchange import services
    alpha_acme.status = ConnectionStatus.NEW
    alpha_acme.save()
    enrollment = helpers.covered_family(world.alpha, dependents=())
    helpers.record_event(enrollment)
    [item] = helpers.items(alpha_acme)
    assert item.status == ItemStatus.PENDING
    assert services.exchange_run(as_of=today, now=None).sent == []
    services.connection_status_set(connection=alpha_acme, status=ConnectionStatus.PENDING, by=world.broker_a)
    report = services.exchange_run(as_of=today, now=None)
    assert len(report.sent) == 1
    item.refresh_from_db()
    assert item.status == ItemStatus.SENT


def test_a_plan_excluded_then_included_again_sends_its_items(world, alpha_acme, today):
    from exchange import services
    enrollment = helpers.covered_family(world.alpha, dependents=())
    services.plan_exclusions_set(connection=alpha_acme, plans=[enrollment.plan], excluded=True, by=world.broker_a)
    helpers.record_event(enrollment)
    [item] = helpers.items(alpha_acme)
    assert item.status == ItemStatus.SKIPPED
    services.plan_exclusions_set(connection=alpha_acme, plans=[enrollment.plan], excluded=False, by=world.broker_a)
    item.refresh_from_db()
    assert (item.status, item.message) == (ItemStatus.PENDING, "")
    assert len(services.exchange_run(as_of=today, now=None).sent) == 1
