"""中标结果变更备案 and the 中标结果变更公告 gate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.files import store_upload
from app.services.money import format_money, optional_money
from app.services.records import (
    claim,
    clerk_of,
    delete_record,
    ensure_editable,
    own_record,
    required_text,
    save_record,
    unit_id_of,
)
from app.services.workflow_registry import (
    Accessor,
    RecordType,
    Summary,
    WorkflowRecord,
    WorkflowRegistry,
)
from app.timezone import to_business, utcnow
from models import BidChangeAnnouncement, BidChangeFiling, Operator, Project
from workflow import Status

RECORD = "bid_change_filing"
EXPLANATION = "加盖单位公章的情况说明材料"
GATE_MESSAGE = "该项目的中标结果变更备案尚未完成，不能{what}中标结果变更公告。"


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
    own_record(session, Project, item.project_id, clerk.unit_id, "项目", "project")
    item.change_content = required_text(item.change_content, "变更事项", 2000)
    item.change_reason = required_text(item.change_reason, "变更原因", 2000)
    item.new_supplier = (item.new_supplier or "").strip()[:200]
    # Empty: the amount does not change.
    item.new_amount = optional_money(item.new_amount, "变更后中标金额", field="new_amount")
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
    if item.status != Status.draft:
        raise ValidationFailed("已提交过的备案不能删除，审批记录须完整保留。")


def filing_completed(session: Session, project_id: int | None) -> bool:
    """Whether a 中标结果变更备案 of the project has completed its chain."""
    return bool(project_id) and bool(session.scalar(select(exists().where(
        BidChangeFiling.project_id == project_id,
        BidChangeFiling.status == Status.completed))))


@without_autoflush
def prepare_announcement(session: Session, item: BidChangeAnnouncement, actor: Operator | None,
                         creating: bool) -> None:
    """The gate: an announcement is created or edited only after its filing completed.

    :raises ValidationFailed: with the reason in Chinese
    """
    clerk = clerk_of(actor)
    if creating:
        item.unit_id = unit_id_of(clerk)
    elif item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能修改本单位的公告。")
    if not creating and session.scalar(
        select(BidChangeAnnouncement.published).where(BidChangeAnnouncement.id == item.id)
    ):
        raise ValidationFailed("公告已发布，不能修改。")
    project = own_record(session, Project, item.project_id, clerk.unit_id, "项目", "project")
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
    """发布: publish an announcement whose filing completed."""
    clerk = clerk_of(actor)
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能发布本单位的公告。")
    if item.published:
        raise ValidationFailed("公告已发布。")
    if not filing_completed(session, item.project_id):
        raise ValidationFailed(GATE_MESSAGE.format(what="发布"))
    item.published, item.published_on = True, utcnow()


def save_filing(session: Session, actor: Operator | None, data: Mapping[str, Any],
                filing: BidChangeFiling | None = None) -> BidChangeFiling:
    """中标结果变更备案 保存 from plain input; ``data["explanation"]`` is the file, if chosen.

    :raises NotInScope: the project is another unit's
    :raises ValidationFailed: as :func:`prepare_filing`
    """
    return save_record(session, BidChangeFiling, filing, data, lambda item, creating:
                       prepare_filing(session, item, actor, data.get("explanation"), creating))


def delete_filing(session: Session, actor: Operator | None, filing: BidChangeFiling) -> None:
    """删除 a never-submitted filing of the clerk's unit."""
    delete_record(session, filing, lambda item: validate_filing_delete(item, actor))


def save_announcement(session: Session, actor: Operator | None, data: Mapping[str, Any],
                      announcement: BidChangeAnnouncement | None = None
                      ) -> BidChangeAnnouncement:
    """中标结果变更公告 保存, behind the gate of its project's completed filing.

    :raises NotInScope: the project is another unit's
    :raises ValidationFailed: the filing is not complete, or the announcement was published
    """
    return save_record(session, BidChangeAnnouncement, announcement, data,
                       lambda item, creating: prepare_announcement(session, item, actor,
                                                                   creating))


def delete_announcement(session: Session, actor: Operator | None,
                        announcement: BidChangeAnnouncement) -> None:
    """删除 an unpublished announcement of the clerk's unit."""
    delete_record(session, announcement, lambda item: validate_announcement_delete(item, actor))

def _describe(filing: BidChangeFiling) -> list[tuple[str, str]]:
    project = filing.project
    return [
        ("申请单位", filing.unit.name),
        ("项目编号", project.code),
        ("项目名称", project.name),
        ("原中标供应商", project.winning_supplier),
        ("原中标金额", format_money(project.winning_amount)),
        ("变更事项", filing.change_content),
        ("变更原因", filing.change_reason),
        ("变更后中标供应商", filing.new_supplier or "（不变）"),
        ("变更后中标金额", format_money(filing.new_amount) or "（不变）"),
        ("经办人", filing.created_by.first_name),
        ("填报时间", to_business(filing.created_on).strftime("%Y-%m-%d %H:%M")),
    ]


def _summary(filing: BidChangeFiling) -> Summary:
    amount = filing.new_amount if filing.new_amount is not None else filing.project.winning_amount
    return Summary(filing.project.name, filing.project.code, format_money(amount))


def _attachments(filing: BidChangeFiling) -> list[tuple[str, str]]:
    if not filing.explanation_path:
        return []
    return [(f"{EXPLANATION}：{filing.explanation_name}", "explanation")]


# What the chain's conditions may read (workflows.yaml, workflow ``bid_change``).
FIELDS: dict[str, Accessor] = {
    "new_amount": lambda filing: filing.new_amount,
    "supplier_changes": lambda filing: bool(filing.new_supplier),
    "original_amount": lambda filing: filing.project.winning_amount,
}


def _record_completion(session: Session, record: WorkflowRecord) -> None:
    record.completed_on = utcnow()


def register(registry: WorkflowRegistry) -> None:
    """Declare the filing's record type and the hook its chain names."""
    registry.record(RecordType(
        RECORD, "中标结果变更备案", BidChangeFiling, FIELDS, _describe, _attachments,
        summary=_summary, summary_loads=("project",),
    ))
    registry.hook("record_completion", _record_completion)
