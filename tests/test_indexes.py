"""On PostgreSQL the hot queries use their indexes: EXPLAIN on a seeded table, no seq scan.

The to-do list (count and page), 已办任务, the reminder scan and the plan-number allocation
are read from the statements the services really send, captured at the cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from app.extensions import db
from app.services import workflow as flow
from app.services.base import paginate
from app.services.plan_numbers import next_number
from app.services.reminders import due_tasks
from app.timezone import utcnow
from models import Operator, Region, WorkflowTask
from tests.support.filings import submitted_filings

pytestmark = pytest.mark.postgres_only
TASK_ROWS = 40_000


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("EXPLAIN plans are checked on PostgreSQL")


@contextmanager
def captured(session: Any) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def scans(session: Any, statement: str, parameters: Any) -> list[tuple[str, str, str]]:
    """(node type, table, index) of every scan in the plan of ``statement``."""
    plan = session.connection().exec_driver_sql(
        "EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    found: list[tuple[str, str, str]] = []

    def walk(node: dict[str, Any]) -> None:
        if "Scan" in node["Node Type"]:
            found.append((node["Node Type"], node.get("Relation Name", ""),
                          node.get("Index Name", "")))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def seed_tasks(session: Any) -> None:
    """A province-like task table: one open task in ten, spread over units and posts."""
    instance_id = session.scalar(select(WorkflowTask.instance_id))
    session.execute(text("""
        INSERT INTO workflow_task (instance_id, step, step_label, post_code, unit_id, status,
                                   version, created_on, acted_on, actor_id, next_remind_on,
                                   remind_count)
        SELECT :instance, 'internal_review', '单位内部审核',
               (ARRAY['internal_reviewer', 'competent_reviewer', 'division_first',
                      'division_review', 'supervision_first'])[1 + g % 5],
               units.ids[1 + g % array_length(units.ids, 1)],
               CASE WHEN g % 10 = 0 THEN 'open' ELSE 'done' END, 1,
               now() - make_interval(mins => g), now() - make_interval(mins => g / 2),
               people.ids[1 + g % array_length(people.ids, 1)],
               now() + make_interval(hours => g % 500), 0
        FROM generate_series(1, :rows) AS g, (SELECT array_agg(id) AS ids FROM unit) AS units,
             (SELECT array_agg(id) AS ids FROM ab_user) AS people
    """), {"instance": instance_id, "rows": TASK_ROWS})
    regions = list(session.scalars(select(Region.id)))
    session.execute(text("""
        INSERT INTO plan_number_sequence (region_id, method_short, year, last_value)
        SELECT r, m, y, 10 FROM unnest(CAST(:regions AS integer[])) AS r,
               unnest(ARRAY['招标', '邀标', '谈判', '磋商', '询价', '单一来源', '商城', '协议',
                            '框架']) AS m, generate_series(1900, 2025) AS y
        ON CONFLICT DO NOTHING
    """), {"regions": regions})
    session.commit()
    session.execute(text("ANALYZE workflow_task"))
    session.execute(text("ANALYZE plan_number_sequence"))


def assert_indexed(session: Any, statements: list[tuple[str, Any]], table: str,
                   index: str) -> None:
    relevant = [s for s in statements if table in s[0] and not s[0].startswith("INSERT")]
    assert relevant, f"no statement on {table} was captured"
    for statement, parameters in relevant:
        plan = scans(session, statement, parameters)
        on_table = [scan for scan in plan if scan[1] == table]
        assert on_table, (statement, plan)
        assert all(kind != "Seq Scan" for kind, _, _ in on_table), (statement, plan)
        assert any(name == index for _, _, name in plan), (statement, plan)


def test_task_queries_use_their_partial_indexes(app: Flask) -> None:
    submitted_filings(app, 3)
    with app.test_request_context():
        session = db.session
        seed_tasks(session)
        reviewer = session.scalar(select(Operator).where(Operator.username == "zz_internal"))
        with captured(session) as todo:
            page = paginate(session, flow.open_tasks(session, reviewer), 1, 50)
        assert page.total >= 3
        assert_indexed(session, todo, "workflow_task", "ix_workflow_task_todo")
        with captured(session) as done:
            paginate(session, flow.done_tasks(session, session.scalar(
                select(Operator).where(Operator.username == "admin"))), 1, 50)
        assert_indexed(session, done, "workflow_task", "ix_workflow_task_done")
        with captured(session) as reminders:
            list(session.scalars(due_tasks(utcnow(), 500)))
        assert_indexed(session, reminders, "workflow_task", "ix_workflow_task_remind")


def test_plan_number_allocation_uses_the_sequence_key(app: Flask) -> None:
    with app.test_request_context():
        session = db.session
        submitted_filings(app, 1)
        seed_tasks(session)
        region = session.scalar(select(Region.id).where(Region.code == "pds"))
        with captured(session) as allocation:
            next_number(session, region, "招标", 2026)
        session.rollback()
        updates = [s for s in allocation if s[0].startswith("UPDATE")]
        assert len(updates) == 1
        assert_indexed(session, updates, "plan_number_sequence", "plan_number_sequence_pkey")
