"""The daily jobs, as the django-q2 schedule and `manage.py run_daily --as-of` both call them."""
from datetime import date

from django.utils import timezone

from continuation import digests, services
from continuation.models import DailyRun

SCHEDULES = [
    {"name": "continuation: daily lifecycle jobs and digests", "func": "continuation.tasks.daily_run",
     "schedule_type": "D"},
]


def daily_run(as_of=None):
    """Deadline checks, automatic terminations, overdue flags and digests as of a day.

    A finished run is recorded and not repeated: running the same day twice changes nothing. The schedule calls it
    with no argument (today); `as_of` may be a date or 'YYYY-MM-DD'.
    """
    as_of = _as_date(as_of)
    run, _ = DailyRun.objects.get_or_create(as_of=as_of)
    if run.finished_at is not None:
        return run.summary
    summary = services.lifecycle_run(as_of=as_of)
    summary.update(digests.digests_send(as_of=as_of))
    run.summary = summary
    run.finished_at = timezone.now()
    run.save(update_fields=["summary", "finished_at"])
    return summary


def _as_date(value):
    if value is None:
        return timezone.localdate()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)
