"""Demo data, connect_vendor and schedule_jobs."""
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from exchange.management.commands.schedule_jobs import cluster_settings_check
from exchange.models import Connection, ConnectionStatus, FileFormat, ItemStatus, PlanExclusion, ScheduleKind, Vendor
from enrollments.tests.factories import PlanFactory


def test_seed_demo_connects_the_three_demo_companies(db, capsys):
    call_command("seed_demo", today=date(2026, 11, 23))
    assert {(v.code, v.file_format, v.schedule) for v in Vendor.objects.all()} == {
        ("summit", FileFormat.CSV, ScheduleKind.NIGHTLY), ("keystone", FileFormat.X12_834, ScheduleKind.WEEKLY)}
    statuses = {c.company.code: c.status for c in Connection.objects.select_related("company")}
    assert statuses == {"sunrise": ConnectionStatus.ACTIVE, "harbor": ConnectionStatus.PENDING, "redwood": ConnectionStatus.NEW}
    assert PlanExclusion.objects.filter(excluded=True).count() == 2
    sunrise = Connection.objects.get(company__code="sunrise")
    assert sunrise.files.exists() and sunrise.items.filter(status=ItemStatus.SENT).exists()
    redwood = Connection.objects.get(company__code="redwood")
    assert not redwood.files.exists() and not redwood.items.filter(status=ItemStatus.SENT).exists(), "New sends nothing"


def test_connect_vendor_creates_the_vendor_connection_status_and_exclusions(world, capsys):
    PlanFactory(company=world.alpha, code="den", plan_type="dental", plan_year_start=date(2026, 1, 1))
    call_command("connect_vendor", "alpha", "newco", "--status", "pending", "--exclude", "den@2026-01-01",
                 "--format", "834", "--schedule", "weekly:MON@05:00")
    vendor = Vendor.objects.get(code="newco")
    assert (vendor.file_format, vendor.schedule, vendor.weekday, vendor.hour) == ("834", "weekly", 0, 5)
    connection = Connection.objects.get(company=world.alpha, vendor=vendor)
    assert connection.status == ConnectionStatus.PENDING
    assert [(c.from_status, c.to_status) for c in connection.status_changes.order_by("id")] == [("", "new"), ("new", "pending")]
    assert connection.plan_exclusions.get().plan.code == "den"
    call_command("connect_vendor", "alpha", "newco", "--status", "active")
    assert Connection.objects.count() == 1 and connection.status_changes.count() == 3
    assert "Alpha Foods → Newco: Pending" in capsys.readouterr().out


def test_connect_vendor_names_what_is_wrong(world):
    with pytest.raises(CommandError, match="PLAN_CODE@YYYY-MM-DD"):
        call_command("connect_vendor", "alpha", "newco", "--exclude", "nope@2026-01-01")
    with pytest.raises(CommandError, match="weekly:MON@05:00"):
        call_command("connect_vendor", "alpha", "newco", "--schedule", "fortnightly")
    with pytest.raises(CommandError, match="No company"):
        call_command("connect_vendor", "gamma", "newco")


def test_schedule_jobs_is_idempotent(db):
    call_command("schedule_jobs")
    call_command("schedule_jobs")
    names = sorted(Schedule.objects.values_list("name", flat=True))
    assert "exchange: build and deliver vendor files" in names
    assert len(names) == len(set(names))


def test_cluster_settings_retry_after_timeout_bounded_attempts_no_catch_up(settings):
    assert cluster_settings_check(settings.Q_CLUSTER) == []
    assert len(cluster_settings_check({"timeout": 600, "retry": 300, "catch_up": True})) == 3
