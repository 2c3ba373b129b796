"""The hourly job: each vendor's file slot is built once, late runs and outages included (one catch-up file)."""
from datetime import date, datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest

from exchange import services, tasks
from exchange.models import ExchangeFile, ExchangeItem, ItemStatus, ScheduleKind, Vendor, Weekday
from exchange.schedule import is_file_day, latest_slot_date
from exchange.tests import helpers

NY = "America/New_York"


def utc(*args):
    return datetime(*args, tzinfo=dt_timezone.utc)


# The pure function. November 2026: New York is UTC-5; 2026-11-23 and 2026-11-30 are Mondays.
# 2027-03-14 (a Sunday): New York skips 02:00-03:00 (01:59 EST -> 03:00 EDT at 07:00 UTC).
# 2026-11-01: New York has 01:00-02:00 twice (EDT until 06:00 UTC, then EST).

SLOTS = [
    # id, schedule, weekday, hour, time zone, now, latest slot date
    ("nightly before the hour", "nightly", None, 2, NY, utc(2026, 11, 23, 6, 59), date(2026, 11, 22)),
    ("nightly at the hour", "nightly", None, 2, NY, utc(2026, 11, 23, 7, 0), date(2026, 11, 23)),
    ("nightly three hours late", "nightly", None, 2, NY, utc(2026, 11, 23, 10, 0), date(2026, 11, 23)),
    ("nightly local date behind UTC", "nightly", None, 23, NY, utc(2026, 11, 24, 4, 30), date(2026, 11, 23)),
    ("nightly midnight, just before", "nightly", None, 0, NY, utc(2026, 11, 24, 4, 59), date(2026, 11, 23)),
    ("nightly local date ahead of UTC", "nightly", None, 2, "Asia/Kolkata", utc(2026, 11, 22, 20, 30),
     date(2026, 11, 23)),
    ("weekly before the hour: last week", "weekly", Weekday.MON, 5, NY, utc(2026, 11, 30, 9, 59), date(2026, 11, 23)),
    ("weekly at the hour", "weekly", Weekday.MON, 5, NY, utc(2026, 11, 30, 10, 0), date(2026, 11, 30)),
    ("weekly later in the week", "weekly", Weekday.MON, 5, NY, utc(2026, 12, 5, 12, 0), date(2026, 11, 30)),
    ("weekly other weekday", "weekly", Weekday.WED, 5, NY, utc(2026, 11, 30, 10, 0), date(2026, 11, 25)),
    ("nightly week-long outage: only the latest", "nightly", None, 2, NY, utc(2026, 11, 30, 15, 0),
     date(2026, 11, 30)),
    ("weekly three-week outage: only the latest", "weekly", Weekday.MON, 5, NY, utc(2026, 12, 16, 15, 0),
     date(2026, 12, 14)),
    ("DST gap: before the change", "nightly", None, 2, NY, utc(2027, 3, 14, 6, 59), date(2027, 3, 13)),
    ("DST gap: 02:00 missing, due at 03:00 EDT", "nightly", None, 2, NY, utc(2027, 3, 14, 7, 0), date(2027, 3, 14)),
    ("DST gap: later that morning", "nightly", None, 2, NY, utc(2027, 3, 14, 9, 0), date(2027, 3, 14)),
    ("DST gap weekly: before", "weekly", Weekday.SUN, 2, NY, utc(2027, 3, 14, 6, 59), date(2027, 3, 7)),
    ("DST gap weekly: after", "weekly", Weekday.SUN, 2, NY, utc(2027, 3, 14, 7, 0), date(2027, 3, 14)),
    ("DST repeat: before", "nightly", None, 1, NY, utc(2026, 11, 1, 4, 59), date(2026, 10, 31)),
    ("DST repeat: first 01:00", "nightly", None, 1, NY, utc(2026, 11, 1, 5, 0), date(2026, 11, 1)),
    ("DST repeat: second 01:00, same date", "nightly", None, 1, NY, utc(2026, 11, 1, 6, 0), date(2026, 11, 1)),
]


@pytest.mark.parametrize("schedule, weekday, hour, time_zone, now, expected", [case[1:] for case in SLOTS],
                         ids=[case[0] for case in SLOTS])
def test_latest_slot_date(schedule, weekday, hour, time_zone, now, expected):
    assert latest_slot_date(schedule=schedule, weekday=weekday, hour=hour, time_zone=time_zone, now=now) == expected


