"""Building and delivering files: what is due, what is held back, and running a date twice."""
import csv
from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from exchange import services
from exchange.delivery import drop_folder
from exchange.models import ConnectionStatus, ExchangeFile, FileStatus, ItemStatus, ScheduleKind, Weekday
from exchange.tests import helpers

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=dt_timezone.utc)


def dropped(vendor):
    folder = drop_folder(vendor)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def csv_rows(vendor, name):
    with open(drop_folder(vendor) / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_due_items_go_on_one_file_per_kind_and_a_second_run_sends_nothing(world, acme, alpha_acme):
    enrollment = helpers.covered_family(world.alpha)
    helpers.record_event(enrollment)
    helpers.record_initial_rights(enrollment, coverage_start=date(2026, 11, 1))
    report = services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    assert dropped(acme) == ["acme_alpha_IR_20261123_1.csv", "acme_alpha_QE_20261123_1.csv"]
    assert len(report.sent) == 2
    assert {i.status for i in helpers.items(alpha_acme)} == {ItemStatus.SENT}

    again = services.exchange_run(as_of=date(2026, 11, 23), now=NOW + timedelta(hours=1))
    assert again.sent == [] and ExchangeFile.objects.count() == 2
    assert any("nothing due" in line for line in again.held)


def test_items_wait_for_their_due_date(world, acme, alpha_acme):
    enrollment = helpers.covered_family(world.alpha, dependents=())
    helpers.record_initial_rights(enrollment, coverage_start=date(2026, 12, 1))
    helpers.record_event(enrollment, event_date=date(2026, 12, 15), entered_on=date(2026, 11, 23))
    services.exchange_run(as_of=date(2026, 11, 30), now=NOW)
    assert dropped(acme) == []
    services.exchange_run(as_of=date(2026, 12, 1), now=NOW)
    assert dropped(acme) == ["acme_alpha_IR_20261201_1.csv"]
    services.exchange_run(as_of=date(2026, 12, 15), now=NOW)
    assert dropped(acme)[-1] == "acme_alpha_QE_20261215_1.csv"


def test_person_missing_data_is_held_listed_and_sent_once_fixed(world, acme, alpha_acme):
    enrollment = helpers.covered_family(world.alpha, dependents=(), ssn=None, dob=None)
    helpers.record_event(enrollment)
    report = services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    assert report.sent == []
    [held] = services.selectors.held_items(connection=alpha_acme)
    assert "missing SSN, date of birth" in held["message"]
    assert any("held back" in line and "SSN" in line for line in report.held)

    employee = enrollment.employee
    employee.set_ssn("123450001")
    employee.dob = date(1979, 3, 3)
    employee.save()
    services.exchange_run(as_of=date(2026, 11, 24), now=NOW)
    [row] = csv_rows(acme, "acme_alpha_QE_20261124_1.csv")
    assert (row["ssn"], row["dob"], row["action"]) == ("123450001", "1979-03-03", "add")


def test_demographic_correction_after_sending_goes_out_as_a_change_with_the_same_record_id(world, acme, alpha_acme):
    enrollment = helpers.covered_family(world.alpha, dependents=())
    [record] = helpers.record_event(enrollment)
    services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    services.exchange_run(as_of=date(2026, 11, 24), now=NOW)
    assert len(dropped(acme)) == 1, "unchanged demographics send nothing"

    employee = enrollment.employee
    employee.address1 = "99 New Rd"
    employee.save()
    services.exchange_run(as_of=date(2026, 11, 25), now=NOW)
    [row] = csv_rows(acme, "acme_alpha_QE_20261125_2.csv")
    assert (row["action"], row["record_id"], row["address1"]) == ("change", f"QE-{record.pk}", "99 New Rd")
    services.exchange_run(as_of=date(2026, 11, 26), now=NOW)
    assert len(dropped(acme)) == 2


def test_reversed_after_sending_goes_out_as_cancel(world, acme, alpha_acme):
    from enrollments import services as enrollment_services
    records = helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    enrollment_services.eligibility_reverse(eligibilities=records, reason="wrong person", by=world.support)
    services.exchange_run(as_of=date(2099, 1, 1), now=NOW)
    last = dropped(acme)[-1]
    assert [r["action"] for r in csv_rows(acme, last)] == ["cancel"]


def test_weekly_vendor_sends_only_on_its_weekday_and_new_connections_send_nothing(world):
    weekly = helpers.vendor("weekly", schedule=ScheduleKind.WEEKLY, weekday=Weekday.MON, hour=5)
    connection = helpers.connect(world.alpha, weekly)
    new = helpers.connect(world.beta, weekly, status=ConnectionStatus.NEW)
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    helpers.record_event(helpers.covered_family(world.beta, dependents=()))
    tuesday = services.exchange_run(as_of=date(2026, 11, 24), now=NOW)
    assert tuesday.sent == [] and any("not a file day" in line for line in tuesday.held)
    monday = services.exchange_run(as_of=date(2026, 11, 30), now=NOW)
    assert len(monday.sent) == 1 and any("New" in line for line in monday.held)
    assert {i.status for i in helpers.items(new)} == {ItemStatus.PENDING}, "kept for the first file after Pending"
    assert {i.status for i in helpers.items(connection)} == {ItemStatus.SENT}


def test_pending_connection_gets_files(world, acme):
    pending = helpers.connect(world.alpha, acme, status=ConnectionStatus.PENDING)
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    assert len(services.exchange_run(as_of=date(2026, 11, 23), now=NOW).sent) == 1
    assert {i.status for i in helpers.items(pending)} == {ItemStatus.SENT}


def test_plan_excluded_after_the_item_was_written_is_not_sent(world, acme, alpha_acme):
    enrollment = helpers.covered_family(world.alpha, dependents=())
    helpers.record_event(enrollment)
    services.plan_exclusions_set(connection=alpha_acme, plans=[enrollment.plan], excluded=True)
    assert services.exchange_run(as_of=date(2026, 11, 23), now=NOW).sent == []
    assert helpers.items(alpha_acme)[0].status == ItemStatus.SKIPPED


def test_broker_ends_participation_on_a_future_date(world, acme, alpha_acme, today):
    services.connection_end(connection=alpha_acme, on=date(2026, 12, 1), today=today, by=world.broker_a)
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()), event_date=date(2026, 12, 5))
    rehearsal = services.exchange_run(as_of=date(2026, 12, 5), now=NOW, today=today)
    alpha_acme.refresh_from_db()
    assert alpha_acme.status == ConnectionStatus.ACTIVE, "a run for a future date changes no real state"
    assert rehearsal.sent == [] and dropped(acme) == []
    services.exchange_run(as_of=date(2026, 12, 5), now=NOW, today=date(2026, 12, 5))
    alpha_acme.refresh_from_db()
    assert alpha_acme.status == ConnectionStatus.INACTIVE
    assert alpha_acme.status_changes.first().note.startswith("Participation ended")
    assert dropped(acme) == []


