"""采购失败登记: the clerk records that a completed plan's procurement failed.

A 采购失败方式变更 may only start from such a record: a completed plan alone is not a failed
one. A failure is open until a completed change names it; a plan with a contract (and so any
payment) has not failed and cannot record one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, object_session

from app.services.base import without_autoflush
from app.services.errors import NotEditable, PermissionDenied, ValidationFailed
from app.services.records import (
    clerk_of,
    delete_record,
    own_record,
    required_text,
    save_record,
    unit_id_of,
)
from app.timezone import business_today, to_business
from models import (
    Contract,
    MethodChange,
    Operator,
    PaymentApplication,
    ProcurementFailure,
    ProcurementPlan,
)
from workflow import Status

REASON_LIMIT = 2000


def _is_open() -> ColumnElement[bool]:
    return ~exists().where(MethodChange.failure_id == ProcurementFailure.id,
                           MethodChange.status == Status.completed)


def plan_has_open_failure() -> ColumnElement[bool]:
    """Condition on :class:`ProcurementPlan`: its procurement failed and awaits a new method."""
    return exists().where(ProcurementFailure.plan_id == ProcurementPlan.id, _is_open())


def open_failure(session: Session, plan_id: int) -> ProcurementFailure | None:
    """The plan's failure no completed 采购失败方式变更 has answered yet, if any."""
    return session.scalar(select(ProcurementFailure)
                          .where(ProcurementFailure.plan_id == plan_id, _is_open())
                          .order_by(ProcurementFailure.id.desc()).limit(1))


def failures_of(session: Session, plan_id: int) -> list[ProcurementFailure]:
    """Every failure recorded for the plan, oldest first."""
    return list(session.scalars(select(ProcurementFailure)
                                .where(ProcurementFailure.plan_id == plan_id)
                                .order_by(ProcurementFailure.id)))


def plan_has_contract() -> ColumnElement[bool]:
    """Condition on :class:`ProcurementPlan`: a contract of it is filed, in any state."""
    return exists().where(Contract.plan_id == ProcurementPlan.id)


def check_without_contract(session: Session, plan: ProcurementPlan, what: str) -> None:
    """A plan with a contract (filed in any state) or a payment did not fail.

    :param what: the business refused, e.g. 登记采购失败
    :raises ValidationFailed: naming the contract, field ``plan``
    """
    contract = session.scalar(select(Contract).where(Contract.plan_id == plan.id)
                              .order_by(Contract.id).limit(1))
    if contract is None:
        return
    paid = session.scalar(select(func.count(PaymentApplication.id)).join(Contract)
                          .where(Contract.plan_id == plan.id)) or 0
    also = f"并有{paid}笔资金支付申请" if paid else ""
    raise ValidationFailed(f"该项目已有合同备案（合同编号{contract.code}）{also}，采购并未失败，"
                           f"不能{what}。", "plan")


@without_autoflush
def prepare_failure(session: Session, item: ProcurementFailure, actor: Operator | None,
                    creating: bool) -> None:
    """Validate a 采购失败登记 before 保存.

    :raises PermissionDenied: unless a clerk of the plan's unit records it
    :raises NotInScope: the plan is another unit's
    :raises ValidationFailed: the plan is not completed, has a contract or an open failure, the
        date is outside 备案完成 … today, or the reason is missing
    """
    clerk = clerk_of(actor)
    if creating:
        item.unit_id, item.created_by_id = unit_id_of(clerk), clerk.id
    elif item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能办理本单位的业务。")
    elif session.scalar(select(exists().where(MethodChange.failure_id == item.id))):
        raise NotEditable("该采购失败登记已用于采购失败方式变更，不能修改或删除。")
    plan = own_record(session, ProcurementPlan, item.plan_id, clerk.unit_id, "项目", "plan")
    if plan.status != Status.completed or plan.completed_on is None:
        raise ValidationFailed("只有已完成备案的采购计划可以登记采购失败。", "plan")
    check_without_contract(session, plan, "登记采购失败")
    current = open_failure(session, plan.id)
    if current is not None and current.id != item.id:
        raise ValidationFailed(f"该项目已于{current.failed_on:%Y-%m-%d}登记采购失败，"
                               "请办理采购失败方式变更，不能重复登记。", "plan")
    item.method = plan.method
    completed = to_business(plan.completed_on).date()
    if item.failed_on is None:
        raise ValidationFailed("请填写失败日期。", "failed_on")
    if item.failed_on > business_today():
        raise ValidationFailed("失败日期不能晚于今天。", "failed_on")
    if item.failed_on < completed:
        raise ValidationFailed(f"失败日期不能早于项目备案完成日期（{completed:%Y-%m-%d}）。",
                               "failed_on")
    item.reason = required_text(item.reason, "失败原因", REASON_LIMIT, field="reason")


def save_failure(session: Session, actor: Operator | None, data: Mapping[str, Any],
                 failure: ProcurementFailure | None = None) -> ProcurementFailure:
    """采购失败登记 保存 from plain input (``plan_id``, ``failed_on``, ``reason``).

    :raises ValidationFailed: as :func:`prepare_failure`
    """
    return save_record(session, ProcurementFailure, failure, data, lambda item, creating:
                       prepare_failure(session, item, actor, creating))


def delete_failure(session: Session, actor: Operator | None, failure: ProcurementFailure) -> None:
    """删除 a failure recorded by mistake, while no 采购失败方式变更 names it."""
    def check(item: ProcurementFailure) -> None:
        if item.unit_id != clerk_of(actor).unit_id:
            raise PermissionDenied("只能删除本单位的记录。")
        if session.scalar(select(exists().where(MethodChange.failure_id == item.id))):
            raise NotEditable("该采购失败登记已用于采购失败方式变更，不能修改或删除。")

    delete_record(session, failure, check)


def failure_rows(plan: ProcurementPlan) -> list[tuple[str, str]]:
    """The plan's failures and what answered them, as (label, value) rows of its record page."""
    session = object_session(plan)
    if session is None or plan.id is None:
        return []
    answers = {change.failure_id: change for change in session.scalars(select(MethodChange).where(
        MethodChange.plan_id == plan.id, MethodChange.status == Status.completed))}
    rows = []
    for failure in failures_of(session, plan.id):
        change = answers.get(failure.id)
        state = "待办理采购失败方式变更" if change is None else (
            f"已变更为{change.new_method.value}，原计划编号{change.old_plan_number or '（无）'}")
        rows.append(("采购失败", f"{failure.failed_on:%Y-%m-%d}{failure.method.value}失败："
                                 f"{failure.reason}（{state}）"))
    return rows
