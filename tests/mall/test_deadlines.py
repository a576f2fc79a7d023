"""The mall's deadlines: confirmation timeouts release what they held, default marks, the job."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.scheduler import JOBS, run_job
from app.services.mall import room
from app.services.mall.deadlines import run_deadlines, timeout_confirmations
from app.timezone import utcnow
from models import Notification
from models.mall import MallOffer, MallOrder, MallOrderEvent, OrderStatus
from tests.mall.acceptance_support import paid_order, submitted_order, with_session


def late(app: Flask, order_id: int, hours: int = 1) -> None:
    """Move the order's confirmation deadline ``hours`` into the past."""
    def work(s: Any) -> None:
        s.get(MallOrder, order_id).confirm_by = utcnow() - timedelta(hours=hours)
    with_session(app, work)


def held(s: Any, order_id: int) -> tuple[int, int, Any]:
    """(offer stock, plan line reserved quantity, room) of the order's first line."""
    line = s.get(MallOrder, order_id).lines[0]
    here = room.room_of(s, line.plan_item)
    return s.get(MallOffer, line.offer_id).stock, here.reserved_qty, here


def test_an_order_past_its_confirmation_deadline_times_out_and_releases(app: Flask) -> None:
    def stock_before(s: Any) -> int:
        offer = s.scalar(select(MallOffer).where(MallOffer.supplier_sku == "SC-88201"))
        return int(offer.stock)
    initial = with_session(app, stock_before)
    order_id = submitted_order(app, quantity=10)
    waiting_id = submitted_order(app, "zz_clerk", quantity=4)
    late(app, order_id)

    def work(s: Any) -> None:
        stock, reserved, _ = held(s, order_id)
        assert (stock, reserved) == (initial - 14, 10)
        assert timeout_confirmations(s, utcnow()) == 1
        s.flush()
        order = s.get(MallOrder, order_id)
        assert order.status == OrderStatus.timed_out and order.closed_on is not None
        stock, reserved, here = held(s, order_id)
        assert (stock, reserved, here.bought_qty) == (initial - 4, 0, 0)
        assert here.left_qty == here.planned_qty
        event = s.scalar(select(MallOrderEvent).where(MallOrderEvent.order_id == order_id)
                         .order_by(MallOrderEvent.id.desc()))
        assert (event.kind, event.actor_kind, event.actor_id) == ("timeout", "system", None)
        message = s.scalar(select(Notification).where(Notification.kind == "mall_timeout"))
        assert message.recipient_id == order.created_by_id
        assert message.link == f"/mall/orders/{order_id}"
        assert order.order_no in message.title
        assert s.get(MallOrder, waiting_id).status == OrderStatus.awaiting_confirmation
        # Aware and naive times alike; a second run finds nothing more.
        assert timeout_confirmations(s, utcnow().replace(tzinfo=UTC)) == 0
    with_session(app, work)


def test_run_deadlines_does_every_deadline_in_one_go(app: Flask) -> None:
    order_id = submitted_order(app, quantity=2)
    late(app, order_id)
    paid_id = paid_order(app, paid_on=utcnow() - timedelta(days=16))

    def work(s: Any) -> None:
        run = run_deadlines(s, utcnow())
        assert (run.timed_out, run.defaulted, run.delisted) == (1, 1, 0)
        assert run.summary.startswith("确认超时订单1个，付款提醒")
        assert s.get(MallOrder, paid_id).status == OrderStatus.completed
    with_session(app, work)


def test_the_job_is_registered_and_runs(app: Flask) -> None:
    assert ("mall_deadlines", "interval", {"minutes": 5}) in [
        (name, trigger, args) for name, _call, trigger, args in JOBS]
    assert run_job(app, "mall_deadlines") == "确认超时订单0个，付款提醒0条，默认评价0个，闲置下架0个"
    order_id = submitted_order(app, quantity=3)
    late(app, order_id)
    assert run_job(app, "mall_deadlines").startswith("确认超时订单1个")

    def status(s: Any) -> str:
        return str(s.get(MallOrder, order_id).status)
    assert with_session(app, status) == OrderStatus.timed_out
