"""采购方式失败变更 and 用款计划调减: rules, record types and the hooks that apply them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import url_for
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.files import store_upload
from app.services.plans import parse_money
from app.services.records import claim, clerk_of, ensure_editable, money
from app.services.spending_plans import amounts
from app.services.workflow_registry import RecordType, WorkflowRegistry
from app.timezone import to_business
from models import Method, MethodChange, Operator, ProcurementPlan, SpendingPlan, SpendingReduction
from workflow import Status

METHOD_CHANGE = "method_change"
REDUCTION = "spending_reduction"
TENDERS = (Method.open_tender, Method.invited_tender)
ATTACHMENT = "变更相关附件"
IN_FLIGHT = (Status.in_review.value, Status.returned.value, Status.withdrawn.value,
             Status.draft.value)


@without_autoflush
def prepare_method_change(session: Session, item: MethodChange, actor: Operator | None,
                          upload: FileStorage | None, creating: bool) -> None:
    """Validate a 采购方式失败变更 before 保存.

    :raises ValidationFailed: naming the field, e.g. when the new method equals the old one
    """
    clerk = claim(item, actor, creating)
    ensure_editable(session, MethodChange, item)
    plan = session.get(ProcurementPlan, item.plan_id) if item.plan_id else item.plan
    if plan is None or plan.unit_id != clerk.unit_id:
        raise ValidationFailed("请选择本单位的项目。")
    if plan.status != Status.completed.value:
        raise ValidationFailed("只有已完成备案的采购计划可以申请采购方式变更。")
    pending = select(exists().where(
        MethodChange.plan_id == plan.id, MethodChange.status.in_(IN_FLIGHT),
        MethodChange.id != item.id))
    if session.scalar(pending):
        raise ValidationFailed("该项目已有尚未完成的采购方式变更申请。")
    item.old_method = plan.method
    if item.new_method is None:
        raise ValidationFailed("请选择变更后的采购方式。")
    if item.new_method is item.old_method:
        raise ValidationFailed(f"变更后的采购方式不能与原采购方式（{item.old_method.value}）相同。")
    item.reason = (item.reason or "").strip()
    if not item.reason:
        raise ValidationFailed("请填写变更原因。")
    if upload is not None and upload.filename:
        saved = store_upload(upload, ATTACHMENT)
        item.attachment_path, item.attachment_name = saved.path, saved.name
    elif not item.attachment_path:
        raise ValidationFailed(f"请上传{ATTACHMENT}。")


def _apply_method_change(session: Session, change: MethodChange) -> None:
    plan = change.plan
    for line in plan.items:
        if line.method is change.old_method:
            line.method = change.new_method
    plan.method = change.new_method


@without_autoflush
def prepare_reduction(session: Session, item: SpendingReduction, actor: Operator | None,
                      creating: bool) -> None:
    """Validate a 用款计划调减: the plan amount may never fall below what is requested or paid.

    :raises ValidationFailed: naming the field and the bound
    """
    clerk = claim(item, actor, creating)
    ensure_editable(session, SpendingReduction, item)
    spending = session.get(SpendingPlan, item.spending_plan_id) if item.spending_plan_id \
        else item.spending_plan
    if spending is None or spending.unit_id != clerk.unit_id:
        raise ValidationFailed("请选择本单位的用款计划。")
    if item.kind is None:
        raise ValidationFailed("请选择调减类型。")
    item.amount = parse_money(item.amount, "调减金额", positive=True)
    check_reduction(session, spending, item.amount, pending_except=item.id or 0)
    item.reason = (item.reason or "").strip()
    if not item.reason:
        raise ValidationFailed("请填写调减原因。")


def check_reduction(session: Session, spending: SpendingPlan, amount: Decimal,
                    pending_except: int | None = None) -> None:
    """The most a spending plan can lose: 计划金额 − max(已申请使用金额, 实际已支付).

    :param pending_except: when given, reductions of this plan in review (other than this id)
        count against the room too, so two requests cannot both claim the same balance
    """
    row = amounts(session, [spending.id])[spending.id]
    floor = max(row.requested, row.paid)
    pending = Decimal(0)
    if pending_except is not None:
        pending = session.scalar(select(func.coalesce(func.sum(SpendingReduction.amount), 0))
                                 .where(SpendingReduction.spending_plan_id == spending.id,
                                        SpendingReduction.status == Status.in_review.value,
                                        SpendingReduction.id != pending_except))
    room = spending.plan_amount - floor - pending
    if amount > room:
        in_review = f"，审核中的调减{money(pending)}" if pending else ""
        raise ValidationFailed(
            f"调减金额{money(amount)}超过可调减金额{money(room)}"
            f"（计划金额{money(spending.plan_amount)}，已申请使用{money(row.requested)}，"
            f"已支付{money(row.paid)}{in_review}）。")


def _apply_reduction(session: Session, reduction: SpendingReduction) -> None:
    # Checked again on completion: plans filed meanwhile may have used the amount.
    check_reduction(session, reduction.spending_plan, reduction.amount)
    reduction.spending_plan.plan_amount -= reduction.amount


def _describe_change(change: MethodChange) -> list[tuple[str, str]]:
    return [
        ("申请单位", change.unit.name),
        ("项目", f"{change.plan.plan_number or ''} {change.plan.project_name}".strip()),
        ("原采购方式", change.old_method.value),
        ("变更后采购方式", change.new_method.value),
        ("变更原因", change.reason),
        ("经办人", change.created_by.first_name),
        ("填报时间", to_business(change.created_on).strftime("%Y-%m-%d %H:%M")),
    ]


def _change_files(change: MethodChange) -> list[tuple[str, str]]:
    if not change.attachment_name:
        return []
    url = url_for("MethodChangeView.download", pk=change.id)
    return [(f"{ATTACHMENT}：{change.attachment_name}", url)]


def _describe_reduction(reduction: SpendingReduction) -> list[tuple[str, str]]:
    spending = reduction.spending_plan
    return [
        ("申请单位", reduction.unit.name),
        ("用款计划", f"{spending.external_no} {spending.name}"),
        ("计划金额", money(spending.plan_amount)),
        ("调减类型", reduction.kind.value),
        ("调减金额", money(reduction.amount)),
        ("调减原因", reduction.reason),
        ("经办人", reduction.created_by.first_name),
    ]


def register(registry: WorkflowRegistry) -> None:
    """Declare both record types and the hooks their chains name."""
    registry.record(RecordType(
        METHOD_CHANGE, "采购方式失败变更", MethodChange,
        lambda c: {"failed_was_tender": c.old_method in TENDERS},
        frozenset({"failed_was_tender"}), _describe_change, _change_files))
    registry.record(RecordType(
        REDUCTION, "用款计划调减", SpendingReduction,
        lambda r: {"amount": r.amount}, frozenset({"amount"}), _describe_reduction))
    registry.hook("apply_method_change", _apply_method_change)
    registry.hook("apply_spending_reduction", _apply_reduction)


def validate_draft_delete(item: Any, actor: Operator | None) -> None:
    """Only a never-submitted record of the clerk's own unit may be deleted."""
    clerk = clerk_of(actor)
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能删除本单位的记录。")
    if item.status != Status.draft.value:
        raise ValidationFailed("已提交过的记录不能删除，审批记录须完整保留。")
