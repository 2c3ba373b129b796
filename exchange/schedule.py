"""When a vendor's file is due: plain values in, a date out (no database, no clock)."""
from datetime import datetime, time, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

NIGHTLY = "nightly"  # models.ScheduleKind.NIGHTLY is this value; this module needs no Django


def is_file_day(*, schedule, weekday, day):
    """Nightly vendors get a file every day; weekly vendors on their weekday (0 = Monday)."""
    return schedule == NIGHTLY or day.weekday() == weekday


def latest_slot_date(*, schedule, weekday, hour, time_zone, now):
    """The file date of the latest slot at or before `now`, or None if the schedule has no slot.

    A slot is a file day (every day for nightly, `weekday` (0 = Monday) for weekly) at `hour`:00 in `time_zone`.
    An hour that does not exist that day (spring DST gap) is read with the offset before the change, so the
    slot falls at the moment of the change: it has passed as soon as local time is past it. An hour that
    happens twice (autumn) is its first occurrence. Either way a file date has one slot.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    zone = ZoneInfo(time_zone)
    now_utc = now.astimezone(dt_timezone.utc)
    today = now.astimezone(zone).date()
    for back in range(8):  # a weekly slot not yet reached today was last due a week ago
        day = today - timedelta(days=back)
        if not is_file_day(schedule=schedule, weekday=weekday, day=day):
            continue
        # Compare in UTC: aware datetimes sharing one tzinfo compare by wall time, wrong across a DST change.
        slot = datetime.combine(day, time(hour), tzinfo=zone).astimezone(dt_timezone.utc)
        if slot <= now_utc:
            return day
    return None
