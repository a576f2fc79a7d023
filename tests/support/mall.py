"""网上商城 helpers: the demo plan lines and offers, and orders made through the commands."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from app.services.mall import cart, orders
from app.services.mall.room import mall_lines
from app.transaction import unit_of_work
from models import CatalogueItem, PlanItem
from models.mall import MallOffer, MallProduct, OfferStatus
from tests.support.plans import operator

ADDRESS = dict(delivery_address="郑州市金水区花园路1号", contact_name="张三",
               contact_phone="13800000000", invoice_title="")


def mall_line(session: Any, username: str, code: str) -> PlanItem:
    """The demo mall plan line of 品目 ``code`` of the user's unit."""
    clerk = operator(session, username)
    assert clerk.unit_id is not None, f"{username} belongs to a unit"
    return session.scalar(mall_lines(clerk.unit_id).join(
        CatalogueItem, CatalogueItem.id == PlanItem.catalogue_item_id)
        .where(CatalogueItem.code == code))


def offers_of(session: Any, code: str) -> list[MallOffer]:
    """The live offers of 品目 ``code``, cheapest first."""
    return list(session.scalars(
        select(MallOffer).join(MallProduct).join(CatalogueItem)
        .where(CatalogueItem.code == code, MallOffer.status == OfferStatus.listed)
        .order_by(MallOffer.price, MallOffer.id)))


def cheapest_offer(session: Any, code: str) -> MallOffer:
    """The cheapest live offer of 品目 ``code``."""
    return offers_of(session, code)[0]


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


def checkout_input(line_ids: list[int], submit: bool = False, **overrides: Any
                   ) -> orders.CheckoutInput:
    """A valid 下单 of the given cart lines."""
    data: dict[str, Any] = {**ADDRESS, "key": key(), "line_ids": line_ids, "submit": submit}
    data.update(overrides)
    return orders.CheckoutInput(**data)


def order_draft(app: Any, username: str = "pds_clerk", code: str = "A02010104", qty: int = 1,
                offer_id: int | None = None, submit: bool = False,
                reasons: tuple[str, str] | None = None) -> int:
    """A draft (or, with ``submit``, a submitted) order of ``qty`` of the cheapest offer (or
    ``offer_id``) against the user's demo plan line of ``code``; returns its id."""
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, username)
        with unit_of_work(session):
            item = mall_line(session, username, code)
            chosen = offer_id or cheapest_offer(session, code).id
            line = cart.add_line(session, clerk, chosen, item.id, qty)
            given = {line.id: reasons} if reasons else {}
            made = orders.checkout(session, clerk, checkout_input([line.id], submit=submit,
                                                                  reasons=given))
            return made[0].id


def order_submitted(app: Any, username: str = "pds_clerk", code: str = "A02010104",
                    qty: int = 1) -> int:
    """An order awaiting the supplier's confirmation (待电商确认); returns its id."""
    return order_draft(app, username, code, qty, submit=True)

