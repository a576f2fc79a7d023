"""采购失败方式变更 and 用款计划调减: rules, record types and the hooks that apply them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.failures import check_without_contract, open_failure
from app.services.files import store_upload
from app.services.money import format_money, parse_money
from app.services.plan_numbers import assign_plan_number, main_method
from app.services.plans import line_method
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
from app.services.reductions import apply_reduction, check_reduction, sent_state
from app.services.workflow_registry import RecordType, Summary, WorkflowRegistry
from app.timezone import to_business
from models import (
    Method,
    MethodChange,
    Operator,
    PlanItem,
    ProcurementPlan,
    SpendingPlan,
    SpendingReduction,
)
from workflow import Status

METHOD_CHANGE = "method_change"
REDUCTION = "spending_reduction"
TENDERS = (Method.open_tender, Method.invited_tender)
ATTACHMENT = "变更相关附件"
IN_FLIGHT = (Status.in_review, Status.returned, Status.withdrawn, Status.draft)
REASON_LIMIT = 2000  # 采购方式选择原因 of a plan line
NUMBERING = ("变更完成后，项目按变更后的采购方式取得新的政府采购计划编号"
             "（如 平财磋商采购-2026-1 变更为单一来源后为 平财单一来源采购-2026-N），"
             "原编号记入本变更记录，不再使用。")


@without_autoflush
def prepare_method_change(session: Session, item: MethodChange, actor: Operator | None,
                          upload: FileStorage | None, creating: bool) -> None:
    """Validate a 采购失败方式变更 before 保存: the plan's recorded failure, no contract, and
    every method rule of 实施计划备案 on the lines that take the new method.

    :raises NotInScope: the plan is another unit's
    :raises ValidationFailed: naming the field, e.g. 询价 for a 服务 line, or the new method
        equal to the old one
    """
    clerk = claim(item, actor, creating)
    ensure_editable(session, MethodChange, item)
    plan = own_record(session, ProcurementPlan, item.plan_id, clerk.unit_id, "项目", "plan")
    if plan.status != Status.completed:
        raise ValidationFailed("只有已完成备案的采购计划可以申请采购失败方式变更。", "plan")
    check_without_contract(session, plan, "申请采购失败方式变更")
    failure = open_failure(session, plan.id)
    if failure is None:
        raise ValidationFailed("该项目尚未登记采购失败，不能申请采购失败方式变更；"
                               "请先在“采购失败登记”中登记失败日期和原因。", "plan")
    pending = select(exists().where(
        MethodChange.plan_id == plan.id, MethodChange.status.in_(IN_FLIGHT),
        MethodChange.id != item.id))
    if session.scalar(pending):
        raise ValidationFailed("该项目已有尚未完成的采购失败方式变更申请。", "plan")
    item.failure_id, item.old_method = failure.id, plan.method
    if item.new_method is None:
        raise ValidationFailed("请选择变更后的采购方式。", "new_method")
    if item.new_method is item.old_method:
        raise ValidationFailed(f"变更后的采购方式不能与原采购方式（{item.old_method.value}）相同。",
                               "new_method")
    item.reason = required_text(item.reason, "变更原因", None, field="reason")
    check_new_method(plan, item.old_method, item.new_method, item.reason)
    if upload is not None and upload.filename:
        saved = store_upload(upload, ATTACHMENT)
        item.attachment_path, item.attachment_name = saved.path, saved.name
    elif not item.attachment_path:
        raise ValidationFailed(f"请上传{ATTACHMENT}。", "attachment")


def _changed_lines(plan: ProcurementPlan, old: Method) -> list[tuple[int, PlanItem]]:
    return [(n, line) for n, line in enumerate(plan.items, start=1) if line.method is old]


def check_new_method(plan: ProcurementPlan, old: Method, new: Method, reason: str) -> None:
    """The lines of the failed method, with the new one, must pass 实施计划备案's method rules.

    The change's 变更原因 stands as each line's 采购方式选择原因 for the new method.

    :raises ValidationFailed: the rule's message for the first line it refuses, field
        ``new_method``
    """
    for n, line in _changed_lines(plan, old):
        try:
            line_method(line.catalogue_item, line.amount, new.name, reason,
                        f"第{n}条采购内容（{line.catalogue_item.name}）")
        except ValidationFailed as exc:
            raise ValidationFailed(f"变更后的采购方式不符合采购计划备案的规定：{exc.message}",
                                   "new_method") from exc


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
    # Checked again on completion: a contract may have been filed meanwhile, or the catalogue's
    # limits changed.
    plan = change.plan
    check_without_contract(session, plan, "完成采购失败方式变更")
    check_new_method(plan, change.old_method, change.new_method, change.reason)
    for _, line in _changed_lines(plan, change.old_method):
        line.method, line.method_reason = change.new_method, change.reason[:REASON_LIMIT]
    plan.method = main_method(plan.items)
    # The number names the method (平财磋商采购-2026-1): the plan takes the next number of its
    # new method, in this transaction like any number; the old one stays on this record.
    change.old_plan_number, plan.plan_number = plan.plan_number, None
    session.flush()
    change.new_plan_number = assign_plan_number(session, plan)


@without_autoflush
def prepare_reduction(session: Session, item: SpendingReduction, actor: Operator | None,
                      creating: bool) -> None:
    """Validate a 用款计划调减: no more than its 调减类型 can release
    (:func:`app.services.reductions.check_reduction`).

    :raises ValidationFailed: naming the field and the bound
    """
    clerk = claim(item, actor, creating)
    ensure_editable(session, SpendingReduction, item)
    spending = own_record(session, SpendingPlan, item.spending_plan_id, clerk.unit_id,
                          "用款计划", "spending_plan")
    if item.kind is None:
        raise ValidationFailed("请选择调减类型。")
    item.amount = parse_money(item.amount, "调减金额", positive=True, field="amount")
    check_reduction(session, spending, item.kind, item.amount, pending_except=item.id or 0)
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
    """删除 a never-submitted 采购失败方式变更 or 用款计划调减 of the clerk's unit."""
    delete_record(session, item, lambda record: validate_draft_delete(record, actor))


