"""Concurrent 提交: twenty requests at once never reserve more than a plan line has left,
and one order submitted twenty times at once reserves once (PostgreSQL and SQLite)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.services.errors import Conflict, ServiceError
from app.services.mall import cart, orders
from app.services.mall.room import room_of
from app.transaction import unit_of_work
from models import OutboxMessage
from models.mall import MallOffer, MallOrder
from tests.support.mall import cheapest_offer, checkout_input, mall_line
from tests.support.plans import operator

THREADS = 20
CODE = "A02021003"  # 激光打印机: 5 台 / 15,000.00 in the demo plan; cheapest 1,399.00


def drafts(app: Any, count: int) -> list[int]:
    """``count`` drafts of one 台 each against the same plan line."""
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            clerk = operator(session, "pds_clerk")
            item, offer = mall_line(session, "pds_clerk", CODE), cheapest_offer(session, CODE)
            made = []
            for _ in range(count):
                line = cart.add_line(session, clerk, offer.id, item.id, 1)
                made.append(orders.checkout(session, clerk, checkout_input([line.id]))[0].id)
            return made


def submit_at_once(app: Any, order_ids: list[int]) -> list[str]:
    """Each order id submitted by its own thread (own app context and session), all released
    together; the outcome of each: "ok", a refusal's code, or the unexpected exception."""
    start = threading.Barrier(len(order_ids))
    outcomes: list[str] = []

    def submit(order_id: int) -> None:
        with app.app_context(), app.test_request_context():
            session: Any = db.session
            clerk = operator(session, "pds_clerk")
            session.commit()  # the clerk read: no transaction left open before the race
            start.wait()
            try:
                with unit_of_work(session):
                    orders.submit_order(session, clerk, order_id, 0)
                outcomes.append("ok")
            except ServiceError as exc:
                outcomes.append(exc.code if not isinstance(exc, Conflict) else "conflict")
            except Exception as exc:  # noqa: BLE001 - the test reports what escaped
                outcomes.append(f"error: {exc!r}")

    threads = [threading.Thread(target=submit, args=(pk,)) for pk in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def reserved(app: Any) -> tuple[int, int, int]:
    """(reserved quantity of the plan line, the offer's stock, outbox messages)."""
    with app.app_context():
        session: Any = db.session
        item = mall_line(session, "pds_clerk", CODE)
        offer = cheapest_offer(session, CODE)
        sent = session.scalar(select(func.count(OutboxMessage.id))
                              .where(OutboxMessage.topic == "mall_order"))
        return room_of(session, item).reserved_qty, offer.stock, sent or 0


def test_the_last_units_of_a_plan_line_are_reserved_once(app: Any) -> None:
    order_ids = drafts(app, THREADS)
    _, stock, _ = reserved(app)
    outcomes = submit_at_once(app, order_ids)
    assert len(outcomes) == THREADS
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    ok = outcomes.count("ok")
    assert set(outcomes) <= {"ok", "mall_no_room", "conflict"}, outcomes
    quantity, left, sent = reserved(app)
    assert quantity == ok and left == stock - ok and sent == ok
    if on_postgresql(app):  # row locks queue the requests: every unit left is sold
        assert ok == 5, outcomes
    else:  # SQLite may answer some with 稍后重试, never with more than there is
        assert 1 <= ok <= 5, outcomes


def test_one_order_submitted_twenty_times_at_once_reserves_once(app: Any) -> None:
    (order_id,) = drafts(app, 1)
    _, stock, _ = reserved(app)
    outcomes = submit_at_once(app, [order_id] * THREADS)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert set(outcomes) <= {"ok", "conflict"}, outcomes
    quantity, left, sent = reserved(app)
    assert (quantity, left, sent) == (1, stock - 1, 1)
    with app.app_context():
        order = db.session.get(MallOrder, order_id)
        assert order is not None
        assert order.status == "awaiting_confirmation" and order.version == 1
        assert [e.kind for e in order.events].count("submit") == 1
        offer = db.session.get(MallOffer, order.lines[0].offer_id)
        assert offer is not None and offer.stock == stock - 1


def on_postgresql(app: Any) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"
