"""Acknowledgements and the reconciliation dashboard / daily e-mail."""
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest

from continuation import services as continuation_services
from exchange import acks, selectors, services
from exchange.models import Connection, ItemStatus
from exchange.tests import helpers

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def sent(world, alpha_acme):
    records = helpers.record_event(helpers.covered_family(world.alpha))
    services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    return records


def test_csv_ack_marks_items_acknowledged_or_rejected_with_the_vendors_message(alpha_acme, sent):
    content = ("record_id,status,message\n"
               f"QE-{sent[0].pk},accepted,\n"
               f"QE-{sent[1].pk},rejected,Spouse SSN does not match our records\n"
               "QE-999999,accepted,\n")
    assert services.ack_import(connection=alpha_acme, content=content) == {"acknowledged": 1, "rejected": 1, "unknown": 1}
    first, second = helpers.items(alpha_acme)
    assert (first.status, second.status) == (ItemStatus.ACKNOWLEDGED, ItemStatus.REJECTED)
    assert second.message == "Spouse SSN does not match our records"


def test_a_csv_ack_answers_for_the_latest_record_sent_under_its_id(world, alpha_acme, sent):
    """A correction went out as a `change` with the same record id: a rejection is about it, not the add."""
    employee = sent[0].employee
    employee.last_name = "Corrected"
    employee.save()
    services.exchange_run(as_of=date(2026, 11, 24), now=NOW + timedelta(days=1))
    add, change = [i for i in helpers.items(alpha_acme) if i.record_id == f"QE-{sent[0].pk}"]
    assert (add.action, change.action, change.status) == ("add", "change", ItemStatus.SENT)
    content = f"record_id,status,message\nQE-{sent[0].pk},rejected,Name does not match\n"
    assert services.ack_import(connection=alpha_acme, content=content)["rejected"] == 1
    add.refresh_from_db()
    change.refresh_from_db()
    assert (add.status, change.status, change.message) == (ItemStatus.SENT, ItemStatus.REJECTED, "Name does not match")


def test_unreadable_ack_files_say_what_is_wrong():
    with pytest.raises(acks.AckFileError, match="header row"):
        acks.parse_csv("id;state\n1;ok\n")
    with pytest.raises(acks.AckFileError, match="accepted or rejected"):
        acks.parse_csv("record_id,status,message\nQE-1,maybe,\n")
    with pytest.raises(acks.AckFileError, match="ISA"):
        acks.parse_999("hello")


def test_reconciliation_flags_late_acks_rejections_holds_and_unconfirmed_elections(world, acme, alpha_acme, sent, mailoutbox):
    alpha_acme.primary_contact = world.hr_alpha
    alpha_acme.save()
    connections = Connection.objects.filter(pk=alpha_acme.pk)
    assert selectors.reconciliation(connections=connections, today=date(2026, 11, 24)).unacknowledged == []
    late = selectors.reconciliation(connections=connections, today=date(2026, 11, 23) + timedelta(days=acme.ack_due_days))
    assert [i.record_id for i in late.unacknowledged] == [f"QE-{r.pk}" for r in sent]

    helpers.record_event(helpers.covered_family(world.alpha, dependents=(), zip=""))
    services.exchange_run(as_of=date(2026, 11, 24), now=NOW)
    [election] = continuation_services.election_record(
        employee=sent[0].employee, dependent=None, choice="elect", sent_on=date(2026, 11, 25), today=date(2026, 11, 25))
    within = selectors.reconciliation(connections=connections, today=date(2026, 12, 24))
    assert within.unconfirmed_elections == [], "the carrier has 30 days to confirm"
    assert services.reconciliation_mail_send(today=date(2026, 12, 26)) == 1
    [mail] = mailoutbox
    assert mail.to == [world.hr_alpha.email]
    assert "Sent but not acknowledged in time (2)" in mail.body
    assert "Held back for missing data (1)" in mail.body and "missing address" in mail.body
    assert "Elections not confirmed as active (1)" in mail.body
    continuation_services.election_confirm(elections=[election], confirmed_on=date(2026, 12, 27))
    assert selectors.reconciliation(connections=connections, today=date(2026, 12, 28)).unconfirmed_elections == []
    assert "***" not in mail.body and sent[0].employee.ssn not in mail.body
