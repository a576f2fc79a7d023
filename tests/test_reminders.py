"""Reminders and escalation on the working-day calendar, with the clock driven by the tests."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.services import bids
from app.services import workflow as flow
from app.services.reminders import business, overdue_digest, run_reminders, stored
from app.transaction import unit_of_work
from models import Notification, Operator, SmsMessage, WorkflowTask
from tests.support.filings import submitted_filings
from workflow import Decision


def shanghai(text: str) -> datetime:
    """A stored (naive UTC) time from a Shanghai wall-clock time."""
    return stored(datetime.fromisoformat(text))


# 2025-09-30 is the last working day before National Day (10-01…10-08 off); Saturday 10-11
# is a make-up working day.
SUBMITTED = "2025-09-30 16:00"


@pytest.fixture
def filed_on_holiday_eve(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Two 中标结果变更备案 submitted on 2025-09-30 16:00, waiting for zz_internal."""
    monkeypatch.setattr("app.services.workflow.utcnow", lambda: shanghai(SUBMITTED))
    return submitted_filings(app, 2)


def scan(app: Flask, at: str) -> Any:
    with app.app_context(), unit_of_work(app.appbuilder.session) as session:
        return run_reminders(session, shanghai(at))


def tasks(app: Flask) -> list[WorkflowTask]:
    with app.app_context():
        session = app.appbuilder.session
        found = list(session.scalars(select(WorkflowTask).where(WorkflowTask.status == "open")
                                     .order_by(WorkflowTask.id)))
        session.expunge_all()
        return found


def messages(app: Flask, username: str) -> list[str]:
    """The reminders and escalations (not the 新待办 of each submission) the person got."""
    with app.app_context():
        session = app.appbuilder.session
        person = session.scalar(select(Operator.id).where(Operator.username == username))
        return list(session.scalars(select(Notification.title).where(
            Notification.recipient_id == person, Notification.kind != "new_task")
            .order_by(Notification.id)))


