"""REST creation of contracts and method changes (JSON or multipart with a file), on demo data."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import Contract, Method, MethodChange, PlanFunding, ProcurementPlan, Supplier
from tests.support.plans import operator

CONTRACTS = "/api/v1/contract/"
CHANGES = "/api/v1/method_change/"


def demo_plan(app: Flask, name: str) -> ProcurementPlan:
    with app.app_context():
        session = app.appbuilder.session
        plan = session.scalar(select(ProcurementPlan).where(
            ProcurementPlan.project_name.like(f"%{name}%")))
        session.expunge(plan)
        return plan


def contract_body(app: Flask, amount: str = "1280000.00", **overrides: Any) -> dict[str, Any]:
    """The demo engineering project, its only line and 用款计划, awarded in full."""
    with app.app_context():
        session = app.appbuilder.session
        plan = session.scalar(select(ProcurementPlan).where(
            ProcurementPlan.project_name.like("%教学楼维修改造工程%")))
        funding = session.scalar(select(PlanFunding).where(PlanFunding.plan_id == plan.id))
        supplier = session.scalar(select(Supplier.id).where(Supplier.name == "河南中原建设工程有限公司"))
        body = {"plan_id": plan.id, "item_ids": [line.id for line in plan.items],
                "code": "PDS-HT-2026-001", "name": "教学楼维修改造工程施工合同",
                "supplier_id": supplier, "amount": "1280000.00", "signed_on": "2026-11-02",
                "total_contracts": 1, "total_amount": "1280000.00",
                "fundings": [{"spending_plan_id": funding.spending_plan_id, "amount": amount}]}
    return {**body, **overrides}


def multipart(body: dict[str, Any], part: str, name: str = "合同.pdf",
              content: bytes = b"%PDF-1.4 signed") -> dict[str, Any]:
    return {"data": json.dumps(body), part: (io.BytesIO(content), name)}


def contract_count(app: Flask) -> int:
    with app.app_context():
        return app.appbuilder.session.scalar(select(func.count(Contract.id)))


def test_contract_created_with_its_file_and_announced(app: Flask, client: Any,
                                                       api_token: Any) -> None:
    headers = api_token("pds_clerk")
    created = client.post(CONTRACTS, data=multipart(contract_body(app), "contract_file"),
                          headers=headers, content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert created.get_json()["result"]["amount"] == "1280000.00"
    assert created.get_json()["result"]["status"] == "draft"
    submitted = client.post(f"{CONTRACTS}{pk}/submit", headers=headers).get_json()["result"]
    assert submitted == {"status": "in_review", "step": "supervision_first"}
    public = client.get(f"/public/contracts/{pk}").get_data(as_text=True)
    assert "教学楼维修改造工程施工合同" in public and "91410100MA440A1B2D" in public


def test_contract_refusals_change_nothing(app: Flask, client: Any, api_token: Any) -> None:
    headers = api_token("pds_clerk")
    before = contract_count(app)
    cases = (
        (multipart(contract_body(app, "1280000.01"), "contract_file"),
         "累计1,280,000.01 元超过申请使用计划金额1,280,000.00 元。"),
        (multipart(contract_body(app, supplier_id=999999), "contract_file"), "请选择供应商。"),
        (multipart(contract_body(app, item_ids=[999999]), "contract_file"),
         "请选择该采购计划的备案明细（采购内容）。"),
        (multipart(contract_body(app), "contract_file", "合同.exe", b"MZ\x90\x00"), None),
        # Not JSON at all: the request is malformed (400), not a refused filing.
        ({"data": "{not json"}, "请求内容不是有效的JSON。"),
    )
    for data, message in cases:
        response = client.post(CONTRACTS, data=data, headers=headers,
                               content_type="multipart/form-data")
        expected = 400 if data == {"data": "{not json"} else 422
        assert response.status_code == expected, response.get_json()
        if message:
            assert message in str(response.get_json()["message"])
    no_file = client.post(CONTRACTS, json=contract_body(app), headers=headers)
    assert no_file.status_code == 422
    assert no_file.get_json()["message"] == "请上传签订的合同文本。"
    missing = client.post(CONTRACTS, json={"plan_id": "x"}, headers=headers).get_json()
    assert missing["code"] == "invalid" and missing["field"] in ("plan_id", "code")
    errors = missing["errors"]
    assert errors["plan_id"] == ["应为整数。"] and errors["code"] == ["必填项，不能缺少。"]
    other = client.post(CONTRACTS, data=multipart(contract_body(app), "contract_file"),
                        headers=api_token("zz_clerk"), content_type="multipart/form-data")
    assert other.get_json()["message"] == "请选择本单位的采购项目。"
    assert contract_count(app) == before


def test_contract_changed_through_put_and_scoped(app: Flask, client: Any, api_token: Any) -> None:
    headers = api_token("pds_clerk")
    pk = client.post(CONTRACTS, data=multipart(contract_body(app, "1000000.00"), "contract_file"),
                     headers=headers, content_type="multipart/form-data").get_json()["id"]
    changed = client.put(f"{CONTRACTS}{pk}", json=contract_body(app, "1200000.00",
                                                                 name="施工合同（修订）"),
                         headers=headers)
    assert changed.status_code == 200, changed.get_json()
    with app.app_context():
        item = app.appbuilder.session.get(Contract, pk)
        assert item.name == "施工合同（修订）" and str(item.fundings[0].amount) == "1200000.00"
        assert item.file_name == "合同.pdf"  # the stored file stays when none is sent
    other = client.put(f"{CONTRACTS}{pk}", json=contract_body(app), headers=api_token("zz_clerk"))
    assert other.status_code == 404
    assert client.post(CONTRACTS, json=contract_body(app),
                       headers=api_token("pds_internal")).status_code == 403


def test_method_change_after_a_failed_non_tender_through_the_api(
        app: Flask, client: Any, api_token: Any) -> None:
    plan = demo_plan(app, "竞争性磋商失败")
    headers = api_token("pds_clerk")
    wrong = client.post(CHANGES, json={"plan_id": plan.id, "new_method": "抽签",
                                       "reason": "磋商供应商不足三家"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.get_json()["field"] == "new_method"
    assert wrong.get_json()["message"].startswith("采购方式无效，可选：公开招标、邀请招标")
    body = {"plan_id": plan.id, "new_method": "单一来源", "reason": "磋商供应商不足三家"}
    created = client.post(CHANGES, data=multipart(body, "attachment", "失败说明.pdf"),
                          headers=headers, content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    submitted = client.post(f"{CHANGES}{pk}/submit", headers=headers).get_json()["result"]
    assert submitted == {"status": "in_review", "step": "internal_review"}
    reviewer = api_token("pds_internal")
    task = next(t for t in client.get("/api/v1/tasks/", headers=reviewer).get_json()["result"]
                if t["record_type"] == "method_change" and t["record_id"] == pk)
    done = client.post(f"/api/v1/tasks/{task['id']}/act", headers=reviewer,
                       json={"action": "approve", "opinion": "同意", "version": task["version"]})
    assert done.get_json()["result"]["status"] == "completed"
    with app.app_context():
        session = app.appbuilder.session
        assert session.get(ProcurementPlan, plan.id).method is Method.single_source
        history = client.get(f"{CHANGES}{pk}/history", headers=headers).get_json()["result"]
        assert [line["step_label"] for line in history][-1] == "单位内部审核"


def test_method_change_after_a_failed_tender_goes_to_supervision(
        app: Flask, client: Any, api_token: Any) -> None:
    plan = demo_plan(app, "公开招标失败")
    headers = api_token("pds_clerk")
    body = {"plan_id": plan.id, "new_method": "competitive", "reason": "两次招标均不足三家"}
    assert client.post(CHANGES, data=multipart(body, "attachment"), headers=headers,
                       content_type="multipart/form-data").status_code == 422
    body["new_method"] = "negotiation"
    no_file = client.post(CHANGES, json=body, headers=headers)
    assert no_file.get_json()["message"] == "请上传变更相关附件。"
    pk = client.post(CHANGES, data=multipart(body, "attachment"), headers=headers,
                     content_type="multipart/form-data").get_json()["id"]
    client.post(f"{CHANGES}{pk}/submit", headers=headers)
    with app.app_context():
        session = app.appbuilder.session
        change = session.get(MethodChange, pk)
        assert change.old_method is Method.open_tender and change.new_method is Method.negotiation
        assert operator(session, "pds_clerk").unit_id == change.unit_id
