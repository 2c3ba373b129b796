"""Kill a worker at random points of file builds and check that no item is lost or sent twice.

Run by test_fault.py in its own process against its own database (DATABASE_URL, MEDIA_ROOT set by the test):

    python -m exchange.tests.fault_harness --runs 50 --seed 7

Each run writes new COBRA records and forks a worker that runs the exchange. Odd runs SIGKILL it after a
random delay (somewhere between "before it starts" and "after it finished"); even runs make it os._exit at a
random step (after claiming, while writing, after delivering). A later run then recovers. At the end every
item must be sent exactly once: marked sent in the database and present once in the delivered files.
"""
import argparse
import csv
import json
import os
import random
import signal
import time
from datetime import date, datetime, timedelta, timezone as dt_timezone

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cobra_admin.settings")
django.setup()

from collections import Counter  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from companies.models import Company  # noqa: E402
from exchange import services  # noqa: E402
from exchange.delivery import drop_folder  # noqa: E402
from exchange.models import ExchangeFile, ExchangeItem, FileStatus, ItemStatus  # noqa: E402
from exchange.tests import helpers  # noqa: E402

START = date(2026, 11, 2)
EPOCH = datetime(2026, 11, 2, 7, 0, tzinfo=dt_timezone.utc)
PER_RUN = 6


def _die_after(module, name, when=lambda result: True):
    original = getattr(module, name)

    def dying(*args, **kwargs):
        result = original(*args, **kwargs)
        if when(result):
            os._exit(9)
        return result
    setattr(module, name, dying)


DIE_AT = {
    "after claim": lambda: _die_after(services, "_file_claim", when=lambda result: result[0] is not None),
    "mid write": lambda: _die_after(services.rows, "_row"),
    "after delivery": lambda: _die_after(services, "deliver"),
}


def _worker(as_of, now, die_at=None):
    """The killed process: what a django-q2 worker does when the schedule fires (optionally dying at a step)."""
    pid = os.fork()
    if pid == 0:
        try:
            if die_at:
                DIE_AT[die_at]()
            services.exchange_run(as_of=as_of, now=now)
        finally:
            os._exit(0)
    return pid


@transaction.atomic
def _records(company, run):
    for n in range(PER_RUN):
        enrollment = helpers.covered_family(company, employee_id=f"R{run:03d}-{n:02d}",
                                            dependents=("spouse",) if n % 3 == 0 else ())
        helpers.record_event(enrollment, event_date=START + timedelta(days=run), entered_on=START + timedelta(days=run))


def _delivered_counts():
    counts = Counter()
    for vendor_folder in (drop_folder(v) for v in {c.vendor for c in services.Connection.objects.all()}):
        for path in vendor_folder.glob("*.csv"):
            with open(path, newline="", encoding="utf-8") as f:
                counts.update((row["record_id"], row["action"]) for row in csv.DictReader(f))
    return counts


def _stage_reached(as_of):
    """How far the killed worker got with this day's file."""
    exchange_file = ExchangeFile.objects.filter(built_on=as_of).first()
    if exchange_file is None:
        return "no file claimed"
    if exchange_file.status == FileStatus.DELIVERED:
        return "delivered and marked sent"
    if (drop_folder(exchange_file.connection.vendor) / exchange_file.name).exists():
        return "delivered, not marked sent"
    return "claimed, not delivered"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    call_command("migrate", verbosity=0)
    company = Company.objects.create(code="fault", name="Fault Co", state="NY", ein="11-1111111",
                                     prior_year_employee_count=Decimal("50"))
    helpers.connect(company, helpers.vendor("crashy"))

    # One undisturbed build tells how long a build takes, so the kills land inside builds.
    _records(company, 0)
    connections.close_all()
    started = time.monotonic()
    os.waitpid(_worker(START, EPOCH), 0)
    build_seconds = time.monotonic() - started

    killed, stages = 0, Counter()
    for run in range(1, args.runs + 1):
        _records(company, run)
        as_of, now = START + timedelta(days=run), EPOCH + timedelta(days=run)
        connections.close_all()
        if run % 2:
            pid = _worker(as_of, now)
            time.sleep(rng.uniform(0, build_seconds * 4))
            os.kill(pid, signal.SIGKILL)
        else:
            pid = _worker(as_of, now, die_at=rng.choice(list(DIE_AT)))
        _, status = os.waitpid(pid, 0)
        killed += os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 9
        stages[_stage_reached(as_of)] += 1
        # Recovery: the next scheduler tick, after the dead worker's lease ran out.
        later = now + services.LEASE + timedelta(seconds=1)
        started = time.monotonic()
        services.deliveries_retry(now=later)
        services.exchange_run(as_of=as_of, now=later)
        build_seconds = max(time.monotonic() - started, 0.01)

    items = ExchangeItem.objects.all()
    delivered = _delivered_counts()
    expected = Counter((i.record_id, i.action) for i in items)
    result = {
        "runs": args.runs, "killed": killed, "stages": dict(stages), "build_seconds": round(build_seconds, 3), "items": items.count(),
        "lost": items.exclude(status=ItemStatus.SENT).count() + sum(1 for key in expected if key not in delivered),
        "sent_twice": sum(1 for key, n in delivered.items() if n > 1) + sum(1 for key in delivered if key not in expected),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
