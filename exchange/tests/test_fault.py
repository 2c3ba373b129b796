"""Kill the worker at random points of 60 builds (at least 50 of them mid-build): 0 items lost, 0 sent twice (issue 5)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


RUNS = 60
CRASH_POINTS = ["random time", "random query", "after claim", "mid write", "before delivery", "after delivery"]


@pytest.fixture(scope="module")
def scratch_dir(tmp_path_factory):
    """On tmpfs when there is one: a killed process behaves the same, and commits need no disk flush."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path_factory.mktemp("fault")
        return
    path = Path(tempfile.mkdtemp(prefix="cobra-fault-", dir=shm))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def scratch_database_url(scratch_dir):
    """A database of the harness's own: a SQLite file, or a fresh database on the same PostgreSQL server."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        yield f"sqlite:///{scratch_dir / 'fault.sqlite3'}"
        return
    import psycopg
    name = f"cobra_fault_{uuid.uuid4().hex[:8]}"
    params = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"], "password": db["PASSWORD"],
              "dbname": "postgres"}
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{params['port']}/{name}"
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def fault_run(scratch_database_url, scratch_dir):
    """One harness run (60 killed workers) shared by the tests below."""
    env = {**os.environ, "DATABASE_URL": scratch_database_url, "MEDIA_ROOT": str(scratch_dir / "media"),
           "LOG_LEVEL": "ERROR"}
    done = subprocess.run([sys.executable, "-m", "exchange.tests.fault_harness", "--runs", str(RUNS)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.pop("runs_detail")  # which crash point fired and where each kill landed, run by run: kept out of messages
    return result


def test_killing_the_worker_at_random_points_loses_nothing_and_sends_nothing_twice(fault_run):
    result = fault_run
    assert result["runs"] == RUNS and result["items"] >= RUNS * 6, result
    # Only kills that landed before the file was marked sent count, at every crash point.
    assert result["kills_mid_build"] >= 50, f"too few kills landed during builds: {result}"
    mid_build = {point: counts.get("mid_build", 0) for point, counts in result["crash_points"].items()}
    assert set(mid_build) == set(CRASH_POINTS) and min(mid_build.values()) >= 3, f"a crash point was rarely hit: {result}"
    assert len(result["stages"]) >= 4, f"kills should land at several stages of a build: {result}"
    # Every item marked sent, in a file that reached the vendor; none in two different files.
    assert (result["lost"], result["sent_twice"]) == (0, 0), result


def test_no_item_reaches_the_vendor_twice(fault_run):
    """A file delivered by a worker killed before it marked the items sent is recognised on the retry and not
    uploaded again (the vendor would process it twice). Counted from the vendor's drop folder, not our statuses."""
    assert (fault_run["redeliveries"], fault_run["redelivered_items"]) == (0, 0), fault_run
