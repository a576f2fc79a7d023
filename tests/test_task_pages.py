"""待办任务 a page at a time: the web list and GET /api/v1/tasks/ never load the whole queue."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from tests.support.filings import submitted_filings
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
