"""采购失败登记: only a completed plan without a contract fails; the pages and REST of the
change offer and accept only such plans, and a refused form comes back as typed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from app.services import changes, failures
from app.services.errors import NotEditable, PermissionDenied
from app.timezone import business_today
from app.transaction import unit_of_work
from models import Contract, Method, MethodChange, ProcurementFailure, ProcurementPlan
from tests.support.plans import filed_plan, operator
from tests.test_changes import (
    attempt_change,
    attempt_failure,
    completed_plan,
    new_change,
    record_failure,
    refusal,
    review,
)
from tests.test_payments import (
    application,
    filed_contract,  # noqa: F401  (fixture)
)

UNIT = "平顶山市第一中学"
FAILED_SERVICE = f"{UNIT}校园信息化运维服务项目（竞争性磋商失败）"  # demo: failure recorded
WORKS = f"{UNIT}教学楼维修改造工程"  # demo: completed, no failure


def plan_named(app: Any, name: str) -> int:
    with app.app_context():
        return app.appbuilder.session.scalar(
            select(ProcurementPlan.id).where(ProcurementPlan.project_name == name))


def test_failure_refusals(app: Any) -> None:


    draft = filed_plan(app, "pds_clerk", submit=False)
    foreign = filed_plan(app, "zz_clerk", submit=False)
    plan_id = completed_plan(app)
    assert refusal(app, attempt_failure(draft)) == "只有已完成备案的采购计划可以登记采购失败。"
    assert refusal(app, attempt_failure(foreign)) == "请选择本单位的项目。"
    assert refusal(app, attempt_failure(plan_id, days_ago=-1)) == "失败日期不能晚于今天。"
    assert refusal(app, attempt_failure(plan_id, days_ago=1)).startswith(
        "失败日期不能早于项目备案完成日期（")
    assert refusal(app, attempt_failure(plan_id, days_ago=None)) == "请填写失败日期。"
    assert refusal(app, attempt_failure(plan_id, reason=" ")) == "请填写失败原因。"
    with app.test_request_context(), pytest.raises(PermissionDenied):
        session = app.appbuilder.session
        attempt_failure(plan_id)(session, operator(session, "pds_internal"))
    record_failure(app, plan_id)
    assert refusal(app, attempt_failure(plan_id)) == (
        f"该项目已于{business_today():%Y-%m-%d}登记采购失败，请办理采购失败方式变更，不能重复登记。")
    with app.app_context():
        assert app.appbuilder.session.scalar(select(func.count(ProcurementFailure.id)).where(
            ProcurementFailure.plan_id.in_([draft, foreign, plan_id]))) == 1

def test_a_plan_with_a_contract_or_payment_has_not_failed(
        app: Any, filed_contract: int) -> None:  # noqa: F811



    with app.app_context():
        plan_id = app.appbuilder.session.get(Contract, filed_contract).plan_id
    assert refusal(app, attempt_failure(plan_id)) == (
        "该项目已有合同备案（合同编号HT-001），采购并未失败，不能登记采购失败。")
    for username in ("pds_sup_first", "pds_sup_review"):
        review(app, "contract", filed_contract, username)
    application(app, filed_contract, "100000.00")
    assert refusal(app, attempt_failure(plan_id)) == (
        "该项目已有合同备案（合同编号HT-001）并有1笔资金支付申请，采购并未失败，不能登记采购失败。")
    assert refusal(app, attempt_change(plan_id, Method.single_source)) == (
        "该项目已有合同备案（合同编号HT-001）并有1笔资金支付申请，采购并未失败，"
        "不能申请采购失败方式变更。")

def test_a_used_failure_stays(app: Any) -> None:


    plan_id = completed_plan(app)
    mistaken = record_failure(app, plan_id)
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        with unit_of_work(session):
            failures.delete_failure(session, clerk, session.get(ProcurementFailure, mistaken))
        assert session.scalar(select(func.count(ProcurementFailure.id))
                              .where(ProcurementFailure.plan_id == plan_id)) == 0
    failure_id = record_failure(app, plan_id)
    new_change(app, plan_id, Method.single_source)
    with app.test_request_context():
        session = app.appbuilder.session
        with pytest.raises(NotEditable, match="已用于采购失败方式变更"), unit_of_work(session):
            failures.delete_failure(session, operator(session, "pds_clerk"),
                                    session.get(ProcurementFailure, failure_id))


def test_change_page_offers_failed_plans_and_keeps_a_refusal_as_typed(app: Any,
                                                                      login_as: Any) -> None:
    """询价 for the failed 服务 project: the rule's message, the form as typed, nothing saved."""
    web = login_as("pds_clerk")
    page = web.get("/methodchangeview/add").get_data(as_text=True)
    assert FAILED_SERVICE in page and WORKS not in page
    assert changes.NUMBERING in page
    refused = web.submit("/methodchangeview/add", {
        "plan": str(plan_named(app, FAILED_SERVICE)), "new_method": "inquiry",
        "reason": "磋商失败，改为询价采购。",
        "attachment": (io.BytesIO(b"%PDF-1.4"), "采购失败情况说明.pdf")})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert ("变更后的采购方式不符合采购计划备案的规定：第1条采购内容（信息技术服务）："
            "工程和服务类品目不能选择询价。") in text
    assert "磋商失败，改为询价采购。" in text
    assert 'value="inquiry" selected' in text or "selected value=\"inquiry\"" in text
    with app.app_context():
        assert app.appbuilder.session.scalar(select(func.count(MethodChange.id))) == 0


