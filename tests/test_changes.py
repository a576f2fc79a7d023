"""采购失败登记, 采购失败方式变更 and 用款计划调减: rules on and past their bounds, chains and
their effects."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.services import changes, failures
from app.services import workflow as flow
from app.services.errors import ValidationFailed
from app.timezone import business_today
from app.transaction import unit_of_work
from models import (
    Method,
    MethodChange,
    ProcurementPlan,
    ReductionKind,
    SpendingPlan,
    SpendingReduction,
    WorkflowTask,
)
from tests.support.plans import act, filed_plan, operator
from workflow import Decision

PDF = FileStorage(io.BytesIO(b"%PDF-1.4"), filename="失败说明.pdf")


def completed_plan(app: Any, **overrides: Any) -> int:
    pk = filed_plan(app, "pds_clerk", **overrides)
    for username in ("pds_internal", "pds_competent", "pds_div_first", "pds_div_review"):
        act(app, username, pk)
    return pk


def record_failure(app: Any, plan_id: int, reason: str = "投标人不足三家，招标失败") -> int:
    """采购失败登记 of the plan by pds_clerk, dated today."""
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            failure = failures.save_failure(session, operator(session, "pds_clerk"), {
                "plan_id": plan_id, "failed_on": business_today(), "reason": reason})
            session.flush()
        return failure.id


def failed_plan(app: Any, **overrides: Any) -> int:
    """A completed plan of pds_clerk with its failure recorded."""
    pk = completed_plan(app, **overrides)
    record_failure(app, pk)
    return pk


def new_change(app: Any, plan_id: int, method: Method = Method.consultation,
               upload: FileStorage | None = None, reason: str = "两次招标均不足三家") -> int:
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        change = MethodChange(plan_id=plan_id, new_method=method, reason=reason)
        with unit_of_work(session):
            changes.prepare_method_change(session, change, clerk, upload or FileStorage(
                io.BytesIO(b"%PDF-1.4"), filename="失败说明.pdf"), creating=True)
            session.add(change)
            session.flush()
            flow.submit_record(session, changes.METHOD_CHANGE, change, clerk)
        return change.id


def review(app: Any, record_type: str, pk: int, username: str, action: str = "approve") -> Any:
    with app.test_request_context():
        session = app.appbuilder.session
        instance = flow.instance_of(session, record_type, pk)
        task = session.scalar(select(WorkflowTask).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
        with unit_of_work(session):
            return flow.act_on_task(session, task.id, operator(session, username),
                                    Decision(action, "意见"), task.version)


def refusal(app: Any, call: Any) -> str:
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        with pytest.raises(ValidationFailed) as caught, unit_of_work(session):
            call(session, clerk)
        return caught.value.message


def test_failed_tender_goes_to_supervision_and_changes_the_plan(app: Any) -> None:
    plan_id = failed_plan(app)
    change_id = new_change(app, plan_id)
    review(app, changes.METHOD_CHANGE, change_id, "pds_internal")
    review(app, changes.METHOD_CHANGE, change_id, "pds_sup_first")
    with app.app_context():
        assert app.appbuilder.session.get(ProcurementPlan, plan_id).method is Method.open_tender
    review(app, changes.METHOD_CHANGE, change_id, "pds_sup_review")
    with app.app_context():
        plan = app.appbuilder.session.get(ProcurementPlan, plan_id)
        assert plan.method is Method.consultation
        assert {item.method for item in plan.items} == {Method.consultation}


def test_failed_non_tender_takes_effect_after_internal_review(app: Any) -> None:
    from app.services.plans import ItemInput
    from tests.support.plans import catalogue_id

    with app.app_context():
        furniture = catalogue_id(app.appbuilder.session, "A05010201")
    plan_id = failed_plan(app, items=[ItemInput(furniture, "10", "20000.00", "negotiation",
                                                "技术复杂", "decentralised")])
    change_id = new_change(app, plan_id, Method.single_source)
    review(app, changes.METHOD_CHANGE, change_id, "pds_internal")
    with app.app_context():
        session = app.appbuilder.session
        assert session.get(MethodChange, change_id).status == "completed"
        assert session.get(ProcurementPlan, plan_id).method is Method.single_source


def test_method_change_refusals(app: Any) -> None:
    plan_id = failed_plan(app)
    draft_id = filed_plan(app, "pds_clerk", submit=False)

    def attempt(plan: int, method: Method, reason: str = "原因",
                upload: FileStorage | None = PDF) -> Any:
        def call(session: Any, clerk: Any) -> None:
            change = MethodChange(plan_id=plan, new_method=method, reason=reason)
            changes.prepare_method_change(session, change, clerk, upload and FileStorage(
                io.BytesIO(b"%PDF-1.4"), filename=upload.filename), creating=True)
        return call

    assert refusal(app, attempt(plan_id, Method.open_tender)) == \
        "变更后的采购方式不能与原采购方式（公开招标）相同。"
    assert refusal(app, attempt(plan_id, Method.inquiry, reason=" ")) == "请填写变更原因。"
    assert refusal(app, attempt(plan_id, Method.inquiry, upload=None)) == "请上传变更相关附件。"
    assert refusal(app, attempt(draft_id, Method.inquiry)) == \
        "只有已完成备案的采购计划可以申请采购失败方式变更。"
    new_change(app, plan_id)
    assert refusal(app, attempt(plan_id, Method.inquiry)) == \
        "该项目已有尚未完成的采购失败方式变更申请。"
    with app.app_context():
        assert app.appbuilder.session.scalar(select(func.count(MethodChange.id))) == 1


def spending(app: Any) -> SpendingPlan:
    with app.app_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        return session.scalar(select(SpendingPlan).where(SpendingPlan.unit_id == clerk.unit_id)
                              .order_by(SpendingPlan.external_no))


def reduction(app: Any, amount: str) -> Any:
    def call(session: Any, clerk: Any) -> SpendingReduction:
        item = SpendingReduction(spending_plan_id=spending(app).id, kind=ReductionKind.balance,
                                 amount=amount, reason="合同签订后结余")
        changes.prepare_reduction(session, item, clerk, creating=True)
        session.add(item)
        session.commit()
        return item
    return call


def test_reduction_bounds_on_and_past(app: Any) -> None:
    completed_plan(app)  # uses 20,000.00 of the first 用款计划 (3,000,000.00)
    room = "2980000.00"
    assert refusal(app, reduction(app, "2980000.01")) == (
        "调减金额2,980,000.01 元超过可调减金额2,980,000.00 元（计划金额3,000,000.00 元，"
        "已申请使用20,000.00 元，已支付0.00 元）。")
    assert refusal(app, reduction(app, "0")) == "调减金额必须大于0。"
    assert refusal(app, reduction(app, "1.001")) == "调减金额最多保留两位小数。"
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        with unit_of_work(session):
            item = reduction(app, room)(session, clerk)
            flow.submit_record(session, changes.REDUCTION, item, clerk)
        pk = item.id
    review(app, changes.REDUCTION, pk, "pds_internal")
    review(app, changes.REDUCTION, pk, "pds_sup_first")
    assert spending(app).plan_amount == Decimal("20000.00")


def test_reduction_rechecked_when_it_completes(app: Any) -> None:
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        with unit_of_work(session):
            item = reduction(app, "2990000.00")(session, clerk)
            flow.submit_record(session, changes.REDUCTION, item, clerk)
        pk = item.id
    review(app, changes.REDUCTION, pk, "pds_internal")
    completed_plan(app)  # meanwhile 20,000.00 are requested: only 2,980,000.00 may go
    with pytest.raises(ValidationFailed, match="超过可调减金额2,980,000.00 元"):
        review(app, changes.REDUCTION, pk, "pds_sup_first")
    assert spending(app).plan_amount == Decimal("3000000.00")
    with app.app_context():
        assert app.appbuilder.session.get(SpendingReduction, pk).status == "in_review"


def test_pages_are_scoped(app: Any, login_as: Any) -> None:
    change_id = new_change(app, failed_plan(app))
    other = login_as("zz_clerk")
    for path in (f"/methodchangeview/show/{change_id}", f"/methodchangeview/edit/{change_id}",
                 f"/methodchangeview/download/{change_id}"):
        assert other.get(path).status_code == 404
    own = login_as("pds_clerk").get(f"/methodchangeview/show/{change_id}").get_data(as_text=True)
    assert "竞争性磋商" in own and "失败说明.pdf" in own
    assert login_as("pds_sup_first").get(f"/methodchangeview/download/{change_id}").status_code == 404
    page = login_as("pds_clerk").get("/spendingreductionview/add").get_data(as_text=True)
    assert "合同签订后结余资金" in page and "YK" in page


def test_search_pickers_offer_only_the_units_records(app: Any, login_as: Any) -> None:
    """Search filters list the unit's own 用款计划, plans and unit, not the province's."""
    web = login_as("pds_clerk")
    for path in ("/spendingreductionview/list/", "/methodchangeview/list/",
                 "/planqueryview/list/", "/paymentview/list/"):
        page = web.get(path).get_data(as_text=True)
        assert "-ZZ-00" not in page and "-SJ-00" not in page, path
        assert "郑州市" not in page and "河南省实验中学" not in page, path


def test_pending_reductions_share_the_room(app: Any) -> None:
    """A second reduction cannot claim what one in review already asks for."""
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        with unit_of_work(session):
            first = reduction(app, "2000000.00")(session, clerk)
            flow.submit_record(session, changes.REDUCTION, first, clerk)
    assert refusal(app, reduction(app, "1000000.01")) == (
        "调减金额1,000,000.01 元超过可调减金额1,000,000.00 元（计划金额3,000,000.00 元，"
        "已申请使用0.00 元，已支付0.00 元，审核中的调减2,000,000.00 元）。")
    with app.test_request_context():
        session = app.appbuilder.session
        assert reduction(app, "1000000.00")(session, operator(session, "pds_clerk")).id


def attempt_change(plan: int, method: Method, reason: str = "原因") -> Any:
    """A 采购失败方式变更 of ``plan`` to ``method``, for :func:`refusal`."""
    def call(session: Any, clerk: Any) -> None:
        change = MethodChange(plan_id=plan, new_method=method, reason=reason)
        changes.prepare_method_change(session, change, clerk, FileStorage(
            io.BytesIO(b"%PDF-1.4"), filename="失败说明.pdf"), creating=True)
    return call


def attempt_failure(plan: int, reason: str = "投标人不足三家", days_ago: int | None = 0) -> Any:
    """A 采购失败登记 of ``plan`` dated ``days_ago`` (None: no date), for :func:`refusal`."""
    def call(session: Any, clerk: Any) -> None:
        failed_on = None if days_ago is None else business_today() - timedelta(days=days_ago)
        failures.save_failure(session, clerk, {"plan_id": plan, "failed_on": failed_on,
                                               "reason": reason})
    return call


def one_line(app: Any, code: str, method: str, organisation: str = "decentralised") -> Any:
    from app.services.plans import ItemInput
    from tests.support.plans import catalogue_id

    with app.app_context():
        item = catalogue_id(app.appbuilder.session, code)
    reason = "" if method in ("open_tender", "online_mall") else "符合法定情形"
    return [ItemInput(item, "1", "20000.00", method, reason, organisation)]


def test_a_change_needs_a_recorded_failure(app: Any) -> None:
    """A completed plan alone has not failed: the clerk records the failure first."""
    plan_id = completed_plan(app)
    assert refusal(app, attempt_change(plan_id, Method.single_source)) == (
        "该项目尚未登记采购失败，不能申请采购失败方式变更；请先在“采购失败登记”中登记失败日期和原因。")
    failure_id = record_failure(app, plan_id)
    change_id = new_change(app, plan_id, Method.single_source)
    with app.app_context():
        assert app.appbuilder.session.get(MethodChange, change_id).failure_id == failure_id


def test_new_method_meets_every_method_rule_of_plan_filing(app: Any) -> None:
    """询价 for 工程/服务, 网上商城 only for the mall's items and always for them."""
    cases = [
        ("C16000000", "consultation", "decentralised", Method.inquiry,
         "第1条采购内容（信息技术服务）：工程和服务类品目不能选择询价。"),
        ("B07000000", "open_tender", "decentralised", Method.inquiry,
         "第1条采购内容（房屋修缮工程）：工程和服务类品目不能选择询价。"),
        ("A02010104", "online_mall", "central_agency", Method.single_source,
         "第1条采购内容（台式计算机）：网上商城目录内且在数额内的品目，采购方式只能选择网上商城采购。"),
        ("A05010201", "open_tender", "decentralised", Method.online_mall,
         "第1条采购内容（办公桌椅）：只有网上商城目录内且在数额内的品目可以选择网上商城采购。"),
    ]
    for code, method, organisation, new, message in cases:
        plan_id = failed_plan(app, items=one_line(app, code, method, organisation))
        assert refusal(app, attempt_change(plan_id, new)) == \
            f"变更后的采购方式不符合采购计划备案的规定：{message}"
    goods = failed_plan(app)  # 询价 is allowed for 货物
    new_change(app, goods, Method.inquiry)
    with app.app_context():
        assert app.appbuilder.session.scalar(select(func.count(MethodChange.id))) == 1




