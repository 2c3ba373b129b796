"""Create the django-q2 schedules every app declares, idempotently.

To add a job from another app, list it in that app's `tasks.py`:

    SCHEDULES = [{"name": "reports: nightly digest", "func": "reports.tasks.digest_send", "schedule_type": "D"}]

(`minutes`, `cron` and `kwargs` are passed through). Schedules are matched by name: running this again
updates them and never duplicates one.
"""
import importlib
import importlib.util
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_q.models import Schedule


def app_schedules():
    """The SCHEDULES list of every installed app's tasks module."""
    for app in apps.get_app_configs():
        name = f"{app.name}.tasks"
        if importlib.util.find_spec(name):
            yield from getattr(importlib.import_module(name), "SCHEDULES", [])


def cluster_settings_check(q_cluster):
    """Jobs that send files must not run twice by accident: retry after the timeout, bounded attempts, no catch-up."""
    problems = []
    if q_cluster.get("retry", 0) <= q_cluster.get("timeout", 0):
        problems.append("Q_CLUSTER retry must be longer than timeout")
    if not q_cluster.get("max_attempts"):
        problems.append("Q_CLUSTER max_attempts must be set")
    if q_cluster.get("catch_up", True):
        problems.append("Q_CLUSTER catch_up must be False")
    return problems


def schedule_ensure(spec, *, now):
    """Create or update one schedule by name; a new one first runs at the top of the next hour."""
    fields = {key: spec[key] for key in ("func", "schedule_type", "minutes", "cron", "kwargs") if key in spec}
    schedule, created = Schedule.objects.update_or_create(name=spec["name"], defaults={**fields, "repeats": -1})
    if created:
        schedule.next_run = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        schedule.save(update_fields=["next_run"])
    return created


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules declared in each app's tasks.SCHEDULES."

    def handle(self, *args, **options):
        problems = cluster_settings_check(settings.Q_CLUSTER)
        if problems:
            raise CommandError("; ".join(problems))
        now = timezone.now()
        for spec in app_schedules():
            created = schedule_ensure(spec, now=now)
            self.stdout.write(f"{'created' if created else 'up to date'}: {spec['name']}")
