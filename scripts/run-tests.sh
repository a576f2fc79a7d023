#!/usr/bin/env bash
# The whole suite: SQLite (with the browser tests), then PostgreSQL when it is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/test}"
export TEST_PG_URL="$PG_URL"

echo "== 测试：SQLite =="
$BIN/pytest --db=sqlite "$@"

if $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL 不可用（{exc}），跳过 PostgreSQL 测试。")
    sys.exit(1)
PY
then
  echo "== 测试：PostgreSQL ($PG_URL) =="
  $BIN/pytest --db=postgresql -m "not browser" "$@"
fi
