"""商城异常: what a supplier sent that could not be applied, or a deadline missed, kept as a
task for a person of the buying unit (工作台, 异常待办) until someone 处理 it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.permissions import SYS_ADMIN
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.mall import core
from app.services.notifications import notify
from app.timezone import utcnow
from models import Operator
from models.mall import ActorKind, MallException, MallOrder
from models.values import valid_id

# Chinese names of the exception kinds the mall raises; an unknown kind shows its code.
KIND_LABELS = {
    "illegal_transition": "状态不允许",
    "amount_mismatch": "金额与订单不符",
    "price_mismatch": "价格与快照不符",
    "quantity_mismatch": "数量与订单不符",
    "unknown_order": "订单不存在",
    "contract_refused": "合同无法生成",
    "bad_payload": "报文无法识别",
    "confirm_timeout": "确认超时",
    "delivery_overdue": "配送超期",
    "payment_overdue": "付款逾期",
}
RESOLUTION_MAX = 2000


def kind_label(kind: str) -> str:
    """The Chinese name of an exception kind."""
    return KIND_LABELS.get(kind, kind)


def order_link(order_id: int) -> str:
    """The buyer's order page (a plain path: services never build URLs from the request)."""
    return f"/mall/orders/{order_id}"


def raise_exception(session: Session, order: MallOrder | None, supplier_id: int | None,
                    kind: str, message: str, payload: str | dict[str, Any] = "", *,
                    actor_kind: ActorKind = ActorKind.supplier_api) -> MallException:
    """Record an exception (in the caller's transaction) and tell the person who must act.

    With an order: the exception belongs to the order's unit, an order event ``exception``
    (actor kind 供应商接口) is appended and the order's creator gets a 消息中心 message linking
    to the order page. Nothing of the order itself changes.

    :param kind: a stable code, e.g. ``illegal_transition`` (see :data:`KIND_LABELS`)
    :param message: the Chinese sentence answered to the supplier and shown to the buyer
    :param payload: what was received (a dict is stored as JSON)
    :param actor_kind: who caused it (a missed deadline is the system's)
    """
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False,
                                                               default=str)
    row = MallException(order=order, unit_id=order.unit_id if order is not None else None,
                        supplier_id=supplier_id if supplier_id is not None
                        else (order.supplier_id if order is not None else None),
                        kind=kind[:32], message=message, payload=text, created_on=utcnow())
    session.add(row)
    if order is not None:
        core.event(session, order, "exception", actor_kind, None,
                   f"{kind_label(kind)}：{message}")
        creator = order.created_by or session.get(Operator, order.created_by_id)
        if creator is not None:
            notify(session, creator, "mall_exception",
                   f"网上商城订单{order.order_no}出现异常：{kind_label(kind)}",
                   order_link(order.id), message)
    return row


def can_resolve(actor: Operator | None, row: MallException) -> bool:
    """Whether ``actor`` may 处理 ``row``: a person of its unit, or the system administrator."""
    if actor is None:
        return False
    if actor.post_code == SYS_ADMIN:
        return True
    return actor.unit_id is not None and row.unit_id == actor.unit_id


def resolve_exception(session: Session, actor: Operator | None, exception_id: Any,
                      resolution: str) -> MallException:
    """处理 an exception: record who, when and how it was resolved.

    :raises PermissionDenied: the actor has no unit and is not the administrator
    :raises NotFound: no such exception in the actor's scope (code ``mall_exception_not_found``)
    :raises ValidationFailed: the resolution is empty or too long (field ``resolution``)
    :raises Conflict: the exception was already resolved (code ``mall_exception_resolved``)
    """
    if actor is None or (actor.unit_id is None and actor.post_code != SYS_ADMIN):
        raise PermissionDenied("只有采购单位的人员或系统管理员可以处理商城异常。")
    row = session.get(MallException, exception_id) if valid_id(exception_id) else None
    if row is None or not can_resolve(actor, row):
        raise NotFound("异常不存在或不属于本单位。", code="mall_exception_not_found")
    text = (resolution or "").strip()
    if not text:
        raise ValidationFailed("请填写处理结果。", field="resolution",
                               code="mall_resolution_required")
    if len(text) > RESOLUTION_MAX:
        raise ValidationFailed(f"处理结果不能超过{RESOLUTION_MAX}字。", field="resolution",
                               code="mall_resolution_too_long")
    if row.resolved_on is not None:
        raise Conflict("该异常已处理，请刷新后查看。", code="mall_exception_resolved")
    row.resolved_on = utcnow()
    row.resolved_by_id = actor.id
    row.resolution = text
    return row


def open_exceptions(unit_id: int | None) -> Select[tuple[MallException]]:
    """The unresolved exceptions of a unit, newest first (``None``: of every unit)."""
    query = select(MallException).where(MallException.resolved_on.is_(None))
    if unit_id is not None:
        query = query.where(MallException.unit_id == unit_id)
    return query.order_by(MallException.created_on.desc(), MallException.id.desc())
