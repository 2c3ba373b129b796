"""Shared start of every benchmark: a scratch folder, a fresh database there, Django set up and migrated.

`BENCH_DATABASE_URL` points a bench at another database (e.g. PostgreSQL) instead of the scratch SQLite file.
"""
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_scratch(prefix):
    """Set up Django on a scratch database and media folder; returns the scratch folder."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cobra_admin.settings"
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # no per-query debug bookkeeping on either side
    import django

    django.setup()
    return work
