"""What every clerk-filed record shares: who may file it, when it may change, how it reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.permissions import CLERK
from app.services.errors import PermissionDenied, ValidationFailed
from models import Operator
from workflow import Status
from workflow.engine import STATUS_LABELS

EDITABLE = {Status.draft.value, Status.returned.value, Status.withdrawn.value}


def money(value: Decimal | None) -> str:
    """An amount as people read it: 1,234,567.80 元."""
    return "" if value is None else f"{value:,.2f} 元"


def status_label(status: str) -> str:
    """Chinese name of a workflow status."""
    return STATUS_LABELS[Status(status)]


def required_text(value: str | None, label: str, limit: int = 200) -> str:
    """Stripped text that must be present and at most ``limit`` characters.

    :raises ValidationFailed: naming ``label``
    """
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{label}。")
    if len(text) > limit:
        raise ValidationFailed(f"{label}不能超过{limit}个字。")
    return text


PENDING_UNIT = "本单位注册信息尚未通过市采购办审核，暂不能办理业务。"


def clerk_of(actor: Operator | None) -> Operator:
    """The actor, if they are a clerk of a purchasing unit.

    :raises PermissionDenied: otherwise
    """
    if actor is None or actor.post_code != CLERK or actor.unit_id is None:
        raise PermissionDenied("只有采购单位经办岗可以办理此项业务。")
    if not actor.unit.active:
        raise PermissionDenied(PENDING_UNIT)
    return actor


def claim(item: Any, actor: Operator | None, creating: bool) -> Operator:
    """A new record belongs to the clerk's unit as a draft; an old one must be theirs already.

    :raises PermissionDenied: for another unit's record or a non-clerk
    """
    clerk = clerk_of(actor)
    if creating:
        item.unit_id, item.created_by_id, item.status = clerk.unit_id, clerk.id, "draft"
    elif item.unit_id != clerk.unit_id:
        raise PermissionDenied("只能办理本单位的业务。")
    return clerk


def ensure_editable(session: Session, model: type, item: Any) -> None:
    """A record in review or completed can no longer change (its stored status decides).

    :raises ValidationFailed: naming the current status
    """
    stored = session.scalar(select(model.status).where(model.id == item.id))
    if stored is not None and stored not in EDITABLE:
        raise ValidationFailed(f"当前状态为“{status_label(stored)}”，不能修改。")
