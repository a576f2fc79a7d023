"""待办任务 a page at a time (the web list and GET /api/v1/tasks/ never load the whole queue);
what tells the records of a task list apart, 已办任务's results, and reviewers' 计划查询."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.services import plans
from models import SpendingPlan
from tests.support.filings import submitted_filings
from tests.support.plans import act, catalogue_id, filed_plan, operator
from views.tasks import PAGE_SIZE

TASKS = "/api/v1/tasks/"


def task_ids(page: str) -> list[str]:
    return re.findall(r'data-task="(\d+)"', page)


def test_api_pages_through_the_queue_oldest_first(app: Flask, client: Any,
                                                  api_token: Any) -> None:
    submitted_filings(app, 5)
    headers = api_token("zz_internal")
    first = client.get(f"{TASKS}?page_size=2", headers=headers).get_json()
    third = client.get(f"{TASKS}?page=3&page_size=2", headers=headers).get_json()
    everything = client.get(TASKS, headers=headers).get_json()
    assert (first["count"], first["page"], first["page_size"]) == (5, 1, 2)
    assert [t["id"] for t in first["result"]] == [t["id"] for t in everything["result"][:2]]
    assert [t["id"] for t in third["result"]] == [everything["result"][4]["id"]]
    past_the_end = client.get(f"{TASKS}?page=9&page_size=2", headers=headers).get_json()
    assert past_the_end["page"] == 3


def test_api_refuses_bad_paging_in_chinese(client: Any, api_token: Any) -> None:
    headers = api_token("zz_internal")
    for query, message in (("page=0", "页码必须是正整数。"), ("page=abc", "页码必须是正整数。"),
                           ("page_size=-1", "每页条数必须是正整数。"),
                           ("page_size=101", "每页条数不能超过100。")):
        reply = client.get(f"{TASKS}?{query}", headers=headers)
        assert reply.status_code == 400, query
        assert reply.get_json()["message"] == message


def test_web_list_shows_one_page_and_links_the_next(app: Flask, login_as: Any) -> None:
    submitted_filings(app, PAGE_SIZE + 2)
    web = login_as("zz_internal")
    first = web.get("/tasks/").get_data(as_text=True)
    second = web.get("/tasks/?page=2").get_data(as_text=True)
    assert len(task_ids(first)) == PAGE_SIZE and len(task_ids(second)) == 2
    assert not set(task_ids(first)) & set(task_ids(second))
    assert f"共 {PAGE_SIZE + 2} 条，第 1/2 页" in first and "/tasks/?page=2" in first
    assert "第 2/2 页" in second and "/tasks/?page=1" in second
    refused = web.get("/tasks/?page=x").get_data(as_text=True)
    assert "页码必须是正整数。" in refused and len(task_ids(refused)) == PAGE_SIZE


# --- what tells records apart, 已办任务 and reviewers' 计划查询 (issue 15, item 10) ---------


def small_plan(app: Any, name: str, amount: str, username: str = "zz_clerk",
               submit: bool = True) -> int:
    """A plan of ``amount`` 元 named ``name`` (one line, from the unit's first 用款计划), not
    linked to an intention (in 郑州 its chain starts at 监管单位初审)."""
    with app.app_context():
        session = app.appbuilder.session
        clerk = operator(session, username)
        spending = session.scalar(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == clerk.unit_id).order_by(SpendingPlan.external_no))
        item = plans.ItemInput(catalogue_id(session, "A05010201"), "1", amount, "open_tender",
                               "", "decentralised")
    return filed_plan(app, username, submit=submit, project_name=name, fiscal_amount=amount,
                      items=[item], fundings={spending: amount}, linked=False,
                      intention_id=None, unlinked_reason="零星采购，未列入意向公开")


def row_of(page: str, text: str) -> str:
    """The task row (``<tr data-task…>…</tr>``) that contains ``text``."""
    rows = re.findall(r'<tr data-task="\d+".*?</tr>', page, re.S)
    found = [row for row in rows if text in row]
    assert len(found) == 1, (text, len(found))
    return found[0]


def test_todo_rows_tell_two_plans_of_one_unit_apart(app: Flask, login_as: Any) -> None:
    small_plan(app, "图书馆书架采购", "12000.00")
    small_plan(app, "食堂桌椅采购", "8000.00")
    page = login_as("zz_sup_first").get("/tasks/").get_data(as_text=True)
    assert "项目名称" in page and "金额" in page
    shelves, chairs = row_of(page, "图书馆书架采购"), row_of(page, "食堂桌椅采购")
    assert "12,000.00 元" in shelves and "8,000.00 元" in chairs
    for row in (shelves, chairs):
        assert "采购计划备案" in row and "郑州市第一中学" in row and "监管单位初审" in row
        assert "个工作日" in row and "进入审批" in row


def test_api_tasks_name_their_records(app: Flask, client: Any, api_token: Any) -> None:
    small_plan(app, "体育器材采购", "4500.00")
    tasks = client.get(f"{TASKS}?page_size=100", headers=api_token("zz_sup_first")).get_json()
    [task] = [t for t in tasks["result"] if t["title"] == "体育器材采购"]
    assert (task["record_type"], task["amount"], task["number"]) == \
        ("procurement_plan", "4,500.00 元", "")


def test_done_rows_show_result_opinion_and_a_scoped_link(app: Flask, login_as: Any) -> None:
    returned = small_plan(app, "实验室设备采购", "30000.00")
    approved = small_plan(app, "教室窗帘采购", "5000.00")
    act(app, "zz_sup_first", returned, "return", "请补充采购需求说明")
    act(app, "zz_sup_first", approved, "approve", "同意备案", leader="no")
    reviewer = login_as("zz_sup_first")
    page = reviewer.get("/tasks/done").get_data(as_text=True)
    assert "审批结果" in page and "审批意见" in page
    back, passed = row_of(page, "实验室设备采购"), row_of(page, "教室窗帘采购")
    assert "退回采购人" in back and "请补充采购需求说明" in back and "30,000.00 元" in back
    assert "同意" in passed and "同意备案" in passed
    found = re.search(r'href="(/tasks/\d+/record)"', back)
    assert found is not None
    link = found.group(1)
    record = reviewer.get(link)
    assert record.status_code == 200
    text = record.get_data(as_text=True)
    assert "实验室设备采购" in text and "请补充采购需求说明" in text  # content and history
    # Neither a reviewer of another post nor one of another region opens it.
    for other in ("zz_sup_review", "pds_sup_first", "zz_clerk"):
        assert login_as(other).get(link).status_code in (403, 404), other
        assert "实验室设备采购" not in login_as(other).get(link).get_data(as_text=True)


def plan_list(web: Any) -> str:
    return web.get("/planqueryview/list/?psize_PlanQueryView=100").get_data(as_text=True)


def test_reviewers_query_the_plans_of_the_units_they_review(app: Any,
                                                            login_as: Any) -> None:
    sent = small_plan(app, "操场围栏改造采购", "9000.00")
    small_plan(app, "尚未提交的草稿采购", "7000.00", submit=False)
    elsewhere = small_plan(app, "平顶山办公用品采购", "6000.00", username="pds_clerk")
    for reviewer in ("zz_competent", "zz_div_first", "zz_div_review", "zz_sup_first",
                     "zz_sup_review"):
        web = login_as(reviewer)
        page = plan_list(web)
        assert web.get("/planqueryview/list/").status_code == 200, reviewer
        assert "操场围栏改造采购" in page, reviewer
        assert "尚未提交的草稿采购" not in page, reviewer  # a draft stays with its unit
        assert "平顶山办公用品采购" not in page, reviewer  # another region's
        assert web.get(f"/planqueryview/show/{sent}").status_code == 200, reviewer
        assert web.get(f"/planqueryview/show/{elsewhere}").status_code in (302, 404), reviewer
    web = login_as("zz_sup_first")
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "PlanQueryView")
    for column in view.order_columns:  # every offered sort, as a reviewer
        for way in ("asc", "desc"):
            sorted_page = web.get(f"/planqueryview/list/?_oc_PlanQueryView={column}"
                                  f"&_od_PlanQueryView={way}")
            assert sorted_page.status_code == 200, (column, way)
    # The 申请单位 filter offers the units in its scope, the applicant's among them.
    add_filter = web.get("/planqueryview/list/").get_data(as_text=True)
    assert "郑州市第一中学" in add_filter
    pds = plan_list(login_as("pds_sup_first"))
    assert "平顶山办公用品采购" in pds and "操场围栏改造采购" not in pds
    clerk = plan_list(login_as("zz_clerk"))  # the clerk still sees the unit's own, drafts too
    assert "尚未提交的草稿采购" in clerk and "平顶山办公用品采购" not in clerk
    # A unit's own internal reviewer is not given the query (it reviews in 待办任务 only).
    assert login_as("zz_internal").get("/planqueryview/list/").status_code in (302, 403)
