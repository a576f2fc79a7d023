"""A reviewer whose task is closed between reading it and acting gets 该任务已被处理 (409).

Found by the load test (bench/load.py): a reviewer read the open task, the clerk's withdrawal
committed, and the act then read the withdrawn instance and answered 422 该记录不在审核中。
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.services import plans
from app.services import workflow as flow
from app.services.errors import Conflict
from app.transaction import unit_of_work
from models import ProcurementPlan, WorkflowTask
from tests.support.plans import act, filed_plan, operator
from workflow import Decision


def stale_task(app: Flask, plan_id: int) -> tuple[int, int]:
    with app.app_context():
        instance = flow.instance_of(db.session, plans.RECORD, plan_id)
        task = db.session.scalar(select(WorkflowTask).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
        return task.id, task.version


def history_count(app: Flask, plan_id: int) -> int:
    with app.app_context():
        instance = flow.instance_of(db.session, plans.RECORD, plan_id)
        return len(flow.history(db.session, instance))


@pytest.mark.parametrize("meanwhile", ["withdraw", "act"])
def test_task_closed_after_it_was_read_is_a_conflict(app: Flask, meanwhile: str) -> None:
    plan_id = filed_plan(app, "pds_clerk")
    task_id, version = stale_task(app, plan_id)
    with app.test_request_context():
        session = db.session()  # this request's own session, not the scoped proxy
        reviewer = operator(session, "pds_internal")
        # The reviewer's request has read the task (open), not yet its instance.
        task = session.get(WorkflowTask, task_id)
        assert task.status == "open"
        # Another request commits first (its own app context: its own session).
        with app.app_context(), app.test_request_context():
            assert db.session() is not session
            if meanwhile == "withdraw":
                other = db.session
                with unit_of_work(other):
                    flow.withdraw_record(other, plans.RECORD, other.get(ProcurementPlan, plan_id),
                                         operator(other, "pds_clerk"))
            else:
                act(app, "pds_internal", plan_id, action="return", opinion="补充材料")
        before = history_count(app, plan_id)
        with pytest.raises(Conflict, match="该任务已被处理"), unit_of_work(session):
            flow.act_on_task(session, task_id, reviewer,
                             Decision("return", "补充材料", {}), version)
    assert history_count(app, plan_id) == before
