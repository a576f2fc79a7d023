"""意向公开: a unit's 采购意向 (draft → 公开 → 撤回) and the 30-to-90-day rule of plan filing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.money import parse_money
from app.services.records import (
    clerk_of,
    delete_record,
    optional_text,
    required_text,
    save_record,
    status_label,
    unit_id_of,
)
from app.timezone import business_today, to_business, utcnow
from models import Intention, IntentionStatus, Operator, ProcurementPlan

BUSINESS = "采购意向"

# 郑州市: a plan may link an intention published at least 30 and at most 90 days before.
LINK_MIN_DAYS, LINK_MAX_DAYS = 30, 90
LINK_MESSAGE = "所选采购意向须为本单位公开满30天且不超过90天的意向。"
TAKEN_MESSAGE = ("所选采购意向已被本单位的采购计划（{plan}）关联，"
                 "一个采购意向只能关联一个采购计划。"
                 "该计划撤回或被退回后改为关联其他意向或不关联，或其草稿被删除后，方可再次关联。")

NAME_LIMIT, TEXT_LIMIT = 200, 2000
MONTH = re.compile(r"^(\d{4})-(\d{2})$")

LOCKED: dict[str, tuple[str, str]] = {
    IntentionStatus.published: ("已公开的采购意向不能修改，只能撤回。",
                                "已公开的采购意向不能删除，只能撤回。"),
    IntentionStatus.withdrawn: ("已撤回的采购意向不能修改。", "已撤回的采购意向须保留，不能删除。"),
}


def _own(item: Intention, clerk: Operator, what: str) -> None:
    if item.unit_id != clerk.unit_id:
        raise PermissionDenied(f"只能{what}本单位的采购意向。")


def parse_month(value: Any, label: str = "预计采购时间",
                field: str | None = "expected_month") -> str:
    """A month typed as YYYY-MM (e.g. 2026-12), checked to be a real month.

    :raises ValidationFailed: naming ``label`` and ``field``
    """
    text = required_text(None if value is None else str(value), label, field=field)
    match = MONTH.match(text)
    if match is None:
        raise ValidationFailed(f"{label}格式应为“年-月”，如 2026-12。", field)
    try:
        date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise ValidationFailed(f"{label}不是有效的月份。", field) from exc
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
    clerk = clerk_of(actor, BUSINESS)
    if creating:
        item.unit_id, item.created_by_id = unit_id_of(clerk), clerk.id
        item.status = IntentionStatus.draft
        item.published_on, item.withdrawn_on, item.withdraw_reason = None, None, ""
    else:
        _own(item, clerk, "修改")
        stored = _stored_status(session, item)
        if stored in LOCKED:
            raise ValidationFailed(LOCKED[stored][0])
    item.project_name = required_text(item.project_name, "采购项目名称", NAME_LIMIT,
                                      field="project_name")
    item.demand_summary = required_text(item.demand_summary, "采购需求概况", TEXT_LIMIT,
                                        field="demand_summary")
    item.budget_amount = parse_money(item.budget_amount, "预算金额", positive=True,
                                     field="budget_amount")
    item.expected_month = parse_month(item.expected_month)
    item.remark = optional_text(item.remark, "备注", TEXT_LIMIT, field="remark")


def validate_delete(session: Session, item: Intention, actor: Operator | None) -> None:
    """Only a draft of the clerk's own unit may be deleted; published ones are withdrawn."""
    _own(item, clerk_of(actor, BUSINESS), "删除")
    stored = _stored_status(session, item)
    if stored in LOCKED:
        raise ValidationFailed(LOCKED[stored][1])


def save_intention(session: Session, actor: Operator | None, data: Mapping[str, Any],
                   intention: Intention | None = None) -> Intention:
    """采购意向 保存 (a draft) from plain input.

    :raises ValidationFailed: as :func:`prepare_intention`
    """
    return save_record(session, Intention, intention, data, lambda item, creating:
                       prepare_intention(session, item, actor, creating=creating))


def delete_intention(session: Session, actor: Operator | None, intention: Intention) -> None:
    """删除 a draft intention of the clerk's unit."""
    delete_record(session, intention, lambda item: validate_delete(session, item, actor))

