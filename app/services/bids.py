"""中标结果变更备案 and the 中标结果变更公告 gate."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import url_for
from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.files import store_upload
from app.services.records import claim, clerk_of, ensure_editable, money, required_text
from app.services.workflow_registry import RecordType, WorkflowRegistry
from app.timezone import to_business, utcnow
from models import BidChangeAnnouncement, BidChangeFiling, Operator, Project
from workflow import Status

RECORD = "bid_change_filing"
EXPLANATION = "加盖单位公章的情况说明材料"
GATE_MESSAGE = "该项目的中标结果变更备案尚未完成，不能{what}中标结果变更公告。"


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValidationFailed("变更后中标金额必须是金额数字。") from exc
    if amount < 0 or amount >= Decimal("1e16"):
        raise ValidationFailed("变更后中标金额必须大于或等于0。")
    return amount


@without_autoflush
def prepare_filing(session: Session, item: BidChangeFiling, actor: Operator | None,
                   upload: FileStorage | None, creating: bool) -> None:
    """Validate a filing before 保存 and store its explanation file.

    :raises PermissionDenied: unless a clerk of the filing's unit saves it
    :raises ValidationFailed: naming the field that is missing or wrong, or when the filing is
        in review or completed and so can no longer change
    """
    clerk = claim(item, actor, creating)
    ensure_editable(session, BidChangeFiling, item)
    project = session.get(Project, item.project_id) if item.project_id else item.project
    if project is None or project.unit_id != clerk.unit_id:
        raise ValidationFailed("请选择本单位的项目。")
    item.change_content = required_text(item.change_content, "变更事项", 2000)
    item.change_reason = required_text(item.change_reason, "变更原因", 2000)
    item.new_supplier = (item.new_supplier or "").strip()[:200]
    item.new_amount = _amount(item.new_amount)
    if upload is not None and upload.filename:
        saved = store_upload(upload, EXPLANATION)
        item.explanation_path, item.explanation_name = saved.path, saved.name
    elif not item.explanation_path:
        raise ValidationFailed(f"请上传{EXPLANATION}。")


def validate_filing_delete(item: BidChangeFiling, actor: Operator | None) -> None:
    """Only a never-submitted filing of the clerk's own unit may be deleted."""
    clerk = clerk_of(actor)
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能删除本单位的备案。")
    if item.status != Status.draft.value:
        raise ValidationFailed("已提交过的备案不能删除，审批记录须完整保留。")


def filing_completed(session: Session, project_id: int | None) -> bool:
    """Whether a 中标结果变更备案 of the project has completed its chain."""
    return bool(project_id) and bool(session.scalar(select(exists().where(
        BidChangeFiling.project_id == project_id,
        BidChangeFiling.status == Status.completed.value))))


@without_autoflush
def prepare_announcement(session: Session, item: BidChangeAnnouncement, actor: Operator | None,
                         creating: bool) -> None:
    """The gate: an announcement is created or edited only after its filing completed.

    :raises ValidationFailed: with the reason in Chinese
    """
    clerk = clerk_of(actor)
    if creating:
        item.unit_id = clerk.unit_id
    elif item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能修改本单位的公告。")
    if not creating and session.scalar(
        select(BidChangeAnnouncement.published).where(BidChangeAnnouncement.id == item.id)
    ):
        raise ValidationFailed("公告已发布，不能修改。")
    project = session.get(Project, item.project_id) if item.project_id else item.project
    if project is None or project.unit_id != clerk.unit_id:
        raise ValidationFailed("请选择本单位的项目。")
    if not filing_completed(session, project.id):
        raise ValidationFailed(GATE_MESSAGE.format(what="新增" if creating else "修改"))
    item.title = required_text(item.title, "公告标题", 200)
    item.content = required_text(item.content, "公告内容", 20000)
    item.published, item.published_on = False, None


def validate_announcement_delete(item: BidChangeAnnouncement, actor: Operator | None) -> None:
    """A published announcement stays; a draft of the clerk's own unit may be deleted."""
    clerk = clerk_of(actor)
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能删除本单位的公告。")
    if item.published:
        raise ValidationFailed("公告已发布，不能删除。")


def publish_announcement(session: Session, item: BidChangeAnnouncement,
                         actor: Operator | None) -> None:
    """发布: publish an announcement whose filing completed; commits."""
    clerk = clerk_of(actor)
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能发布本单位的公告。")
    if item.published:
        raise ValidationFailed("公告已发布。")
    if not filing_completed(session, item.project_id):
        raise ValidationFailed(GATE_MESSAGE.format(what="发布"))
    item.published, item.published_on = True, utcnow()
    session.commit()


def _describe(filing: BidChangeFiling) -> list[tuple[str, str]]:
    project = filing.project
    return [
        ("申请单位", filing.unit.name),
        ("项目编号", project.code),
        ("项目名称", project.name),
        ("原中标供应商", project.winning_supplier),
        ("原中标金额", money(project.winning_amount)),
        ("变更事项", filing.change_content),
        ("变更原因", filing.change_reason),
        ("变更后中标供应商", filing.new_supplier or "（不变）"),
        ("变更后中标金额", money(filing.new_amount) or "（不变）"),
        ("经办人", filing.created_by.first_name),
        ("填报时间", to_business(filing.created_on).strftime("%Y-%m-%d %H:%M")),
    ]


def _attachments(filing: BidChangeFiling) -> list[tuple[str, str]]:
    if not filing.explanation_path:
        return []
    url = url_for("BidChangeFilingView.download", pk=filing.id)
    return [(f"{EXPLANATION}：{filing.explanation_name}", url)]


def _fields(filing: BidChangeFiling) -> dict[str, Any]:
    return {
        "new_amount": filing.new_amount,
        "supplier_changes": bool(filing.new_supplier),
        "original_amount": filing.project.winning_amount,
    }


def _record_completion(session: Session, record: Any) -> None:
    record.completed_on = utcnow()


def register(registry: WorkflowRegistry) -> None:
    """Declare the filing's record type and the hook its chain names."""
    registry.record(RecordType(
        RECORD, "中标结果变更备案", BidChangeFiling, _fields,
        frozenset({"new_amount", "supplier_changes", "original_amount"}), _describe, _attachments,
    ))
    registry.hook("record_completion", _record_completion)
