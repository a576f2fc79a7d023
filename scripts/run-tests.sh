#!/usr/bin/env bash
# The whole suite: SQLite (with the browser tests) and, when it is reachable, PostgreSQL at the
# same time (the runs share nothing: each has its own databases, instance folders and ports; side
# by side they take about half the time of one after the other on two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}"
export TEST_PG_URL="$PG_URL"

pg_log=""
if $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL 不可用（{exc}），跳过 PostgreSQL 测试。")
    sys.exit(1)
PY
then
  pg_log="$(mktemp)"
  trap 'rm -f "$pg_log"' EXIT
  $BIN/pytest --db=postgresql -m "not browser" -p no:cacheprovider "$@" > "$pg_log" 2>&1 &
  pg_pid=$!
fi

echo "== 测试：SQLite =="
sqlite_rc=0
$BIN/pytest --db=sqlite "$@" || sqlite_rc=$?

pg_rc=0
if [ -n "$pg_log" ]; then
  wait "$pg_pid" || pg_rc=$?
  echo "== 测试：PostgreSQL ($PG_URL) =="
  cat "$pg_log"
fi
exit $(( sqlite_rc != 0 ? sqlite_rc : pg_rc ))
