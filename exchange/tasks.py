"""django-q2 jobs. `SCHEDULES` lists this app's schedules; `manage.py schedule_jobs` creates them."""
import logging
from zoneinfo import ZoneInfo

from django.utils import timezone

from exchange import services
from exchange.models import Connection, Vendor

logger = logging.getLogger(__name__)

SCHEDULES = [
    {"name": "exchange: build and deliver vendor files", "func": "exchange.tasks.exchange_run_scheduled",
     "schedule_type": "H"},
    {"name": "exchange: daily reconciliation e-mail", "func": "exchange.tasks.reconciliation_mail_daily",
     "schedule_type": "D"},
]


def vendors_due(*, now):
    """Vendors whose file hour, in their own time zone, is this hour; with the local date to build for."""
    due = []
    for vendor in Vendor.objects.all():
        local = now.astimezone(ZoneInfo(vendor.time_zone))
        if local.hour == vendor.hour and vendor.is_due_on(local.date()):
            due.append((vendor, local.date()))
    return due


def exchange_run_scheduled(now=None):
    """Hourly: build the files of the vendors whose hour it is; also retries failed deliveries that are due."""
    now = now or timezone.now()
    lines = []
    for vendor, as_of in vendors_due(now=now):
        report = services.exchange_run(as_of=as_of, now=now, connections=Connection.objects.filter(vendor=vendor))
        lines.extend(report.lines())
    retried = services.deliveries_retry(now=now)
    lines.extend(retried.lines())
    for line in lines:
        logger.info("exchange: %s", line)
    return lines


def reconciliation_mail_daily():
    return services.reconciliation_mail_send(today=timezone.localdate())
