"""The supplier's moves on its own orders: 确认, 拒单, 发货 (split shipments) and 送达.

Pages (a supplier person) and the supplier API (a token, no person) call the same commands;
``supplier_id`` is the one scope: an order of another supplier, or a draft, is not found.
Every move locks the order row first, so a buyer's 取消 and a supplier's 确认 arriving
together are applied one after the other, the second judged on the first's result.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.services.errors import Conflict, NotFound, ServiceError, ValidationFailed
from app.services.mall import contract, core, orders, states
from app.services.money import format_money, parse_money
from app.timezone import utcnow
from models import Operator
from models.mall import (
    ActorKind,
    MallOrder,
    MallOrderLine,
    MallShipment,
    MallShipmentLine,
    OrderStatus,
)
from models.values import CONTROL_TEXT, bad_text, id_in_text, valid_id

REASON_LIMIT = 500
WAYBILL_LIMIT = 64
CARRIER_LIMIT = 100
QTY_LIMIT = 1_000_000


def text(value: Any, label: str, field: str, limit: int, *, required: bool = True) -> str:
    """Stripped text from a form or a JSON body (anything but text is refused).

    :raises ValidationFailed: missing (when ``required``), not text, too long or with
        control characters; naming ``label`` and ``field``
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{label}应为文字。", field=field)
    found = value.strip()
    if bad_text(found):
        raise ValidationFailed(f"{label}{CONTROL_TEXT}", field=field)
    if required and not found:
        raise ValidationFailed(f"请填写{label}。", field=field, code="mall_required")
    if len(found) > limit:
        raise ValidationFailed(f"{label}不能超过{limit}个字。", field=field)
    return found


def as_id(value: Any) -> int | None:
    """An id given as an int or as its digits; ``None`` when it cannot be one."""
    if isinstance(value, str):
        return id_in_text(value.strip())
    return value if valid_id(value) else None


def quantity(value: Any, label: str, field: str) -> int:
    """A whole quantity (0 and up) given as an int or as its digits.

    :raises ValidationFailed: anything else
    """
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() \
            and len(value.strip()) <= 9:
        number = int(value.strip())
    elif isinstance(value, str) and not value.strip():
        number = 0
    else:
        raise ValidationFailed(f"{label}必须是不小于0的整数。", field=field)
    if number < 0 or number > QTY_LIMIT:
        raise ValidationFailed(f"{label}必须是不小于0的整数。", field=field)
    return number


def own_order(session: Session, supplier_id: int | None, order_id: Any) -> MallOrder:
    """The supplier's order, locked for this transaction and read afresh.

    :raises NotFound: not an order of this supplier (code ``mall_order_not_found``)
    """
    return core.lock_order(session, core.supplier_order(session, supplier_id, as_id(order_id)))


def order_by_no(session: Session, supplier_id: int | None, order_no: Any) -> MallOrder:
    """The supplier's order by the buyer's order number (the lookup after a timeout).

    :raises NotFound: no such order of this supplier (a draft is the buyer's alone)
    """
    found = None
    if isinstance(order_no, str) and 0 < len(order_no) <= 32 and not bad_text(order_no):
        found = session.scalar(select(MallOrder).where(
            MallOrder.order_no == order_no, MallOrder.supplier_id == supplier_id,
            MallOrder.status != OrderStatus.draft))
    if found is None:
        raise NotFound("订单不存在或不属于本供应商。", field="order_no",
                       code="mall_order_not_found")
    return found


# 供应商中心 → 订单: the tabs and the statuses each lists.
TABS: dict[str, tuple[str, tuple[OrderStatus, ...]]] = {
    "awaiting": ("待确认", (OrderStatus.awaiting_confirmation,)),
    "confirmed": ("已确认", (OrderStatus.confirmed,)),
    "shipping": ("配送中", (OrderStatus.shipping,)),
    "acceptance": ("待验收", (OrderStatus.awaiting_acceptance,)),
    "done": ("已完成", (OrderStatus.accepted, OrderStatus.paid, OrderStatus.completed)),
    "closed": ("已关闭", (OrderStatus.rejected, OrderStatus.cancelled, OrderStatus.timed_out)),
}
# What a supplier may list by status (the API's ``status``): everything but drafts.
VISIBLE = tuple(status for status in OrderStatus if status != OrderStatus.draft)


def supplier_orders(supplier_id: int | None, statuses: tuple[str, ...]
                    ) -> Select[tuple[MallOrder]]:
    """The supplier's orders in ``statuses``, those to act on soonest first."""
    return (select(MallOrder)
            .where(MallOrder.supplier_id == supplier_id, MallOrder.status.in_(statuses),
                   MallOrder.status != OrderStatus.draft)
            .options(selectinload(MallOrder.lines), joinedload(MallOrder.unit))
            .order_by(MallOrder.confirm_by.is_(None), MallOrder.confirm_by,
                      MallOrder.id.desc()))