def test_run_exchange_command_prints_what_it_sent_and_held(world, acme, alpha_acme, capsys):
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    helpers.record_event(helpers.covered_family(world.alpha, dependents=(), gender=""))
    call_command("run_exchange", "--as-of", "2026-11-23")
    out = capsys.readouterr().out
    assert "sent  alpha → acme QE: acme_alpha_QE_20261123_1.csv (1 items)" in out
    assert "is missing gender" in out
    call_command("run_exchange", "--as-of", "2026-11-23")
    assert "0 file(s) sent" in capsys.readouterr().out


def test_a_file_being_built_by_another_worker_is_left_alone_until_its_lease_ends(world, acme, alpha_acme):
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    exchange_file, _ = services._file_claim(connection=alpha_acme, kind="QE", as_of=date(2026, 11, 23), now=NOW)
    assert exchange_file.status == FileStatus.BUILDING
    busy = services.exchange_run(as_of=date(2026, 11, 23), now=NOW + timedelta(minutes=1))
    assert busy.sent == [] and any("another worker" in line for line in busy.held)
    taken_over = services.deliveries_retry(now=NOW + services.LEASE + timedelta(seconds=1))
    assert taken_over.sent == ["alpha → acme QE: acme_alpha_QE_20261123_1.csv (1 items)"]
    assert {i.status for i in helpers.items(alpha_acme)} == {ItemStatus.SENT}


def test_two_workers_cannot_hold_open_files_for_the_same_connection_and_kind(world, alpha_acme):
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    services._file_claim(connection=alpha_acme, kind="QE", as_of=date(2026, 11, 23), now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeFile.objects.create(connection=alpha_acme, kind="QE", sequence=2, name="x", built_on=date(2026, 11, 23),
                                    lease_until=NOW)


def test_a_full_disk_keeps_the_items_unsent_and_the_file_for_retry(world, acme, alpha_acme, monkeypatch):
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr("exchange.delivery.shutil.copyfile", disk_full)
    report = services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    assert any("No space left on device" in line for line in report.held)
    assert {i.status for i in helpers.items(alpha_acme)} == {ItemStatus.CLAIMED}
    monkeypatch.undo()
    assert len(services.deliveries_retry(now=NOW + timedelta(minutes=5)).sent) == 1
    assert {i.status for i in helpers.items(alpha_acme)} == {ItemStatus.SENT}


def _die_after_delivery(monkeypatch):
    def died(*args, **kwargs):
        raise RuntimeError("worker killed after delivering, before marking the items sent")
    monkeypatch.setattr(services, "_file_delivered", died)


def test_a_file_delivered_by_a_worker_that_died_before_marking_it_is_not_uploaded_again(
        world, acme, alpha_acme, monkeypatch):
    records = helpers.record_event(helpers.covered_family(world.alpha))
    with monkeypatch.context() as patch:
        _die_after_delivery(patch)
        with pytest.raises(RuntimeError):
            services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    [name] = dropped(acme)
    first_copy = (drop_folder(acme) / name).stat()
    assert {i.status for i in helpers.items(alpha_acme)} == {ItemStatus.CLAIMED}
    employee = records[0].employee
    employee.last_name = "Changed-Since"  # a re-render would differ: the retry must send the bytes already sent
    employee.save()
    retry = services.deliveries_retry(now=NOW + services.LEASE + timedelta(minutes=1))
    assert retry.sent == [f"alpha → acme QE: {name} (2 items, already at the vendor from an interrupted run: "
                          "not uploaded again)"]
    assert (drop_folder(acme) / name).stat().st_mtime_ns == first_copy.st_mtime_ns
    assert {i.status for i in helpers.items(alpha_acme) if i.action == "add"} == {ItemStatus.SENT}