def publish_intention(session: Session, item: Intention, actor: Operator | None) -> None:
    """公开: stamp today's date in Asia/Shanghai.

    :raises ValidationFailed: unless the intention is a draft
    """
    _own(item, clerk_of(actor, BUSINESS), "公开")
    if item.status == IntentionStatus.published:
        raise ValidationFailed("该采购意向已公开。")
    if item.status != IntentionStatus.draft:
        raise ValidationFailed("已撤回的采购意向不能再次公开。")
    item.status, item.published_on = IntentionStatus.published, business_today()


def retract_intention(session: Session, item: Intention, actor: Operator | None,
                      reason: Any) -> None:
    """撤回 a published intention with a reason; the record stays.

    :raises ValidationFailed: unless the intention is published and a reason is given
    """
    _own(item, clerk_of(actor, BUSINESS), "撤回")
    if item.status != IntentionStatus.published:
        raise ValidationFailed("只有已公开的采购意向可以撤回。")
    text = required_text(None if reason is None else str(reason), "撤回原因", TEXT_LIMIT,
                         field="reason")
    item.status, item.withdrawn_on = IntentionStatus.withdrawn, utcnow()
    item.withdraw_reason = text


def _window(today: date) -> tuple[date, date]:
    return today - timedelta(days=LINK_MAX_DAYS), today - timedelta(days=LINK_MIN_DAYS)


def _holding(plan_id: int | None) -> ColumnElement[bool]:
    # Every plan that links an intention holds it, whatever its state: a withdrawn or
    # returned plan may be submitted again unchanged, so it frees the intention only when it
    # is changed to link another one (or none), or deleted as a draft.
    return and_(ProcurementPlan.linked.is_(True), ProcurementPlan.id != (plan_id or 0))


def linkable_intentions(session: Session, unit_id: int, today: date,
                        plan_id: int | None = None) -> list[Intention]:
    """The unit's published intentions, 30 to 90 days old (inclusive), no other plan links.

    :param today: the business date (``app.timezone.business_today()``) the filing is made on
    :param plan_id: the plan being edited, which may keep the intention it links
    """
    earliest, latest = _window(today)
    return list(session.scalars(
        select(Intention)
        .where(Intention.unit_id == unit_id, Intention.status == IntentionStatus.published,
               Intention.published_on >= earliest, Intention.published_on <= latest,
               ~exists().where(ProcurementPlan.intention_id == Intention.id,
                               _holding(plan_id)))
        .order_by(Intention.published_on.desc(), Intention.id.desc())
    ))


def check_linkable(session: Session, intention: Intention | int | None, unit_id: int,
                   today: date, plan_id: int | None = None) -> Intention:
    """Check the intention a plan links (by record or id) against its stored state.

    The intention's row is locked until the transaction ends, so two plans saved at the same
    time cannot both take it.

    :param plan_id: the plan being saved (None: a new one); it may keep its own intention
    :raises ValidationFailed: unless it is the unit's published intention, 30 to 90 days old,
        that no other plan links
    """
    key = intention if isinstance(intention, int) else getattr(intention, "id", None)
    stored = session.scalar(
        select(Intention).where(Intention.id == key).with_for_update()
        .execution_options(populate_existing=True)) if key is not None else None
    earliest, latest = _window(today)
    if (stored is None or stored.unit_id != unit_id
            or stored.status != IntentionStatus.published
            or stored.published_on is None or not earliest <= stored.published_on <= latest):
        raise ValidationFailed(LINK_MESSAGE, "intention_id")
    holder = session.scalar(
        select(ProcurementPlan).where(ProcurementPlan.intention_id == stored.id,
                                      _holding(plan_id))
        .order_by(ProcurementPlan.id).limit(1))
    if holder is not None:
        number = f"，编号{holder.plan_number}" if holder.plan_number else ""
        when = to_business(holder.created_on).strftime("%Y-%m-%d")
        raise ValidationFailed(TAKEN_MESSAGE.format(
            plan=f"{status_label(holder.status)}，{when}填报{number}"), "intention_id")
    return stored