def _kind(actor: Operator | None) -> ActorKind:
    return ActorKind.supplier if actor is not None else ActorKind.supplier_api


def _may(kind: str, order: MallOrder) -> None:
    if not states.allowed(kind, order.status):
        raise Conflict(states.refusal(kind, order.status), code="mall_state")


def _fresh(order: MallOrder, version: int | None) -> None:
    if version is not None and version != order.version:
        raise Conflict("订单已被他人处理或已变化，请刷新后重试。", code="mall_stale")


def confirm(session: Session, supplier_id: int | None, actor: Operator | None, order_id: Any,
            amount: Any = None, version: int | None = None) -> MallOrder:
    """确认 an order awaiting confirmation: the reservation becomes bought and the contract is
    generated and filed in the same transaction (a refused contract refuses the confirmation).

    :param amount: the amount the supplier confirms (the API); it must equal the snapshot's
    :raises NotFound: not this supplier's order
    :raises Conflict: not awaiting confirmation (``mall_state``), past its deadline
        (``mall_confirm_expired``) or changed meanwhile (``mall_stale``)
    :raises ValidationFailed: ``amount`` differs from the order's (``mall_amount_mismatch``)
    :raises ServiceError: from the contract rules
    """
    order = own_order(session, supplier_id, order_id)
    _fresh(order, version)
    _may("confirm", order)
    now = utcnow()
    if order.confirm_by is not None and now > order.confirm_by:
        raise Conflict("已超过确认期限，订单将按超时关闭，不能再确认。",
                       code="mall_confirm_expired")
    if amount is not None:
        given = parse_money(amount, "确认金额", field="amount")
        if given != Decimal(order.amount):
            raise ValidationFailed(
                f"确认金额{format_money(given)}与订单金额{format_money(order.amount)}不一致，"
                "请按订单快照价格确认。", field="amount", code="mall_amount_mismatch")
    for line in order.lines:
        line.confirmed_qty = line.quantity
        line.offer.last_sold_on = now
    order.confirmed_on = now
    order.supplier_sme = bool(order.supplier.sme)
    core.move(session, order, "confirm", _kind(actor), actor, "供应商确认订单")
    try:
        contract.generate_contract(session, order)
    except ServiceError as exc:
        # Not the supplier's input: the buyer's side must act (a task, through the API).
        raise ValidationFailed(f"订单确认未成功：合同无法生成或提交备案（{exc.message}）",
                               code="mall_contract_refused") from exc
    return order


def reject(session: Session, supplier_id: int | None, actor: Operator | None, order_id: Any,
           reason: Any, version: int | None = None) -> MallOrder:
    """拒单 with a reason: the order closes and its reservation (plan room, stock) is released.

    :raises NotFound: not this supplier's order
    :raises ValidationFailed: no reason (field ``reason``)
    :raises Conflict: not awaiting confirmation, or changed meanwhile
    """
    order = own_order(session, supplier_id, order_id)
    why = text(reason, "拒单原因", "reason", REASON_LIMIT)
    _fresh(order, version)
    _may("reject", order)
    order.close_reason = why
    core.move(session, order, "reject", _kind(actor), actor, f"拒单原因：{why}")
    orders.release(session, order)
    return order


def _shipping_lines(order: MallOrder, lines: Mapping[Any, Any] | None
                    ) -> list[tuple[MallOrderLine, int]]:
    """The (line, quantity) pairs a shipment carries; by default all that is unshipped."""
    by_id = {line.id: line for line in order.lines}
    if lines is None:
        chosen = [(line, line.confirmed_qty - line.shipped_qty) for line in order.lines]
    else:
        if not isinstance(lines, Mapping):
            raise ValidationFailed("发货明细格式不正确。", field="lines")
        chosen = []
        for key, value in lines.items():
            line = by_id.get(as_id(key) or 0)
            if line is None:
                raise NotFound("发货明细中的订单行不属于该订单。", field="lines",
                               code="mall_line_not_found")
            count = quantity(value, f"“{line.product_name}”的发货数量", "lines")
            left = line.confirmed_qty - line.shipped_qty
            if count > left:
                raise ValidationFailed(
                    f"“{line.product_name}”本次发货{count}{line.unit_name}，超过待发货的"
                    f"{left}{line.unit_name}。", field="lines", code="mall_ship_too_many")
            chosen.append((line, count))
    chosen = [(line, count) for line, count in chosen if count > 0]
    if not chosen:
        raise ValidationFailed("没有要发货的数量。", field="lines", code="mall_nothing_to_ship")
    return sorted(chosen, key=lambda pair: pair[0].id)


