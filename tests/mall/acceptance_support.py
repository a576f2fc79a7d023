"""Orders at the acceptance, payment and evaluation stages for H5's tests, built on the models
(the supplier's ship and deliver set straight on the buckets) or through the real checkout."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Any, cast

from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.services.mall import cart, core, orders
from app.timezone import utcnow
from app.transaction import unit_of_work
from models import Method, PlanItem
from models.mall import ActorKind, MallOffer, MallOrder
from tests.mall.settlement_support import JINGCAI, SUCAI, build_order, confirm, operator

__all__ = ["JINGCAI", "SUCAI", "delivered_order", "paid_order", "pdf", "submitted_order",
           "with_session"]


def pdf(name: str = "验收单.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4 acceptance"), filename=name)


def with_session(app: Flask, work: Any) -> Any:
    """Run ``work(session)`` in a request context and one unit of work; returns its result."""
    with app.test_request_context():
        session = cast(Any, app).appbuilder.session
        with unit_of_work(session):
            return work(session)


def deliver(session: Any, order: MallOrder, delivered: dict[int, int] | None = None) -> None:
    """Ship everything confirmed and deliver all (or ``delivered`` {line index: quantity}):
    all delivered moves to 待验收, a part stays 配送中."""
    core.move(session, order, "ship", ActorKind.supplier, None)
    for index, line in enumerate(order.lines):
        line.shipped_qty = line.confirmed_qty
        line.delivered_qty = (line.confirmed_qty if delivered is None
                              else delivered.get(index, 0))
    if all(line.delivered_qty == line.confirmed_qty for line in order.lines):
        core.move(session, order, "deliver", ActorKind.supplier, None)
        order.delivered_on = utcnow()
    else:
        core.move(session, order, "deliver_part", ActorKind.supplier, None)


def delivered_order(app: Flask, username: str = "pds_clerk", supplier_code: str = JINGCAI,
                    quantities: dict[str, int] | None = None,
                    delivered: dict[int, int] | None = None) -> int:
    """The id of a confirmed order (contract generated) delivered in full (待验收) or in part
    (配送中); default one computer and two printers of 京采."""
    def work(session: Any) -> int:
        order = build_order(session, username, supplier_code, quantities)
        confirm(session, order)
        deliver(session, order, delivered)
        return order.id
    return int(with_session(app, work))


def paid_order(app: Flask, username: str = "pds_clerk", supplier_code: str = JINGCAI,
               paid_on: datetime | None = None) -> int:
    """The id of an order accepted in full and paid (已付款) on ``paid_on`` (default now)."""
    from app.services.mall.acceptance import AcceptanceInput, accept

    order_id = delivered_order(app, username, supplier_code)

    def work(session: Any) -> int:
        order = session.get(MallOrder, order_id)
        clerk = operator(session, username)
        accept(session, clerk, order_id, AcceptanceInput(
            "onsite", lines={line.id: (line.delivered_qty, 0, "") for line in order.lines}))
        core.move(session, order, "pay", ActorKind.buyer, clerk, "付款")
        order.paid_on = paid_on or utcnow()
        return order.id
    return int(with_session(app, work))


def submitted_order(app: Flask, username: str = "pds_clerk", code: str = "A05040101",
                    quantity: int = 10) -> int:
    """The id of an order submitted through the cart (待电商确认: stock and plan room reserved)
    with the lowest live offer of the 品目 ``code``."""
    def work(session: Any) -> int:
        clerk = operator(session, username)
        item = session.scalar(select(PlanItem).where(
            PlanItem.catalogue_item.has(code=code), PlanItem.plan.has(unit_id=clerk.unit_id),
            PlanItem.method == Method.online_mall).order_by(PlanItem.id))
        offer = session.scalar(select(MallOffer).where(
            MallOffer.product.has(catalogue_item_id=item.catalogue_item_id),
            MallOffer.status == "listed").order_by(MallOffer.price, MallOffer.id))
        line = cart.add_line(session, clerk, offer.id, item.id, quantity)
        made = orders.checkout(session, clerk, orders.CheckoutInput(
            key=uuid.uuid4().hex, line_ids=[line.id], delivery_address="平顶山市新华区建设路1号",
            contact_name="张经办", contact_phone="13800000001", submit=True))
        return made[0].id
    return int(with_session(app, work))