def test_failure_page_records_a_failure_shown_on_the_plan(app: Any, login_as: Any) -> None:
    from app.services.workflow_registry import registry

    web = login_as("pds_clerk")
    page = web.get("/procurementfailureview/add").get_data(as_text=True)
    assert WORKS in page and FAILED_SERVICE not in page
    plan_id = plan_named(app, WORKS)
    done = web.submit("/procurementfailureview/add", {
        "plan": str(plan_id), "failed_on": f"{business_today():%Y-%m-%d}",
        "reason": "投标截止时投标人不足三家。"}, follow=True)
    assert "添加成功" in done.get_data(as_text=True) or "增加成功" in done.get_data(as_text=True)
    listed = web.get("/procurementfailureview/list/").get_data(as_text=True)
    assert WORKS in listed and "公开招标" in listed
    with app.test_request_context():
        plan = app.appbuilder.session.get(ProcurementPlan, plan_id)
        rows = dict(registry().records["procurement_plan"].describe(plan))
        assert rows["采购失败"] == (f"{business_today():%Y-%m-%d}公开招标失败：投标截止时投标人"
                                   "不足三家。（待办理采购失败方式变更）")
    shown = web.get(f"/procurementplanview/show/{plan_id}").get_data(as_text=True)
    assert "采购失败" in shown and "投标截止时投标人不足三家。" in shown
    assert WORKS in web.get("/methodchangeview/add").get_data(as_text=True)
    assert login_as("zz_clerk").get("/procurementfailureview/list/").get_data(
        as_text=True).count("投标截止时投标人不足三家") == 0


def test_rest_refuses_a_plan_without_a_recorded_failure(app: Any, client: Any,
                                                       api_token: Any) -> None:
    refused = client.post("/api/v1/method_change/", headers=api_token("pds_clerk"), json={
        "plan_id": plan_named(app, WORKS), "new_method": "single_source", "reason": "失败"})
    assert refused.status_code == 422
    assert refused.get_json() == {
        "code": "invalid", "field": "plan",
        "message": "该项目尚未登记采购失败，不能申请采购失败方式变更；请先在“采购失败登记”中登记失败日期和原因。"}


def test_rest_records_lists_and_deletes_failures_of_the_unit(app: Any, client: Any,
                                                             api_token: Any) -> None:
    clerk = api_token("pds_clerk")
    plan_id = plan_named(app, WORKS)
    created = client.post("/api/v1/procurement_failure/", headers=clerk, json={
        "plan_id": plan_id, "failed_on": f"{business_today():%Y-%m-%d}", "reason": "无人投标"})
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert created.get_json()["result"]["method"] == "公开招标"
    listed = client.get("/api/v1/procurement_failure/", headers=clerk).get_json()["result"]
    assert pk in [row["id"] for row in listed]
    other = api_token("zz_clerk")
    assert pk not in [row["id"] for row in client.get(
        "/api/v1/procurement_failure/", headers=other).get_json()["result"]]
    assert client.get(f"/api/v1/procurement_failure/{pk}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/procurement_failure/{pk}", headers=other).status_code == 404
    refused = client.post("/api/v1/procurement_failure/", headers=other, json={
        "plan_id": plan_id, "failed_on": f"{business_today():%Y-%m-%d}", "reason": "无人投标"})
    assert refused.status_code == 422
    assert refused.get_json() == {"code": "not_in_scope", "field": "plan",
                                  "message": "请选择本单位的项目。"}
    new_change(app, plan_id, Method.negotiation)
    used = client.delete(f"/api/v1/procurement_failure/{pk}", headers=clerk)
    assert used.status_code == 422
    assert used.get_json()["code"] == "not_editable"
    with app.app_context():
        assert app.appbuilder.session.get(ProcurementFailure, pk) is not None