def test_completion_rechecks_the_contract(app: Any) -> None:
    """A contract that arrived while the change was reviewed stops it at the last approval.

    合同备案 refuses a plan whose failure awaits its change, so the contract is written as one
    of before that rule (or an import) would be.
    """
    from models import Contract, Supplier

    plan_id = failed_plan(app, items=one_line(app, "A05010201", "negotiation"))
    change_id = new_change(app, plan_id, Method.single_source)
    with app.app_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        session.add(Contract(
            unit_id=clerk.unit_id, plan_id=plan_id, code="HT-001", name="合同",
            supplier_id=session.scalar(select(Supplier.id).order_by(Supplier.id).limit(1)),
            amount=Decimal("20000.00"), signed_on=business_today(), total_contracts=1,
            total_amount=Decimal("20000.00"), created_by_id=clerk.id))
        session.commit()
    with pytest.raises(ValidationFailed, match="已有合同备案（合同编号HT-001）"):
        review(app, changes.METHOD_CHANGE, change_id, "pds_internal")
    with app.app_context():
        session = app.appbuilder.session
        assert session.get(ProcurementPlan, plan_id).method is Method.negotiation
        assert session.get(MethodChange, change_id).status == "in_review"


def test_plan_takes_a_number_of_its_new_method(app: Any) -> None:
    """平财谈判采购-<年>-1 becomes 平财单一来源采购-<年>-1; the old number stays on the change."""
    from app.services.workflow_registry import registry

    year = business_today().year
    plan_id = failed_plan(app, items=one_line(app, "A05010201", "negotiation"))
    with app.app_context():
        old = app.appbuilder.session.get(ProcurementPlan, plan_id).plan_number
    assert old == f"平财谈判采购-{year}-1"
    change_id = new_change(app, plan_id, Method.single_source, reason="仅一家供应商可提供")
    with app.test_request_context():
        change = app.appbuilder.session.get(MethodChange, change_id)
        rows = dict(registry().records[changes.METHOD_CHANGE].describe(change))
        assert rows["政府采购计划编号"] == changes.NUMBERING
        assert rows["失败原因"] == "投标人不足三家，招标失败"
    review(app, changes.METHOD_CHANGE, change_id, "pds_internal")
    with app.test_request_context():
        session = app.appbuilder.session
        plan = session.get(ProcurementPlan, plan_id)
        change = session.get(MethodChange, change_id)
        assert plan.plan_number == change.new_plan_number == f"平财单一来源采购-{year}-1"
        assert change.old_plan_number == old
        assert [(i.method, i.method_reason) for i in plan.items] == [
            (Method.single_source, "仅一家供应商可提供")]
        assert failures.open_failure(session, plan_id) is None
        shown = dict(registry().records["procurement_plan"].describe(plan))
        assert shown["政府采购计划编号"] == f"平财单一来源采购-{year}-1"
        assert shown["采购失败"] == (f"{business_today():%Y-%m-%d}竞争性谈判失败：投标人不足三家，"
                                   f"招标失败（已变更为单一来源，原计划编号{old}）")
        assert dict(registry().records[changes.METHOD_CHANGE].describe(change))[
            "政府采购计划编号"] == f"原编号{old}，变更后编号平财单一来源采购-{year}-1"
    record_failure(app, plan_id)  # the new method may fail too: a new failure, a new change
    new_change(app, plan_id, Method.negotiation)