def badge(page: Any) -> str | None:
    """The unread count on the navigation bar's 消息中心, if shown."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    found = re.search(r'id="unread-count"[^>]*>([^<]*)<', text)
    return found.group(1) if found else None


def sms_count(app: Flask) -> int:
    with app.app_context():
        return app.appbuilder.session.scalar(select(func.count(SmsMessage.id)).where(
            SmsMessage.purpose == "reminder"))


def test_schedule_follows_the_statutory_calendar(app: Flask,
                                                 filed_on_holiday_eve: list[int]) -> None:
    """2 working days after 09-30 is 10-10 (the holiday does not count); deadline 5 → 10-14."""
    task = tasks(app)[0]
    assert business(task.next_remind_on) == datetime(2025, 10, 10, 16, 0)
    assert business(task.due_on) == datetime(2025, 10, 14, 16, 0)


def test_reminded_on_the_right_working_day_once_per_person(
        app: Flask, filed_on_holiday_eve: list[int]) -> None:
    """Nothing before 10-10 16:00; then one notification per task and one SMS digest."""
    assert scan(app, "2025-10-10 15:59").reminded == 0
    run = scan(app, "2025-10-10 16:00")
    assert (run.reminded, run.escalated, run.sms) == (2, 0, 1)
    assert messages(app, "zz_internal") == [
        "待办提醒：中标结果变更备案（单位内部审核）已等待2个工作日"] * 2
    with app.app_context():
        text = app.appbuilder.session.scalar(select(SmsMessage.body).where(
            SmsMessage.purpose == "reminder"))
    assert "您有2项待办任务待处理：中标结果变更备案。" in text


def test_repeat_uses_the_make_up_saturday_then_escalates(
        app: Flask, filed_on_holiday_eve: list[int]) -> None:
    """Repeat every working day: 10-11 is a make-up Saturday; 10-12 is a Sunday; 超期 10-14."""
    scan(app, "2025-10-10 16:00")
    assert business(tasks(app)[0].next_remind_on) == datetime(2025, 10, 11, 16, 0)
    assert scan(app, "2025-10-11 16:00").reminded == 2
    assert business(tasks(app)[0].next_remind_on) == datetime(2025, 10, 13, 16, 0)
    assert scan(app, "2025-10-12 23:00").reminded == 0
    assert scan(app, "2025-10-13 16:00").reminded == 2
    run = scan(app, "2025-10-14 16:00")
    assert (run.reminded, run.escalated) == (0, 2)
    assert all(t.escalated_on is not None and t.remind_count == 4 for t in tasks(app))
    assert messages(app, "zz_internal")[-1] == "超期：中标结果变更备案（单位内部审核）已超过办理期限"


def test_a_restart_sends_nothing_twice(app: Flask, filed_on_holiday_eve: list[int]) -> None:
    """A second scan at the same moment (a restarted scheduler) finds nothing due."""
    scan(app, "2025-10-10 16:00")
    again = scan(app, "2025-10-10 16:00")
    assert (again.reminded, again.escalated, again.sms) == (0, 0, 0)
    assert len(messages(app, "zz_internal")) == 2 and sms_count(app) == 1


def test_downtime_skips_missed_reminders_instead_of_a_burst(
        app: Flask, filed_on_holiday_eve: list[int]) -> None:
    """After days without a scheduler, one scan escalates once and schedules ahead of now."""
    run = scan(app, "2025-10-20 09:00")
    assert (run.reminded, run.escalated) == (0, 2)
    assert all(t.next_remind_on > shanghai("2025-10-20 09:00") for t in tasks(app))
    assert scan(app, "2025-10-20 09:00").escalated == 0


def test_reminders_stop_when_the_record_moves_on(app: Flask,
                                                 filed_on_holiday_eve: list[int]) -> None:
    """An approved task and a withdrawn filing are never reminded again."""
    first = tasks(app)[0]
    with app.test_request_context():
        session = app.appbuilder.session
        reviewer = session.scalar(select(Operator).where(Operator.username == "zz_internal"))
        with unit_of_work(session):
            flow.act_on_task(session, first.id, reviewer, Decision("approve", "同意"),
                             first.version)
    assert scan(app, "2025-10-10 16:00").reminded == 1  # only the second filing's task
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = session.scalar(select(Operator).where(Operator.username == "zz_clerk"))
        record = session.get(bids.BidChangeFiling, filed_on_holiday_eve[1])
        with unit_of_work(session):
            flow.withdraw_record(session, bids.RECORD, record, clerk)
    before = len(messages(app, "zz_internal"))
    # 10-11: the supervision task the approval opened is due (3 working days); nothing else.
    assert scan(app, "2025-10-11 16:00").reminded == 1
    assert len(messages(app, "zz_internal")) == before
    assert messages(app, "zz_sup_first") == [
        "待办提醒：中标结果变更备案（监管部门初审）已等待3个工作日"]


def test_escalation_reaches_the_supervisor_post(app: Flask, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    """监管部门初审 overdue: the 复核 post of the same department hears of it too."""
    monkeypatch.setattr("app.services.workflow.utcnow", lambda: shanghai("2025-11-03 10:00"))
    [filing] = submitted_filings(app, 1)
    task = tasks(app)[0]
    with app.test_request_context():
        session = app.appbuilder.session
        reviewer = session.scalar(select(Operator).where(Operator.username == "zz_internal"))
        with unit_of_work(session):
            flow.act_on_task(session, task.id, reviewer, Decision("approve", "同意"),
                             task.version)
    assert filing
    supervision = tasks(app)[0]
    assert supervision.step == "supervision_first"
    run = scan(app, "2025-11-10 10:00")  # 5 working days later
    assert run.escalated == 1
    title = "超期：中标结果变更备案（监管部门初审）已超过办理期限"
    assert messages(app, "zz_sup_first")[-1] == title
    assert messages(app, "zz_sup_review")[-1] == title


def test_daily_overdue_digest_once_per_department(app: Flask,
                                                  filed_on_holiday_eve: list[int]) -> None:
    """The 郑州 supervision department gets one 超期待办汇总 per day, nobody else."""
    scan(app, "2025-10-14 16:00")
    with app.app_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            written = overdue_digest(session, shanghai("2025-10-15 08:30"))
        with unit_of_work(session):
            again = overdue_digest(session, shanghai("2025-10-15 18:00"))
    assert written == 2 and again == 0  # zz_sup_first and zz_sup_review
    assert messages(app, "zz_sup_review")[-1] == "超期待办汇总：本区划共2项待办已超期"
    assert messages(app, "sj_sup_review") == []


def test_todo_list_shows_age_deadline_and_overdue(app: Flask, login_as: Any,
                                                  filed_on_holiday_eve: list[int]) -> None:
    """待办任务: 已等待 N个工作日, 办理期限 and a red 超期 row once escalated."""
    scan(app, "2025-10-14 16:00")
    page = login_as("zz_internal").get("/tasks/").get_data(as_text=True)
    assert "已等待" in page and "办理期限" in page and "2025-10-14 16:00" in page
    assert page.count('class="danger overdue"') == 2 and "超期</span>" in page


def test_message_center_badge_and_reading(app: Flask, login_as: Any,
                                          filed_on_holiday_eve: list[int]) -> None:
    """The navigation bar counts unread messages; opening one marks it read; 全部标为已读."""
    web = login_as("zz_internal")
    web.submit("/messages/", {}, post_path="/messages/read-all")  # the 新待办 of the filings
    scan(app, "2025-10-10 16:00")
    assert badge(web.get("/")) == "2"
    with app.app_context():
        session = app.appbuilder.session
        person = session.scalar(select(Operator.id).where(Operator.username == "zz_internal"))
        first = session.scalar(select(Notification.id).where(
            Notification.recipient_id == person, Notification.read_on.is_(None))
            .order_by(Notification.id))
    opened = web.get(f"/messages/{first}")
    assert opened.status_code == 302 and "/tasks/" in opened.headers["Location"]
    assert badge(web.get("/")) == "1"
    assert login_as("zz_clerk").get(f"/messages/{first}").status_code == 404
    listing = web.get("/messages/").get_data(as_text=True)
    assert "待办提醒：中标结果变更备案" in listing and "未读" in listing
    web.submit("/messages/", {}, post_path="/messages/read-all")
    assert badge(web.get("/")) is None
    assert app.test_client().get("/messages/").status_code == 401


def test_badge_stops_counting_at_99_plus(app: Flask, login_as: Any) -> None:
    """A reviewer with hundreds of unread reminders sees 99+, counted no further."""
    with app.app_context():
        session = app.appbuilder.session
        person = session.scalar(select(Operator.id).where(Operator.username == "zz_internal"))
        session.add_all(Notification(recipient_id=person, kind="reminder", title=f"提醒{n}")
                        for n in range(120))
        session.commit()
    page = login_as("zz_internal").get("/").get_data(as_text=True)
    assert badge(page) == "99+"
