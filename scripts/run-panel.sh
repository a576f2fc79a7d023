#!/usr/bin/env bash
# `make run`: the web panel plus exactly one scheduler process (reminders, SMS, outbox, digests).
# The scheduler takes a lock, so starting it twice leaves the second on standby.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export FLASK_APP=wsgi
$BIN/flask scheduler &
SCHEDULER=$!
trap 'kill "$SCHEDULER" 2>/dev/null || true' EXIT INT TERM
$BIN/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
