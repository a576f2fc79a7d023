"""The persistence adapter (``app.services.workflow``): how the interpreter's refusals reach people.

A condition that cannot be evaluated is a refusal like any other: the reviewer gets a Chinese
422 and nothing changes, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from models import WorkflowInstance, WorkflowTask
from tests.test_workflow_api import make_filing

FILINGS = "/api/v1/bid_change_filing"
TASKS = "/api/v1/tasks/"


def pin_a_condition_on_a_field_the_record_lacks(app: Flask, filing_id: int) -> None:
    """Rewrite the definition the instance is pinned to, as if an older file had named ``gone``.

    Start-up checks today's file only; a pinned version may name a field since removed.
    """
    from app.extensions import db

    with app.app_context():
        instance = db.session.scalar(select(WorkflowInstance).where(
            WorkflowInstance.record_type == "bid_change_filing",
            WorkflowInstance.record_id == filing_id))
        content = json.loads(instance.definition.content)
        content["steps"][1]["when"] = {"field": "gone", "op": "truthy", "value": None}
        instance.definition.content = json.dumps(content, ensure_ascii=False)
        db.session.commit()


def open_tasks(app: Flask, filing_id: int) -> list[tuple[str, str]]:
    from app.extensions import db

    with app.app_context():
        return [(t.step, t.status) for t in db.session.scalars(
            select(WorkflowTask).join(WorkflowTask.instance)
            .where(WorkflowInstance.record_id == filing_id,
                   WorkflowInstance.record_type == "bid_change_filing")
            .order_by(WorkflowTask.id))]


def test_a_condition_error_is_a_chinese_422_and_changes_nothing(
    app: Flask, api_token: Callable[[str], dict[str, str]]
) -> None:
    client = app.test_client()
    clerk, reviewer = api_token("zz_clerk"), api_token("zz_internal")
    filing_id = make_filing(app)
    submitted = client.post(f"{FILINGS}/{filing_id}/submit", headers=clerk)
    assert submitted.status_code == 200, submitted.get_json()
    pin_a_condition_on_a_field_the_record_lacks(app, filing_id)

    [task] = client.get(TASKS, headers=reviewer).get_json()["result"]
    response = client.post(f"{TASKS}{task['id']}/act", headers=reviewer,
                           json={"action": "approve", "version": task["version"], "opinion": ""})

    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == "记录没有字段“gone”"
    assert open_tasks(app, filing_id) == [("internal_review", "open")]
