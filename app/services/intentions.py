"""意向公开: a unit's 采购意向 (draft → 公开 → 撤回) and the 30-to-90-day rule of plan filing."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.permissions import CLERK
from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.records import PENDING_UNIT
from app.timezone import business_today, utcnow
from models import Intention, Operator
from models.organisation import UnitKind

DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
STATUS_LABELS = {DRAFT: "草稿", PUBLISHED: "已公开", WITHDRAWN: "已撤回"}

# 郑州市: a plan may link an intention published at least 30 and at most 90 days before.
LINK_MIN_DAYS, LINK_MAX_DAYS = 30, 90
LINK_MESSAGE = "所选采购意向须为本单位公开满30天且不超过90天的意向。"

NAME_LIMIT, TEXT_LIMIT = 200, 2000
MAX_AMOUNT = Decimal("9999999999999999.99")  # Numeric(18, 2)
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")

LOCKED = {
    PUBLISHED: ("已公开的采购意向不能修改，只能撤回。", "已公开的采购意向不能删除，只能撤回。"),
    WITHDRAWN: ("已撤回的采购意向不能修改。", "已撤回的采购意向须保留，不能删除。"),
}


def status_label(status: str | None) -> str:
    """Chinese name of an intention's status."""
    return STATUS_LABELS.get(status or "", status or "")


def _clerk_of(actor: Operator | None) -> Operator:
    unit = getattr(actor, "unit", None)
    if (actor is None or actor.post_code != CLERK or unit is None
            or unit.kind is not UnitKind.purchaser):
        raise PermissionDenied("只有采购单位经办岗可以办理采购意向。")
    if not unit.active:
        raise PermissionDenied(PENDING_UNIT)
    return actor


def _own(item: Intention, clerk: Operator, what: str) -> None:
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied(f"只能{what}本单位的采购意向。")


def _text(value: Any, label: str, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(f"请填写{label}。", label)
    if len(text) > limit:
        raise ValidationFailed(f"{label}不能超过{limit}个字。", label)
    return text


def parse_amount(value: Any, label: str = "预算金额") -> Decimal:
    """A money amount typed by a person: a plain number above 0 with at most two decimals."""
    text = str(value if value is not None else "").strip().replace(",", "")
    if not text:
        raise ValidationFailed(f"请填写{label}。", label)
    if not NUMBER.match(text):
        raise ValidationFailed(f"{label}必须是数字，如 150000.00。", label)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValidationFailed(f"{label}必须是数字，如 150000.00。", label) from exc
    if amount <= 0:
        raise ValidationFailed(f"{label}必须大于0。", label)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{label}最多保留两位小数。", label)
    if amount > MAX_AMOUNT:
        raise ValidationFailed(f"{label}超出允许的范围。", label)
    return amount.quantize(Decimal("0.01"))


def parse_month(value: Any, label: str = "预计采购时间") -> str:
    """A month typed as YYYY-MM (e.g. 2026-12), checked to be a real month."""
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed(f"请填写{label}。", label)
    match = MONTH.match(text)
    if match is None:
        raise ValidationFailed(f"{label}格式应为“年-月”，如 2026-12。", label)
    try:
        date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise ValidationFailed(f"{label}不是有效的月份。", label) from exc
    return text


def _stored_status(session: Session, item: Intention) -> str | None:
    if item.id is None:
        return None
    return session.scalar(select(Intention.status).where(Intention.id == item.id))


@without_autoflush
def prepare_intention(session: Session, item: Intention, actor: Operator | None,
                      creating: bool) -> None:
    """Validate and normalise an intention before 保存; only drafts change.

    :raises PermissionDenied: unless a clerk of a purchasing unit saves the unit's own intention
    :raises ValidationFailed: naming the field that is missing or wrong, or when the intention
        is already published or withdrawn
    """
    clerk = _clerk_of(actor)
    if creating:
        item.unit_id, item.created_by_id, item.status = clerk.unit_id, clerk.id, DRAFT
        item.published_on, item.withdrawn_on, item.withdraw_reason = None, None, ""
    else:
        _own(item, clerk, "修改")
        stored = _stored_status(session, item)
        if stored in LOCKED:
            raise ValidationFailed(LOCKED[stored][0])
    item.project_name = _text(item.project_name, "采购项目名称", NAME_LIMIT)
    item.demand_summary = _text(item.demand_summary, "采购需求概况", TEXT_LIMIT)
    item.budget_amount = parse_amount(item.budget_amount)
    item.expected_month = parse_month(item.expected_month)
    item.remark = _text(item.remark, "备注", TEXT_LIMIT, required=False)


def validate_delete(session: Session, item: Intention, actor: Operator | None) -> None:
    """Only a draft of the clerk's own unit may be deleted; published ones are withdrawn."""
    _own(item, _clerk_of(actor), "删除")
    stored = _stored_status(session, item)
    if stored in LOCKED:
        raise ValidationFailed(LOCKED[stored][1])


def publish_intention(session: Session, item: Intention, actor: Operator | None) -> None:
    """公开: stamp today's date in Asia/Shanghai; commits.

    :raises ValidationFailed: unless the intention is a draft
    """
    _own(item, _clerk_of(actor), "公开")
    if item.status == PUBLISHED:
        raise ValidationFailed("该采购意向已公开。")
    if item.status != DRAFT:
        raise ValidationFailed("已撤回的采购意向不能再次公开。")
    item.status, item.published_on = PUBLISHED, business_today()
    session.commit()


def retract_intention(session: Session, item: Intention, actor: Operator | None,
                      reason: Any) -> None:
    """撤回 a published intention with a reason; the record stays; commits.

    :raises ValidationFailed: unless the intention is published and a reason is given
    """
    _own(item, _clerk_of(actor), "撤回")
    if item.status != PUBLISHED:
        raise ValidationFailed("只有已公开的采购意向可以撤回。")
    text = _text(reason, "撤回原因", TEXT_LIMIT)
    item.status, item.withdrawn_on, item.withdraw_reason = WITHDRAWN, utcnow(), text
    session.commit()


def _window(today: date) -> tuple[date, date]:
    return today - timedelta(days=LINK_MAX_DAYS), today - timedelta(days=LINK_MIN_DAYS)


def linkable_intentions(session: Session, unit_id: int, today: date) -> list[Intention]:
    """The unit's published intentions whose publication is 30 to 90 days old (inclusive).

    :param today: the business date (``app.timezone.business_today()``) the filing is made on
    """
    earliest, latest = _window(today)
    return list(session.scalars(
        select(Intention)
        .where(Intention.unit_id == unit_id, Intention.status == PUBLISHED,
               Intention.published_on >= earliest, Intention.published_on <= latest)
        .order_by(Intention.published_on.desc(), Intention.id.desc())
    ))


def check_linkable(session: Session, intention: Intention | int | None, unit_id: int,
                   today: date) -> Intention:
    """Check the intention a plan links (by record or id) against its stored state.

    :raises ValidationFailed: unless it is the unit's published intention, 30 to 90 days old
    """
    key = intention if isinstance(intention, int) else getattr(intention, "id", None)
    stored = session.get(Intention, key) if key is not None else None
    earliest, latest = _window(today)
    if (stored is None or stored.unit_id != unit_id or stored.status != PUBLISHED
            or stored.published_on is None or not earliest <= stored.published_on <= latest):
        raise ValidationFailed(LINK_MESSAGE)
    return stored
