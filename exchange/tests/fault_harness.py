"""Kill a worker at random points of file builds and check that no item is lost or sent twice (issue 5).

Run by test_fault.py in its own process against its own database (DATABASE_URL, MEDIA_ROOT set by the test):

    python -m exchange.tests.fault_harness --runs 60 --seed 7

Each run writes new COBRA records and forks a worker that runs the exchange; the worker is SIGKILLed at one
crash point (each point as often as the others, in random order):

    random time      the parent kills it after a random delay, until about when the file is delivered
    random query     it kills itself just before a random one of its SQL statements (inside the claim
                     transaction, the file's query, the mark-sent transaction)
    after claim      ... once a file has claimed its items
    mid write        ... after writing a random number of the file's rows (inside `rows.record_rows`)
    before delivery  ... with the file written, before `deliver`
    after delivery   ... once the vendor has the file, before the items are marked sent

The next scheduler tick (run in this process, after the dead worker's lease ran out) then recovers.

Every hooked step writes one line to an append-only event log (MEDIA_ROOT/fault-events.jsonl): a claim, the
start and end of the row stream, each `deliver` call with the record ids read from the delivered file and
whether a new file actually landed in the vendor's drop folder, the items marked sent, the crash point that
fired. From it the harness knows at which stage each kill landed (only kills before the file was marked sent
count as "mid build") and every file that reached the vendor, re-uploads under the same name included.

The harness fails (raises, exit status 1) when a hook target no longer exists, a fixed crash point did not
fire, a probe saw nothing during an undisturbed build, or a worker failed other than by the kill: a rename in
the exchange code cannot quietly turn a crash point off. The random kills may land after the file was marked
sent (or before the worker started); they are reported, not counted as mid-build.

At the end it prints one JSON line: kills per crash point and per stage, `lost` (items not marked sent, or
not in a file that reached the vendor), `sent_twice` (items in two different files, or two items for one
record), and `redelivered_items` (items whose file reached the vendor more than once, e.g. re-uploaded under
the same name after a crash between delivery and marking the items sent).
"""
import argparse
import csv
import importlib
import json
import os
import random
import signal
import statistics
import sys
import time
import traceback
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone as dt_timezone
from decimal import Decimal
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cobra_admin.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from companies.models import Company  # noqa: E402
from exchange import services  # noqa: E402
from exchange.delivery import drop_folder  # noqa: E402
from exchange.models import ExchangeItem, FileFormat, FileStatus, ItemStatus  # noqa: E402
from exchange.tests import helpers  # noqa: E402

START = date(2026, 11, 2)
EPOCH = datetime(2026, 11, 2, 7, 0, tzinfo=dt_timezone.utc)
PER_RUN = 4  # records a run; 6 file rows (every third employee has a covered spouse)
CRASH_POINTS = ["random time", "random query", "after claim", "mid write", "before delivery", "after delivery"]
# Where a worker can be when it dies, in build order; the last one is after the file was marked sent.
STAGES = {"start": "claiming", "claimed": "after claim", "writing": "mid write", "written": "written, not delivered",
          "delivering": "mid delivery", "delivered": "delivered, not marked sent", "marked": "marked sent"}
MID_BUILD = set(STAGES.values()) - {"marked sent"}
EVENTS = Path(settings.MEDIA_ROOT) / "fault-events.jsonl"
_who = "setup"  # who writes the events: "worker 12", "recovery 12"
_queries = 0  # SQL statements the worker has sent so far


class HarnessError(Exception):
    """The harness no longer tests what it claims to (a hook target is gone, a crash point never fired)."""


# The event log


def _log(event, who=None, **data):
    line = json.dumps({"who": who or _who, "event": event, "t": time.monotonic(), "q": _queries, **data}) + "\n"
    fd = os.open(EVENTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _events(who=None):
    if not EVENTS.exists():
        return []
    with open(EVENTS, encoding="utf-8") as f:
        events = [json.loads(line) for line in f]
    return [e for e in events if who is None or e["who"] == who]


# Hooks


def _hook(target, make):
    """Replace `module:name` by make(original); raise when the target is gone (renamed or moved)."""
    module_name, name = target.split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, name, None)
    if not callable(original):
        raise HarnessError(f"hook target {target} does not exist: the exchange code changed, update the fault harness")
    setattr(module, name, make(original))


