"""REST writes take plain ids and check their scope: a PUT is refused exactly like the POST.

Every resource with POST/PUT is tried with another unit's 用款计划, project, contract or plan,
and the 中标结果变更公告 gate with a project whose filing is still in review; nothing changes.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.services import bids
from app.services import workflow as flow
from app.transaction import unit_of_work
from models import (
    BidChangeAnnouncement,
    Contract,
    MethodChange,
    PaymentApplication,
    ProcurementPlan,
    Project,
    SpendingPlan,
    SpendingReduction,
    WorkflowHistory,
)
from tests.support.plans import operator
from tests.test_contracts import completed, contract
from tests.test_payments import filed_contract  # noqa: F401  (fixture)

OTHER_UNIT = "zz_clerk"


def spending_of(app: Flask, username: str) -> Any:
    with app.app_context():
        session = db.session
        return session.scalar(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == operator(session, username).unit_id)
            .order_by(SpendingPlan.external_no))


def stored(model: type, pk: int) -> Any:
    """A record as the database holds it (inside an app context)."""
    return db.session.get(model, pk)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def refused_out_of_scope(response: Any) -> None:
    assert response.status_code in (403, 422), response.get_json()
    body = response.get_json()
    assert set(body) >= {"code", "message", "field"}
    assert body["code"] == "not_in_scope", body


def test_reduction_put_cannot_point_at_another_units_spending_plan(
        app: Flask, client: Any, api_token: Any) -> None:
    """Regression: a PUT re-pointing a draft at 平顶山's 用款计划 lowered it on approval."""
    headers = api_token(OTHER_UNIT)
    own, foreign = spending_of(app, OTHER_UNIT), spending_of(app, "pds_clerk")
    body = {"spending_plan": own, "kind": "balance", "amount": "1000.00", "reason": "结余"}
    created = client.post("/api/v1/spending_reduction/", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    refused_out_of_scope(client.put(f"/api/v1/spending_reduction/{pk}",
                                    json={"spending_plan": foreign}, headers=headers))
    refused_out_of_scope(client.post("/api/v1/spending_reduction/",
                                     json={**body, "spending_plan": foreign}, headers=headers))
    with app.app_context():
        session = db.session
        assert session.get(SpendingReduction, pk).spending_plan_id == own
        assert session.scalar(select(func.count(SpendingReduction.id))) == 1
    # The draft still goes its own way.
    state = client.post(f"/api/v1/spending_reduction/{pk}/submit", headers=headers)
    assert state.status_code == 200


def test_reduction_put_refusal_says_code_message_and_field(app: Flask, client: Any,
                                                            api_token: Any) -> None:
    headers = api_token(OTHER_UNIT)
    own = spending_of(app, OTHER_UNIT)
    pk = client.post("/api/v1/spending_reduction/", headers=headers, json={
        "spending_plan": own, "kind": "balance", "amount": "1000.00", "reason": "结余",
    }).get_json()["id"]
    too_much = client.put(f"/api/v1/spending_reduction/{pk}", json={"amount": "1e20"},
                          headers=headers)
    assert too_much.status_code == 422
    assert too_much.get_json()["code"] in ("invalid", "amount_too_large")
    with app.app_context():
        assert stored(SpendingReduction, pk).amount == Decimal("1000.00")


def test_payment_put_cannot_point_at_another_units_contract_or_plan(
        app: Flask, client: Any, api_token: Any, filed_contract: int) -> None:  # noqa: F811
    headers = api_token("pds_clerk")
    with app.app_context():
        funding = stored(Contract, filed_contract).fundings[0]
        spending = funding.spending_plan_id
    created = client.post("/api/v1/payment/", headers=headers, json={
        "contract": filed_contract, "spending_plan": spending, "amount": "100.00"})
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    foreign_plan = spending_of(app, OTHER_UNIT)
    refused = client.put(f"/api/v1/payment/{pk}", json={"spending_plan": foreign_plan},
                         headers=headers)
    assert refused.status_code == 422
    with app.app_context():
        assert stored(PaymentApplication, pk).spending_plan_id == spending
    # Another unit cannot reach the payment at all, nor name this unit's contract.
    other = api_token(OTHER_UNIT)
    assert client.put(f"/api/v1/payment/{pk}", json={"amount": "1.00"},
                      headers=other).status_code == 404
    refused_out_of_scope(client.post("/api/v1/payment/", headers=other, json={
        "contract": filed_contract, "spending_plan": spending, "amount": "1.00"}))


def _filing_in_review(app: Flask, unit_code: str = "zz0101") -> int:
    """A 中标结果变更备案 submitted (not complete) for the unit's first project."""
    with app.test_request_context():
        session = db.session
        clerk = operator(session, OTHER_UNIT)
        project = session.scalar(select(Project).where(Project.unit_id == clerk.unit_id)
                                 .order_by(Project.id))
        from werkzeug.datastructures import FileStorage

        from models import BidChangeFiling

        filing = BidChangeFiling(project_id=project.id, change_content="更名",
                                 change_reason="工商变更")
        with unit_of_work(session):
            bids.prepare_filing(session, filing, clerk,
                                FileStorage(io.BytesIO(b"%PDF-1.4"), filename="说明.pdf"),
                                creating=True)
            session.add(filing)
            session.flush()
            flow.submit_record(session, bids.RECORD, filing, clerk)
        return project.id


def test_announcement_put_keeps_the_gate_and_the_scope(app: Flask, client: Any,
                                                        api_token: Any) -> None:
    gated = _filing_in_review(app)
    headers = api_token(OTHER_UNIT)
    refused = client.post("/api/v1/bid_change_announcement/", headers=headers,
                          json={"project": gated, "title": "公告", "content": "内容"})
    assert refused.status_code == 422 and "备案" in refused.get_json()["message"]
    with app.app_context():
        session = db.session
        foreign = session.scalar(select(Project.id).where(
            Project.unit_id == operator(session, "pds_clerk").unit_id))
        # A completed filing for another own project, so that an announcement can exist.
        own_projects = list(session.scalars(select(Project.id).where(
            Project.unit_id == operator(session, OTHER_UNIT).unit_id).order_by(Project.id)))
        free = own_projects[1]
        item = BidChangeAnnouncement(unit_id=operator(session, OTHER_UNIT).unit_id,
                                     project_id=free, title="旧标题", content="旧内容")
        session.add(item)
        session.commit()
        pk = item.id
    # Re-pointing the announcement at the gated project, or at another unit's, is refused.
    gate = client.put(f"/api/v1/bid_change_announcement/{pk}", json={"project": gated},
                      headers=headers)
    assert gate.status_code == 422 and "备案" in gate.get_json()["message"]
    refused_out_of_scope(client.put(f"/api/v1/bid_change_announcement/{pk}",
                                    json={"project": foreign}, headers=headers))
    with app.app_context():
        assert stored(BidChangeAnnouncement, pk).project_id == free


def test_contract_put_cannot_point_at_another_units_plan(app: Flask, client: Any,
                                                          api_token: Any) -> None:
    plan_id = completed(app)
    with app.test_request_context():
        session = db.session
        pk = contract(session, plan_id, "20000.00", "20000.00").id
        foreign_plan = session.scalar(select(ProcurementPlan.id).where(
            ProcurementPlan.unit_id == operator(session, OTHER_UNIT).unit_id))
    headers = api_token(OTHER_UNIT)
    assert client.put(f"/api/v1/contract/{pk}", data={"data": "{}"},
                      headers=headers).status_code == 404
    refused = client.post("/api/v1/contract/", headers=api_token("pds_clerk"), json={
        "plan_id": foreign_plan or 10**6, "item_ids": [1], "code": "X", "name": "X",
        "supplier_id": 1, "amount": "1.00", "signed_on": "2026-01-05", "total_contracts": 1,
        "total_amount": "1.00"})
    assert refused.status_code == 422
    with app.app_context():
        assert stored(Contract, pk).plan_id == plan_id


def test_method_change_put_cannot_point_at_another_units_plan(
        app: Flask, client: Any, api_token: Any) -> None:
    plan_id = completed(app)
    headers = api_token(OTHER_UNIT)
    refused = client.post("/api/v1/method_change/", headers=headers, json={
        "plan_id": plan_id, "new_method": "single_source", "reason": "失败"})
    assert refused.status_code == 422
    assert refused.get_json()["message"] == "请选择本单位的项目。"
    with app.app_context():
        assert db.session.scalar(select(func.count(MethodChange.id))) == 0


def test_a_refused_write_leaves_no_history_or_file(app: Flask, client: Any,
                                                   api_token: Any) -> None:
    upload_root = app.config["UPLOAD_FOLDER"]
    import pathlib

    def stored() -> set[str]:
        root = pathlib.Path(upload_root)
        return {str(p) for p in root.rglob("*") if p.is_file() and "pending" not in p.parts}

    before_files = stored()
    with app.app_context():
        before = db.session.scalar(select(func.count(WorkflowHistory.id)))
    plan_id = completed(app)
    with app.app_context():
        after_plan = db.session.scalar(select(func.count(WorkflowHistory.id)))
    files_after_plan = stored()
    # A contract whose file is fine but whose amount breaks the bound: the file must not stay.
    headers = api_token("pds_clerk")
    with app.app_context():
        session = db.session
        plan = session.get(ProcurementPlan, plan_id)
        items = [line.id for line in plan.items]
        spending = plan.fundings[0].spending_plan_id
    import json

    refused = client.post("/api/v1/contract/", headers=headers, data={
        "data": json.dumps({
            "plan_id": plan_id, "item_ids": items, "code": "HT-9", "name": "合同",
            "supplier_id": 1, "amount": "20000.00", "signed_on": "2026-01-05",
            "total_contracts": 1, "total_amount": "20000.00",
            "fundings": [{"spending_plan_id": spending, "amount": "20000.01"}]}),
        "contract_file": (io.BytesIO(b"%PDF-1.4 signed"), "合同.pdf"),
    })
    assert refused.status_code == 422, refused.get_json()
    assert stored() == files_after_plan
    with app.app_context():
        assert db.session.scalar(select(func.count(Contract.id))) == 0
        assert db.session.scalar(
            select(func.count(WorkflowHistory.id))) == after_plan
    assert before_files <= files_after_plan and before <= after_plan


def test_plan_put_cannot_fund_from_another_units_spending_plan(app: Flask, client: Any,
                                                                api_token: Any) -> None:
    from tests.test_plans_api import PLANS, body

    headers = api_token("sj_clerk")
    created = client.post(PLANS, json=body(app), headers=headers)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    foreign = spending_of(app, "pds_clerk")
    changed = body(app, fundings={str(foreign): "20000.00"})
    before = count(app, ProcurementPlan)
    refused_out_of_scope(client.put(f"{PLANS}{pk}", json=changed, headers=headers))
    refused_out_of_scope(client.post(PLANS, json=changed, headers=headers))
    assert count(app, ProcurementPlan) == before
    with app.app_context():
        plan = stored(ProcurementPlan, pk)
        assert [f.spending_plan_id for f in plan.fundings] == [spending_of(app, "sj_clerk")]


def test_operator_put_cannot_take_another_units_role(app: Flask, client: Any,
                                                     api_token: Any) -> None:
    headers = api_token("zz_unitadmin")
    role = client.post("/api/v1/unit_role/", headers=api_token("sj_unitadmin"),
                       json={"name": "省直角色", "functions": []})
    assert role.status_code == 201, role.get_json()
    foreign_role = role.get_json()["id"]
    created = client.post("/api/v1/operator/", headers=headers, json={
        "first_name": "新同事", "phone": "13900007777", "password": "Abc@12345"})
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    refused = client.put(f"/api/v1/operator/{pk}", json={"unit_roles": [foreign_role]},
                         headers=headers)
    refused_out_of_scope(refused)
    assert refused.get_json()["field"] == "unit_roles"
    with app.app_context():
        from models import Operator

        assert stored(Operator, pk).unit_roles == []
