"""`flask scheduler`: every job once, one process under the lock, a failing job does not stop it."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.scheduler import JOBS, FileLock, PostgresLock, make_lock, run_job
from app.services.notifications import task_target
from app.timezone import utcnow
from models import Notification, Operator, SmsMessage, WorkflowTask
from tests.support.filings import submitted_filings

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).parent / "flask"
ACQUIRED = "已获得调度锁，调度进程开始运行。"
EXITING = "另一个调度进程正在运行，本进程退出。"
STANDING_BY = "另一个调度进程正在运行，本进程待命。"
STARTUP = 90.0  # seconds a `flask` process may take to build the app and print its first line


@pytest.fixture
def private_instance(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SQLite file lock in this test's own folder, away from other runs of the suite."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


def reminder_due_now(app: Flask) -> int:
    """One 中标结果变更备案 waiting for zz_internal whose first reminder is already due."""
    submitted_filings(app, 1)
    with app.app_context():
        session = db.session
        task = session.scalar(select(WorkflowTask).where(WorkflowTask.status == "open")
                              .order_by(WorkflowTask.id.desc()))
        task.next_remind_on = utcnow() - timedelta(minutes=1)
        session.commit()
        return task.id


def notifications(app: Flask, username: str) -> list[tuple[str, str]]:
    """(title, link) of the person's reminders (not the 新待办 of submissions), oldest first."""
    with app.app_context():
        session = db.session
        person = session.scalar(select(Operator.id).where(Operator.username == username))
        return [tuple(row) for row in session.execute(
            select(Notification.title, Notification.link)
            .where(Notification.recipient_id == person, Notification.kind != "new_task")
            .order_by(Notification.id))]


def test_once_runs_every_job_and_reminds_the_due_task(app: Flask,
                                                      private_instance: Path) -> None:
    """`flask scheduler --once` takes the lock, prints one line per job and sends the reminder."""
    task_id = reminder_due_now(app)
    assert notifications(app, "zz_internal") == []
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        ACQUIRED,
        "reminders：提醒1项，超期0项，短信1条",
        "sms：短信发送0条，失败0条",  # no gateway: the digest SMS is kept in 短信记录
        "outbox：发件箱送达0条，未送达0条",
        "temporary_passwords：过期临时密码0个",
        "overdue_digest：超期汇总消息0条",
        "pending_uploads：清理未保存的附件0个",
        "mall_deadlines：确认超时订单0个，付款提醒0条，默认评价0个，闲置下架0个",
    ]
    assert [job for job, *_ in JOBS] == [
        "reminders", "sms", "outbox", "temporary_passwords", "overdue_digest", "pending_uploads",
        "mall_deadlines"]
    assert notifications(app, "zz_internal") == [
        ("待办提醒：中标结果变更备案（单位内部审核）已等待0个工作日", task_target(task_id))]
    with app.app_context():
        task = db.session.get(WorkflowTask, task_id)
        assert task.remind_count == 1 and task.next_remind_on > utcnow()
        sms = db.session.scalars(select(SmsMessage).where(SmsMessage.purpose == "reminder")).all()
        assert [(m.status, "您有1项待办任务待处理：中标结果变更备案。" in m.body) for m in sms] == [
            ("kept", True)]
    again = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert "reminders：提醒0项，超期0项，短信0条" in again.output.splitlines()
    assert len(notifications(app, "zz_internal")) == 1


class Process:
    """A `flask scheduler` subprocess whose output lines are read by a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [str(FLASK), "scheduler", *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.popen.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, wanted: str, timeout: float) -> None:
        """Read lines until one contains ``wanted``; fail after ``timeout`` seconds or at EOF."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"process ended without {wanted!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if wanted in line:
                return
        pytest.fail(f"no {wanted!r} within {timeout}s:\n" + "\n".join(self.lines))

    def said(self, wanted: str) -> bool:
        return any(wanted in line for line in self.lines)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=15)


