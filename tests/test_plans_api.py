"""采购计划备案 over REST, and plan numbers under concurrent final approvals."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.timezone import business_today
from models import Intention, ProcurementPlan, SpendingPlan, WorkflowTask
from tests.support.plans import act, catalogue_id, filed_plan, issued_numbers, operator

PLANS = "/api/v1/procurement_plan/"


def body(app: Flask, username: str = "sj_clerk", **overrides: Any) -> dict[str, Any]:
    with app.app_context():
        session = app.appbuilder.session
        clerk = operator(session, username)
        spending = session.scalar(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == clerk.unit_id).order_by(SpendingPlan.external_no))
        item = catalogue_id(session, "A05010201")
    return {"project_name": "办公家具采购", "fund_source": "spending_plan",
            "fiscal_amount": "20000.00", "own_amount": "0",
            "items": [{"catalogue_item_id": item, "quantity": "10", "amount": "20000.00",
                       "method": "open_tender", "organisation": "decentralised"}],
            "fundings": {str(spending): "20000.00"}, **overrides}


def count_plans(app: Flask) -> int:
    with app.app_context():
        return app.appbuilder.session.scalar(select(func.count(ProcurementPlan.id)))


def zz_body(app: Flask, linked: bool) -> dict[str, Any]:
    with app.app_context():
        session = app.appbuilder.session
        clerk = operator(session, "zz_clerk")
        intention = session.scalar(select(Intention.id).where(
            Intention.unit_id == clerk.unit_id, Intention.project_name.like("%物业%")))
    extra = ({"linked": True, "intention_id": intention} if linked
             else {"linked": False, "unlinked_reason": "年度内临时增加"})
    return body(app, "zz_clerk", **extra)


ROUTES = {  # region route → (clerk, body, [(reviewer, step, choices)], number prefix)
    "sj": ("sj_clerk", lambda app: body(app),
           [("sj_internal", "internal_review", {}), ("sj_competent", "competent", {}),
            ("sj_div_first", "division_first", {}), ("sj_div_review", "division_review", {})],
           "豫财招标采购"),
    "zz_linked": ("zz_clerk", lambda app: zz_body(app, True),
                  [("zz_competent", "competent", {}), ("zz_div_first", "division_first", {}),
                   ("zz_div_review", "division_review", {})], "郑财招标采购"),
    "zz_unlinked": ("zz_clerk", lambda app: zz_body(app, False),
                    [("zz_sup_first", "unlinked_supervision_first", {"leader": "yes"}),
                     ("zz_sup_review", "unlinked_supervision_review", {}),
                     ("zz_competent", "competent", {}), ("zz_div_first", "division_first", {}),
                     ("zz_div_review", "division_review", {})], "郑财招标采购"),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_create_submit_and_review_through_the_api(app: Flask, client: Any, api_token: Any,
                                                  route: str) -> None:
    clerk, make_body, chain, prefix = ROUTES[route]
    headers = api_token(clerk)
    payload = make_body(app)
    if payload.get("linked") is False:  # the explanation is a file: multipart with a data part
        created = client.post(PLANS, headers=headers, content_type="multipart/form-data", data={
            "data": json.dumps(payload), "unlinked_proof": (io.BytesIO(b"%PDF-1.4"), "说明.pdf")})
    else:
        created = client.post(PLANS, json=payload, headers=headers)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert client.post(f"{PLANS}{pk}/submit", headers=headers).get_json()["result"] == {
        "status": "in_review", "step": chain[0][1]}
    for username, step, choices in chain:
        reviewer = api_token(username)
        task = client.get("/api/v1/tasks/", headers=reviewer).get_json()["result"][0]
        assert (task["workflow"], task["record_id"], task["step"]) == ("plan", pk, step)
        acted = client.post(f"/api/v1/tasks/{task['id']}/act", headers=reviewer, json={
            "action": "approve", "opinion": "同意", "version": task["version"],
            "choices": choices})
        assert acted.status_code == 200, acted.get_json()
    shown = client.get(f"{PLANS}{pk}", headers=headers).get_json()["result"]
    assert shown["status"] == "completed"
    assert shown["plan_number"] == f"{prefix}-{business_today().year}-1"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"fiscal_amount": "1"}, "本次采购总金额（财政资金+自有资金）1.00 元须等于采购内容金额合计20,000.00 元。"),
    ({"fund_source": "gold"}, "请选择资金来源。"),
    ({"items": []}, "请至少填写一条采购内容。"),
])
def test_api_refusals_change_nothing(app: Flask, client: Any, api_token: Any,
                                     overrides: dict, message: str) -> None:
    before = count_plans(app)
    response = client.post(PLANS, json=body(app, **overrides), headers=api_token("sj_clerk"))
    assert response.status_code == 422 and response.get_json()["message"] == message
    assert count_plans(app) == before


def test_api_scope(app: Flask, client: Any, api_token: Any) -> None:
    pk = client.post(PLANS, json=body(app), headers=api_token("sj_clerk")).get_json()["id"]
    other = api_token("zz_clerk")
    assert client.get(f"{PLANS}{pk}", headers=other).status_code == 404
    assert client.put(f"{PLANS}{pk}", json=body(app), headers=other).status_code == 404
    assert client.post(f"{PLANS}{pk}/submit", headers=other).status_code == 404
    assert client.post(PLANS, json=body(app), headers=api_token("sj_internal")).status_code == 403


def test_concurrent_final_approvals_get_gapless_unique_numbers(app: Flask, database: Any) -> None:
    """Plans at their last step, all approved at once: numbers 1..N, no gap, no duplicate."""
    count = 50 if database.backend == "postgresql" else 8
    issued = issued_numbers(app)
    ids = [filed_plan(app, "pds_clerk") for _ in range(count)]
    for pk in ids:
        for username in ("pds_internal", "pds_competent", "pds_div_first"):
            act(app, username, pk)
    with app.app_context():
        tasks = {t.instance.record_id: (t.id, t.version) for t in app.appbuilder.session.scalars(
            select(WorkflowTask).where(WorkflowTask.status == "open"))}
    barrier, results = threading.Barrier(count), []

    def approve(pk: int) -> None:
        task_id, version = tasks[pk]
        client = app.test_client()
        token = client.post("/api/v1/security/login", json={
            "username": "pds_div_review", "password": "Demo@2026", "provider": "db"}
        ).get_json()["access_token"]
        barrier.wait(30)
        response = client.post(f"/api/v1/tasks/{task_id}/act",
                               headers={"Authorization": f"Bearer {token}"},
                               json={"action": "approve", "opinion": "同意", "version": version})
        results.append(response.status_code)

    threads = [threading.Thread(target=approve, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == [200] * count
    with app.app_context():
        numbers = sorted(app.appbuilder.session.scalars(
            select(ProcurementPlan.plan_number).where(ProcurementPlan.id.in_(ids))),
            key=lambda n: int(n.rsplit("-", 1)[1]))
    year = business_today().year
    assert numbers == [f"平财招标采购-{year}-{issued + n}" for n in range(1, count + 1)]


def test_returned_and_withdrawn_plans_consume_no_number(app: Flask) -> None:
    issued = issued_numbers(app)
    returned = filed_plan(app, "pds_clerk")
    act(app, "pds_internal", returned, action="return", opinion="补充材料")
    finished = filed_plan(app, "pds_clerk")
    for username in ("pds_internal", "pds_competent", "pds_div_first", "pds_div_review"):
        act(app, username, finished)
    with app.app_context():
        session = app.appbuilder.session
        assert session.get(ProcurementPlan, returned).plan_number is None
        assert session.get(ProcurementPlan, finished).plan_number.endswith(f"-{issued + 1}")
