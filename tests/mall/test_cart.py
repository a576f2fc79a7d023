"""购物车: add within the plan line's room and the stock, moved prices, blocked lines, scope."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from app.services.errors import NotFound, NotInScope, PermissionDenied, ValidationFailed
from app.services.mall import cart
from app.transaction import unit_of_work
from models.mall import CartLine, OfferStatus
from tests.support.mall import cheapest_offer, mall_line, offers_of
from tests.support.plans import operator


def run(app: Any, call: Callable[[Any, Any], Any]) -> Any:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            return call(session, operator(session, "pds_clerk"))


def test_add_same_line_twice_adds_quantity_and_keeps_current_price(app: Any) -> None:
    def add(session, clerk):
        item = mall_line(session, "pds_clerk", "A02010104")
        offer = cheapest_offer(session, "A02010104")
        first = cart.add_line(session, clerk, offer.id, item.id, 2)
        again = cart.add_line(session, clerk, offer.id, item.id, "3")
        assert first.id == again.id and again.quantity == 5
        assert again.seen_price == offer.price == Decimal("5199.00")
        return session.query(CartLine).filter_by(operator_id=clerk.id).count()
    assert run(app, add) == 1


@pytest.mark.parametrize("quantity", [0, -1, "abc", "1.5", None, True, 10**12])
def test_quantity_must_be_a_positive_whole_number(app: Any, quantity: object) -> None:
    def add(session, clerk):
        item = mall_line(session, "pds_clerk", "A02010104")
        cart.add_line(session, clerk, cheapest_offer(session, "A02010104").id, item.id,
                      quantity)
    with pytest.raises(ValidationFailed, match="数量") as caught:
        run(app, add)
    assert caught.value.field == "quantity"


def test_quantity_capped_by_room_amount_and_stock(app: Any) -> None:
    def add(session, clerk):
        item = mall_line(session, "pds_clerk", "A02010104")  # 10 台 / 60,000.00
        offer = cheapest_offer(session, "A02010104")  # 5,199.00
        with pytest.raises(ValidationFailed, match="可采购数量") as by_qty:
            cart.add_line(session, clerk, offer.id, item.id, 11)
        assert by_qty.value.code == "mall_no_room"
        dearest = offers_of(session, "A02010104")[-1]  # 华为 6,999.00: 9 台 = 62,991.00
        with pytest.raises(ValidationFailed, match="可采购金额"):
            cart.add_line(session, clerk, dearest.id, item.id, 9)
        cart.add_line(session, clerk, offer.id, item.id, 8)
        with pytest.raises(ValidationFailed, match="可采购"):
            cart.add_line(session, clerk, offer.id, item.id, 3)  # 11 in all
        offer.stock = 2
        session.flush()
        chair = mall_line(session, "pds_clerk", "A06010300")
        seat = cheapest_offer(session, "A06010300")
        seat.stock = 1
        with pytest.raises(ValidationFailed, match="库存") as by_stock:
            cart.add_line(session, clerk, seat.id, chair.id, 2)
        assert by_stock.value.code == "mall_no_stock"
    run(app, add)


def test_offer_must_be_live_and_of_the_plan_lines_item(app: Any) -> None:
    def add(session, clerk):
        item = mall_line(session, "pds_clerk", "A02010104")
        paper = cheapest_offer(session, "A05040101")
        with pytest.raises(ValidationFailed, match="品目") as wrong:
            cart.add_line(session, clerk, paper.id, item.id, 1)
        assert wrong.value.code == "mall_wrong_item"
        offer = cheapest_offer(session, "A02010104")
        offer.status = OfferStatus.frozen
        session.flush()
        with pytest.raises(ValidationFailed, match="已下架或被冻结"):
            cart.add_line(session, clerk, offer.id, item.id, 1)
        with pytest.raises(NotFound):
            cart.add_line(session, clerk, 2**40, item.id, 1)
    run(app, add)


def test_another_units_plan_line_and_cart_line_are_refused(app: Any) -> None:
    def add(session, clerk):
        theirs = mall_line(session, "zz_clerk", "A02010104")
        offer = cheapest_offer(session, "A02010104")
        with pytest.raises(NotInScope):
            cart.add_line(session, clerk, offer.id, theirs.id, 1)
        other = operator(session, "zz_clerk")
        line = cart.add_line(session, other, offer.id, theirs.id, 1)
        for call in (lambda: cart.change_quantity(session, clerk, line.id, 2),
                     lambda: cart.remove_line(session, clerk, line.id),
                     lambda: cart.accept_price(session, clerk, line.id)):
            with pytest.raises(NotFound):
                call()
        assert [row.line.id for row in cart.cart_view(session, clerk)] == []
        with pytest.raises(PermissionDenied):
            cart.cart_view(session, operator(session, "pds_internal"))
    run(app, add)


def test_moved_price_is_shown_and_a_rise_needs_consent(app: Any) -> None:
    def view(session, clerk):
        item = mall_line(session, "pds_clerk", "A02010104")
        offer = cheapest_offer(session, "A02010104")
        line = cart.add_line(session, clerk, offer.id, item.id, 1)
        offer.price = Decimal("5299.00")
        session.flush()
        row = cart.cart_view(session, clerk)[0]
        assert row.price_note == "价格已由 5,199.00 变为 5,299.00"
        assert row.needs_consent and not row.orderable and "同意新价格" in row.refusal
        cart.accept_price(session, clerk, line.id)
        row = cart.cart_view(session, clerk)[0]
        assert row.orderable and row.price_note == ""
        offer.price = Decimal("5000.00")
        session.flush()
        row = cart.cart_view(session, clerk)[0]
        assert row.price_note == "价格已由 5,299.00 变为 5,000.00" and row.orderable
    run(app, view)


def test_blocked_lines_say_why(app: Any) -> None:
    def view(session, clerk):
        item = mall_line(session, "pds_clerk", "A02010104")
        offer = cheapest_offer(session, "A02010104")
        cart.add_line(session, clerk, offer.id, item.id, 3)
        offer.status = OfferStatus.delisted
        offer.stock = 2
        session.flush()
        row = cart.cart_view(session, clerk)[0]
        assert not row.orderable
        assert "该商品已下架或被冻结，不能下单" in row.blocked
        assert any("库存" in reason for reason in row.blocked)
    run(app, view)


def test_change_quantity_and_remove(app: Any) -> None:
    def change(session, clerk):
        item = mall_line(session, "pds_clerk", "A02021003")
        offer = cheapest_offer(session, "A02021003")
        line = cart.add_line(session, clerk, offer.id, item.id, 1)
        assert cart.change_quantity(session, clerk, line.id, "4").quantity == 4
        with pytest.raises(ValidationFailed, match="可采购"):
            cart.change_quantity(session, clerk, line.id, 6)
        cart.remove_line(session, clerk, line.id)
        session.flush()
        assert cart.cart_view(session, clerk) == []
        with pytest.raises(NotFound):
            cart.remove_line(session, clerk, "x")
    run(app, change)