def test_one_scheduler_process_on_postgresql(app: Flask, database: Any, tmp_path: Path) -> None:
    """A holds the advisory lock; B exits, C stands by and takes over once A is terminated."""
    if database.backend != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": database.url,
           "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "scheduler-test-" + "s" * 40}
    started: list[Process] = []
    try:
        first = Process([], env)
        started.append(first)
        first.wait_for(ACQUIRED, STARTUP)

        second = subprocess.run([str(FLASK), "scheduler", "--exit-if-locked"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=STARTUP,
                                check=False)
        assert second.returncode == 0, second.stdout + second.stderr
        assert EXITING in second.stdout and ACQUIRED not in second.stdout, second.stdout

        standby = Process(["--standby-seconds", "1"], env)
        started.append(standby)
        standby.wait_for(STANDING_BY, STARTUP)
        standby.wait_for(STANDING_BY, 10)  # it tried again a second later, A still holds it
        assert not standby.said(ACQUIRED) and first.popen.poll() is None

        first.popen.send_signal(signal.SIGTERM)
        assert first.popen.wait(timeout=30) == 0
        standby.wait_for(ACQUIRED, 15)
        assert standby.popen.poll() is None  # and it goes on as the scheduler
    finally:
        for process in started:
            process.stop()


def test_lock_excludes_a_second_holder_in_process(app: Flask, database: Any,
                                                  private_instance: Path) -> None:
    """Only one lock holder at a time (file lock on SQLite); after release the next one gets it."""
    first = make_lock(app)
    if database.backend == "sqlite":
        assert isinstance(first, FileLock)
        assert first.path == Path(database.path).resolve().with_suffix(".scheduler.lock")
    else:
        assert isinstance(first, PostgresLock)
    second = third = None
    try:
        assert first.acquire() is True
        second = make_lock(app)
        assert second.acquire() is False
        assert second.acquire() is False  # a failed attempt leaves nothing held
        first.release()
        third = make_lock(app)
        assert third.acquire() is True
        assert make_lock(app).acquire() is False
    finally:
        for lock in (first, second, third):
            if lock is not None:
                lock.release()


class Records(logging.Handler):
    """Keeps what a logger emits."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_failing_job_is_logged_and_the_session_stays_usable(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job that fails half-way is rolled back, logged and reported as 失败; the next run works."""
    reminder_due_now(app)
    with app.app_context():
        before = db.session.scalar(select(func.count(Notification.id)))
        someone = db.session.scalar(select(Operator.id).where(Operator.username == "zz_internal"))

    def broken(session: Any, now: Any = None) -> None:
        session.add(Notification(recipient_id=someone, kind="reminder", title="写了一半",
                                 link="", body=""))
        session.flush()
        session.execute(text("SELECT no_such_column FROM notification"))  # aborts the txn

    monkeypatch.setattr("app.services.reminders.run_reminders", broken)
    logged = Records()
    logging.getLogger("app.scheduler").addHandler(logged)
    try:
        assert run_job(app, "reminders") == "失败"
    finally:
        logging.getLogger("app.scheduler").removeHandler(logged)
    [record] = logged.records
    assert record.getMessage() == "定时任务 reminders 失败"
    assert record.exc_info and issubclass(record.exc_info[0], DBAPIError)  # with its traceback
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id))) == before

    monkeypatch.undo()
    assert run_job(app, "reminders") == "提醒1项，超期0项，短信1条"
    assert run_job(app, "sms") == "短信发送0条，失败0条"
    assert [title for title, _ in notifications(app, "zz_internal")] == [
        "待办提醒：中标结果变更备案（单位内部审核）已等待0个工作日"]


def test_file_lock_belongs_to_its_own_database(app: Flask, database: Any,
                                               tmp_path: Path) -> None:
    """A scheduler of another SQLite database that has the same file name is not locked out."""
    if database.backend != "sqlite":
        pytest.skip("the file lock is SQLite's")
    other = tmp_path / "other" / Path(database.path).name
    other.parent.mkdir()
    shutil.copyfile(database.template, other)
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": f"sqlite:///{other}",
           "INSTANCE_DIR": str(tmp_path / "instance"), "SECRET_KEY": "scheduler-test-" + "s" * 40}
    held = make_lock(app)
    assert held.acquire() is True
    try:
        result = subprocess.run([str(FLASK), "scheduler", "--once", "--exit-if-locked"],
                                cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=STARTUP, check=False)
    finally:
        held.release()
    assert result.returncode == 0, result.stdout + result.stderr
    assert ACQUIRED in result.stdout and EXITING not in result.stdout, result.stdout


def test_a_lost_postgres_session_means_a_lost_lock(app: Flask, database: Any) -> None:
    """When the lock's session is cut, held() says so and a standby can take over."""
    if database.backend != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    lock = make_lock(app)
    assert lock.acquire() is True and lock.held() is True
    with app.app_context():
        pid = lock.connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert lock.held() is False
    standby = make_lock(app)
    try:
        assert standby.acquire() is True
    finally:
        standby.release()
        lock.release()
