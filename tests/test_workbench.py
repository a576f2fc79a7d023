"""The home page as 工作台 (issue 15, item 14): the clerk's 我的申请 by state, what is due and
增加 links; a reviewer's queue per chain with overdue tasks first."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from app.services import plans
from app.services import workflow as flow
from app.timezone import utcnow
from models import WorkflowTask
from tests.support.plans import act
from tests.test_notifications import complete
from tests.test_task_pages import small_plan


def section(page: str, element_id: str) -> str:
    """The HTML of the element with ``id="element_id"`` up to its closing tag."""
    start = page.index(f'id="{element_id}"')
    tag = first(r"<(\w+)", page[page.rfind("<", 0, start):])
    return page[start:page.index(f"</{tag}>", start)]


def first(pattern: str, text: str) -> str:
    """The first group of ``pattern`` in ``text`` (the whole match without groups)."""
    found = re.search(pattern, text, re.S)
    assert found is not None, pattern
    return found.group(1) if found.groups() else found.group(0)


def test_the_clerks_workbench_shows_filings_by_state(app: Flask, login_as: Any) -> None:
    small_plan(app, "草稿状态的书柜采购", "3000.00", submit=False)
    small_plan(app, "审核中的空调采购", "25000.00")
    returned = small_plan(app, "被退回的投影仪采购", "9000.00")
    act(app, "zz_sup_first", returned, "return", "请核实投影仪数量")
    complete(app, small_plan(app, "已完成的白板采购", "2000.00"))
    page = login_as("zz_clerk").get("/").get_data(as_text=True)
    assert "<h1" in page and "工作台" in page
    drafts = section(page, "filings-drafts")
    assert "草稿状态的书柜采购" in drafts and "3,000.00 元" in drafts
    waiting = section(page, "filings-in-review")
    row = first(r"<tr[^>]*>(?:(?!</tr>).)*审核中的空调采购.*?</tr>", waiting)
    assert "监管单位初审" in row and "25,000.00 元" in row  # the step it waits on
    back = section(page, "filings-returned")
    assert "被退回的投影仪采购" in back and "请核实投影仪数量" in back
    assert f'href="/procurementplanview/show/{returned}"' in back
    completed = section(page, "filings-completed")
    assert "已完成的白板采购" in completed and "2,000.00 元" in completed
    counts = section(page, "filing-counts")
    plan_row = first(r'<tr data-kind="procurement_plan">.*?</tr>', counts)
    assert re.findall(r"<td>(\d+)</td>", plan_row)[:3] != ["0", "0", "0"]
    adds = section(page, "add-links")
    for label, path in (("增加采购计划备案", "/procurementplanview/add"),
                        ("增加合同备案", "/contractview/add"),
                        ("增加资金支付申请", "/paymentview/add"),
                        ("增加用款计划调减", "/spendingreductionview/add")):
        assert f'href="{path}">{label}</a>' in adds.replace("\n", ""), label
    assert "待办支付" in page


def test_the_workbench_is_the_units_own(app: Flask, login_as: Any) -> None:
    small_plan(app, "平顶山的课桌采购", "4000.00", username="pds_clerk", submit=False)
    assert "平顶山的课桌采购" not in login_as("zz_clerk").get("/").get_data(as_text=True)
    assert "平顶山的课桌采购" in login_as("pds_clerk").get("/").get_data(as_text=True)


def test_a_reviewers_home_shows_the_queue_per_chain_overdue_first(app: Any,
                                                                 login_as: Any) -> None:
    early = small_plan(app, "先到的电脑采购", "20000.00")
    late = small_plan(app, "后到但超期的打印机采购", "6000.00")
    with app.app_context():
        session = app.appbuilder.session
        instance = flow.instance_of(session, plans.RECORD, late)
        assert instance is not None
        session.execute(update(WorkflowTask).where(WorkflowTask.instance_id == instance.id)
                        .values(due_on=utcnow() - timedelta(hours=1)))
        session.commit()
    page = login_as("zz_sup_first").get("/").get_data(as_text=True)
    chains = section(page, "queue-chains")
    plan_row = first(r'<tr data-chain="采购计划备案">.*?</tr>', chains)
    total, overdue = re.findall(r"<td>(\d+)</td>", plan_row)
    assert int(total) >= 2 and int(overdue) >= 1
    tasks = section(page, "queue-tasks")
    assert tasks.index("后到但超期的打印机采购") < tasks.index("先到的电脑采购")
    assert 'class="danger overdue"' in tasks
    assert early and "增加" not in section(page, "queue")


def test_others_see_their_account(app: Any, login_as: Any) -> None:
    page = login_as("zz_unitadmin").get("/").get_data(as_text=True)
    assert "登录账号" in page and "zz_unitadmin" in page and "filings-drafts" not in page
    with app.app_context():
        assert app.appbuilder.session.scalar(select(WorkflowTask.id).limit(1)) is not None
