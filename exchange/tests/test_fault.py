"""Kill the worker at random points of 50 builds: 0 items lost, 0 sent twice (issue 5)."""
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


@pytest.fixture
def scratch_dir(tmp_path):
    """On tmpfs when there is one: a killed process behaves the same, and commits need no disk flush."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="cobra-fault-", dir=shm))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
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


def test_killing_the_worker_at_random_points_loses_nothing_and_sends_nothing_twice(scratch_database_url, scratch_dir):
    env = {**os.environ, "DATABASE_URL": scratch_database_url, "MEDIA_ROOT": str(scratch_dir / "media"),
           "LOG_LEVEL": "ERROR"}
    done = subprocess.run([sys.executable, "-m", "exchange.tests.fault_harness", "--runs", "50"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["runs"] == 50 and result["items"] > 50 * 6
    assert result["killed"] >= 25, f"too few kills landed during builds: {result}"
    assert len(result["stages"]) >= 3, f"kills should land at several stages of a build: {result}"
    assert (result["lost"], result["sent_twice"]) == (0, 0), result
