"""What 提交 checks of an order beyond its own state: quantities against the stock, the plan
line's room and the 品目's mall limit; the price evidence and the median rule; the reason of a
line not at the lowest price; and what the supplier's system receives."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.services.errors import ValidationFailed
from app.services.mall import catalogue
from app.services.mall.room import mall_lines, rooms
from app.services.money import format_money
from app.timezone import to_business
from models import PlanItem
from models.mall import MallOffer, MallOrder, MallOrderLine, MallPolicy

# 非最低价理由: a stable code and what people read.
NON_LOWEST_REASONS = {
    "delivery": "交货期更短", "after_sale": "售后服务更好", "compatibility": "与现有设备兼容",
    "configuration": "配置更符合需求", "other": "其他",
}


def need_reason(name: str, lowest: Decimal | None, reason: tuple[str, str], where: str) -> None:
    """A line not at the lowest price carries a listed reason code and a text.

    :raises ValidationFailed: code ``mall_reason_required``, at field ``where``
    """
    code, text = reason
    if code not in NON_LOWEST_REASONS or not text:
        raise ValidationFailed(
            f"“{name}”不是最低价（最低价{format_money(lowest)}），请选择非最低价理由并填写说明。",
            field=where, code="mall_reason_required")


def offer_name(offer: MallOffer) -> str:
    """品牌 型号 名称 of an offer's product."""
    product = offer.product
    return f"{product.brand} {product.model} {product.name}"


def line_name(line: MallOrderLine) -> str:
    """品牌 型号 名称 of an order line's snapshot."""
    return f"{line.brand} {line.model} {line.product_name}"


def check_quantities(session: Session, order: MallOrder, lines: list[MallOrderLine],
                     items: dict[int, PlanItem], offers: dict[int, MallOffer]) -> None:
    """The order fits the offers' stock, each plan line's room (quantity and amount, other
    reserving and bought orders counted) and each 品目's mall limit. Call it with the plan
    lines and offers locked.

    :raises ValidationFailed: ``mall_no_stock``, ``mall_no_room`` or ``mall_limit``
    """
    stock: dict[int, int] = defaultdict(int)
    qty: dict[int, int] = defaultdict(int)
    amount: dict[int, Decimal] = defaultdict(Decimal)
    per_item: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        stock[line.offer_id] += line.quantity
        qty[line.plan_item_id] += line.quantity
        amount[line.plan_item_id] += line.amount
        per_item[items[line.plan_item_id].catalogue_item_id] += line.amount
    for offer_id, wanted in stock.items():
        if wanted > offers[offer_id].stock:
            raise ValidationFailed(f"商品“{offer_name(offers[offer_id])}”库存不足（库存"
                                   f"{offers[offer_id].stock}）。", code="mall_no_stock")
    still = set(session.scalars(mall_lines(order.unit_id).with_only_columns(PlanItem.id)
                                .where(PlanItem.id.in_(items))))
    left = rooms(session, items.values())
    for pk, item in items.items():
        name = item.catalogue_item.name
        if pk not in still:
            raise ValidationFailed(f"计划明细“{name}”已不能用于网上商城采购。",
                                   code="mall_no_room")
        room = left[pk]
        if qty[pk] > room.left_qty or amount[pk] > room.left_amount:
            raise ValidationFailed(
                f"计划明细“{name}”可采购数量{room.left_qty.normalize():f}、金额"
                f"{format_money(room.left_amount)}，本订单需{qty[pk]}、"
                f"{format_money(amount[pk])}，已超出。", code="mall_no_room")
    for item in items.values():
        kind = item.catalogue_item
        if not kind.in_mall:
            raise ValidationFailed(f"品目“{kind.name}”已不在网上商城采购范围内。",
                                   code="mall_limit")
        if kind.mall_limit is not None and per_item[kind.id] > kind.mall_limit:
            raise ValidationFailed(
                f"品目“{kind.name}”本订单金额{format_money(per_item[kind.id])}超过网上商城"
                f"数额上限{format_money(kind.mall_limit)}。", code="mall_limit")


def store_evidence(session: Session, line: MallOrderLine, offer: MallOffer,
                   policy: MallPolicy) -> None:
    """Store the price evidence on the line (lowest, median, market price, live offers) and
    apply the median rule and the non-lowest reason.

    :raises ValidationFailed: ``mall_above_median`` (policy "block") or
        ``mall_reason_required``
    """
    found = catalogue.price_evidence(session, offer.product_id)
    line.lowest_price, line.median_price = found.lowest, found.median
    line.market_price, line.live_offers = offer.market_price, found.count
    line.above_median = catalogue.check_median(session, offer, policy)
    if line.above_median and policy.median_action == "block":
        raise ValidationFailed(
            f"商品“{line_name(line)}”单价高于在售报价中位价（{format_money(found.median)}）"
            f"超过{policy.median_margin_percent}%，不能下单。", field=f"line_{line.id}",
            code="mall_above_median")
    if found.lowest is not None and line.unit_price > found.lowest:
        need_reason(line_name(line), found.lowest,
                     (line.non_lowest_code, line.non_lowest_reason), f"reason_{line.id}")
    else:
        line.non_lowest_code = line.non_lowest_reason = ""


def order_payload(order: MallOrder) -> dict[str, Any]:
    """What the supplier's system receives: the buyer's order number and the snapshot."""
    return {
        "order_no": order.order_no, "supplier_credit_code": order.supplier.credit_code,
        "buyer": order.unit.name, "plan_number": order.plan.plan_number or "",
        "amount": str(order.amount), "delivery_address": order.delivery_address,
        "contact_name": order.contact_name, "contact_phone": order.contact_phone,
        "invoice_title": order.invoice_title, "remark": order.remark,
        "confirm_by": to_business(order.confirm_by).isoformat() if order.confirm_by else None,
        "lines": [{"line_id": line.id, "sku": line.supplier_sku, "name": line.product_name,
                   "brand": line.brand, "model": line.model, "unit": line.unit_name,
                   "quantity": line.quantity, "unit_price": str(line.unit_price),
                   "amount": str(line.amount)} for line in order.lines],
    }


