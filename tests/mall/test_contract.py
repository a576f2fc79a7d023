"""The contract generated from a confirmed 网上商城 order, and its printable text."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.services import contracts
from app.services import workflow as flow
from app.services.mall.contract import amount_in_words
from app.transaction import unit_of_work
from models import Contract, WorkflowTask
from models.mall import MallOrder
from tests.mall.settlement_support import JINGCAI, SUCAI, build_order, confirmed_order


def test_confirmation_generates_and_files_the_contract(app: Any) -> None:
    order_id = confirmed_order(app)
    with app.test_request_context():
        session = app.appbuilder.session
        order = session.get(MallOrder, order_id)
        contract = order.contract
        assert contract is not None and contract.id == order.contract_id
        assert contract.code == order.order_no
        assert contract.name == f"{order.plan.project_name}（网上商城订单{order.order_no}）"
        assert contract.amount == order.amount == Decimal("11097.00")
        assert contract.unit_id == order.unit_id and contract.supplier_id == order.supplier_id
        assert contract.created_by_id == order.created_by_id
        assert sorted(i.id for i in contract.items) == sorted(
            line.plan_item_id for line in order.lines)
        assert [(f.spending_plan_id, f.amount) for f in contract.fundings] == [
            (order.plan.fundings[0].spending_plan_id, Decimal("11097.00"))]
        assert contract.total_contracts == 1 and contract.total_amount == contract.amount
        assert contract.status == "in_review"
        instance = flow.instance_of(session, contracts.RECORD, contract.id)
        assert instance is not None
        assert session.scalar(select(WorkflowTask).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
        assert [n.kind for n in contract.notices] == ["announcement"]
        assert [e.kind for e in order.events][-2:] == ["confirm", "contract"]
        assert order.events[-1].note == "已生成合同并提交备案"
    page = app.test_client().get("/public/contracts/")
    assert order.order_no in page.get_data(as_text=True)


def test_second_order_counts_the_plans_contracts(app: Any) -> None:
    confirmed_order(app)
    second = confirmed_order(app, quantities={"A05040101": 10})
    with app.test_request_context():
        session = app.appbuilder.session
        order = session.get(MallOrder, second)
        assert order.contract.total_contracts == 2
        first = session.scalars(select(Contract).where(Contract.plan_id == order.plan_id)
                                .order_by(Contract.id)).first()
        assert order.contract.total_amount == first.amount + order.contract.amount


def test_amount_in_words() -> None:
    cases = {
        "0": "零元整", "0.05": "伍分", "0.50": "伍角", "0.56": "伍角陆分", "1": "壹元整",
        "10": "壹拾元整", "10.05": "壹拾元零伍分", "10.50": "壹拾元伍角", "105": "壹佰零伍元整",
        "1010": "壹仟零壹拾元整", "11097.00": "壹万壹仟零玖拾柒元整",
        "100000": "壹拾万元整", "1000001": "壹佰万零壹元整", "10010000": "壹仟零壹万元整",
        "100100000": "壹亿零壹拾万元整", "100000001": "壹亿零壹元整",
        "110000000.10": "壹亿壹仟万元壹角", "9999999999999999.99":
            "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        "60000": "陆万元整", "1000000000000": "壹万亿元整", "1000100000000": "壹万零壹亿元整", "15000.08": "壹万伍仟元零捌分",
    }
    for figures, words in cases.items():
        assert amount_in_words(Decimal(figures)) == words, figures
    with pytest.raises(ValueError):
        amount_in_words(Decimal("-1"))


def test_print_page_content(app: Any, login_as: Callable[..., Any]) -> None:
    order_id = confirmed_order(app)
    page = login_as("pds_clerk").get(f"/mall/orders/{order_id}/contract")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "网上商城采购合同" in text
    assert "人民币壹万壹仟零玖拾柒元整" in text and "11,097.00" in text
    assert JINGCAI in text and "河南京采电子商务有限公司" in text
    assert "否（订单确认时确定）" in text
    assert "验收合格之日起45日内" in text and "中小企业" in text
    assert "启天M437" in text and "LaserJet Pro 4104dw" in text and "5,299.00" in text
    assert "平顶山市新华区建设路1号" in text and "张经办" in text
    assert "采购人（盖章）" in text and "供应商（盖章）" in text
    assert text.count("法定代表人或授权代表（签字）") == 2 and text.count("<p>日期：") == 2
    assert "<style" not in text and 'style="' not in text
    assert "mall_contract.css" in text


def test_print_page_of_an_sme_supplier_states_the_earlier_term(
        app: Any, login_as: Callable[..., Any]) -> None:
    order_id = confirmed_order(app, supplier_code=SUCAI)
    text = login_as("pds_clerk").get(f"/mall/orders/{order_id}/contract").get_data(as_text=True)
    assert "是（订单确认时确定）" in text
    assert "交付之日起30日内" in text and "先到者为准" in text


def test_print_page_scope(app: Any, login_as: Callable[..., Any]) -> None:
    order_id = confirmed_order(app)
    path = f"/mall/orders/{order_id}/contract"
    for username in ("pds_clerk", JINGCAI, "pds_sup_first", "admin"):
        assert login_as(username).get(path).status_code == 200, username
    for username in ("zz_clerk", SUCAI, "zz_sup_first"):
        assert login_as(username).get(path).status_code == 404, username
    web = login_as("pds_clerk")
    for bad in ("/mall/orders/99999999999/contract", "/mall/orders/abc/contract",
                "/mall/orders/0/contract"):
        assert web.get(bad).status_code == 404, bad
    assert app.test_client().get(path).status_code in (302, 401)


def test_order_without_contract_has_no_print_page(app: Any,
                                                  login_as: Callable[..., Any]) -> None:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            order = build_order(session)
        order_id = order.id
    assert login_as("pds_clerk").get(f"/mall/orders/{order_id}/contract").status_code == 404
