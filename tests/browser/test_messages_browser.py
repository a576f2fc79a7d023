"""消息中心 in a real Chromium: the unread badge, opening a reminder, 全部标为已读, 待办任务."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Flask
from sqlalchemy import delete, select

from app.extensions import db
from app.services.notifications import task_of
from app.services.reminders import age_in_working_days, business, run_reminders
from app.timezone import utcnow
from app.transaction import unit_of_work
from models import Notification, WorkflowTask
from tests.browser.conftest import open_menu, sign_in
from tests.support.filings import submitted_filings

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = pytest.importorskip("playwright.sync_api").expect

# Scanned at the first reminder time: 2 working days after the filings were submitted.
REMINDER = "待办提醒：中标结果变更备案（单位内部审核）已等待2个工作日"


def badge(page: Page, count: int | None) -> None:
    """The 消息中心 link in the navigation bar shows ``count`` unread (None: no badge)."""
    unread = page.locator("#message-center #unread-count")
    if count is None:
        expect(unread).to_have_count(0)
    else:
        expect(unread).to_have_text(str(count))


@pytest.fixture
def reminded(app: Flask) -> list[int]:
    """Two filings waiting for zz_internal, reminded by a scan at their first reminder time."""
    submitted_filings(app, 2)
    with app.app_context():
        session = db.session
        tasks = list(session.scalars(select(WorkflowTask).where(WorkflowTask.status == "open")
                                     .order_by(WorkflowTask.id)))
        assert len(tasks) == 2 and all(task.next_remind_on for task in tasks)
        with unit_of_work(session):  # as the scheduler's job: the browser's server reads it
            # This test is about reminders: not the 新待办 each submission wrote.
            session.execute(delete(Notification).where(Notification.kind == "new_task"))
            run = run_reminders(session, max(task.next_remind_on for task in tasks))
        assert (run.reminded, run.escalated) == (2, 0)
        return [task.id for task in tasks]


def test_message_center_badge_reading_and_todo(app: Flask, page: Page,
                                               reminded: list[int]) -> None:
    """Badge 2 → open one (its review page) → 1 → 全部标为已读 → none; 待办任务 shows age and deadline."""
    sign_in(page, "zz_internal")
    badge(page, 2)

    page.click("#message-center")
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_have_text("消息中心")
    rows = page.locator("#message-table tbody tr")
    expect(rows).to_have_count(2)
    for n in range(2):
        expect(rows.nth(n).locator("td").nth(1)).to_have_text(REMINDER)
        expect(rows.nth(n).locator("td").last).to_have_text("未读")

    newest = rows.first
    message_id = int(newest.get_attribute("data-message"))
    with app.app_context():
        target = db.session.get(Notification, message_id).link
    # The message names its task; opening it goes to that task's review page.
    assert task_of(target) in reminded, target
    link = f"/tasks/{task_of(target)}/review"
    newest.locator("a", has_text=REMINDER).click()
    page.wait_for_load_state()
    assert page.url.endswith(link), page.url
    expect(page.locator(".panel-title").first).to_have_text(
        "进入审批：中标结果变更备案 — 单位内部审核")
    badge(page, 1)

    page.click("#message-center")
    page.wait_for_load_state()
    badge(page, 1)
    read = page.locator(f"#message-table tr[data-message='{message_id}']")
    expect(read.locator("td").last).to_have_text("已读")
    expect(page.locator("#message-table tbody tr td:last-child", has_text="未读")).to_have_count(1)
    page.screenshot(path="test-results/message_center.png", full_page=True)

    page.click("#read-all:has-text('全部标为已读')")
    page.wait_for_load_state()
    badge(page, None)
    expect(page.locator("#message-table tbody tr td:last-child", has_text="已读")).to_have_count(2)

    open_menu(page, "工作台", "待办任务")
    expect(page.locator(".panel-title").first).to_have_text("待办任务")
    headers = page.locator("#task-table thead th").all_inner_texts()
    assert "已等待" in headers and "办理期限" in headers, headers
    with app.app_context():
        tasks = [db.session.get(WorkflowTask, task_id) for task_id in reminded]
        expected = {task.id: (f"{age_in_working_days(task, utcnow())}个工作日",
                              business(task.due_on).strftime("%Y-%m-%d %H:%M"))
                    for task in tasks}
    for task_id, (waited, deadline) in expected.items():
        cells = page.locator(f"#task-table tr[data-task='{task_id}'] td")
        expect(cells.nth(headers.index("已等待"))).to_have_text(waited)
        expect(cells.nth(headers.index("办理期限"))).to_have_text(deadline)
