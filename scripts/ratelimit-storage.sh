#!/usr/bin/env bash
# Prints the limiter storage `make serve` should use (RATELIMIT_STORAGE_URI): the one given in
# the environment; else the local Redis (redis://127.0.0.1:6379/0) when it answers PING; else
# memory:// (per worker process, refused by APP_ENV=production). Says which on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCAL=redis://127.0.0.1:6379/0

if [ -n "${RATELIMIT_STORAGE_URI:-}" ]; then
  uri=$RATELIMIT_STORAGE_URI
  how="由环境变量 RATELIMIT_STORAGE_URI 指定"
elif .venv/bin/python - "$LOCAL" 2>/dev/null <<'PY'
import sys

import redis

redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1, socket_timeout=1).ping()
PY
then
  uri=$LOCAL
  how="本机 Redis 有应答，各工作进程共享计数"
else
  uri=memory://
  how="本机 Redis 无应答：每个工作进程各自计数，登录和找回密码的次数限制按进程数放宽；生产模式（APP_ENV=production）将拒绝启动"
fi
# The password of a Redis URL stays out of the terminal.
shown=$(printf '%s' "$uri" | sed -E 's#//[^/@]*@#//***@#')
echo "限流计数存储：$shown（$how）" >&2
printf '%s\n' "$uri"