def test_latest_slot_date_accepts_any_aware_now_and_refuses_a_naive_one():
    new_york_3am = utc(2027, 3, 14, 7, 0).astimezone(ZoneInfo(NY))
    assert latest_slot_date(schedule="nightly", weekday=None, hour=2, time_zone=NY, now=new_york_3am) == date(2027, 3, 14)
    with pytest.raises(ValueError, match="aware"):
        latest_slot_date(schedule="nightly", weekday=None, hour=2, time_zone=NY, now=datetime(2026, 11, 23, 7))


@pytest.mark.parametrize("start", [utc(2027, 3, 7), utc(2026, 10, 25)], ids=["spring forward", "fall back"])
@pytest.mark.parametrize("hour", range(24))
def test_hourly_runs_across_a_dst_change_build_every_day_once(start, hour):
    """Simulating the hourly job for two weeks: every nightly file date once, in order, none skipped."""
    built, last = [], None
    for step in range(14 * 24):
        slot = latest_slot_date(schedule="nightly", weekday=None, hour=hour, time_zone=NY,
                                now=start + timedelta(hours=step))
        if slot is not None and (last is None or slot > last):
            built.append(slot)
            last = slot
    assert built == [built[0] + timedelta(days=n) for n in range(len(built))]
    assert len(built) in (14, 15)


# The job against the database


def test_new_vendor_is_due_for_its_latest_slot_and_not_again_once_built(world, acme, alpha_acme):
    assert acme.last_scheduled_on is None
    assert tasks.vendors_due(now=utc(2026, 11, 23, 6, 0)) == [(acme, date(2026, 11, 22))]
    tasks.exchange_run_scheduled(now=utc(2026, 11, 23, 7, 0))
    acme.refresh_from_db()
    assert acme.last_scheduled_on == date(2026, 11, 23)
    assert tasks.vendors_due(now=utc(2026, 11, 23, 23, 0)) == []
    assert tasks.vendors_due(now=utc(2026, 11, 24, 7, 0)) == [(acme, date(2026, 11, 24))]


def test_worker_down_a_week_builds_one_file_with_the_weeks_items(world, acme, alpha_acme):
    Vendor.objects.filter(pk=acme.pk).update(last_scheduled_on=date(2026, 11, 23))
    for day in range(24, 30):  # one termination entered each day of the outage
        helpers.record_event(helpers.covered_family(world.alpha, dependents=()), entered_on=date(2026, 11, day))
    assert ExchangeItem.objects.filter(connection=alpha_acme).count() == 6

    lines = tasks.exchange_run_scheduled(now=utc(2026, 11, 30, 15, 0))  # back on Monday at 10:00

    assert [f.name for f in ExchangeFile.objects.all()] == ["acme_alpha_QE_20261130_1.csv"]
    assert ExchangeFile.objects.get().item_count == 6
    assert {i.status for i in helpers.items(alpha_acme)} == {ItemStatus.SENT}
    assert "sent  alpha → acme QE: acme_alpha_QE_20261130_1.csv (6 items)" in lines
    acme.refresh_from_db()
    assert acme.last_scheduled_on == date(2026, 11, 30)
    tasks.exchange_run_scheduled(now=utc(2026, 11, 30, 16, 0))
    assert ExchangeFile.objects.count() == 1


def test_weekly_vendor_down_over_its_day_builds_once_late(world):
    weekly = helpers.vendor("weekly", schedule=ScheduleKind.WEEKLY, weekday=Weekday.MON, hour=5,
                            last_scheduled_on=date(2026, 11, 23))
    helpers.connect(world.alpha, weekly)
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()), entered_on=date(2026, 11, 25))
    assert tasks.vendors_due(now=utc(2026, 11, 30, 9, 0)) == []
    tasks.exchange_run_scheduled(now=utc(2026, 12, 2, 14, 0))  # Wednesday: Monday's file, built late
    assert [f.name for f in ExchangeFile.objects.all()] == ["weekly_alpha_QE_20261130_1.csv"]
    assert tasks.vendors_due(now=utc(2026, 12, 6, 14, 0)) == []


