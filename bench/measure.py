"""The measures of ``make bench``: real HTTP requests to gunicorn, plus the reminder scan.

Each measure is timed ``repeats`` times after a warm-up; the figures are wall times of single
requests on one keep-alive connection, so they include gunicorn, Flask, FAB and the database.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.demo_flows import DEMO_PASSWORD
from app.extensions import db
from app.services.reminders import run_reminders
from app.timezone import utcnow
from app.transaction import unit_of_work
from bench.client import ApiSession, Reply, WebSession
from bench.dataset import HOT_REVIEWER, hot_units, open_tasks_of
from bench.server import Served
from models import Operator, ProcurementPlan, WorkflowTask

WARM_UP = 3
SCAN_TASKS = 100  # tasks made due before each timed reminder scan
MEASURES = {  # key → label in the table
    "todo_page": "待办任务 page (/tasks/)",
    "todo_api": "GET /api/v1/tasks/",
    "plan_query": "计划查询 first page, filter 状态=已完成",
    "review_page": "review page (/tasks/<id>/review)",
    "approve": "approve, end to end (POST review)",
    "record_show": "plain record show (plan show page)",
    "reminder_scan": f"reminder scan ({SCAN_TASKS} due tasks)",
    "spending_list": "用款计划 list with derived amounts",
}


class Unexpected(RuntimeError):
    """A measured request did not answer as it should; the benchmark stops."""


@dataclass
class Phase:
    """The timings of one dataset size."""

    name: str
    counts: dict[str, object]
    samples: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: float = 0.0

    def p(self, key: str, q: int) -> float:
        """The ``q``-th percentile of a measure, in milliseconds."""
        values = sorted(self.samples[key])
        if len(values) == 1:
            return values[0] * 1000
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def _expect(reply: Reply, status: int, what: str) -> Reply:
    if reply.status != status:
        raise Unexpected(f"{what}: status {reply.status}, expected {status}: "
                         f"{reply.text[:300]}")
    return reply


def _timed(samples: list[float], repeats: int, call: Callable[[int], Reply | float]) -> None:
    for n in range(WARM_UP + repeats):
        result = call(n)
        seconds = result.seconds if isinstance(result, Reply) else result
        if n >= WARM_UP:
            samples.append(seconds)


def _hot_tasks(session: Session, count: int) -> list[tuple[int, int]]:
    reviewer = session.scalars(select(Operator).where(Operator.username == HOT_REVIEWER)).one()
    return list(session.execute(
        select(WorkflowTask.id, WorkflowTask.version)
        .where(WorkflowTask.status == "open", WorkflowTask.post_code == reviewer.post_code,
               WorkflowTask.unit_id == reviewer.unit_id)
        .order_by(WorkflowTask.created_on.desc()).limit(count)).all())


def _clerk(session: Session) -> tuple[str, int, int]:
    """The clerk of the first hot unit, a completed plan of theirs and its unit."""
    unit = hot_units(session)[0]
    clerk = session.scalars(select(Operator.username).where(Operator.unit_id == unit.id)).first()
    plan = session.scalar(select(ProcurementPlan.id).where(
        ProcurementPlan.unit_id == unit.id, ProcurementPlan.status == "completed")
        .order_by(ProcurementPlan.id))
    return clerk, plan, unit.id


def reminder_scan(app: Flask, repeats: int) -> list[float]:
    """Time the scan with ``SCAN_TASKS`` open tasks made due before each run."""
    samples: list[float] = []
    with app.app_context():
        session = db.session
        tasks = [task_id for task_id, _ in _hot_tasks(session, SCAN_TASKS)]

        def scan(n: int) -> float:
            now = utcnow() + timedelta(minutes=n)
            session.execute(update(WorkflowTask).where(WorkflowTask.id.in_(tasks))
                            .values(next_remind_on=now - timedelta(minutes=1)))
            session.commit()
            started = time.perf_counter()
            with unit_of_work(session):  # the scheduler's job commits the scan as one unit
                run = run_reminders(session, now)
            seconds = time.perf_counter() - started
            if run.reminded + run.escalated < len(tasks):
                raise Unexpected(f"reminder scan handled {run} of {len(tasks)} due tasks")
            return seconds

        _timed(samples, repeats, scan)
    return samples


def _check_approved(app: Flask, task_ids: list[int]) -> None:
    # A refused approval redirects to the list too: the tasks themselves must say done.
    with app.app_context():
        done = db.session.scalars(select(WorkflowTask.status).where(
            WorkflowTask.id.in_(task_ids))).all()
        db.session.remove()
    if done.count("done") != len(task_ids):
        raise Unexpected(f"only {done.count('done')} of {len(task_ids)} approvals were applied")


def measure(app: Flask, served: Served, phase: Phase, repeats: int) -> Phase:
    """Run every measure against ``served`` (the same database as ``app``)."""
    with app.app_context():
        session = db.session
        clerk_name, plan_id, _ = _clerk(session)
        approvals = _hot_tasks(session, WARM_UP + repeats)
        review_task = _hot_tasks(session, WARM_UP + repeats + 1)[-1][0]
        phase.counts["hot_open_tasks"] = open_tasks_of(session, HOT_REVIEWER)
        session.remove()
    if len(approvals) < WARM_UP + repeats:
        raise Unexpected(f"{HOT_REVIEWER} has only {len(approvals)} open tasks")
    reviewer, api, clerk = (WebSession(served.base_url), ApiSession(served.base_url),
                            WebSession(served.base_url))
    reviewer.login(HOT_REVIEWER, DEMO_PASSWORD)
    api.login(HOT_REVIEWER, DEMO_PASSWORD)
    clerk.login(clerk_name, DEMO_PASSWORD)
    s = phase.samples
    gets = {
        "todo_page": (reviewer, "/tasks/"),
        "todo_api": (api, "/api/v1/tasks/"),
        "plan_query": (clerk, "/planqueryview/list/?" + urlencode({"_flt_0_status": "已完成"})),
        "review_page": (reviewer, f"/tasks/{review_task}/review"),
        "record_show": (clerk, f"/procurementplanview/show/{plan_id}"),
        "spending_list": (clerk, "/spendingplanview/list/"),
    }
    for key, (who, path) in gets.items():
        s[key] = []
        _timed(s[key], repeats, lambda n, who=who, path=path, key=key: _expect(
            who.get(path), 200, key))
    reviewer.csrf(f"/tasks/{review_task}/review")
    s["approve"] = []
    _timed(s["approve"], repeats, lambda n: _expect(reviewer.post_form(
        f"/tasks/{approvals[n][0]}/review",
        {"action": "approve", "opinion": "同意", "version": approvals[n][1]}), 302, "approve"))
    _check_approved(app, [task_id for task_id, _ in approvals])
    s["reminder_scan"] = reminder_scan(app, repeats)
    phase.rss_mb = served.max_worker_rss_mb()
    for session_ in (reviewer, api, clerk):
        session_.close()
    return phase
