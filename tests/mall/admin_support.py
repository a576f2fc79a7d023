"""Orders built directly as rows (any status, any evidence) for the supervision, exception and
workbench tests, and the query-budget seeders of H6's pages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.services.mall import core
from app.timezone import business_today, utcnow
from models import Operator, ProcurementPlan, Region
from models.mall import (
    MallException,
    MallOffer,
    MallOrder,
    MallOrderLine,
    MallPolicy,
    MallProduct,
    OfferStatus,
    OrderStatus,
)

PLAN_NAME = "网上商城采购项目"


def operator(session: Any, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def mall_plan(session: Any, clerk: Operator) -> ProcurementPlan:
    return session.scalar(select(ProcurementPlan).where(
        ProcurementPlan.unit_id == clerk.unit_id,
        ProcurementPlan.project_name.like(f"%{PLAN_NAME}%")).order_by(ProcurementPlan.id))


def build_order(session: Any, clerk: Operator, status: str = OrderStatus.awaiting_confirmation,
                *, quantity: int = 1, non_lowest_code: str = "", above_median: bool = False,
                due_on: date | None = None, lines: int = 1) -> MallOrder:
    """An order of the clerk's unit against its demo mall plan (台式计算机) in ``status``;
    accepted orders get ``due_on`` (default: 10 days ago, i.e. overdue)."""
    plan = mall_plan(session, clerk)
    item = plan.items[0]
    offer = session.scalar(
        select(MallOffer).join(MallProduct, MallProduct.id == MallOffer.product_id)
        .where(MallProduct.catalogue_item_id == item.catalogue_item_id,
               MallOffer.status == OfferStatus.listed).order_by(MallOffer.price, MallOffer.id))
    product = offer.product
    order = MallOrder(order_no=core.next_order_no(session), unit_id=clerk.unit_id,
                      plan_id=plan.id, supplier_id=offer.supplier_id, status=status,
                      created_by_id=clerk.id, delivery_address="郑州市金水区1号",
                      contact_name="张三", contact_phone="13800000000", version=1)
    total = Decimal("0.00")
    for _ in range(lines):
        amount = offer.price * quantity
        total += amount
        order.lines.append(MallOrderLine(
            plan_item_id=item.id, offer_id=offer.id, product_name=product.name,
            brand=product.brand, model=product.model, configuration=product.configuration,
            unit_name=product.unit_name, supplier_sku=offer.supplier_sku,
            unit_price=offer.price, quantity=quantity, amount=amount,
            lowest_price=offer.price, median_price=offer.price, market_price=offer.market_price,
            live_offers=3, above_median=above_median, non_lowest_code=non_lowest_code,
            non_lowest_reason="需与现有设备型号一致" if non_lowest_code else "",
            confirmed_qty=quantity))
    order.amount = total
    if status != OrderStatus.draft:
        order.submitted_on = utcnow()
    if status == OrderStatus.accepted:
        order.accepted_on = utcnow()
        order.payment_due_on = due_on or business_today() - timedelta(days=10)
    session.add(order)
    session.flush()
    return order


def build_exception(session: Any, order: MallOrder, kind: str = "amount_mismatch",
                    message: str = "送达数量与订单不符") -> MallException:
    row = MallException(order_id=order.id, unit_id=order.unit_id, supplier_id=order.supplier_id,
                        kind=kind, message=message, payload="{}", created_on=utcnow())
    session.add(row)
    session.flush()
    return row


# --- query-budget seeders (tests/test_query_budget.py): (session, user, start, count) --------

def mall_orders(session: Any, user: Operator, start: int, count: int) -> None:
    """Orders of pds_clerk's unit, some accepted and overdue, with evidence to group."""
    clerk = operator(session, "pds_clerk")
    for n in range(count):
        status = OrderStatus.accepted if n % 2 else OrderStatus.awaiting_confirmation
        build_order(session, clerk, status, non_lowest_code="compatibility" if n % 3 else "",
                    above_median=n % 5 == 0)


def mall_exceptions(session: Any, user: Operator, start: int, count: int) -> None:
    """Open exceptions of pds_clerk's unit, each on its own order."""
    clerk = operator(session, "pds_clerk")
    for n in range(count):
        build_exception(session, build_order(session, clerk), message=f"异常{start + n}")


def mall_policies(session: Any, user: Operator, start: int, count: int) -> None:
    """Regions each with its own mall policy."""
    for n in range(start, start + count):
        region = Region(code=f"qm{n}", name=f"商城区划{n}", short_name=f"商{n}",
                        sort_order=200 + n)
        session.add(region)
        session.add(MallPolicy(region=region))
