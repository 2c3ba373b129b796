"""django-q2 jobs. `SCHEDULES` lists this app's schedules; `manage.py schedule_jobs` creates them."""
import logging

from django.db.models import Q
from django.utils import timezone

from exchange import services
from exchange.models import Connection, Vendor
from exchange.schedule import latest_slot_date

logger = logging.getLogger(__name__)

SCHEDULES = [
    {"name": "exchange: build and deliver vendor files", "func": "exchange.tasks.exchange_run_scheduled",
     "schedule_type": "H"},
    {"name": "exchange: daily reconciliation e-mail", "func": "exchange.tasks.reconciliation_mail_daily",
     "schedule_type": "D"},
]


def vendors_due(*, now):
    """Vendors with a file slot at or before `now` not yet built, each with the date of its latest slot.

    After an outage (or a late run) a vendor is due once, for its latest missed slot: that file carries every
    item due by then, so a worker down for a week sends one file, not seven.
    """
    due = []
    for vendor in Vendor.objects.all():
        slot = latest_slot_date(schedule=vendor.schedule, weekday=vendor.weekday, hour=vendor.hour,
                                time_zone=vendor.time_zone, now=now)
        if slot is not None and (vendor.last_scheduled_on is None or slot > vendor.last_scheduled_on):
            due.append((vendor, slot))
    return due


def _slot_claim(vendor, as_of):
    """Record the slot as built, unless another worker already has: True for the one run that may build it."""
    not_yet = Q(last_scheduled_on__isnull=True) | Q(last_scheduled_on__lt=as_of)
    return Vendor.objects.filter(not_yet, pk=vendor.pk).update(last_scheduled_on=as_of) == 1


def exchange_run_scheduled(now=None):
    """Hourly: build the files of the vendors with a slot not yet built; also retries failed deliveries that are due."""
    now = now or timezone.now()
    lines = []
    for vendor, as_of in vendors_due(now=now):
        if not _slot_claim(vendor, as_of):
            continue
        try:
            report = services.exchange_run(as_of=as_of, now=now, connections=Connection.objects.filter(vendor=vendor))
        except Exception:
            # Give the slot back so the next hourly run builds it (delivery failures are retried, not raised).
            Vendor.objects.filter(pk=vendor.pk, last_scheduled_on=as_of).update(
                last_scheduled_on=vendor.last_scheduled_on)
            raise
        lines.extend(report.lines())
    retried = services.deliveries_retry(now=now)
    lines.extend(retried.lines())
    for line in lines:
        logger.info("exchange: %s", line)
    return lines


def reconciliation_mail_daily():
    return services.reconciliation_mail_send(today=timezone.localdate())
