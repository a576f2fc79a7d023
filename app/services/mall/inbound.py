"""Events a supplier posts to the API: stored first, applied once, answered the same forever.

Each event is kept as a :class:`~models.mall.SupplierEvent` unique per (supplier, event id)
before it is applied. A repeated event id — sent again by an at-least-once queue, or twice at
the same moment — answers what the first answered and changes nothing. An event the order
cannot take (an illegal transition, a delivery before its shipment, an amount other than the
snapshot's) changes nothing of the order either: its refusal is stored with the event and an
exception (a task for the buying unit) is raised, and both are committed, because the refusal
is answered as a result (``(status, body)``), not raised.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.services.errors import ServiceError, ValidationFailed
from app.services.mall import supplier as moves
from app.services.mall.exceptions import raise_exception
from app.timezone import utcnow
from models.mall import MallOrder, SupplierEvent
from models.values import bad_text

KINDS = ("confirm", "reject", "ship", "deliver")
EVENT_ID_LIMIT = 64
MAX_SHIPMENT_LINES = 200
PENDING = 102  # the answer of an event being applied (never seen: replaced before commit)
# The refusals that become a person's task, by the exception kind they raise.
TASK_KINDS = {"mall_amount_mismatch": "amount_mismatch", "mall_ship_too_many": "quantity_mismatch",
              "mall_contract_refused": "contract_refused"}


def envelope(payload: Any) -> tuple[str, str, str]:
    """The event id, kind and order number of a posted event.

    :raises ValidationFailed: not a JSON object, or one of them missing or malformed
    """
    if not isinstance(payload, dict):
        raise ValidationFailed("请求内容应为 JSON 对象。", code="mall_bad_event")
    event_id = payload.get("event_id")
    if (not isinstance(event_id, str) or not event_id.strip()
            or len(event_id) > EVENT_ID_LIMIT or bad_text(event_id)):
        raise ValidationFailed(f"event_id 必填，为不超过{EVENT_ID_LIMIT}个字符的文本。",
                               field="event_id", code="mall_bad_event")
    kind = payload.get("kind")
    if kind not in KINDS:
        raise ValidationFailed("kind 只能是 confirm、reject、ship 或 deliver。", field="kind",
                               code="mall_bad_event")
    order_no = payload.get("order_no")
    if not isinstance(order_no, str) or not order_no.strip() or len(order_no) > 32 \
            or bad_text(order_no):
        raise ValidationFailed("order_no 必填，为采购人的订单编号。", field="order_no",
                               code="mall_bad_event")
    return event_id, str(kind), order_no.strip()


def _stored(session: Session, supplier_id: int, event_id: str) -> SupplierEvent | None:
    return session.scalar(select(SupplierEvent).where(SupplierEvent.supplier_id == supplier_id,
                                                      SupplierEvent.event_id == event_id))


def _claim(session: Session, supplier_id: int, event_id: str, kind: str,
           payload: dict[str, Any]) -> SupplierEvent | None:
    """Store the event (``None`` when another request stored this event id first).

    ``INSERT … ON CONFLICT DO NOTHING``: on PostgreSQL a concurrent insert of the same key
    waits for the other transaction and then does nothing; the caller re-reads its answer.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SupplierEvent).values(
        supplier_id=supplier_id, event_id=event_id, kind=kind,
        payload=json.dumps(payload, ensure_ascii=False, default=str), received_on=utcnow(),
        answer_status=PENDING, answer="{}",
    ).on_conflict_do_nothing(index_elements=["supplier_id", "event_id"]).returning(
        SupplierEvent.id)
    new_id = session.execute(statement).scalar()
    return session.get(SupplierEvent, new_id) if new_id is not None else None