def test_running_twice_in_the_same_hour_builds_once(world, acme, alpha_acme, monkeypatch):
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    stale = tasks.vendors_due(now=utc(2026, 11, 23, 7, 0))  # what a second worker read before the first claimed
    assert stale == [(acme, date(2026, 11, 23))]
    tasks.exchange_run_scheduled(now=utc(2026, 11, 23, 7, 0))
    assert ExchangeFile.objects.count() == 1

    assert tasks.vendors_due(now=utc(2026, 11, 23, 7, 30)) == []
    builds = []
    monkeypatch.setattr(tasks, "vendors_due", lambda now: stale)
    monkeypatch.setattr(services, "exchange_run", lambda **kwargs: builds.append(kwargs))
    tasks.exchange_run_scheduled(now=utc(2026, 11, 23, 7, 30))
    assert builds == [], "the slot was claimed by the first run: the second does not build"


def test_late_run_three_hours_after_the_hour_still_builds(world, acme, alpha_acme):
    Vendor.objects.filter(pk=acme.pk).update(last_scheduled_on=date(2026, 11, 22))
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()))
    tasks.exchange_run_scheduled(now=utc(2026, 11, 23, 10, 0))  # 05:00 New York, file hour 02:00
    assert [f.name for f in ExchangeFile.objects.all()] == ["acme_alpha_QE_20261123_1.csv"]


def test_dst_gap_vendor_at_2am_gets_its_file_that_day(world, acme, alpha_acme):
    Vendor.objects.filter(pk=acme.pk).update(last_scheduled_on=date(2027, 3, 13))
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()), event_date=date(2027, 3, 10),
                         entered_on=date(2027, 3, 14))
    assert tasks.vendors_due(now=utc(2027, 3, 14, 6, 0)) == []  # 01:00 EST
    tasks.exchange_run_scheduled(now=utc(2027, 3, 14, 7, 0))  # 03:00 EDT: there was no 02:00
    assert [f.name for f in ExchangeFile.objects.all()] == ["acme_alpha_QE_20270314_1.csv"]


def test_a_build_that_raises_gives_the_slot_back(world, acme, alpha_acme, monkeypatch):
    Vendor.objects.filter(pk=acme.pk).update(last_scheduled_on=date(2026, 11, 22))

    def broken(**kwargs):
        raise RuntimeError("database went away")
    monkeypatch.setattr(services, "exchange_run", broken)
    with pytest.raises(RuntimeError):
        tasks.exchange_run_scheduled(now=utc(2026, 11, 23, 7, 0))
    acme.refresh_from_db()
    assert acme.last_scheduled_on == date(2026, 11, 22)
    assert tasks.vendors_due(now=utc(2026, 11, 23, 8, 0)) == [(acme, date(2026, 11, 23))]


def test_hourly_job_builds_a_vendors_files_at_its_local_hour(world):
    """Moved from test_demo_and_commands; the nightly vendor is now due for its latest slot too."""
    weekly = helpers.vendor("weekly", schedule=ScheduleKind.WEEKLY, weekday=Weekday.MON, hour=5)
    nightly = helpers.vendor("nightly", hour=2)
    helpers.connect(world.alpha, weekly)
    helpers.record_event(helpers.covered_family(world.alpha, dependents=()), entered_on=date(2026, 11, 23))
    monday_5am_new_york = utc(2026, 11, 30, 10, 0)
    assert tasks.vendors_due(now=monday_5am_new_york) == [(nightly, date(2026, 11, 30)), (weekly, date(2026, 11, 30))]
    lines = tasks.exchange_run_scheduled(now=monday_5am_new_york)
    assert lines == ["sent  alpha → weekly QE: weekly_alpha_QE_20261130_1.csv (1 items)", "held  alpha → weekly IR: nothing due"]
    assert tasks.vendors_due(now=utc(2026, 12, 1, 6, 0)) == []
    assert tasks.vendors_due(now=utc(2026, 12, 1, 7, 0)) == [(nightly, date(2026, 12, 1))]


@pytest.mark.parametrize("schedule, weekday, day, expected", [
    ("nightly", None, date(2026, 11, 24), True),
    ("weekly", 0, date(2026, 11, 23), True),   # a Monday
    ("weekly", 0, date(2026, 11, 24), False),
])
def test_file_days_are_one_rule_for_the_run_and_the_hourly_job(schedule, weekday, day, expected):
    assert is_file_day(schedule=schedule, weekday=weekday, day=day) is expected
    assert Vendor(schedule=schedule, weekday=weekday).is_due_on(day) is expected
