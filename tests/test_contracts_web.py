"""The 合同备案 form: one 本合同拟使用计划金额 field per 用款计划, kept on edit, bounds enforced."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.services.plans import ItemInput
from models import Contract, ProcurementPlan, SpendingPlan, Supplier
from tests.support.plans import act, catalogue_id, filed_plan, operator

ADD = "/contractview/add"


@pytest.fixture
def two_funded(app: Flask) -> tuple[int, list[int]]:
    """A completed plan of 20,000.00 paid 12,000.00 + 8,000.00 from the unit's two 用款计划."""
    with app.app_context():
        session = app.appbuilder.session
        # The unit's first two (its third pays the demo 网上商城 plan).
        spending = list(session.scalars(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == operator(session, "pds_clerk").unit_id)
            .order_by(SpendingPlan.external_no)))[:2]
        item = catalogue_id(session, "A05010201")
    pk = filed_plan(app, "pds_clerk", fiscal_amount="20000.00",
                    items=[ItemInput(item, "1", "20000.00", "open_tender", "", "decentralised")],
                    fundings={spending[0]: "12000.00", spending[1]: "8000.00"})
    for username in ("pds_internal", "pds_competent", "pds_div_first", "pds_div_review"):
        act(app, username, pk)
    return pk, spending


def form(app: Flask, plan_id: int, first: str, second: str, spending: list[int]) -> dict[str, Any]:
    with app.app_context():
        session = app.appbuilder.session
        plan = session.get(ProcurementPlan, plan_id)
        supplier = session.scalar(select(Supplier.id).order_by(Supplier.id))
        return {"plan": str(plan_id), "items": [str(line.id) for line in plan.items],
                "code": "HT-WEB-1", "name": "家具采购合同", "supplier": str(supplier),
                "amount": "20000.00", "signed_on": "2026-11-02", "total_contracts": "1",
                "total_amount": "20000.00", f"funding_{spending[0]}": first,
                f"funding_{spending[1]}": second,
                "contract_file": (io.BytesIO(b"%PDF-1.4 contract"), "合同.pdf")}


def contracts(app: Flask) -> list[Contract]:
    with app.app_context():
        return list(app.appbuilder.session.scalars(select(Contract).where(
            Contract.code == "HT-WEB-1")))


def test_form_offers_each_spending_plan_of_the_plan(app: Flask, login_as: Any,
                                        two_funded: tuple[int, list[int]]) -> None:
    plan_id, spending = two_funded
    page = login_as("pds_clerk").get(f"{ADD}?plan={plan_id}").get_data(as_text=True)
    for pk in spending:
        assert f'name="funding_{pk}"' in page
    assert "本合同拟使用计划金额（元）：YK" in page
    other = login_as("zz_clerk").get(f"{ADD}?plan={plan_id}").get_data(as_text=True)
    assert not any(f'name="funding_{pk}"' in other for pk in spending)


def test_two_spending_plans_on_and_past_their_bounds(app: Flask, login_as: Any,
                                                      two_funded: tuple[int, list[int]]) -> None:
    plan_id, spending = two_funded
    web = login_as("pds_clerk")
    with app.app_context():
        before = app.appbuilder.session.scalar(select(func.count(Contract.id)))
    refused = web.submit(ADD, form(app, plan_id, "12000.01", "7999.99", spending), follow=True)
    assert "累计12,000.01 元超过申请使用计划金额12,000.00 元。" in refused.get_data(as_text=True)
    with app.app_context():
        assert app.appbuilder.session.scalar(select(func.count(Contract.id))) == before
    saved = web.submit(ADD, form(app, plan_id, "12000.00", "8000.00", spending), follow=True)
    assert "增加成功" in saved.get_data(as_text=True)
    [contract] = contracts(app)
    with app.app_context():
        lines = {f.spending_plan_id: str(f.amount) for f in
                 app.appbuilder.session.get(Contract, contract.id).fundings}
    assert lines == {spending[0]: "12000.00", spending[1]: "8000.00"}
    edit = web.get(f"/contractview/edit/{contract.id}").get_data(as_text=True)
    for pk, amount in ((spending[0], "12000.00"), (spending[1], "8000.00")):
        field = re.search(rf'<input[^>]*name="funding_{pk}"[^>]*>', edit).group(0)
        assert f'value="{amount}"' in field and "form-control" in field
