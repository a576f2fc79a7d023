"""购物车: a buyer's lines, each a quantity of one live offer against one 网上商城 plan line.

A line keeps the price the buyer saw when adding it; a moved price is shown ("价格已由 X 变为
Y") and a rise needs the buyer's consent before 下单. The quantity is capped by what the plan
line has left (quantity and amount, :mod:`app.services.mall.room`) and by the offer's stock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.services.errors import NotFound, NotInScope, ValidationFailed
from app.services.mall import catalogue
from app.services.mall.room import Room, mall_lines, rooms
from app.services.money import format_money
from app.services.records import clerk_of
from models import Operator, PlanItem
from models.mall import CartLine, MallOffer, MallProduct
from models.values import MAX_ID, valid_id

BUSINESS = "网上商城采购"
NOT_LIVE = "该商品已下架或被冻结，不能下单"
MAX_QUANTITY = 1_000_000


def buyer(actor: Operator | None) -> Operator:
    """The actor if a clerk (经办岗) of an active purchasing unit: who may buy in the mall.

    :raises PermissionDenied: otherwise
    """
    return clerk_of(actor, BUSINESS)


def parse_quantity(value: Any, field_name: str = "quantity") -> int:
    """A quantity as typed or sent: a positive whole number.

    :raises ValidationFailed: otherwise (field ``field_name``)
    """
    if isinstance(value, bool):
        value = None
    text = str(value).strip() if value is not None else ""
    if isinstance(value, int):
        number = value
    elif text.isascii() and text.isdigit() and len(text) <= 10:
        number = int(text)
    else:
        raise ValidationFailed("数量必须是正整数。", field=field_name)
    if number < 1:
        raise ValidationFailed("数量必须是正整数。", field=field_name)
    if number > MAX_QUANTITY:
        raise ValidationFailed(f"数量不能超过{MAX_QUANTITY}。", field=field_name)
    return number


def mall_line(session: Session, unit_id: int, plan_item_id: Any) -> PlanItem:
    """A 网上商城 plan line the unit may buy against (its completed plan, no open failure).

    :raises NotInScope: another unit's, not a mall line, or no such line (field ``plan_item_id``)
    """
    item = (session.scalar(mall_lines(unit_id).where(PlanItem.id == plan_item_id))
            if valid_id(plan_item_id) else None)
    if item is None:
        raise NotInScope("请选择本单位已完成备案的网上商城采购计划明细。", field="plan_item_id")
    return item


def live_offer(session: Session, offer_id: Any) -> MallOffer:
    """A live offer (已上架) of an active product.

    :raises NotFound: no such offer (code ``mall_offer_not_found``)
    :raises ValidationFailed: the offer is not live (code ``mall_offer_not_live``)
    """
    offer = session.get(MallOffer, offer_id) if valid_id(offer_id) else None
    if offer is None:
        raise NotFound("商品报价不存在。", field="offer_id", code="mall_offer_not_found")
    if not offer.live or not offer.product.active:
        raise ValidationFailed(f"{NOT_LIVE}。", field="offer_id", code="mall_offer_not_live")
    return offer


def check_fits(room: Room, offer: MallOffer, quantity: int, price: Decimal,
               field_name: str = "quantity") -> None:
    """The quantity fits the plan line's room (quantity and amount) and the offer's stock.

    :raises ValidationFailed: naming what is left (code ``mall_no_room`` or ``mall_no_stock``)
    """
    if quantity > room.left_qty:
        raise ValidationFailed(
            f"数量超过计划可采购数量（可采购{_qty(room.left_qty)}）。", field=field_name,
            code="mall_no_room")
    if price * quantity > room.left_amount:
        raise ValidationFailed(
            f"金额{format_money(price * quantity)}超过计划可采购金额"
            f"（可采购{format_money(room.left_amount)}）。", field=field_name,
            code="mall_no_room")
    if quantity > offer.stock:
        raise ValidationFailed(f"数量超过供应商库存（库存{offer.stock}）。", field=field_name,
                               code="mall_no_stock")


def price_moved(before: Decimal, now: Decimal) -> str:
    """价格已由 X 变为 Y."""
    return f"价格已由 {before:,.2f} 变为 {now:,.2f}"


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def add_line(session: Session, actor: Operator | None, offer_id: Any, plan_item_id: Any,
             quantity: Any) -> CartLine:
    """加入购物车: a quantity of a live offer against one of the unit's mall plan lines; the
    same (plan line, offer) again adds to the line's quantity. The price seen is the current.

    :raises PermissionDenied: the actor is not a clerk of a purchasing unit
    :raises NotInScope: the plan line is not one of the unit's mall lines
    :raises NotFound: no such offer
    :raises ValidationFailed: the offer is not live, its 品目 is not the plan line's, or the
        quantity is not a positive whole number or exceeds the room or the stock
    """
    clerk = buyer(actor)
    count = parse_quantity(quantity)
    item = mall_line(session, clerk.unit_id or 0, plan_item_id)
    offer = live_offer(session, offer_id)
    if offer.product.catalogue_item_id != item.catalogue_item_id:
        raise ValidationFailed(
            f"该商品属于品目“{offer.product.catalogue_item.name}”，与所选计划明细的品目"
            f"“{item.catalogue_item.name}”不一致。", field="plan_item_id", code="mall_wrong_item")
    line = session.scalar(select(CartLine).where(
        CartLine.operator_id == clerk.id, CartLine.plan_item_id == item.id,
        CartLine.offer_id == offer.id))
    total = count + (line.quantity if line is not None else 0)
    check_fits(rooms(session, [item])[item.id], offer, total, offer.price)
    if line is None:
        line = CartLine(operator_id=clerk.id, plan_item_id=item.id, offer_id=offer.id,
                        quantity=total, seen_price=offer.price)
        session.add(line)
    else:
        line.quantity = total
        line.seen_price = offer.price
    session.flush()
    return line


def own_line(session: Session, actor: Operator | None, line_id: Any) -> CartLine:
    """One of the actor's own cart lines.

    :raises NotFound: another person's line, or none (code ``mall_cart_line_not_found``)
    """
    clerk = buyer(actor)
    line = session.get(CartLine, line_id) if valid_id(line_id) else None
    if line is None or line.operator_id != clerk.id:
        raise NotFound("购物车中没有该商品。", field="line_id", code="mall_cart_line_not_found")
    return line


def change_quantity(session: Session, actor: Operator | None, line_id: Any,
                    quantity: Any) -> CartLine:
    """修改数量 of an own cart line (capped like :func:`add_line`, at the current price).

    :raises NotFound: not an own line
    :raises ValidationFailed: the quantity is not a positive whole number or does not fit
    """
    line = own_line(session, actor, line_id)
    count = parse_quantity(quantity)
    check_fits(rooms(session, [line.plan_item])[line.plan_item_id], line.offer, count,
               line.offer.price)
    line.quantity = count
    return line


def remove_line(session: Session, actor: Operator | None, line_id: Any) -> None:
    """删除 an own cart line.

    :raises NotFound: not an own line
    """
    session.delete(own_line(session, actor, line_id))


def accept_price(session: Session, actor: Operator | None, line_id: Any) -> CartLine:
    """同意新价格: the line's seen price becomes the offer's current price.

    :raises NotFound: not an own line
    """
    line = own_line(session, actor, line_id)
    line.seen_price = line.offer.price
    return line


@dataclass
class CartRow:
    """One cart line as the cart shows it: prices, room, whether it may be ordered."""

    line: CartLine
    room: Room
    price: Decimal
    amount: Decimal
    lowest: Decimal | None
    is_lowest: bool
    price_note: str = ""  # 价格已由 X 变为 Y
    needs_consent: bool = False  # the price rose: 同意新价格 before 下单
    blocked: list[str] = field(default_factory=list)

    @property
    def orderable(self) -> bool:
        """Whether the line may go into an order now."""
        return not self.blocked and not self.needs_consent

    @property
    def refusal(self) -> str:
        """Why it may not be ordered, in one sentence (empty when it may)."""
        if self.blocked:
            return "；".join(self.blocked) + "。"
        if self.needs_consent:
            return f"{self.price_note}，请先同意新价格。"
        return ""


def lines_of(session: Session, actor: Operator | None,
             line_ids: list[Any] | None = None) -> list[CartLine]:
    """The actor's cart lines (all, or those of ``line_ids``), oldest first."""
    clerk = buyer(actor)
    query = (select(CartLine).where(CartLine.operator_id == clerk.id)
             .options(joinedload(CartLine.offer).joinedload(MallOffer.product)
                      .joinedload(MallProduct.catalogue_item),
                      joinedload(CartLine.offer).joinedload(MallOffer.supplier),
                      joinedload(CartLine.plan_item).joinedload(PlanItem.plan),
                      joinedload(CartLine.plan_item).joinedload(PlanItem.catalogue_item))
             .order_by(CartLine.id))
    if line_ids is not None:
        wanted = [pk for pk in line_ids if valid_id(pk) and pk <= MAX_ID]
        query = query.where(CartLine.id.in_(wanted))
    return list(session.scalars(query).unique())


