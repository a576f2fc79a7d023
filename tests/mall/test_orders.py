"""下单, 提交, 取消: snapshots, idempotency, revalidation under locks, release, scope."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.services.errors import Conflict, NotFound, ServiceError, ValidationFailed
from app.services.mall import cart, core, orders
from app.services.mall.room import room_of
from app.transaction import unit_of_work
from models import CatalogueItem, OutboxMessage
from models.mall import ActorKind, MallOffer, MallOrder, MallPolicy, OfferStatus
from tests.support.mall import (
    cheapest_offer,
    checkout_input,
    mall_line,
    offers_of,
    order_draft,
    order_submitted,
)
from tests.support.plans import operator


def run(app: Any, call: Callable[[Any, Any], Any], username: str = "pds_clerk") -> Any:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            return call(session, operator(session, username))


def refused(app: Any, call: Callable[[Any, Any], Any], username: str = "pds_clerk"
            ) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        run(app, call, username)
    return caught.value


def test_checkout_makes_one_draft_per_supplier_with_a_snapshot(app: Any) -> None:
    def make(session: Any, clerk: Any) -> None:
        item = mall_line(session, "pds_clerk", "A02010104")
        first, second = offers_of(session, "A02010104")[:2]
        a = cart.add_line(session, clerk, first.id, item.id, 1)
        b = cart.add_line(session, clerk, second.id, item.id, 2)
        made = orders.checkout(session, clerk, checkout_input([a.id, b.id]))
        assert len(made) == 2 and {o.supplier_id for o in made} == {first.supplier_id,
                                                                   second.supplier_id}
        for order in made:
            assert order.status == "draft" and order.order_no.startswith("SC")
            assert order.invoice_title == clerk.unit.name
            assert [e.kind for e in order.events] == ["create"]
        line = next(o for o in made if o.supplier_id == first.supplier_id).lines[0]
        assert (line.brand, line.model, line.unit_price, line.amount) == (
            first.product.brand, first.product.model, first.price, first.price)
        assert line.configuration == first.product.configuration
        assert line.supplier_sku == first.supplier_sku
        assert cart.cart_view(session, clerk) == []
    run(app, make)


def test_a_repeated_key_returns_the_same_orders_and_changes_nothing(app: Any) -> None:
    def make(session: Any, clerk: Any) -> None:
        item = mall_line(session, "pds_clerk", "A02021003")
        offer = cheapest_offer(session, "A02021003")
        line = cart.add_line(session, clerk, offer.id, item.id, 1)
        data = checkout_input([line.id], submit=True)
        made = orders.checkout(session, clerk, data)
        stock = offer.stock
        again = cart.add_line(session, clerk, offer.id, item.id, 1)
        repeat = orders.checkout(session, clerk, data)
        assert [o.id for o in repeat] == [o.id for o in made]
        assert offer.stock == stock and cart.cart_view(session, clerk)[0].line.id == again.id
        assert session.scalar(select(func.count(MallOrder.id))) == 1
    run(app, make)


@pytest.mark.parametrize("changes, field", [
    ({"contact_phone": "12345"}, "contact_phone"),
    ({"contact_phone": ""}, "contact_phone"),
    ({"delivery_address": " "}, "delivery_address"),
    ({"contact_name": ""}, "contact_name"),
    ({"key": ""}, "key"),
    ({"line_ids": []}, "line_ids"),
])
def test_checkout_checks_its_input(app: Any, changes: dict[str, Any], field: str) -> None:
    def make(session: Any, clerk: Any) -> None:
        item = mall_line(session, "pds_clerk", "A02021003")
        line = cart.add_line(session, clerk, cheapest_offer(session, "A02021003").id,
                             item.id, 1)
        data = {"line_ids": [line.id], **changes}
        orders.checkout(session, clerk, checkout_input(**data))
    error = refused(app, make)
    assert isinstance(error, ValidationFailed) and error.field == field


def test_landline_is_a_valid_contact_phone(app: Any) -> None:
    def make(session: Any, clerk: Any) -> str:
        item = mall_line(session, "pds_clerk", "A02021003")
        line = cart.add_line(session, clerk, cheapest_offer(session, "A02021003").id,
                             item.id, 1)
        made = orders.checkout(session, clerk, checkout_input(
            [line.id], contact_phone="0371-65432100"))
        return str(made[0].contact_phone)
    assert run(app, make) == "0371-65432100"


def test_submit_reserves_stores_evidence_and_queues_the_order(app: Any) -> None:
    order_id = order_draft(app, qty=2)

    def submit(session: Any, clerk: Any) -> None:
        order = session.get(MallOrder, order_id)
        offer = session.get(MallOffer, order.lines[0].offer_id)
        stock, item = offer.stock, order.lines[0].plan_item
        orders.submit_order(session, clerk, order_id, order.version)
        assert order.status == "awaiting_confirmation" and order.version == 1
        assert offer.stock == stock - 2
        assert order.confirm_by - order.submitted_on == timedelta(hours=48)
        line = order.lines[0]
        assert (line.lowest_price, line.median_price, line.market_price, line.live_offers) == (
            Decimal("5199.00"), Decimal("5299.00"), Decimal("5699.00"), 3)
        assert room_of(session, item).reserved_qty == 2
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "mall_order"))
        assert message.key == order.order_no
        assert json.loads(message.payload)["lines"][0]["quantity"] == 2
        assert [e.kind for e in order.events] == ["create", "submit"]
    run(app, submit)


def test_a_double_submit_reserves_once(app: Any) -> None:
    order_id = order_draft(app)

    def twice(session: Any, clerk: Any) -> None:
        offer = cheapest_offer(session, "A02010104")
        stock = offer.stock
        orders.submit_order(session, clerk, order_id, 0)
        again = orders.submit_order(session, clerk, order_id, 0)
        assert again.id == order_id and again.status == "awaiting_confirmation"
        assert session.get(MallOffer, offer.id).stock == stock - 1
        assert session.scalar(select(func.count(OutboxMessage.id))
                              .where(OutboxMessage.topic == "mall_order")) == 1
    run(app, twice)


def test_a_stale_version_of_a_draft_is_a_conflict(app: Any) -> None:
    order_id = order_draft(app)
    error = refused(app, lambda s, c: orders.submit_order(s, c, order_id, 7))
    assert isinstance(error, Conflict) and error.code == "mall_stale"


def _meanwhile(app: Any, order_id: int, change: Callable[[Any, Any], None]) -> ServiceError:
    def alter(session: Any, clerk: Any) -> None:
        change(session, session.get(MallOffer, session.get(MallOrder, order_id).lines[0].offer_id))
    run(app, alter)
    return refused(app, lambda s, c: orders.submit_order(s, c, order_id, 0))


def test_submit_refuses_an_offer_no_longer_live(app: Any) -> None:
    order_id = order_draft(app)
    error = _meanwhile(app, order_id,
                       lambda s, offer: setattr(offer, "status", OfferStatus.frozen))
    assert error.code == "mall_offer_not_live" and "联想 启天M437" in error.message


def test_a_moved_price_needs_explicit_consent(app: Any) -> None:
    order_id = order_draft(app)
    error = _meanwhile(app, order_id, lambda s, offer: setattr(offer, "price", Decimal("5249")))
    assert error.code == "mall_price_moved"
    assert "价格已由 5,199.00 变为 5,249.00" in error.message

    def consent(session: Any, clerk: Any) -> None:
        order = orders.submit_order(session, clerk, order_id, 0, accept_price=True)
        assert order.lines[0].unit_price == Decimal("5249.00") == order.amount
        assert "同意新价格" in order.events[-1].note
    run(app, consent)


def test_submit_refuses_short_stock(app: Any) -> None:
    order_id = order_draft(app, qty=3)
    error = _meanwhile(app, order_id, lambda s, offer: setattr(offer, "stock", 2))
    assert error.code == "mall_no_stock"


def test_plan_room_counts_other_reserving_orders(app: Any) -> None:
    first, second = order_draft(app, qty=6), order_draft(app, qty=6)
    run(app, lambda s, c: orders.submit_order(s, c, first, 0))
    error = refused(app, lambda s, c: orders.submit_order(s, c, second, 0))
    assert error.code == "mall_no_room" and "可采购数量4" in error.message


def test_plan_room_by_amount(app: Any) -> None:
    dearest = None

    def find(session: Any, clerk: Any) -> int:
        return int(offers_of(session, "A02010104")[-1].id)  # 6,999.00
    dearest = run(app, find)
    first = order_draft(app, qty=5, offer_id=dearest, reasons=("configuration", "需要i7"))
    second = order_draft(app, qty=4, offer_id=dearest, reasons=("configuration", "需要i7"))
    run(app, lambda s, c: orders.submit_order(s, c, first, 0))
    error = refused(app, lambda s, c: orders.submit_order(s, c, second, 0))
    assert error.code == "mall_no_room" and "金额" in error.message


def test_mall_limit_and_in_mall(app: Any) -> None:
    order_id = order_draft(app, code="A02021003", qty=2)

    def limit(session: Any, clerk: Any) -> None:
        item = session.scalar(select(CatalogueItem).where(CatalogueItem.code == "A02021003"))
        item.mall_limit = Decimal("2000")  # 2 × 1,399.00
    run(app, limit)
    error = refused(app, lambda s, c: orders.submit_order(s, c, order_id, 0))
    assert error.code == "mall_limit" and "数额上限" in error.message

    def out(session: Any, clerk: Any) -> None:
        item = session.scalar(select(CatalogueItem).where(CatalogueItem.code == "A02021003"))
        item.mall_limit, item.in_mall = None, False
    run(app, out)
    error = refused(app, lambda s, c: orders.submit_order(s, c, order_id, 0))
    assert error.code == "mall_limit" and "不在网上商城" in error.message


def _dear_offer(session: Any, clerk: Any) -> int:
    offer = offers_of(session, "A02010104")[2]  # 联想 5,399.00 (YX)
    offer.price = Decimal("9000.00")  # median of 5,199 / 5,299 / 9,000 is 5,299: +70 %
    return int(offer.id)


def test_median_rule_blocks_or_flags(app: Any) -> None:
    offer_id = run(app, _dear_offer)
    order_id = order_draft(app, offer_id=offer_id, reasons=("after_sale", "本地售后"))
    error = refused(app, lambda s, c: orders.submit_order(s, c, order_id, 0))
    assert error.code == "mall_above_median" and "中位价" in error.message

    def flag(session: Any, clerk: Any) -> None:
        session.scalar(select(MallPolicy).where(MallPolicy.region_id.is_(None))
                       ).median_action = "flag"
    run(app, flag)

    def submit(session: Any, clerk: Any) -> None:
        order = orders.submit_order(session, clerk, order_id, 0)
        assert order.lines[0].above_median and order.lines[0].non_lowest_code == "after_sale"
    run(app, submit)


def test_not_the_lowest_needs_a_listed_reason_and_text(app: Any) -> None:
    def dearer(session: Any, clerk: Any) -> int:
        return int(offers_of(session, "A02010104")[1].id)  # 5,299.00; lowest 5,199.00
    offer_id = run(app, dearer)
    order_id = order_draft(app, offer_id=offer_id)
    error = refused(app, lambda s, c: orders.submit_order(s, c, order_id, 0))
    assert error.code == "mall_reason_required" and (error.field or "").startswith("reason_")
    assert "最低价5,199.00 元" in error.message

    def reason(code: str, text: str) -> Callable[[Any, Any], Any]:
        def save(session: Any, clerk: Any) -> Any:
            order = session.get(MallOrder, order_id)
            data = orders.OrderInput(order.delivery_address, order.contact_name,
                                     order.contact_phone, reasons={order.lines[0].id: (code, text)})
            return orders.save_order(session, clerk, order_id, data, order.version)
        return save
    assert (refused(app, reason("cheaper", "x")).field or "").startswith("reason_")
    run(app, reason("delivery", ""))
    assert refused(app, lambda s, c: orders.submit_order(s, c, order_id, 1)).code == \
        "mall_reason_required"
    run(app, reason("delivery", "次日送达"))

    def submit(session: Any, clerk: Any) -> None:
        order = orders.submit_order(session, clerk, order_id, 2)
        assert (order.lines[0].non_lowest_code, order.lines[0].non_lowest_reason) == (
            "delivery", "次日送达")
    run(app, submit)


def test_checkout_with_submit_asks_the_reason_per_cart_line(app: Any) -> None:
    def make(session: Any, clerk: Any) -> None:
        item = mall_line(session, "pds_clerk", "A02010104")
        line = cart.add_line(session, clerk, offers_of(session, "A02010104")[1].id, item.id, 1)
        orders.checkout(session, clerk, checkout_input([line.id], submit=True))
    error = refused(app, make)
    assert error.code == "mall_reason_required" and (error.field or "").startswith("reason_")


def test_cancel_before_confirmation_releases(app: Any) -> None:
    order_id = order_submitted(app, qty=2)

    def cancel(session: Any, clerk: Any) -> None:
        order = session.get(MallOrder, order_id)
        offer = session.get(MallOffer, order.lines[0].offer_id)
        stock = offer.stock
        with pytest.raises(ValidationFailed):
            orders.cancel_order(session, clerk, order_id, " ", order.version)
        orders.cancel_order(session, clerk, order_id, "需求变化", order.version)
        assert order.status == "cancelled" and order.close_reason == "需求变化"
        assert offer.stock == stock + 2 and order.lines[0].cancelled_qty == 2
        assert room_of(session, order.lines[0].plan_item).reserved_qty == 0
        orders.release(session, order)  # once only
        assert offer.stock == stock + 2
    run(app, cancel)


def test_cancel_after_confirmation_is_refused(app: Any) -> None:
    order_id = order_submitted(app)

    def confirm(session: Any, clerk: Any) -> None:
        core.move(session, session.get(MallOrder, order_id), "confirm", ActorKind.supplier, None)
    run(app, confirm)
    error = refused(app, lambda s, c: orders.cancel_order(s, c, order_id, "不要了", 2))
    assert error.code == "mall_order_confirmed"
    assert error.message == orders.CONFIRMED


def test_a_draft_can_be_cancelled_or_deleted_but_not_a_submitted_order(app: Any) -> None:
    draft, other, submitted = order_draft(app), order_draft(app), order_submitted(app)
    run(app, lambda s, c: orders.cancel_order(s, c, draft, "重复", 0))
    run(app, lambda s, c: orders.delete_draft(s, c, other))
    assert isinstance(refused(app, lambda s, c: orders.delete_draft(s, c, submitted)), Conflict)

    def gone(session: Any, clerk: Any) -> None:
        assert session.get(MallOrder, other) is None
        assert session.get(MallOrder, draft).status == "cancelled"
    run(app, gone)


def test_another_units_order_is_not_found(app: Any) -> None:
    order_id = order_draft(app)
    for call in (lambda s, c: orders.submit_order(s, c, order_id, 0),
                 lambda s, c: orders.cancel_order(s, c, order_id, "x", 0),
                 lambda s, c: orders.delete_draft(s, c, order_id),
                 lambda s, c: orders.save_order(s, c, order_id, orders.OrderInput())):
        assert isinstance(refused(app, call, "zz_clerk"), NotFound)
    assert isinstance(refused(app, lambda s, c: orders.submit_order(s, c, "1x", 0)), NotFound)


def test_saving_a_reason_for_another_orders_line_is_refused(app: Any) -> None:
    mine, theirs = order_draft(app), order_draft(app, code="A02021003")

    def save(session: Any, clerk: Any) -> None:
        line_id = session.get(MallOrder, theirs).lines[0].id
        orders.save_order(session, clerk, mine, orders.OrderInput(
            "地址", "张三", "13800000000", reasons={line_id: ("other", "x")}))
    assert isinstance(refused(app, save), NotFound)
