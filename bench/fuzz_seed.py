"""Records for ``make fuzz`` to act on, made through the REST API like any client's.

The demo gives ``zz_clerk`` no draft and ``zz_div_first`` no task: without these every PUT,
submit, withdraw and act of theirs would only ever answer 404. Made here: three 采购计划备案
(a draft, one in review at 主管单位审核, one approved by ``zz_competent`` and so waiting for
``zz_div_first``) and a 用款计划调减 draft.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect, text

from bench.client import ApiSession

PLANS = "/api/v1/procurement_plan/"
AMOUNT = "1000.00"
CATALOGUE_ITEM = "A05010201"  # 办公家具, 公开招标 allowed


class SeedFailed(RuntimeError):
    """The API refused what the demo data should allow; the message has its answer."""


def _signed_in(base_url: str, username: str, password: str) -> ApiSession:
    api = ApiSession(base_url)
    api.login(username, password)
    return api


def _ok(reply: Any, what: str) -> Any:
    if reply.status not in (200, 201):
        raise SeedFailed(f"{what}: {reply.status} {reply.body[:300]!r}")
    return reply.json()


def _intentions(database_url: str, source: int, count: int) -> list[int]:
    """Copies of the intention ``source`` (published 30-90 days ago, as a 郑州 plan needs): an
    intention serves one plan, and the demo has one such intention."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        columns = [c["name"] for c in inspect(conn).get_columns("intention") if c["name"] != "id"]
        chosen = ", ".join("project_name || :suffix" if c == "project_name" else c
                           for c in columns)
        copy = text(f"INSERT INTO intention ({', '.join(columns)}) "  # the table's own column names
                    f"SELECT {chosen} FROM intention WHERE id = :id RETURNING id")
        ids = [conn.execute(copy, {"id": source, "suffix": f"（模糊测试{n}）"}).scalar_one()
               for n in range(1, count + 1)]
    engine.dispose()
    return ids


def seed(base_url: str, database_url: str, password: str) -> dict[str, Any]:
    """Create the records; returns their ids by kind and, under ``bodies``, a valid body of
    each write by its path (the examples schemathesis varies one field at a time)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        item = conn.execute(text("SELECT id FROM catalogue_item WHERE code = :code"),
                            {"code": CATALOGUE_ITEM}).scalar_one()
    engine.dispose()
    clerk = _signed_in(base_url, "zz_clerk", password)
    spending = _ok(clerk.get("/api/v1/spending_plan/"), "用款计划")["ids"][0]
    intentions = _ok(clerk.get("/api/v1/intention/"), "采购意向")["result"]
    # 郑州 plans link an intention published 30-90 days ago: the demo's 物业管理 one.
    intention = next(row["id"] for row in intentions if "物业管理" in row["project_name"])
    body = {
        "project_name": "模糊测试办公家具采购", "fund_source": "spending_plan",
        "fiscal_amount": AMOUNT, "own_amount": "0", "linked": True, "intention_id": intention,
        "items": [{"catalogue_item_id": item, "quantity": "1", "amount": AMOUNT,
                   "method": "open_tender", "organisation": "decentralised"}],
        "fundings": {str(spending): AMOUNT},
    }
    plans = [_ok(clerk.post_json(PLANS, {**body, "intention_id": linked}), "采购计划备案")["id"]
             for linked in [intention, *_intentions(database_url, intention, 2)]]
    for pk in plans[1:]:
        _ok(clerk.post_json(f"{PLANS}{pk}/submit"), "提交")
    competent = _signed_in(base_url, "zz_competent", password)
    tasks = [task for task in _ok(competent.get("/api/v1/tasks/"), "待办任务")["result"]
             if task["record_id"] == plans[2]]
    if not tasks:
        raise SeedFailed("zz_competent 没有该计划的待办任务 has no task for the plan")
    _ok(competent.post_json(f"/api/v1/tasks/{tasks[0]['id']}/act",
                            {"action": "approve", "version": tasks[0]["version"]}), "审核")
    reduction_body = {"spending_plan": spending, "kind": "balance", "amount": "1.00",
                      "reason": "模糊测试"}
    reduction = _ok(clerk.post_json("/api/v1/spending_reduction/", reduction_body),
                    "用款计划调减")["id"]
    return {"plans": plans, "reductions": [reduction], "bodies": {
        PLANS: body, "/api/v1/spending_reduction/": reduction_body,
        "/api/v1/tasks/{pk}/act": {"action": "approve", "opinion": "", "version": 1},
    }}
