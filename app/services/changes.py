"""采购方式失败变更 and 用款计划调减: rules, record types and the hooks that apply them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.files import store_upload
from app.services.ledger import amounts
from app.services.money import format_money, parse_money
from app.services.records import (
    ClerkRecord,
    claim,
    clerk_of,
    delete_record,
    ensure_editable,
    own_record,
    required_text,
    save_record,
)
from app.services.workflow_registry import RecordType, WorkflowRegistry
from app.timezone import to_business
from models import Method, MethodChange, Operator, ProcurementPlan, SpendingPlan, SpendingReduction
from workflow import Status

METHOD_CHANGE = "method_change"
REDUCTION = "spending_reduction"
TENDERS = (Method.open_tender, Method.invited_tender)
ATTACHMENT = "变更相关附件"
IN_FLIGHT = (Status.in_review, Status.returned, Status.withdrawn, Status.draft)


@without_autoflush
def prepare_method_change(session: Session, item: MethodChange, actor: Operator | None,
                          upload: FileStorage | None, creating: bool) -> None:
    """Validate a 采购方式失败变更 before 保存.

    :raises ValidationFailed: naming the field, e.g. when the new method equals the old one
    """
    clerk = claim(item, actor, creating)
    ensure_editable(session, MethodChange, item)
    plan = own_record(session, ProcurementPlan, item.plan_id, clerk.unit_id, "项目", "plan")
    if plan.status != Status.completed:
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
    item.reason = required_text(item.reason, "变更原因", None, field="reason")
    if upload is not None and upload.filename:
        saved = store_upload(upload, ATTACHMENT)
        item.attachment_path, item.attachment_name = saved.path, saved.name
    elif not item.attachment_path:
        raise ValidationFailed(f"请上传{ATTACHMENT}。")


def save_method_change(session: Session, actor: Operator | None, data: Mapping[str, Any],
                       change: MethodChange | None = None) -> MethodChange:
    """采购失败方式变更 保存 from plain input; ``data["attachment"]`` is the file, if chosen.

    :raises NotInScope: the plan is another unit's
    :raises ValidationFailed: as :func:`prepare_method_change`
    """
    return save_record(session, MethodChange, change, data, lambda item, creating:
                       prepare_method_change(session, item, actor, data.get("attachment"),
                                             creating))

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
    spending = own_record(session, SpendingPlan, item.spending_plan_id, clerk.unit_id,
                          "用款计划", "spending_plan")
    if item.kind is None:
        raise ValidationFailed("请选择调减类型。")
    item.amount = parse_money(item.amount, "调减金额", positive=True, field="amount")
    check_reduction(session, spending, item.amount, pending_except=item.id or 0)
    item.reason = required_text(item.reason, "调减原因", None, field="reason")


def save_reduction(session: Session, actor: Operator | None, data: Mapping[str, Any],
                   reduction: SpendingReduction | None = None) -> SpendingReduction:
    """用款计划调减 保存 from plain input.

    :raises NotInScope: the 用款计划 is another unit's
    :raises ValidationFailed: more than can be released, or a field missing
    """
    return save_record(session, SpendingReduction, reduction, data, lambda item, creating:
                       prepare_reduction(session, item, actor, creating))


def delete_draft(session: Session, actor: Operator | None,
                 item: MethodChange | SpendingReduction) -> None:
    """删除 a never-submitted 采购方式变更 or 用款计划调减 of the clerk's unit."""
    delete_record(session, item, lambda record: validate_draft_delete(record, actor))


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
                                        SpendingReduction.status == Status.in_review,
                                        SpendingReduction.id != pending_except)) or pending
    room = spending.plan_amount - floor - pending
    if amount > room:
        in_review = f"，审核中的调减{format_money(pending)}" if pending else ""
        raise ValidationFailed(
            f"调减金额{format_money(amount)}超过可调减金额{format_money(room)}"
            f"（计划金额{format_money(spending.plan_amount)}，已申请使用{format_money(row.requested)}，"
            f"已支付{format_money(row.paid)}{in_review}）。")


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
    return [(f"{ATTACHMENT}：{change.attachment_name}", "attachment")]


def _describe_reduction(reduction: SpendingReduction) -> list[tuple[str, str]]:
    spending = reduction.spending_plan
    return [
        ("申请单位", reduction.unit.name),
        ("用款计划", f"{spending.external_no} {spending.name}"),
        ("计划金额", format_money(spending.plan_amount)),
        ("调减类型", reduction.kind.value),
        ("调减金额", format_money(reduction.amount)),
        ("调减原因", reduction.reason),
        ("经办人", reduction.created_by.first_name),
    ]


def register(registry: WorkflowRegistry) -> None:
    """Declare both record types and the hooks their chains name."""
    registry.record(RecordType(
        METHOD_CHANGE, "采购方式失败变更", MethodChange,
        {"failed_was_tender": lambda c: c.old_method in TENDERS},
        _describe_change, _change_files))
    registry.record(RecordType(
        REDUCTION, "用款计划调减", SpendingReduction,
        {"amount": lambda r: r.amount}, _describe_reduction))
    registry.record_hook("apply_method_change", MethodChange, _apply_method_change)
    registry.record_hook("apply_spending_reduction", SpendingReduction, _apply_reduction)


def validate_draft_delete(item: ClerkRecord, actor: Operator | None) -> None:
    """Only a never-submitted record of the clerk's own unit may be deleted."""
    clerk = clerk_of(actor)
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能删除本单位的记录。")
    if item.status != Status.draft:
        raise ValidationFailed("已提交过的记录不能删除，审批记录须完整保留。")
