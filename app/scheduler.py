"""The one scheduler: APScheduler 3 in its own process behind a lock; jobs only call services.

However many web processes run, exactly one scheduler may work: it holds a PostgreSQL advisory
lock (a file lock on SQLite) for as long as it lives. A second one waits on standby (or exits).
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import text

from app.extensions import db
from app.transaction import run_each, unit_of_work

log = logging.getLogger(__name__)
ADVISORY_KEY = 7_410_000_001  # arbitrary, fixed: identifies "the procurement scheduler"


class SchedulerLock(Protocol):
    """Held by the single active scheduler process."""

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""

    def release(self) -> None:
        """Give the lock back."""

    def held(self) -> bool:
        """Whether this process still holds the lock (checked before every job)."""


class PostgresLock:
    """A session-level advisory lock on a connection kept open for the process's life."""

    def __init__(self, app: Flask) -> None:
        self.app, self.connection = app, None

    def acquire(self) -> bool:
        with self.app.app_context():
            # Autocommit: a session idle in a transaction for days invites a timeout to end it.
            connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                   {"key": ADVISORY_KEY}).scalar()
        if taken:
            self.connection = connection
        else:
            connection.close()
        return bool(taken)

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                        {"key": ADVISORY_KEY})
                self.connection.close()
            except Exception:  # the session is gone, and the lock with it
                log.warning("调度锁所在的数据库连接已断开。")
            self.connection = None

    def held(self) -> bool:
        """A session-level lock lives as long as its session: check the session is alive."""
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True


class FileLock:
    """An exclusive ``flock`` on a file next to the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path, self.handle = path, None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None

    def held(self) -> bool:
        return self.handle is not None


def make_lock(app: Flask) -> SchedulerLock:
    """The advisory lock on PostgreSQL, a file lock otherwise."""
    with app.app_context():
        dialect = db.engine.dialect.name
        database = db.engine.url.database or "memory"
    if dialect == "postgresql":
        return PostgresLock(app)
    if database in ("memory", ":memory:"):
        return FileLock(Path(app.instance_path) / "scheduler-memory.lock")
    # Next to the database file: one lock per database, wherever the checkout is.
    return FileLock(Path(database).resolve().with_suffix(".scheduler.lock"))


def _reminders(session: Any) -> str:
    from app.services.reminders import run_reminders

    run = run_reminders(session)
    return f"提醒{run.reminded}项，超期{run.escalated}项，短信{run.sms}条"


def _sms(session: Any) -> str:
    from app.services.sms import deliver_sms

    return "短信发送{}条，失败{}条".format(*run_each(deliver_sms(session), session))


def _outbox(session: Any) -> str:
    from app.services.outbox import deliver_pending

    return "发件箱送达{}条，未送达{}条".format(*run_each(deliver_pending(session), session))


def _temporary_passwords(session: Any) -> str:
    from app.services.accounts import expire_temporary_passwords

    return f"过期临时密码{expire_temporary_passwords(session)}个"


def _pending_uploads(session: Any) -> str:
    from app.services.files import purge_pending
    from app.timezone import utcnow

    return f"清理未保存的附件{purge_pending(utcnow())}个"


def _digest(session: Any) -> str:
    from app.services.mall.payment import overdue_by_unit
    from app.services.reminders import overdue_digest

    return f"超期汇总消息{overdue_digest(session, extra=overdue_by_unit)}条"


def _mall_deadlines(session: Any) -> str:
    from app.services.mall.deadlines import run_deadlines
    from app.timezone import utcnow

    return run_deadlines(session, utcnow()).summary


# (job id, what it calls, APScheduler trigger and its arguments)
JOBS: tuple[tuple[str, Callable[[Any], str], str, dict[str, int]], ...] = (
    ("reminders", _reminders, "interval", {"minutes": 5}),
    ("sms", _sms, "interval", {"minutes": 1}),
    ("outbox", _outbox, "interval", {"minutes": 1}),
    ("temporary_passwords", _temporary_passwords, "interval", {"minutes": 10}),
    ("overdue_digest", _digest, "cron", {"hour": 8, "minute": 30}),
    ("pending_uploads", _pending_uploads, "interval", {"hours": 1}),
    ("mall_deadlines", _mall_deadlines, "interval", {"minutes": 5}),
)


def run_job(app: Flask, job_id: str) -> str:
    """Run one job in its own app context and unit of work; a failure is rolled back and
    logged, and the scheduler goes on."""
    call = next(call for name, call, *_ in JOBS if name == job_id)
    with app.app_context():
        try:
            with unit_of_work() as session:
                result = call(session)
        except Exception:
            log.exception("定时任务 %s 失败", job_id)
            return "失败"
        finally:
            db.session.remove()
    log.info("定时任务 %s：%s", job_id, result)
    return result


def build_scheduler(app: Flask, lock: SchedulerLock) -> BlockingScheduler:
    """A blocking scheduler in business time with every job; start it under the lock.

    Each job first checks the lock is still held; if not, the scheduler stops (the process
    exits non-zero) rather than run beside the one that took over.
    """
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")

    def guarded(job_id: str) -> None:
        if not lock.held():
            log.error("调度锁已丢失，调度进程停止，以免与接管的进程重复执行。")
            scheduler.lost_lock = True  # type: ignore[attr-defined]
            scheduler.shutdown(wait=False)
            return
        run_job(app, job_id)

    for job_id, _call, trigger, args in JOBS:
        scheduler.add_job(guarded, trigger, args=[job_id], id=job_id, coalesce=True,
                          max_instances=1, misfire_grace_time=300, **args)
    return scheduler