def _records_in(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [f"{row['record_id']}/{row['action']}" for row in csv.DictReader(f)]


def _stat(path):
    """What changes when a file lands under this name (a new inode on rename, or new content in place)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_ino, st.st_mtime_ns, st.st_size]


def _install_probes():
    """Log each step of a build (in this process; the forked workers inherit them)."""
    def claim(original):
        def _file_claim(*args, **kwargs):
            result = original(*args, **kwargs)
            if result[0] is not None:
                _log("claimed", file=result[0].name)
            return result
        return _file_claim

    def record_rows(original):
        def record_rows(*args, **kwargs):
            _log("writing")
            yield from original(*args, **kwargs)
            _log("written")
        return record_rows

    def deliver(original):
        def deliver(*args, **kwargs):
            vendor, path, name = kwargs["vendor"], kwargs["path"], kwargs["name"]
            target = drop_folder(vendor) / name
            records, before = _records_in(path), _stat(target)
            _log("delivering", name=name, records=records, target=str(target), before=before)
            uploaded = original(*args, **kwargs)
            _log("delivered", name=name, records=records, landed=_stat(target) != before)
            return uploaded
        return deliver

    def delivered(original):
        def _file_delivered(exchange_file, *args, **kwargs):
            result = original(exchange_file, *args, **kwargs)
            _log("marked", file=exchange_file.name)
            return result
        return _file_delivered

    _hook("exchange.services:_file_claim", claim)
    _hook("exchange.rows:record_rows", record_rows)
    _hook("exchange.services:deliver", deliver)
    _hook("exchange.services:_file_delivered", delivered)


def _fire(point):
    _log("fired", point=point)
    os.kill(os.getpid(), signal.SIGKILL)


def _count_queries(kill_at=None):
    """In the worker: count its SQL statements; with `kill_at`, SIGKILL itself just before that one is sent."""
    def counted(execute, sql, params, many, context):
        global _queries
        _queries += 1
        if _queries == kill_at:
            _fire("random query")
        return execute(sql, params, many, context)
    connections["default"].execute_wrappers.append(counted)


def _install_crash(point, at):
    """In the worker: SIGKILL itself at `point` (outside the probes, so they log the step first). `at` is the
    statement to die before (random query) or the rows to write first (mid write)."""
    _count_queries(at if point == "random query" else None)
    if point == "after claim":
        def make(original):
            def _file_claim(*args, **kwargs):
                result = original(*args, **kwargs)
                if result[0] is not None:
                    _fire(point)
                return result
            return _file_claim
        _hook("exchange.services:_file_claim", make)
    elif point == "mid write":
        def make(original):
            def record_rows(*args, **kwargs):
                for n, row in enumerate(original(*args, **kwargs)):
                    if n == at:
                        _fire(point)
                    yield row
                _fire(point)
            return record_rows
        _hook("exchange.rows:record_rows", make)
    elif point in ("before delivery", "after delivery"):
        def make(original):
            def deliver(*args, **kwargs):
                if point == "before delivery":
                    _fire(point)
                result = original(*args, **kwargs)
                if point == "after delivery":
                    _fire(point)
                return result
            return deliver
        _hook("exchange.services:deliver", make)
    elif point not in (None, "random time", "random query"):
        raise HarnessError(f"unknown crash point {point!r}")


# Runs


def _worker(run, as_of, now, point=None, at=None):
    """The killed process: what a django-q2 worker does when the schedule fires."""
    pid = os.fork()
    if pid == 0:
        global _who
        _who = f"worker {run}"
        code = 0
        try:
            _install_crash(point, at)
            _log("start")
            services.exchange_run(as_of=as_of, now=now)
            _log("finished")
        except BaseException:
            traceback.print_exc()
            code = 70
        finally:
            sys.stderr.flush()
            os._exit(code)
    return pid


def _reap(pid, run):
    """Wait for the worker; fail on anything but a clean exit or a SIGKILL; resolve a delivery cut by the kill."""
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status):
        raise HarnessError(f"worker of run {run} failed with exit status {os.WEXITSTATUS(status)} (traceback above)")
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    events = _events(f"worker {run}")
    steps = [e for e in events if e["event"] in STAGES or e["event"] == "finished"]
    cut = steps and steps[-1]["event"] == "delivering" and killed
    if cut:  # did the vendor get the file before the kill? Its drop folder entry changed or not.
        delivering = steps[-1]
        landed = _stat(delivering["target"]) != delivering["before"]
        _log("delivered", who=f"worker {run}", name=delivering["name"], records=delivering["records"], landed=landed,
             cut=True)
    return killed, events, steps


@transaction.atomic
def _records(company, run):
    for n in range(PER_RUN):
        enrollment = helpers.covered_family(company, employee_id=f"R{run:03d}-{n:02d}",
                                            dependents=("spouse",) if n % 3 == 0 else ())
        helpers.record_event(enrollment, event_date=START + timedelta(days=run), entered_on=START + timedelta(days=run))


def _drop_folder_records():
    found = set()
    for vendor_folder in (drop_folder(v) for v in {c.vendor for c in services.Connection.objects.all()}):
        for path in vendor_folder.glob("*.csv"):
            found.update(_records_in(path))
    return found


def _clean_build(company):
    """One undisturbed build: proof that every probe sits on the build path, and when each step happens."""
    _records(company, 0)
    connections.close_all()
    forked = time.monotonic()
    killed, _, steps = _reap(_worker(0, START, EPOCH), 0)
    seen = [e["event"] for e in steps]
    expected = ["start", "claimed", "writing", "written", "delivering", "delivered", "marked", "finished"]
    if killed or seen != expected:
        raise HarnessError(f"an undisturbed build logged {seen}, not {expected}: a probe is off the build path")
    return forked, steps


def main():
    global _who
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    call_command("migrate", verbosity=0)
    EVENTS.parent.mkdir(parents=True, exist_ok=True)
    EVENTS.unlink(missing_ok=True)
    company = Company.objects.create(code="fault", name="Fault Co", state="NY", ein="11-1111111",
                                     prior_year_employee_count=Decimal("50"))
    vendor = helpers.vendor("crashy")
    if vendor.uses_sftp or vendor.file_format != FileFormat.CSV:
        raise HarnessError("the harness reads deliveries from a CSV drop folder")
    helpers.connect(company, vendor)
    _install_probes()
    for point in CRASH_POINTS:  # every crash hook can be installed: a missing target raises here, not in a worker
        _check_crash_hook(point)
    # When and after how many SQL statements each step of a build happens (the latest builds), to aim the random kills.
    seen = defaultdict(list)
    _seen_add(seen, *_clean_build(company))

    points = [CRASH_POINTS[n % len(CRASH_POINTS)] for n in range(args.runs)]
    rng.shuffle(points)
    runs, per_point = [], {p: Counter() for p in CRASH_POINTS}
    for run, point in enumerate(points, start=1):
        _records(company, run)
        as_of, now = START + timedelta(days=run), EPOCH + timedelta(days=run)
        # random time: the parent kills it at a moment until the file is delivered; random query: it dies before
        # one of the statements until its items are marked sent; mid write: after some of the file's rows.
        delay = rng.uniform(0, _recent(seen, "delivered", "t"))
        at = {"random query": rng.randint(1, _recent(seen, "delivered", "q") + _marking_queries(seen)),
              "mid write": rng.randint(0, PER_RUN - 1)}.get(point)
        connections.close_all()
        forked = time.monotonic()
        pid = _worker(run, as_of, now, point, at)
        if point == "random time":
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
        killed, events, steps = _reap(pid, run)
        _seen_add(seen, forked, steps)
        fired = [e["point"] for e in events if e["event"] == "fired"]
        if point not in ("random time", "random query") and fired != [point]:
            raise HarnessError(f"run {run}: crash point {point!r} did not fire (fired: {fired}); the worker logged "
                               f"{[e['event'] for e in events]}")
        finished = bool(steps) and steps[-1]["event"] == "finished"
        stage = "finished" if finished else STAGES[steps[-1]["event"]] if steps else "not started"
        mid_build = killed and stage in MID_BUILD
        per_point[point]["runs"] += 1
        per_point[point]["mid_build"] += mid_build
        runs.append({"run": run, "crash_point": point, "at": delay if point == "random time" else at,
                     "fired": fired[0] if fired else None, "killed": killed, "stage": stage, "mid_build": mid_build})
        # Recovery: the next scheduler tick, after the dead worker's lease ran out.
        _who = f"recovery {run}"
        later = now + services.LEASE + timedelta(seconds=1)
        services.deliveries_retry(now=later)
        services.exchange_run(as_of=as_of, now=later)
        _who = "setup"

    print(json.dumps(_result(args.runs, _recent(seen, "marked", "t"), runs, per_point)))


def _seen_add(seen, forked, steps):
    for step in steps:
        seen[step["event"]].append({"t": step["t"] - forked, "q": step["q"]})


def _recent(seen, event, key):
    """Median seconds after the fork (t) or statements sent (q) when the latest builds reached `event`."""
    return statistics.median_low([step[key] for step in seen[event][-9:]])


def _marking_queries(seen):
    """Statements between the delivery and the items marked sent (the undisturbed build)."""
    return seen["marked"][0]["q"] - seen["delivered"][0]["q"]


def _check_crash_hook(point):
    """Install a crash hook (never firing) and put the originals back."""
    saved = {t: getattr(importlib.import_module(t.split(":")[0]), t.split(":")[1], None) for t in
             ("exchange.services:_file_claim", "exchange.rows:record_rows", "exchange.services:deliver")}
    wrappers = list(connections["default"].execute_wrappers)
    try:
        _install_crash(point, None)
    finally:
        for target, original in saved.items():
            module_name, name = target.split(":")
            setattr(importlib.import_module(module_name), name, original)
        connections["default"].execute_wrappers[:] = wrappers


def _result(n_runs, build_seconds, runs, per_point):
    items = list(ExchangeItem.objects.select_related("file"))
    keys = Counter((i.connection_id, f"{i.record_id}/{i.action}") for i in items)
    deliveries = [e for e in _events() if e["event"] == "delivered" and e["landed"]]
    files_of, times_of = defaultdict(set), Counter()
    for delivery in deliveries:
        for record in delivery["records"]:
            files_of[record].add(delivery["name"])
            times_of[record] += 1
    in_drop_folder = _drop_folder_records()
    item_records = {f"{i.record_id}/{i.action}" for i in items}
    lost = [i.pk for i in items if i.status != ItemStatus.SENT or i.file is None or i.file.status != FileStatus.DELIVERED
            or i.file.name not in files_of[f"{i.record_id}/{i.action}"]
            or f"{i.record_id}/{i.action}" not in in_drop_folder]
    sent_twice = ([r for r, names in files_of.items() if len(names) > 1] + sorted(set(files_of) - item_records)
                  + [k for k, n in keys.items() if n > 1])
    uploads = Counter(d["name"] for d in deliveries)
    mid_build = [r for r in runs if r["mid_build"]]
    return {
        "runs": n_runs, "items": len(items), "build_seconds": round(build_seconds, 3),
        "kills_mid_build": len(mid_build),
        "kills_not_mid_build": Counter(r["stage"] for r in runs if not r["mid_build"]),
        "crash_points": {p: dict(c) for p, c in per_point.items()},
        "stages": Counter(r["stage"] for r in mid_build),
        "lost": len(lost), "lost_items": lost[:20],
        "sent_twice": len(sent_twice), "sent_twice_records": sent_twice[:20],
        "deliveries": len(deliveries), "files": len(uploads),
        "deliveries_cut_by_kill": sum(1 for e in _events() if e["event"] == "delivered" and e.get("cut")),
        "redeliveries": sum(n - 1 for n in uploads.values()),
        "redelivered_items": sum(1 for n in times_of.values() if n > 1),
        "runs_detail": runs,
    }


if __name__ == "__main__":
    main()
