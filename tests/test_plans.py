"""采购计划备案: the content rules, the three routes of the chain and the plan number."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.services import plans
from app.services.errors import ValidationFailed
from models import Intention, ProcurementPlan, SpendingPlan
from tests.support.plans import (
    act,
    catalogue_id,
    current_step,
    filed_plan,
    issued_numbers,
    operator,
    pdf,
    plan_input,
)


def refused(app: Flask, username: str, uploads: dict | None = None, **overrides: Any) -> str:
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, username)
        before = session.scalar(select(func.count(ProcurementPlan.id)))
        with pytest.raises(ValidationFailed) as caught:
            plans.save_plan(session, clerk, plan_input(session, clerk, **overrides),
                            uploads if uploads is not None else {})
        session.rollback()
        assert session.scalar(select(func.count(ProcurementPlan.id))) == before
        return caught.value.message


def item(session_app: Flask, code: str, amount: str, method: str = "open_tender",
         reason: str = "", organisation: str = "decentralised") -> plans.ItemInput:
    with session_app.app_context():
        pk = catalogue_id(session_app.appbuilder.session, code)
    return plans.ItemInput(pk, "1", amount, method, reason, organisation)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"fund_source": ""}, "请选择资金来源。"),
    ({"fiscal_amount": "abc"}, "财政资金必须是金额数字。"),
    ({"fiscal_amount": "1.005"}, "财政资金最多保留两位小数。"),
    ({"own_amount": "-1"}, "自有资金不能为负数。"),
    ({"items": []}, "请至少填写一条采购内容。"),
    ({"fiscal_amount": "19999.99"},
     "本次采购总金额（财政资金+自有资金）19,999.99 元须等于采购内容金额合计20,000.00 元。"),
    ({"fundings": {}}, "资金来源为用款计划时，请至少选择一个用款计划并填写本次申请使用金额。"),
    ({"fund_source": "other"}, "资金来源为其它资金时，财政资金须为0。"),
    ({"linked": None}, "请选择是否关联采购意向。"),
    ({"linked": False}, "不关联采购意向时须填写不关联意向原因。"),
    ({"intention_id": None}, "请选择关联的采购意向。"),
])
def test_rules_refuse_with_the_field_named(app: Flask, overrides: dict, message: str) -> None:
    assert refused(app, "zz_clerk", **overrides) == message


def test_item_rules(app: Flask) -> None:
    def one(line: plans.ItemInput, amount: str) -> str:
        return refused(app, "sj_clerk", items=[line], fiscal_amount=amount, fundings=funding(amount))

    def funding(amount: str) -> dict[int, str]:
        with app.app_context():
            clerk = operator(app.appbuilder.session, "sj_clerk")
            spending = app.appbuilder.session.scalar(select(SpendingPlan.id).where(
                SpendingPlan.unit_id == clerk.unit_id).order_by(SpendingPlan.external_no))
        return {spending: amount}

    assert one(item(app, "B07000000", "5000.00", "inquiry", "急需"), "5000.00") == \
        "第1条采购内容：工程和服务类品目不能选择询价。"
    assert one(item(app, "A02010104", "5000.00", "open_tender"), "5000.00") == \
        "第1条采购内容：网上商城目录内且在数额内的品目，采购方式只能选择网上商城采购。"
    assert one(item(app, "A05010201", "5000.00", "online_mall"), "5000.00") == \
        "第1条采购内容：只有网上商城目录内且在数额内的品目可以选择网上商城采购。"
    assert one(item(app, "C21040000", "5000.00", "open_tender", "", "decentralised"), "5000.00") == \
        "第1条采购内容：集中采购目录内且在数额标准内的品目，组织形式只能选择集中采购机构采购。"
    assert one(item(app, "A05010201", "5000.00", "negotiation"), "5000.00") == \
        "第1条采购内容：采购方式为“竞争性谈判”时须填写采购方式选择原因。"
    assert one(item(app, "A05010201", "3000001.00"), "3000001.00") == \
        "用款计划“YK{}-SJ-001”的本次申请使用金额3,000,001.00 元超过拟可用金额3,000,000.00 元。".format(
            __import__("app.timezone", fromlist=["x"]).business_today().year)


def test_defaults_for_mall_and_centralised_items(app: Flask) -> None:
    plan_id = filed_plan(app, "sj_clerk", submit=False, items=[
        item(app, "A02010104", "20000.00", "", "", "")])
    with app.app_context():
        plan = app.appbuilder.session.get(ProcurementPlan, plan_id)
        assert plan.items[0].method.value == "网上商城采购"
        assert plan.items[0].organisation.value == "集中采购机构采购"


def test_imports_need_proof_and_unlinked_needs_explanation(app: Flask) -> None:
    assert refused(app, "sj_clerk", has_imports=True) == "请上传进口产品证明材料。"
    assert refused(app, "zz_clerk", linked=False, unlinked_reason="紧急采购") == \
        "请上传不关联意向说明材料。"
    assert refused(app, "zz_clerk", {"unlinked_proof": pdf("说明.docx")}, linked=False,
                   unlinked_reason="紧急采购") == "不关联意向说明材料只能是 PDF、JPG、PNG 文件。"


@pytest.mark.parametrize("days", [10, 100])
def test_only_intentions_published_30_to_90_days_ago(app: Flask, days: int) -> None:
    with app.app_context():
        session = app.appbuilder.session
        clerk = operator(session, "zz_clerk")
        target = session.scalar(select(Intention).where(
            Intention.unit_id == clerk.unit_id).order_by(Intention.published_on.desc())
            .offset(0 if days == 10 else 2))
        pk = target.id
    assert refused(app, "zz_clerk", intention_id=pk) == \
        "所选采购意向须为本单位公开满30天且不超过90天的意向。"


def test_zhengzhou_linked_route_and_number(app: Flask) -> None:
    plan_id = filed_plan(app, "zz_clerk")
    assert current_step(app, plan_id) == ("in_review", "competent")
    for username in ("zz_competent", "zz_div_first", "zz_div_review"):
        act(app, username, plan_id)
    assert current_step(app, plan_id) == ("completed", None)
    with app.app_context():
        plan = app.appbuilder.session.get(ProcurementPlan, plan_id)
        year = __import__("app.timezone", fromlist=["x"]).business_today().year
        assert plan.plan_number == f"郑财招标采购-{year}-1"
        assert plan.linked is True and plan.project_name.endswith("校园物业管理服务项目")


def test_zhengzhou_linked_with_supervision_and_leader(app: Flask) -> None:
    plan_id = filed_plan(app, "zz_clerk", has_imports=True)
    for username in ("zz_competent", "zz_div_first", "zz_div_review"):
        act(app, username, plan_id)
    assert current_step(app, plan_id) == ("in_review", "linked_supervision_first")
    act(app, "zz_sup_first", plan_id, leader="yes")
    assert current_step(app, plan_id) == ("in_review", "linked_supervision_review")
    act(app, "zz_sup_review", plan_id)
    assert current_step(app, plan_id)[0] == "completed"


def test_zhengzhou_unlinked_route(app: Flask) -> None:
    plan_id = filed_plan(app, "zz_clerk", linked=False, unlinked_reason="年初预算调整后新增项目")
    assert current_step(app, plan_id) == ("in_review", "unlinked_supervision_first")
    act(app, "zz_sup_first", plan_id, leader="no")
    assert current_step(app, plan_id) == ("in_review", "competent")
    act(app, "zz_competent", plan_id, action="return", opinion="请补充说明")
    assert current_step(app, plan_id) == ("returned", None)
    with app.app_context():
        assert app.appbuilder.session.get(ProcurementPlan, plan_id).plan_number is None


def test_other_region_route(app: Flask) -> None:
    issued = issued_numbers(app)
    plan_id = filed_plan(app, "pds_clerk")
    assert current_step(app, plan_id) == ("in_review", "internal_review")
    for username in ("pds_internal", "pds_competent", "pds_div_first"):
        act(app, username, plan_id)
    act(app, "pds_div_review", plan_id, action="return_first", opinion="金额有误")
    assert current_step(app, plan_id) == ("in_review", "division_first")
    act(app, "pds_div_first", plan_id)
    act(app, "pds_div_review", plan_id)
    with app.app_context():
        plan = app.appbuilder.session.get(ProcurementPlan, plan_id)
        assert plan.plan_number.startswith("平财招标采购-") and plan.plan_number.endswith(f"-{issued + 1}")