def cart_view(session: Session, actor: Operator | None,
              line_ids: list[Any] | None = None) -> list[CartRow]:
    """购物车: each own line with its current price against the price seen, the plan line's
    room, the lowest live price of its product and what blocks it from 下单.

    :raises PermissionDenied: the actor is not a clerk of a purchasing unit
    """
    clerk = buyer(actor)
    lines = lines_of(session, clerk, line_ids)
    room_by_item = rooms(session, {line.plan_item_id: line.plan_item for line in lines}.values())
    open_items = set(session.scalars(
        mall_lines(clerk.unit_id or 0).with_only_columns(PlanItem.id).where(
            PlanItem.id.in_([line.plan_item_id for line in lines])))) if lines else set()
    # One query for every product's evidence: a cart of many products is not one query each.
    evidence = catalogue.price_evidences(session, {line.offer.product_id for line in lines})
    rows = []
    for line in lines:
        offer = line.offer
        found = evidence[offer.product_id]
        room = room_by_item[line.plan_item_id]
        price = Decimal(offer.price)
        row = CartRow(line=line, room=room, price=price, amount=price * line.quantity,
                      lowest=found.lowest,
                      is_lowest=found.lowest is None or price <= found.lowest)
        if price != line.seen_price:
            row.price_note = price_moved(line.seen_price, price)
            row.needs_consent = price > line.seen_price
        if not offer.live or not offer.product.active:
            row.blocked.append(NOT_LIVE)
        if line.plan_item_id not in open_items:
            row.blocked.append("该计划明细已不能用于网上商城采购")
        if line.quantity > room.left_qty or row.amount > room.left_amount:
            row.blocked.append(f"数量或金额超过计划可采购（可采购{_qty(room.left_qty)}、"
                               f"{format_money(room.left_amount)}）")
        if line.quantity > offer.stock:
            row.blocked.append(f"数量超过供应商库存（库存{offer.stock}）")
        rows.append(row)
    return rows


def plan_line_rooms(session: Session, actor: Operator | None) -> list[tuple[PlanItem, Room]]:
    """待采购/已完成: each mall plan line of the actor's unit with its room.

    :raises PermissionDenied: the actor is not a clerk of a purchasing unit
    """
    clerk = buyer(actor)
    items = list(session.scalars(mall_lines(clerk.unit_id or 0).options(
        joinedload(PlanItem.plan), joinedload(PlanItem.catalogue_item))))
    found = rooms(session, items)
    return [(item, found[item.id]) for item in items]
