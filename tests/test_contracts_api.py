"""REST for contracts, payments and reductions: same rules, same scope as the panel."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from models import Contract, SpendingPlan
from tests.support.plans import operator
from tests.test_contracts import completed, contract
from tests.test_payments import filed_contract  # noqa: F401  (fixture)


def test_contract_announce_through_the_api(app: Flask, client: Any, api_token: Any) -> None:
    plan_id = completed(app)
    with app.test_request_context():
        pk = contract(app.appbuilder.session, plan_id, "20000.00", "20000.00").id
    headers = api_token("pds_clerk")
    assert client.get(f"/public/contracts/{pk}").status_code == 404
    submitted = client.post(f"/api/v1/contract/{pk}/submit", headers=headers)
    assert submitted.get_json()["result"] == {"status": "in_review", "step": "supervision_first"}
    assert client.get(f"/public/contracts/{pk}").status_code == 200
    assert client.get(f"/api/v1/contract/{pk}", headers=api_token("zz_clerk")).status_code == 404
    listed = client.get("/api/v1/contract/", headers=headers).get_json()["result"]
    assert [row["code"] for row in listed] == ["HT-001"]


def test_payment_through_the_api(app: Flask, client: Any, api_token: Any,
                                 filed_contract: int) -> None:  # noqa: F811
    headers = api_token("pds_clerk")
    with app.app_context():
        funding = app.appbuilder.session.get(Contract, filed_contract).fundings[0]
        spending = funding.spending_plan_id
    body = {"contract": filed_contract, "spending_plan": spending, "amount": "400000.01",
            "pay_to_migrant": True}
    refused = client.post("/api/v1/payment/", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["message"] == ("本次申请支付金额400,000.01 元加已申请支付金额0.00 元"
                                             "超过本合同拟使用用款计划金额400,000.00 元。")
    created = client.post("/api/v1/payment/", json={**body, "amount": "400000.00"},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    sent = client.post(f"/api/v1/payment/{pk}/send", headers=headers).get_json()["result"]
    assert sent["status"] == "sent" and sent["application_no"].startswith("ZF")
    assert client.post(f"/api/v1/payment/{pk}/send",
                       headers=api_token("zz_clerk")).status_code == 404


def test_reduction_through_the_api(app: Flask, client: Any, api_token: Any) -> None:
    headers = api_token("pds_clerk")
    with app.app_context():
        session = app.appbuilder.session
        spending = session.scalar(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == operator(session, "pds_clerk").unit_id)
            .order_by(SpendingPlan.external_no))
    body = {"spending_plan": spending, "kind": "合同签订后结余资金", "amount": "3000000.01",
            "reason": "结余"}
    refused = client.post("/api/v1/spending_reduction/", json=body, headers=headers)
    assert refused.status_code == 422 and "超过可调减金额3,000,000.00 元" in \
        refused.get_json()["message"]
    created = client.post("/api/v1/spending_reduction/", json={**body, "amount": "1000.00"},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    state = client.post(f"/api/v1/spending_reduction/{pk}/submit", headers=headers).get_json()
    assert state["result"] == {"status": "in_review", "step": "internal_review"}