def _lines(value: Any) -> dict[Any, Any] | None:
    """``[{line_id, quantity}]`` as ``{line_id: quantity}``; ``None``: everything unshipped."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_SHIPMENT_LINES:
        raise ValidationFailed("lines 应为 [{line_id, quantity}] 列表。", field="lines")
    found: dict[Any, Any] = {}
    for item in value:
        if not isinstance(item, dict) or "line_id" not in item or "quantity" not in item:
            raise ValidationFailed("lines 的每一项应含 line_id 与 quantity。", field="lines")
        key = moves.as_id(item["line_id"])
        if key is None or key in found:
            raise ValidationFailed("lines 中的 line_id 无效或重复。", field="lines")
        found[key] = item["quantity"]
    return found


def _apply(session: Session, supplier_id: int, kind: str, order: MallOrder,
           payload: dict[str, Any]) -> dict[str, Any]:
    """Apply one event through the supplier's commands; what the answer adds."""
    if kind == "confirm":
        amount = payload.get("amount")
        if amount is None or amount == "":
            raise ValidationFailed("确认订单须提供 amount（订单金额）。", field="amount")
        moves.confirm(session, supplier_id, None, order.id, amount=amount)
        return {}
    if kind == "reject":
        moves.reject(session, supplier_id, None, order.id, payload.get("reason"))
        return {}
    if kind == "ship":
        shipment = moves.ship(session, supplier_id, None, order.id, payload.get("waybill"),
                              payload.get("carrier") or "", _lines(payload.get("lines")))
        return {"shipment_id": shipment.id, "waybill": shipment.waybill}
    shipment = moves.deliver(session, supplier_id, None, order.id,
                             waybill=payload.get("waybill"))
    return {"shipment_id": shipment.id, "waybill": shipment.waybill}


def _order(session: Session, supplier_id: int, order_no: str) -> MallOrder | None:
    return session.scalar(select(MallOrder).where(MallOrder.order_no == order_no,
                                                  MallOrder.supplier_id == supplier_id))


def answer_of(row: SupplierEvent) -> tuple[int, dict[str, Any]]:
    """The stored answer of an event."""
    body = json.loads(row.answer)
    return row.answer_status, body if isinstance(body, dict) else {}


def apply_event(session: Session, supplier_id: int, payload: Any) -> tuple[int, dict[str, Any]]:
    """Store, apply and answer one posted event (``(HTTP status, JSON body)``).

    A repeated event id answers the stored answer. A refusal of the order (404, 409, 422) is
    stored as the answer and, for an illegal transition or an amount mismatch, raised as an
    exception for the buying unit; nothing of the order changes (the apply runs in a savepoint).

    :raises ValidationFailed: the envelope is not an event (nothing is stored)
    """
    event_id, kind, order_no = envelope(payload)
    seen = _stored(session, supplier_id, event_id)
    row = seen or _claim(session, supplier_id, event_id, kind, payload)
    if row is None:  # the same event id stored meanwhile by a concurrent request
        row = _stored(session, supplier_id, event_id)
    if row is None or row.answer_status != PENDING:
        if row is None:  # it was stored and then rolled back: answer as a conflict, retryable
            return 409, {"code": "mall_event_busy", "message": "该事件正在处理，请稍后重试。",
                         "field": "event_id"}
        return answer_of(row)
    order = _order(session, supplier_id, order_no)
    status: int
    body: dict[str, Any]
    if order is None or order.status == "draft":
        status, body = 404, {"code": "mall_order_not_found", "field": "order_no",
                             "message": f"订单{order_no}不存在或不属于本供应商。"}
        raise_exception(session, None, supplier_id, "unknown_order", body["message"], payload)
    else:
        row.order_id = order.id
        try:
            with session.begin_nested():
                extra = _apply(session, supplier_id, kind, order, payload)
            status, body = 200, {"code": "ok", "message": "已处理。", "event_id": event_id,
                                 "order_no": order.order_no, "status": order.status,
                                 "status_label": order.status_label, "version": order.version,
                                 **extra}
        except ServiceError as refused:
            status, body = refused.status, refused.as_dict()
            task = TASK_KINDS.get(refused.code) or ("illegal_transition"
                                                    if refused.status == 409 else None)
            if task is not None:
                raise_exception(session, order, supplier_id, task, refused.message, payload)
    row.answer_status, row.answer = status, json.dumps(body, ensure_ascii=False)
    return status, body
