"""gunicorn with the production settings (``app/gunicorn_conf.py``) as a subprocess.

Usage::

    from bench.server import serve

    with serve("postgresql+psycopg://postgres@127.0.0.1:5432/procurement_bench", workers=4) as s:
        print(s.base_url, s.worker_pids(), s.max_worker_rss_mb(), s.log_path)

The database must be migrated and set up already (``flask db upgrade``, ``flask setup``).
Only the web server runs here: start a ``flask scheduler`` process yourself when it matters.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Benchmarks and the test suite sign in many times from 127.0.0.1: the login limits must not
# refuse them (tests of the limits lower them again).
RELAXED_LIMITS = {key: "100000 per minute" for key in (
    "LOGIN_RATE_LIMIT", "RECOVERY_RATE_LIMIT", "RECOVERY_PHONE_RATE_LIMIT",
    "REGISTRATION_RATE_LIMIT", "REGISTRATION_NOTICE_RATE_LIMIT")}
READY = re.compile(r"Worker ready \(pid: (\d+)\)")


class ServerFailed(RuntimeError):
    """gunicorn exited or did not answer in time; the message ends with its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid ...": comm may contain spaces and parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (VmRSS), 0.0 when it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Served:
    """A running gunicorn: where it answers, its processes and its log."""

    base_url: str
    """``http://127.0.0.1:<port>`` (no trailing slash)."""
    port: int
    master_pid: int
    log_path: Path
    """gunicorn's error and access log (stdout and stderr); kept after the server stops."""
    workers: int
    """The number of workers asked for."""

    def worker_pids(self) -> list[int]:
        """The pids of the current workers (they change when one is recycled)."""
        return _children(self.master_pid)

    def max_worker_rss_mb(self) -> float:
        """The largest resident memory (VmRSS, MiB) over the current workers."""
        return max((rss_mb(pid) for pid in self.worker_pids()), default=0.0)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the log, for error messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/login/")
        return conn.getresponse().status < 500
    except OSError:
        return False
    finally:
        conn.close()


def _wait_ready(served: Served, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Until every worker has built its app and the server answers a request."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"gunicorn exited with {process.returncode}:\n{served.log_tail()}")
        alive = set(served.worker_pids())
        ready = {int(pid) for pid in READY.findall(
            served.log_path.read_text(encoding="utf-8", errors="replace"))}
        if len(alive) >= served.workers and alive <= ready and _answers(served.port):
            return
        time.sleep(0.2)
    raise ServerFailed(f"gunicorn did not become ready in {timeout:.0f} s:\n{served.log_tail()}")


def _stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM to the master (graceful), then SIGKILL to the whole process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:  # workers left behind by a master that died or hung
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@contextmanager
def serve(database_url: str, workers: int = 2,
          extra_env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run gunicorn (``-c python:app.gunicorn_conf wsgi:app``) on a free 127.0.0.1 port.

    Yields once every worker has loaded the app and a request was answered; at exit stops the
    master and its workers (SIGTERM, then SIGKILL after 30 s).

    The environment is the caller's plus: ``DATABASE_URL``, ``HOST``/``PORT``,
    ``WEB_CONCURRENCY=workers``, login/recovery limits relaxed to 100000 per minute, a random
    ``SECRET_KEY`` and a temporary ``UPLOAD_FOLDER`` unless set; ``extra_env`` wins over all of
    these (e.g. ``{"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}`` or
    ``{"GUNICORN_MAX_REQUESTS": "0"}`` to keep workers from being recycled during a run).

    :param database_url: SQLAlchemy URL of a migrated, set-up database
    :param workers: gunicorn worker processes
    :param extra_env: environment variables that override the defaults above
    :raises ServerFailed: when gunicorn exits or is not ready within 120 s
    """
    port = free_port()
    uploads = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    fd, log_name = tempfile.mkstemp(prefix=f"bench-gunicorn-{port}-", suffix=".log")
    os.close(fd)
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(uploads),
        **RELAXED_LIMITS,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        **(extra_env or {}),
    }
    served = Served(base_url=f"http://127.0.0.1:{port}", port=port, master_pid=0,
                    log_path=Path(log_name), workers=workers)
    with open(log_name, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    served.master_pid = process.pid
    try:
        _wait_ready(served, process, timeout=120)
        yield served
    finally:
        _stop(process, grace=30)
        shutil.rmtree(uploads, ignore_errors=True)
