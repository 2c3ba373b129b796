#!/usr/bin/env bash
# Runs the whole test suite on SQLite, then again on a real PostgreSQL started here on loopback.
# Fails (never skips) when PostgreSQL cannot be started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --test
PY=.venv/bin/python

echo "== Test suite on SQLite"
$PY -m pytest -q -p no:cacheprovider "$@"

echo "== Test suite on PostgreSQL"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DIR=$(mktemp -d /tmp/cobra-pg.XXXXXX)
PG_PORT="${PG_PORT:-54329}"
chown postgres "$PG_DIR" 2>/dev/null || true
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-k $PG_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
  || { echo "PostgreSQL could not be started:"; cat "$PG_DIR/log"; exit 1; }
trap 'as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"' EXIT
DATABASE_URL="postgres://postgres@127.0.0.1:${PG_PORT}/postgres" $PY -m pytest -q -p no:cacheprovider "$@"
