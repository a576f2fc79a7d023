"""gunicorn settings: ``gunicorn -c python:app.gunicorn_conf wsgi:app``.

Everything comes from the environment so that the same module serves ``make serve``,
``scripts/serve.sh``, the benchmarks and a systemd unit:

- ``HOST`` / ``PORT`` (127.0.0.1:8000): where to listen (nginx in front in production);
- ``WEB_CONCURRENCY`` (4): worker processes, each handling one request at a time (sync). The
  workers are CPU-bound (in the load test ~75 % of the CPU went to gunicorn, ~20 % to
  PostgreSQL), so two per core cover the waits on the database without adding much memory;
- ``GUNICORN_THREADS`` (1): threads per worker (more than 1 switches to the gthread worker);
- ``GUNICORN_TIMEOUT`` (60 s): a worker silent for longer is killed and replaced;
- ``GUNICORN_MAX_REQUESTS`` (5000, plus a random jitter up to 50 %): a worker is replaced after
  that many requests, which bounds its memory (0: never). A new worker takes 3-5 s (and a core)
  to build the app, and under even load the workers reach the limit together: at 1000 with a
  10 % jitter the load test saw all four restart within 3 s and nothing answered for 2-3 s.
  A worker grew by only ~8 MiB over its first 1000 requests, so replacements can be rare;
- ``GUNICORN_ACCESS_LOG`` (``-``: stdout; empty: no access log), ``GUNICORN_ERROR_LOG`` (``-``);
- ``GUNICORN_PRELOAD`` (0): 1 imports the app once in the master before forking (less memory,
  a replacement worker serves at once); each worker then drops the database connections it
  inherited. Code changes then need a full restart, not ``kill -HUP``.

The application is not preloaded by default: every worker builds its own app, engine and
connection pool, and nothing opened in the master is shared across a fork.
"""

from __future__ import annotations

import os
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _log(name: str) -> str | None:
    value = os.environ.get(name, "-").strip()
    return value or None


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", 4)
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 2)
preload_app = os.environ.get("GUNICORN_PRELOAD", "0") == "1"

accesslog = _log("GUNICORN_ACCESS_LOG")
errorlog = _log("GUNICORN_ERROR_LOG")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Client (or the address nginx forwarded), request line, status, size, seconds, pid.
access_log_format = ('%(h)s fwd=%({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(B)s '
                     '%(L)ss %(p)s')
proc_name = "procurement-panel"
# Worker heartbeats on tmpfs: a slow disk must not make the master kill healthy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn >= 25 opens a control socket at one fixed path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn): two instances on one machine (the panel and a benchmark) would fight over it.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") == ""
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


def post_fork(server: Any, worker: Any) -> None:
    """With a preloaded app, forget the master's database connections (never share a socket)."""
    if not preload_app:
        return
    from app.extensions import db

    application = server.app.wsgi()
    with application.app_context():
        db.engine.dispose(close=False)


def post_worker_init(worker: Any) -> None:
    """Say when a worker has built its app and serves (benchmarks wait for every worker)."""
    worker.log.info("Worker ready (pid: %s)", worker.pid)
