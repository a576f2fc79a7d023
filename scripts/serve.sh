#!/usr/bin/env bash
# Production serving: gunicorn (app/gunicorn_conf.py) plus exactly one scheduler process.
# The schema must be current (`make serve` runs `flask db upgrade` and `flask setup` first).
# Stopping this script (Ctrl-C, SIGTERM) stops both; if either exits, the other is stopped too.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export FLASK_APP=wsgi

# The limiter storage: as given, else the local Redis when it answers (scripts/ratelimit-storage.sh
# says which); with memory:// each worker would count logins and 找回密码 on its own.
# (`make serve` has chosen and said so already: RATELIMIT_STORAGE_SAID.)
if [ -z "${RATELIMIT_STORAGE_URI:-}" ] || [ -z "${RATELIMIT_STORAGE_SAID:-}" ]; then
  RATELIMIT_STORAGE_URI="$(scripts/ratelimit-storage.sh)"
fi
export RATELIMIT_STORAGE_URI

PIDS=()
stop() {
  trap - INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

# The scheduler holds a PostgreSQL advisory lock: a second one (another host) stands by.
$BIN/flask scheduler &
PIDS+=($!)
$BIN/gunicorn -c python:app.gunicorn_conf wsgi:app &
PIDS+=($!)

status=0
wait -n || status=$?
echo "serve.sh: 调度进程或网站进程已退出（$status），停止另一个。" >&2
stop
exit "$status"
