#!/usr/bin/env bash
# Runs cobra-admin: installs, migrates, loads demo data, starts the worker and the web server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
PY=.venv/bin/python
PORT="${PORT:-8000}"
$PY manage.py migrate --noinput
$PY manage.py seed_demo
$PY manage.py schedule_jobs
mkdir -p var
$PY manage.py qcluster >var/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT
cat <<MSG

  cobra-admin is running at http://127.0.0.1:${PORT}/admin/
  Demo logins (password for all: demo-pass-2026):
    admin        superuser
    support      Support (all companies; reverses eligibility marks)
    broker.acme  Broker, Acme Benefits agency (Sunrise Bakery, Harbor Logistics)
    broker.pine  Broker, Pine Brokerage agency (Redwood Clinic)
    hr.sunrise   HR, Sunrise Bakery only
  Worker log: var/worker.log. Stop with Ctrl-C.

MSG
$PY manage.py runserver "0.0.0.0:${PORT}" --noreload
