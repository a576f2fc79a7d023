"""消息中心 and SMS from the one place transitions are persisted (issue 15, item 14): the
applicant hears of 退回 (with the opinion), completion and the plan number, reviewers of a new
task; WORKFLOW_SMS decides which also go by SMS."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.services import plans
from app.services import workflow as flow
from app.services.definitions import task_step
from app.transaction import unit_of_work
from models import Notification, Operator, ProcurementPlan, SmsMessage, WorkflowTask
from tests.support.plans import act, operator
from tests.test_task_pages import small_plan
from workflow import Decision, Status


def inbox(app: Any, username: str) -> list[Notification]:
    with app.app_context():
        session = app.appbuilder.session
        person = session.scalar(select(Operator.id).where(Operator.username == username))
        found = list(session.scalars(select(Notification).where(
            Notification.recipient_id == person).order_by(Notification.id)))
        session.expunge_all()
        return found


def texts(app: Any, purpose: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(phone, body) for phone, body in app.appbuilder.session.execute(
            select(SmsMessage.phone, SmsMessage.body).where(SmsMessage.purpose == purpose)
            .order_by(SmsMessage.id))]


def phone_of(app: Any, username: str) -> str:
    with app.app_context():
        return app.appbuilder.session.scalar(
            select(Operator.phone).where(Operator.username == username))


def complete(app: Any, plan_id: int) -> None:
    """Approve every step of the plan's chain (no leader review) until it is completed."""
    with app.test_request_context():
        session = app.appbuilder.session
        for _ in range(10):
            instance = flow.instance_of(session, plans.RECORD, plan_id)
            assert instance is not None
            session.refresh(instance)
            if instance.status == Status.completed:
                return
            task = session.scalar(select(WorkflowTask).where(
                WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
            reviewer = session.scalar(select(Operator).where(
                Operator.unit_id == task.unit_id, Operator.post.has(code=task.post_code)))
            step = task_step(task)
            assert step is not None
            approve = next(a for a in step.actions if a.id == "approve")
            choices = {c.id: c.options[-1].value for c in approve.choices}
            with unit_of_work(session):
                flow.act_on_task(session, task.id, reviewer, Decision("approve", "同意", choices),
                                 task.version)
    raise AssertionError("the plan did not complete")


def test_a_reviewer_hears_of_a_new_task_and_opens_it(app: Flask, login_as: Any) -> None:
    plan_id = small_plan(app, "音乐教室钢琴采购", "18000.00")
    [message] = [m for m in inbox(app, "zz_sup_first") if "音乐教室钢琴采购" in m.title]
    assert message.kind == "new_task"
    assert message.title == "新待办：采购计划备案《音乐教室钢琴采购》（监管单位初审）"
    assert "郑州市第一中学" in message.body
    opened = login_as("zz_sup_first").get(f"/messages/{message.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/review")
    # By default reviewers get no SMS per task (their reminders come as a digest).
    assert not [t for t in texts(app, "new_task") if "音乐教室钢琴采购" in t[1]]
    assert plan_id


def test_a_return_tells_the_applicant_with_the_opinion_by_message_and_sms(
        app: Flask, login_as: Any) -> None:
    plan_id = small_plan(app, "舞蹈教室地板采购", "16000.00")
    act(app, "zz_sup_first", plan_id, "return", "请补充地板材质与环保标准")
    [message] = [m for m in inbox(app, "zz_clerk") if "舞蹈教室地板采购" in m.title]
    assert message.kind == "returned"
    assert message.title == "已退回：采购计划备案《舞蹈教室地板采购》被退回修改（监管单位初审）"
    assert message.body == "审批意见：请补充地板材质与环保标准"
    [(phone, text)] = [t for t in texts(app, "returned") if "舞蹈教室地板采购" in t[1]]
    assert phone == phone_of(app, "zz_clerk")
    assert text.startswith("【河南省政府采购网】郑州市经办人，已退回：")
    assert "请补充地板材质与环保标准" in text
    clerk = login_as("zz_clerk")
    assert "舞蹈教室地板采购" in clerk.get("/messages/").get_data(as_text=True)
    opened = clerk.get(f"/messages/{message.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/procurementplanview/show/{plan_id}")
    # Another person cannot open the clerk's message.
    assert login_as("zz_sup_first").get(f"/messages/{message.id}").status_code == 404


def test_completion_tells_the_applicant_the_plan_number(app: Any) -> None:
    plan_id = small_plan(app, "校园广播系统采购", "14000.00")
    complete(app, plan_id)
    with app.app_context():
        number = app.appbuilder.session.get(ProcurementPlan, plan_id).plan_number
    assert number
    [message] = [m for m in inbox(app, "zz_clerk") if "校园广播系统采购" in m.title]
    assert message.kind == "plan_number"
    assert message.title == (f"已完成：采购计划备案《校园广播系统采购》已审核通过，"
                             f"政府采购计划编号：{number}")
    [(_, text)] = [t for t in texts(app, "plan_number") if "校园广播系统采购" in t[1]]
    assert number in text


def test_completion_without_a_number_is_told_as_completed(app: Any) -> None:
    from tests.support.filings import submitted_filings

    [filing] = submitted_filings(app)
    with app.test_request_context():
        session = app.appbuilder.session
        reviewer = operator(session, "zz_internal")
        for _ in range(6):
            instance = flow.instance_of(session, "bid_change_filing", filing)
            assert instance is not None
            session.refresh(instance)
            if instance.status == Status.completed:
                break
            task = session.scalar(select(WorkflowTask).where(
                WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
            reviewer = session.scalar(select(Operator).where(
                Operator.unit_id == task.unit_id, Operator.post.has(code=task.post_code)))
            with unit_of_work(session):
                flow.act_on_task(session, task.id, reviewer, Decision("approve", "同意", {}),
                                 task.version)
    done = [m for m in inbox(app, "zz_clerk") if m.kind == "completed"
            and m.title.startswith("已完成：中标结果变更备案《")]
    assert len(done) == 1 and done[0].title.endswith("已审核通过")


@pytest.mark.parametrize("setting, returned_sms, task_sms", [
    ("", 0, 0), ("new_task", 0, 1), ("returned,new_task", 1, 1)])
def test_workflow_sms_setting_decides_what_goes_by_sms(
        app: Flask, monkeypatch: pytest.MonkeyPatch, setting: str, returned_sms: int,
        task_sms: int) -> None:
    monkeypatch.setitem(app.config, "WORKFLOW_SMS", setting)
    plan_id = small_plan(app, "网球场照明采购", "11000.00")
    act(app, "zz_sup_first", plan_id, "return", "请补充灯具参数")
    mine = [t for t in texts(app, "returned") if "网球场照明采购" in t[1]]
    new = [t for t in texts(app, "new_task") if "网球场照明采购" in t[1]]
    assert (len(mine), len(new)) == (returned_sms, task_sms)
    # The messages in 消息中心 do not depend on the setting.
    assert [m.kind for m in inbox(app, "zz_clerk") if "网球场照明采购" in m.title] == \
        ["returned"]