def ship(session: Session, supplier_id: int | None, actor: Operator | None, order_id: Any,
         waybill: Any, carrier: Any = "", lines: Mapping[Any, Any] | None = None,
         version: int | None = None) -> MallShipment:
    """发货 one waybill: what it carries of each line (split shipments: ship again with another).

    :param lines: ``{order_line_id: quantity}``; ``None`` ships everything still unshipped
    :raises NotFound: not this supplier's order, or a line of another order
    :raises ValidationFailed: no waybill, a quantity above what is left to ship, nothing to ship
    :raises Conflict: not confirmed or shipping, the waybill already used, changed meanwhile
    """
    order = own_order(session, supplier_id, order_id)
    number = text(waybill, "运单号", "waybill", WAYBILL_LIMIT)
    by = text(carrier, "承运商", "carrier", CARRIER_LIMIT, required=False)
    _fresh(order, version)
    _may("ship", order)
    used = session.scalar(select(MallShipment.id).where(MallShipment.order_id == order.id,
                                                        MallShipment.waybill == number))
    if used is not None:
        raise Conflict(f"运单号{number}已用于该订单的另一次发货。", field="waybill",
                       code="mall_waybill_used")
    chosen = _shipping_lines(order, lines)
    shipment = MallShipment(order=order, waybill=number, carrier=by, shipped_on=utcnow())
    for line, count in chosen:
        line.shipped_qty += count
        shipment.lines.append(MallShipmentLine(order_line=line, quantity=count))
    session.add(shipment)
    what = "，".join(f"{line.product_name}{count}{line.unit_name}" for line, count in chosen)
    core.move(session, order, "ship", _kind(actor), actor,
              f"运单号{number}{'（' + by + '）' if by else ''}：{what}")
    session.flush()
    return shipment


def _shipment(session: Session, order: MallOrder, shipment_id: Any, waybill: Any
              ) -> MallShipment:
    if shipment_id is not None and shipment_id != "":
        found = session.get(MallShipment, as_id(shipment_id)) if as_id(shipment_id) else None
        if found is None or found.order_id != order.id:
            raise NotFound("该订单没有这次发货。", field="shipment_id",
                           code="mall_shipment_not_found")
        return found
    number = text(waybill, "运单号", "waybill", WAYBILL_LIMIT)
    found = session.scalar(select(MallShipment).where(MallShipment.order_id == order.id,
                                                      MallShipment.waybill == number))
    if found is None:
        # A delivery reported before its shipment (messages out of order): nothing changes.
        raise Conflict(f"运单号{number}尚未发货，不能送达。", field="waybill",
                       code="mall_not_shipped")
    return found


def deliver(session: Session, supplier_id: int | None, actor: Operator | None, order_id: Any,
            shipment_id: Any = None, waybill: Any = None,
            version: int | None = None) -> MallShipment:
    """送达 one shipment: its quantities become delivered; the last one moves to 待验收.

    :param shipment_id: the shipment (pages); else ``waybill`` names it (the API)
    :raises NotFound: not this supplier's order or shipment
    :raises Conflict: the waybill was not shipped (``mall_not_shipped``), the shipment is
        already delivered (``mall_already_delivered``), the order is not 配送中, or it changed
    """
    order = own_order(session, supplier_id, order_id)
    _fresh(order, version)
    shipment = _shipment(session, order, shipment_id, waybill)
    if shipment.delivered_on is not None:
        raise Conflict(f"运单号{shipment.waybill}已送达。", field="waybill",
                       code="mall_already_delivered")
    _may("deliver", order)
    now = utcnow()
    shipment.delivered_on = now
    for part in shipment.lines:
        part.order_line.delivered_qty += part.quantity
    done = all(line.delivered_qty >= line.confirmed_qty for line in order.lines)
    if done:
        order.delivered_on = now
    core.move(session, order, "deliver" if done else "deliver_part", _kind(actor), actor,
              f"运单号{shipment.waybill}已送达" + ("，全部到货" if done else ""))
    return shipment


def unshipped(order: MallOrder) -> int:
    """How many confirmed units are not shipped yet (the 发货 button shows while any are)."""
    return sum(line.confirmed_qty - line.shipped_qty for line in order.lines)


def shipments_of(session: Session, order: MallOrder) -> list[MallShipment]:
    """An order's shipments in the order they left, with their lines."""
    return list(session.scalars(select(MallShipment).where(MallShipment.order_id == order.id)
                                .options(selectinload(MallShipment.lines))
                                .order_by(MallShipment.id)))
