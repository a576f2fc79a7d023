"""Query-budget seeders (tests/test_query_budget.py) of the buyer's mall lists: 待采购, 购物车,
我的订单 and 售后. Every row has its own plan line, 品目, product, offer and supplier, so that a
relationship read per row (an N+1) shows as more queries for 100 rows than for 10."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.services.mall import core
from app.timezone import utcnow
from models import Method, Operator, PlanItem, Supplier
from models.mall import (
    AfterSaleCase,
    CartLine,
    MallOffer,
    MallOrder,
    MallOrderLine,
    MallProduct,
    OfferStatus,
    OrderStatus,
)
from tests.support import volume

PRICE = Decimal("100.00")


def _mall_lines(session: Any, user: Operator, start: int,
                count: int) -> list[tuple[Operator, PlanItem, Supplier, MallOffer]]:
    """Completed plans of the user's unit, each with one 网上商城 line of its own 品目, a
    product of that 品目 and a listed offer of a supplier of its own."""
    clerk = volume._clerk(session, user)
    plans = volume._plans(session, clerk, start, count)
    suppliers = volume._suppliers(session, start, count)
    made = []
    for n, plan, supplier in zip(range(start, start + count), plans, suppliers, strict=True):
        item = plan.items[0]
        item.method = Method.online_mall
        item.quantity = Decimal("10")
        item.catalogue_item.in_mall = True
        product = MallProduct(catalogue_item=item.catalogue_item, brand="量测", model=f"QB-{n:04d}",
                              name="预算商品", unit_name="台")
        offer = MallOffer(product=product, supplier=supplier, supplier_sku=f"QB-SKU-{n:04d}",
                          status=OfferStatus.listed, price=PRICE, stock=10, lead_days=3)
        session.add_all([product, offer])
        made.append((clerk, item, supplier, offer))
    session.flush()
    return made


def _order(session: Any, clerk: Operator, item: PlanItem, offer: MallOffer,
           status: str) -> MallOrder:
    product = offer.product
    order = MallOrder(order_no=core.next_order_no(session), unit_id=clerk.unit_id,
                      plan_id=item.plan_id, supplier_id=offer.supplier_id, status=status,
                      created_by_id=clerk.id, delivery_address="平顶山市新华区建设路1号",
                      contact_name="张经办", contact_phone="13800000001", submitted_on=utcnow(),
                      version=1, amount=PRICE)
    order.lines.append(MallOrderLine(
        plan_item_id=item.id, offer_id=offer.id, product_name=product.name, brand=product.brand,
        model=product.model, unit_name=product.unit_name, supplier_sku=offer.supplier_sku,
        unit_price=PRICE, quantity=1, amount=PRICE, confirmed_qty=1))
    session.add(order)
    return order


def mall_plan_lines(session: Any, user: Operator, start: int, count: int) -> None:
    """网上商城 plan lines of the user's unit, each of its own plan and 品目 (待采购)."""
    _mall_lines(session, user, start, count)


def mall_cart(session: Any, user: Operator, start: int, count: int) -> None:
    """Cart lines of the user, each against its own plan line, product and supplier."""
    for clerk, item, _supplier, offer in _mall_lines(session, user, start, count):
        session.add(CartLine(operator_id=clerk.id, plan_item_id=item.id, offer_id=offer.id,
                             quantity=1, seen_price=offer.price))


def mall_unit_orders(session: Any, user: Operator, start: int, count: int) -> None:
    """Orders of the user's unit, each of its own plan and supplier, some accepted."""
    for n, (clerk, item, _supplier, offer) in enumerate(
            _mall_lines(session, user, start, count)):
        _order(session, clerk, item, offer,
               OrderStatus.accepted if n % 2 else OrderStatus.awaiting_confirmation)
    session.flush()


def mall_after_sales(session: Any, user: Operator, start: int, count: int) -> None:
    """Open after-sale cases of the user's unit, each on an order of its own."""
    for clerk, item, _supplier, offer in _mall_lines(session, user, start, count):
        order = _order(session, clerk, item, offer, OrderStatus.accepted)
        session.flush()
        session.add(AfterSaleCase(order_id=order.id, order_line_id=order.lines[0].id,
                                  quantity=1, reason="外观破损", created_on=utcnow()))
    session.flush()
