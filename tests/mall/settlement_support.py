"""Orders for the contract and payment tests, built straight on the models (no cart needed)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.services.mall import core
from app.services.mall.contract import generate_contract
from app.timezone import utcnow
from app.transaction import unit_of_work
from models import Operator, PlanItem, ProcurementPlan
from models.mall import ActorKind, MallOffer, MallOrder, MallOrderLine, OrderStatus

# Supplier credit codes of the demo: 京采 (not SME), 苏采 (SME).
JINGCAI, SUCAI = "91410100MA470A1B25", "91410105MA480A1B20"


def operator(session: Any, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def mall_plan(session: Any, clerk: Operator) -> ProcurementPlan:
    return session.scalar(select(ProcurementPlan).where(
        ProcurementPlan.unit_id == clerk.unit_id,
        ProcurementPlan.project_name.like("%网上商城采购项目")))


def build_order(session: Any, username: str = "pds_clerk", supplier_code: str = JINGCAI,
                quantities: dict[str, int] | None = None) -> MallOrder:
    """A submitted order (待电商确认) of the clerk's demo mall plan with the supplier's offers.

    :param quantities: {品目 code: quantity}; default one computer and two printers
    """
    clerk = operator(session, username)
    plan = mall_plan(session, clerk)
    wanted = quantities or {"A02010104": 1, "A02021003": 2}
    order = MallOrder(order_no=core.next_order_no(session), unit_id=clerk.unit_id,
                      plan_id=plan.id, status=OrderStatus.awaiting_confirmation,
                      delivery_address="平顶山市新华区建设路1号", contact_name="张经办",
                      contact_phone="13800000001", created_by_id=clerk.id,
                      submitted_on=utcnow())
    total = Decimal("0")
    for item in session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)
                                .order_by(PlanItem.id)):
        quantity = wanted.get(item.catalogue_item.code)
        if not quantity:
            continue
        offer = session.scalar(
            select(MallOffer).join(MallOffer.supplier)
            .where(MallOffer.supplier.has(credit_code=supplier_code),
                   MallOffer.product.has(catalogue_item_id=item.catalogue_item_id))
            .order_by(MallOffer.price))
        product = offer.product
        amount = offer.price * quantity
        total += amount
        order.lines.append(MallOrderLine(
            plan_item_id=item.id, offer_id=offer.id, product_name=product.name,
            brand=product.brand, model=product.model, configuration=product.configuration,
            unit_name=product.unit_name, supplier_sku=offer.supplier_sku,
            unit_price=offer.price, quantity=quantity, amount=amount))
        order.supplier_id = offer.supplier_id
    order.amount = total
    session.add(order)
    session.flush()
    return order


def confirm(session: Any, order: MallOrder, sme: bool | None = None) -> None:
    """What the supplier's confirmation does to the order, then the contract (H3 calls this)."""
    core.move(session, order, "confirm", ActorKind.supplier, None, "电商确认")
    order.confirmed_on = utcnow()
    order.supplier_sme = order.supplier.sme if sme is None else sme
    for line in order.lines:
        line.confirmed_qty = line.quantity
    generate_contract(session, order)


def deliver_and_accept(session: Any, order: MallOrder, accepted: dict[int, int] | None = None,
                       delivered_on: datetime | None = None,
                       accepted_on: datetime | None = None, final: bool = True) -> None:
    """Ship, deliver and accept (all, or ``accepted`` {line index: quantity}) straight on the
    buckets, as H5's acceptance would; ``final`` moves to 已验收, else stays 待验收."""
    core.move(session, order, "ship", ActorKind.supplier, None)
    for line in order.lines:
        line.shipped_qty = line.delivered_qty = line.confirmed_qty
    core.move(session, order, "deliver", ActorKind.supplier, None)
    order.delivered_on = delivered_on or utcnow()
    for index, line in enumerate(order.lines):
        line.accepted_qty = line.delivered_qty if accepted is None else accepted.get(index, 0)
    order.accepted_on = accepted_on or utcnow()
    if final:
        for line in order.lines:
            line.rejected_qty = line.delivered_qty - line.accepted_qty
        core.move(session, order, "accept", ActorKind.buyer, order.created_by)
        order.payment_due_on = core.payment_due_on(
            order, core.policy_for(session, order.unit.region_id))
    else:
        core.move(session, order, "accept_part", ActorKind.buyer, order.created_by)


def confirmed_order(app: Any, username: str = "pds_clerk", supplier_code: str = JINGCAI,
                    **kwargs: Any) -> int:
    """The id of a confirmed order with its generated contract."""
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            order = build_order(session, username, supplier_code, **kwargs)
            confirm(session, order)
        return order.id


def accepted_order(app: Any, username: str = "pds_clerk", supplier_code: str = JINGCAI,
                   **kwargs: Any) -> int:
    """The id of an accepted order (everything accepted now), its due date set."""
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            order = build_order(session, username, supplier_code)
            confirm(session, order)
            deliver_and_accept(session, order, **kwargs)
        return order.id
