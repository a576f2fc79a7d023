"""下单, 保存, 提交, 取消 and 删除 of 网上商城 orders (the buyer's side).

下单 turns chosen cart lines into one draft per (plan, supplier) with a snapshot of each line,
once per idempotency key. 提交 revalidates everything under row locks (plan lines, then
offers, by id), stores the price evidence, reserves the stock and the plan room, starts the
supplier's confirmation deadline and queues the order for the supplier's system.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, joinedload

from app.services import outbox
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.mall import core, states
from app.services.mall.cart import buyer, cart_view, price_moved
from app.services.mall.order_checks import (
    NON_LOWEST_REASONS,
    check_quantities,
    line_name,
    need_reason,
    offer_name,
    order_payload,
    store_evidence,
)
from app.services.money import format_money
from app.services.records import optional_text, required_text
from app.timezone import to_business, utcnow
from models import Operator, PlanItem
from models.mall import (
    ActorKind,
    CartLine,
    MallCheckout,
    MallOffer,
    MallOrder,
    MallOrderEvent,
    MallOrderLine,
    OrderStatus,
)
from models.values import valid_id

CONFIRMED = "电商已确认订单，不能取消；如需退货或解除，请与供应商协商后办理售后。"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
Reasons = Mapping[Any, tuple[str, str]]


@dataclass
class CheckoutInput:
    """下单: the chosen cart lines, delivery and invoice, and per-line non-lowest reasons."""

    key: str
    line_ids: list[Any]
    delivery_address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    invoice_title: str = ""
    submit: bool = False
    reasons: Reasons = field(default_factory=dict)  # cart line id -> (code, text)
    remark: str = ""


@dataclass
class OrderInput:
    """保存 of a draft: delivery, invoice, remark and per-line reasons (order line ids)."""

    delivery_address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    invoice_title: str = ""
    remark: str = ""
    reasons: Reasons = field(default_factory=dict)


def reason_label(code: str) -> str:
    """The Chinese name of a non-lowest reason code."""
    return NON_LOWEST_REASONS.get(code, code)


def _header(order: MallOrder, data: CheckoutInput | OrderInput) -> None:
    order.delivery_address = required_text(data.delivery_address, "收货地址", 300,
                                           field="delivery_address")
    order.contact_name = required_text(data.contact_name, "联系人", 50, field="contact_name")
    phone = required_text(data.contact_phone, "联系电话", 20, field="contact_phone")
    if not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise ValidationFailed("联系电话应为11位手机号码或固定电话（如0371-12345678）。",
                               field="contact_phone")
    order.contact_phone = phone
    order.invoice_title = (optional_text(data.invoice_title, "发票抬头", 200,
                                         field="invoice_title") or order.unit.name)
    order.remark = optional_text(data.remark, "备注", 2000, field="remark")


def _reasons(given: Reasons) -> dict[int, tuple[str, str]]:
    found = {}
    for key, value in given.items():
        pk = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() else key
        code, text = (value or ("", ""))[:2] if isinstance(value, (tuple, list)) else ("", "")
        code, text = str(code or "").strip(), str(text or "").strip()
        if not valid_id(pk) or not (code or text):
            continue
        if code and code not in NON_LOWEST_REASONS:
            raise ValidationFailed("请从列表中选择非最低价理由。", field=f"reason_{pk}")
        if len(text) > 500:
            raise ValidationFailed("非最低价理由说明不能超过500个字。", field=f"reason_{pk}")
        found[pk] = (code, text)
    return found


def _key(value: Any) -> str:
    text = str(value or "").strip()
    if not KEY.match(text):
        raise ValidationFailed("下单请求缺少有效的幂等键（8至64位字母、数字或 _.:-），"
                               "请刷新页面后重试。", field="key", code="mall_key_invalid")
    return text


def checkout(session: Session, actor: Operator | None, data: CheckoutInput) -> list[MallOrder]:
    """下单: the chosen cart lines become one draft per (plan, supplier), their lines a
    snapshot of the offer; the cart lines go. ``data.submit`` submits them at once. A key
    given before answers the orders it made and changes nothing.

    :raises PermissionDenied: the actor is not a clerk of a purchasing unit
    :raises NotFound: a chosen line is not in the actor's cart
    :raises ValidationFailed: no line chosen, a line that may not be ordered, delivery or
        contact missing or malformed, a missing non-lowest reason (on submit)
    :raises Conflict: the same key is being used by a request not yet committed, or its
        drafts were deleted since (``mall_checkout_gone``)
    """
    clerk = buyer(actor)
    key = _key(data.key)
    done = session.scalar(select(MallCheckout).where(MallCheckout.operator_id == clerk.id,
                                                     MallCheckout.key == key))
    if done is not None:
        if not done.orders:  # its drafts were deleted since: nothing to answer with
            raise Conflict("该下单请求已处理过，所生成的订单已删除；请回到购物车重新下单。",
                           code="mall_checkout_gone")
        return list(done.orders)
    wanted = list(dict.fromkeys(data.line_ids or []))
    if not wanted:
        raise ValidationFailed("请选择要下单的商品。", field="line_ids")
    rows = cart_view(session, clerk, wanted)
    if len(rows) != len(wanted):
        raise NotFound("购物车中没有所选的商品，请刷新后重试。", field="line_ids",
                       code="mall_cart_line_not_found")
    reasons = _reasons(data.reasons)
    for row in rows:
        name = offer_name(row.line.offer)
        if not row.orderable:
            raise ValidationFailed(f"“{name}”：{row.refusal}", field=f"line_{row.line.id}",
                                   code="mall_line_blocked")
        if data.submit and not row.is_lowest:
            need_reason(name, row.lowest, reasons.get(row.line.id, ("", "")),
                         f"reason_{row.line.id}")
    request = MallCheckout(operator_id=clerk.id, key=key, created_on=utcnow())
    session.add(request)
    session.flush()  # a concurrent request with the key fails here (unique key → Conflict)
    groups: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        groups[(row.line.plan_item.plan_id, row.line.offer.supplier_id)].append(row)
    orders = []
    for (plan_id, supplier_id), chosen in sorted(groups.items()):
        order = MallOrder(order_no=core.next_order_no(session), checkout=request,
                          unit_id=clerk.unit_id, plan_id=plan_id, supplier_id=supplier_id,
                          status=OrderStatus.draft, created_by_id=clerk.id, version=0,
                          created_on=utcnow())
        order.unit = clerk.unit
        _header(order, data)
        for row in chosen:
            code, text = reasons.get(row.line.id, ("", ""))
            order.lines.append(_snapshot(row.line, code, text))
        order.amount = sum((line.amount for line in order.lines), Decimal("0"))
        session.add(order)
        core.event(session, order, "create", ActorKind.buyer, clerk,
                   f"由购物车生成订单，共{len(order.lines)}项，金额{format_money(order.amount)}。")
        orders.append(order)
    for row in rows:
        session.delete(row.line)
    session.flush()
    if data.submit:
        for order in orders:
            _submit(session, clerk, order, order.version, accept_price=False)
    return orders


def _snapshot(line: CartLine, code: str, text: str) -> MallOrderLine:
    offer, product = line.offer, line.offer.product
    return MallOrderLine(
        plan_item_id=line.plan_item_id, offer_id=offer.id, product_name=product.name,
        brand=product.brand, model=product.model, configuration=product.configuration,
        unit_name=product.unit_name, supplier_sku=offer.supplier_sku, unit_price=offer.price,
        quantity=line.quantity, amount=offer.price * line.quantity,
        non_lowest_code=code, non_lowest_reason=text)


def draft_of(session: Session, actor: Operator | None, order_id: Any) -> MallOrder:
    """An order of the actor's unit that is still a draft.

    :raises NotFound: not an order of the unit
    :raises Conflict: no longer a draft (code ``mall_state``)
    """
    order = core.buyer_order(session, buyer(actor), order_id)
    if order.status not in states.EDITABLE:
        raise Conflict(f"订单当前状态为“{order.status_label}”，只有草稿可以修改或删除。",
                       code="mall_state")
    return order


def save_order(session: Session, actor: Operator | None, order_id: Any, data: OrderInput,
               version: int | None = None) -> MallOrder:
    """保存 a draft: delivery, contact, invoice, remark and the lines' non-lowest reasons.

    :raises NotFound: not an order of the unit, or a reason names a line of another order
    :raises Conflict: not a draft, or ``version`` is stale
    :raises ValidationFailed: delivery or contact missing or malformed, a reason not listed
    """
    order = draft_of(session, actor, order_id)
    if version is not None and version != order.version:
        raise Conflict("订单已被他人处理或已变化，请刷新后重试。", code="mall_stale")
    _header(order, data)
    lines = {line.id: line for line in order.lines}
    for pk, (code, text) in _reasons(data.reasons).items():
        if pk not in lines:
            raise NotFound("订单中没有该商品。", field=f"reason_{pk}", code="mall_line_not_found")
        lines[pk].non_lowest_code, lines[pk].non_lowest_reason = code, text
    order.version += 1
    core.event(session, order, "save", ActorKind.buyer, actor, "保存订单。")
    return order


def _fresh(query: Select[Any]) -> Any:
    return query.execution_options(populate_existing=True)


def submit_order(session: Session, actor: Operator | None, order_id: Any, version: int, *,
                 accept_price: bool = False) -> MallOrder:
    """提交 a draft: revalidated under locks, the price evidence stored, stock and plan room
    reserved, the confirmation deadline set and the order queued for the supplier. An order
    already submitted is answered as it is (a repeated submission reserves nothing more).

    :param accept_price: the buyer agreed to the offers' current prices (refreshes the
        snapshot of lines whose price moved)
    :raises NotFound: not an order of the unit
    :raises Conflict: a stale ``version``, not a draft, or the database was busy
    :raises ValidationFailed: an offer not live (``mall_offer_not_live``), a moved price
        (``mall_price_moved``), stock (``mall_no_stock``) or plan room (``mall_no_room``)
        short, the 品目 out of the mall or over its limit (``mall_limit``), above the median
        (``mall_above_median``), a missing non-lowest reason (``mall_reason_required``)
    """
    clerk = buyer(actor)
    order = core.buyer_order(session, clerk, order_id)
    return _submit(session, clerk, order, version, accept_price=accept_price)


def _submit(session: Session, clerk: Operator, order: MallOrder, version: int, *,
            accept_price: bool) -> MallOrder:
    core.lock_order(session, order)
    if order.submitted_on is not None and order.status == OrderStatus.awaiting_confirmation:
        return order  # submitted already (a double click, a retry): nothing more to reserve
    if version != order.version:
        raise Conflict("订单已被他人处理或已变化，请刷新后重试。", code="mall_stale")
    if not states.allowed("submit", order.status):
        raise Conflict(states.refusal("submit", order.status), code="mall_state")
    _header(order, OrderInput(order.delivery_address, order.contact_name, order.contact_phone,
                              order.invoice_title, order.remark))
    lines = list(order.lines)
    items = {i.id: i for i in core.locked(session, _fresh(select(PlanItem).where(
        PlanItem.id.in_({line.plan_item_id for line in lines})).order_by(PlanItem.id)))}
    offers = {o.id: o for o in core.locked(session, _fresh(select(MallOffer).where(
        MallOffer.id.in_({line.offer_id for line in lines})).order_by(MallOffer.id)))}
    policy = core.policy_for(session, order.unit.region_id)
    moved = []
    for line in lines:
        offer = offers[line.offer_id]
        if not offer.live or not offer.product.active:
            raise ValidationFailed(f"商品“{line_name(line)}”已下架或被冻结，不能下单。",
                                   field=f"line_{line.id}", code="mall_offer_not_live")
        if offer.price != line.unit_price:
            if not accept_price:
                raise ValidationFailed(
                    f"商品“{line_name(line)}”{price_moved(line.unit_price, offer.price)}，"
                    "请确认新价格后再提交。", field=f"line_{line.id}", code="mall_price_moved")
            moved.append(f"{line_name(line)}{price_moved(line.unit_price, offer.price)}")
            line.unit_price, line.amount = offer.price, offer.price * line.quantity
    check_quantities(session, order, lines, items, offers)
    for line in lines:
        store_evidence(session, line, offers[line.offer_id], policy)
    for line in lines:
        offers[line.offer_id].stock -= line.quantity
    now = utcnow()
    order.amount = sum((line.amount for line in lines), Decimal("0"))
    order.submitted_on = now
    order.confirm_by = now + timedelta(hours=policy.confirm_hours)
    note = f"提交订单，金额{format_money(order.amount)}，请电商于" \
           f"{to_business(order.confirm_by):%Y-%m-%d %H:%M}前确认。"
    if moved:
        note += "采购人同意新价格：" + "；".join(moved) + "。"
    core.move(session, order, "submit", ActorKind.buyer, clerk, note, version=version)
    outbox.enqueue(session, "mall_order", order.order_no, order_payload(order))
    return order


def release(session: Session, order: MallOrder) -> None:
    """Give back what the order holds before confirmation: the reserved stock of each line,
    and its quantity as cancelled (the plan room follows the status). Once per order: a
    second call gives nothing back. Used on 取消, 拒单 and 超时."""
    lines = list(order.lines)
    if order.submitted_on is not None and lines:
        offers = {o.id: o for o in core.locked(session, _fresh(select(MallOffer).where(
            MallOffer.id.in_({line.offer_id for line in lines})).order_by(MallOffer.id)))}
        for line in lines:
            offers[line.offer_id].stock += max(0, line.quantity - line.cancelled_qty)
    for line in lines:
        line.cancelled_qty = line.quantity


def cancel_order(session: Session, actor: Operator | None, order_id: Any, reason: Any,
                 version: int) -> MallOrder:
    """取消 an order before the supplier confirmed it (a draft or 待电商确认); what it
    reserved is released.

    :raises NotFound: not an order of the unit
    :raises Conflict: confirmed already (code ``mall_order_confirmed``), closed, or stale
    :raises ValidationFailed: no reason given
    """
    clerk = buyer(actor)
    order = core.lock_order(session, core.buyer_order(session, clerk, order_id))
    if order.status in states.BOUGHT:
        raise Conflict(CONFIRMED, code="mall_order_confirmed")
    text = required_text(reason if isinstance(reason, str) else None, "取消原因", 500,
                         field="reason")
    core.move(session, order, "cancel", ActorKind.buyer, clerk, f"取消原因：{text}",
              version=version)
    order.close_reason = text
    release(session, order)
    return order


def delete_draft(session: Session, actor: Operator | None, order_id: Any) -> None:
    """删除 a draft order with its lines and events.

    :raises NotFound: not an order of the unit
    :raises Conflict: not a draft
    """
    order = draft_of(session, actor, order_id)
    session.execute(delete(MallOrderEvent).where(MallOrderEvent.order_id == order.id)
                    .execution_options(synchronize_session=False))
    session.expire(order, ["events"])
    session.delete(order)


def unit_orders(actor: Operator | None, status: str | None = None) -> Select[tuple[MallOrder]]:
    """我的订单: the orders of the actor's unit, newest first (optionally of one status).

    :raises PermissionDenied: the actor is not a clerk of a purchasing unit
    """
    clerk = buyer(actor)
    # The list shows each order's plan and supplier: read with the page, not one by one.
    query = (select(MallOrder).where(MallOrder.unit_id == clerk.unit_id)
             .options(joinedload(MallOrder.plan), joinedload(MallOrder.supplier)))
    if status:
        query = query.where(MallOrder.status == status)
    return query.order_by(MallOrder.id.desc())