def _describe_change(change: MethodChange) -> list[tuple[str, str]]:
    rows = [
        ("申请单位", change.unit.name),
        ("项目", f"{change.plan.plan_number or ''} {change.plan.project_name}".strip()),
    ]
    if change.failure is not None:
        rows += [("失败日期", f"{change.failure.failed_on:%Y-%m-%d}"),
                 ("失败原因", change.failure.reason)]
    rows += [
        ("原采购方式", change.old_method.value),
        ("变更后采购方式", change.new_method.value),
        ("变更原因", change.reason),
        ("政府采购计划编号", plan_number_note(change)),
        ("经办人", change.created_by.first_name),
        ("填报时间", to_business(change.created_on).strftime("%Y-%m-%d %H:%M")),
    ]
    return rows


def plan_number_note(change: MethodChange) -> str:
    """What happens to the plan's number: done (old → new) or what will happen."""
    if change.new_plan_number:
        return f"原编号{change.old_plan_number or '（无）'}，变更后编号{change.new_plan_number}"
    return NUMBERING


def _change_files(change: MethodChange) -> list[tuple[str, str]]:
    if not change.attachment_name:
        return []
    return [(f"{ATTACHMENT}：{change.attachment_name}", "attachment")]


def _change_summary(change: MethodChange) -> Summary:
    plan, methods = change.plan, f"{change.old_method.value}→{change.new_method.value}"
    return Summary(f"{plan.project_name}（{methods}）", plan.plan_number or "",
                   format_money(plan.total_amount))


def _reduction_summary(reduction: SpendingReduction) -> Summary:
    spending = reduction.spending_plan
    return Summary(f"{spending.name}（{reduction.kind.value}）", spending.external_no,
                   format_money(reduction.amount))


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
        ("发送预算执行系统", sent_state(reduction)),
    ]


def register(registry: WorkflowRegistry) -> None:
    """Declare both record types and the hooks their chains name."""
    registry.record(RecordType(
        METHOD_CHANGE, "采购失败方式变更", MethodChange,
        {"failed_was_tender": lambda c: c.old_method in TENDERS},
        _describe_change, _change_files, summary=_change_summary, summary_loads=("plan",)))
    registry.record(RecordType(
        REDUCTION, "用款计划调减", SpendingReduction,
        {"amount": lambda r: r.amount}, _describe_reduction, summary=_reduction_summary,
        summary_loads=("spending_plan",)))
    registry.record_hook("apply_method_change", MethodChange, _apply_method_change)
    registry.record_hook("apply_spending_reduction", SpendingReduction, apply_reduction)


def validate_draft_delete(item: ClerkRecord, actor: Operator | None) -> None:
    """Only a never-submitted record of the clerk's own unit may be deleted."""
    clerk = clerk_of(actor)
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能删除本单位的记录。")
    if item.status != Status.draft:
        raise ValidationFailed("已提交过的记录不能删除，审批记录须完整保留。")
