"""Suppliers, 农民工工资专用账户 and 合同备案及公告: rules on and past their bounds, public page."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.services import contracts
from app.services.errors import ValidationFailed
from app.services.plans import ItemInput
from app.timezone import business_today
from models import (
    Contract,
    MigrantAccount,
    PlanFunding,
    ProcurementPlan,
    SpendingPlan,
    Supplier,
)
from tests.support.plans import act, catalogue_id, filed_plan, operator


def completed(app: Flask, code: str = "A05010201", amount: str = "20000.00") -> int:
    with app.app_context():
        session = app.appbuilder.session
        item = catalogue_id(session, code)
        spending = session.scalar(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == operator(session, "pds_clerk").unit_id)
            .order_by(SpendingPlan.external_no))
    pk = filed_plan(app, "pds_clerk", fiscal_amount=amount,
                    items=[ItemInput(item, "1", amount, "open_tender", "", "decentralised")],
                    fundings={spending: amount})
    for username in ("pds_internal", "pds_competent", "pds_div_first", "pds_div_review"):
        act(app, username, pk)
    return pk


def contract(session: Any, plan_id: int, amount: str, funding: str | None, code: str = "HT-001",
             **extra: Any) -> Contract:
    plan = session.get(ProcurementPlan, plan_id)
    supplier = session.scalar(select(Supplier).order_by(Supplier.id))
    item = Contract(plan_id=plan_id, items=list(plan.items), code=code, name="合同", supplier_id=supplier.id,
                    amount=amount, signed_on=business_today(), total_contracts=1,
                    total_amount=amount, **extra)
    spending = session.scalar(select(PlanFunding.spending_plan_id).where(
        PlanFunding.plan_id == plan_id))
    contracts.prepare_contract(
        session, item, operator(session, "pds_clerk"),
        FileStorage(io.BytesIO(b"%PDF-1.4"), filename="合同.pdf"),
        {spending: funding} if funding is not None else {}, creating=True)
    session.add(item)
    session.commit()
    return item


def test_credit_codes() -> None:
    assert contracts.check_credit_code(" 91410100ma440a1b2d ") == "91410100MA440A1B2D"
    with pytest.raises(ValidationFailed, match="统一社会信用代码校验位不正确，请核对。"):
        contracts.check_credit_code("91410100MA440A1B2E")
    with pytest.raises(ValidationFailed, match="统一社会信用代码应为18位数字或大写字母。"):
        contracts.check_credit_code("9141")


def test_cumulative_funding_on_and_past_its_bound(app: Flask) -> None:
    plan_id = completed(app)
    with app.test_request_context():
        session = app.appbuilder.session
        contract(session, plan_id, "12000.00", "12000.00")
        with pytest.raises(ValidationFailed) as caught:
            contract(session, plan_id, "8000.01", "8000.01", code="HT-002")
        assert "累计20,000.01 元超过申请使用计划金额20,000.00 元。" in caught.value.message
        session.rollback()
        contract(session, plan_id, "8000.00", "8000.00", code="HT-002")
        assert session.scalar(select(func.count(Contract.id))) == 2


def test_contract_refusals(app: Flask) -> None:
    plan_id = completed(app)
    draft = filed_plan(app, "pds_clerk", submit=False)
    with app.test_request_context():
        session = app.appbuilder.session
        for args, extra, message in (
            ((plan_id, "100.00", None), {}, "请填写本合同拟使用计划金额。"),
            ((plan_id, "100.00", "100.01"), {}, "本合同拟使用计划金额合计100.01 元超过合同金额100.00 元。"),
            ((draft, "100.00", "100.00"), {}, "只能选择已完成备案的采购计划。"),
        ):
            with pytest.raises(ValidationFailed) as caught:
                contract(session, *args, **extra)
            assert caught.value.message == message
            session.rollback()
        tomorrow = business_today() + timedelta(days=1)
        with pytest.raises(ValidationFailed, match="请填写签订日期，且不能晚于今天。"):
            item = contract(session, plan_id, "100.00", "100.00")
            item.signed_on = tomorrow
            contracts.prepare_contract(session, item, operator(session, "pds_clerk"), None,
                                       {}, creating=False)
        session.rollback()


def test_engineering_needs_a_migrant_account_first(app: Flask) -> None:
    plan_id = completed(app, "B07000000", "500000.00")
    with app.test_request_context():
        session = app.appbuilder.session
        with pytest.raises(ValidationFailed, match="工程类项目须先登记农民工工资专用账户。"):
            contract(session, plan_id, "500000.00", "500000.00")
        session.rollback()
        account = MigrantAccount(plan_id=plan_id, account_name="农民工工资专用账户",
                                 account_no="4100100201000888888", bank_name="中国银行",
                                 contractor=session.scalar(select(Supplier)))
        contracts.prepare_migrant_account(session, account, operator(session, "pds_clerk"))
        session.add(account)
        session.commit()
        assert contract(session, plan_id, "500000.00", "500000.00").id


def test_announcement_is_public_and_shows_no_internal_data(app: Flask, client: Any,
                                                           login_as: Any) -> None:
    plan_id = completed(app)
    with app.test_request_context():
        session = app.appbuilder.session
        pk = contract(session, plan_id, "20000.00", "20000.00").id
    assert client.get(f"/public/contracts/{pk}").status_code == 404  # not announced yet
    web = login_as("pds_clerk")
    done = web.submit("/contractview/list/", {"action": "submit", "rowid": str(pk)},
                      post_path="/contractview/action_post", follow=True)
    assert "已备案，合同公告已发布。" in done.get_data(as_text=True)
    page = client.get(f"/public/contracts/{pk}").get_data(as_text=True)
    assert "政府采购合同公告" in page and "20,000.00 元" in page
    for secret in ("13900000001", "41000010010052512345", "Demo@2026"):
        assert secret not in page
    assert login_as("pds_sup_first").get("/").get_data(as_text=True).count("合同备案") >= 1
    assert login_as("zz_clerk").get(f"/contractview/show/{pk}").status_code == 404
