"""The supplier's moves on its orders (app.services.mall.supplier): 确认, 拒单, split 发货,
送达, and the scope: another supplier's order is not found, by id or by order number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.services.errors import Conflict, NotFound, ServiceError, ValidationFailed
from app.services.mall import contract
from app.services.mall import supplier as moves
from app.transaction import unit_of_work
from models import Operator
from models.mall import MallOffer, MallOrder, MallOrderEvent
from tests.support.fake_supplier import (
    HUAWEI,
    JINGCAI,
    LENOVO,
    PAPER,
    SUCAI,
    order_row,
    order_submitted,
    supplier_id,
)


def _run(app: Any, work: Callable[[Any], Any]) -> Any:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            return work(session)


def _person(session: Any, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def _order(session: Any, order_no: str) -> MallOrder:
    return session.scalar(select(MallOrder).where(MallOrder.order_no == order_no))


def test_confirm_fixes_sme_buckets_and_files_the_contract(app: Any) -> None:
    order_no = order_submitted(app, credit_code=SUCAI, items={LENOVO: 2, PAPER: 10})
    sucai = supplier_id(app, SUCAI)

    def confirm(session: Any) -> None:
        order = _order(session, order_no)
        moves.confirm(session, sucai, _person(session, SUCAI), order.id,
                      version=order.version)
    _run(app, confirm)
    with app.app_context():
        session = app.appbuilder.session
        order = _order(session, order_no)
        assert order.status == "confirmed"
        assert order.supplier_sme is True  # 苏采 is an SME, fixed now
        assert order.confirmed_on is not None and order.contract_id is not None
        assert [line.confirmed_qty for line in order.lines] == [2, 10]
        assert all(line.offer.last_sold_on is not None for line in order.lines)
        kinds = [e.kind for e in order.events]
        assert "confirm" in kinds and "contract" in kinds
        confirm_event = next(e for e in order.events if e.kind == "confirm")
        assert confirm_event.actor_kind == "supplier"


def test_confirm_refuses_another_amount_and_a_stale_version(app: Any) -> None:
    order_no = order_submitted(app)
    jingcai = supplier_id(app, JINGCAI)
    before = order_row(app, order_no)
    with pytest.raises(ValidationFailed) as refused:
        _run(app, lambda s: moves.confirm(s, jingcai, None, before["id"], amount="1.00"))
    assert refused.value.code == "mall_amount_mismatch" and refused.value.field == "amount"
    assert "不一致" in refused.value.message
    with pytest.raises(Conflict) as stale:
        _run(app, lambda s: moves.confirm(s, jingcai, None, before["id"],
                                          version=before["version"] + 1))
    assert stale.value.code == "mall_stale"
    assert order_row(app, order_no) == before
    # The exact amount, as text with or without the thousands separator, is accepted.
    amount = f"{before['amount']:,.2f}"
    _run(app, lambda s: moves.confirm(s, jingcai, None, before["id"], amount=amount))
    assert order_row(app, order_no)["status"] == "confirmed"


def test_a_refused_contract_refuses_the_confirmation(app: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    order_no = order_submitted(app)
    jingcai = supplier_id(app, JINGCAI)
    before = order_row(app, order_no)

    def refuse(session: Any, order: MallOrder) -> None:
        raise ValidationFailed("合同金额超过计划。", code="amount_too_large")
    monkeypatch.setattr(contract, "generate_contract", refuse)
    with pytest.raises(ServiceError):
        _run(app, lambda s: moves.confirm(s, jingcai, None, before["id"]))
    assert order_row(app, order_no) == before


def test_reject_needs_a_reason_and_gives_the_stock_back(app: Any) -> None:
    with app.app_context():
        stock = app.appbuilder.session.scalar(select(MallOffer.stock).where(
            MallOffer.supplier_sku == "JC-100013"))
    order_no = order_submitted(app)
    jingcai = supplier_id(app, JINGCAI)
    row = order_row(app, order_no)
    with pytest.raises(ValidationFailed) as refused:
        _run(app, lambda s: moves.reject(s, jingcai, None, row["id"], "  "))
    assert refused.value.field == "reason"
    _run(app, lambda s: moves.reject(s, jingcai, None, row["id"], "库存不足"))
    with app.app_context():
        session = app.appbuilder.session
        order = _order(session, order_no)
        assert order.status == "rejected" and order.close_reason == "库存不足"
        assert session.scalar(select(MallOffer.stock).where(
            MallOffer.supplier_sku == "JC-100013")) == stock
        assert order.closed_on is not None
    with pytest.raises(Conflict):  # closed: nothing more to confirm
        _run(app, lambda s: moves.confirm(s, jingcai, None, row["id"]))


def test_split_shipment_and_delivery(app: Any) -> None:
    order_no = order_submitted(app, items={HUAWEI: 3})
    jingcai = supplier_id(app, JINGCAI)
    row = order_row(app, order_no)
    with pytest.raises(Conflict):  # not confirmed yet
        _run(app, lambda s: moves.ship(s, jingcai, None, row["id"], "JD001"))
    _run(app, lambda s: moves.confirm(s, jingcai, None, row["id"]))
    line_id = row["lines"][0][0]
    with pytest.raises(ValidationFailed) as too_many:
        _run(app, lambda s: moves.ship(s, jingcai, None, row["id"], "JD001",
                                       lines={line_id: 4}))
    assert too_many.value.code == "mall_ship_too_many"
    with pytest.raises(ValidationFailed):
        _run(app, lambda s: moves.ship(s, jingcai, None, row["id"], "", lines={line_id: 1}))
    with pytest.raises(NotFound):
        _run(app, lambda s: moves.ship(s, jingcai, None, row["id"], "JD001",
                                       lines={line_id + 999: 1}))
    _run(app, lambda s: moves.ship(s, jingcai, None, row["id"], "JD001", "京东物流",
                                   lines={str(line_id): "1"}))
    assert order_row(app, order_no)["status"] == "shipping"
    with pytest.raises(Conflict) as reused:
        _run(app, lambda s: moves.ship(s, jingcai, None, row["id"], "JD001"))
    assert reused.value.code == "mall_waybill_used"
    _run(app, lambda s: moves.ship(s, jingcai, None, row["id"], "JD002"))  # the rest: 2
    assert order_row(app, order_no)["lines"] == [(line_id, 3, 3, 0)]
    with pytest.raises(ValidationFailed) as nothing:
        _run(app, lambda s: moves.ship(s, jingcai, None, row["id"], "JD003"))
    assert nothing.value.code == "mall_nothing_to_ship"
    with pytest.raises(Conflict) as unknown:
        _run(app, lambda s: moves.deliver(s, jingcai, None, row["id"], waybill="JD009"))
    assert unknown.value.code == "mall_not_shipped"
    _run(app, lambda s: moves.deliver(s, jingcai, None, row["id"], waybill="JD002"))
    after = order_row(app, order_no)
    assert after["status"] == "shipping" and after["lines"] == [(line_id, 3, 3, 2)]
    with pytest.raises(Conflict) as again:
        _run(app, lambda s: moves.deliver(s, jingcai, None, row["id"], waybill="JD002"))
    assert again.value.code == "mall_already_delivered"
    _run(app, lambda s: moves.deliver(s, jingcai, None, row["id"], waybill="JD001"))
    with app.app_context():
        order = _order(app.appbuilder.session, order_no)
        assert order.status == "awaiting_acceptance" and order.delivered_on is not None
        assert [e.kind for e in order.events][-4:] == ["ship", "ship", "deliver_part",
                                                       "deliver"]


def test_another_supplier_cannot_act_on_the_order(app: Any) -> None:
    order_no = order_submitted(app)  # 京采's
    sucai = supplier_id(app, SUCAI)
    row = order_row(app, order_no)
    for act in (lambda s: moves.confirm(s, sucai, None, row["id"]),
                lambda s: moves.reject(s, sucai, None, row["id"], "不要"),
                lambda s: moves.ship(s, sucai, None, row["id"], "X1"),
                lambda s: moves.deliver(s, sucai, None, row["id"], waybill="X1"),
                lambda s: moves.order_by_no(s, sucai, order_no),
                lambda s: moves.confirm(s, None, None, row["id"]),
                lambda s: moves.confirm(s, sucai, None, "abc"),
                lambda s: moves.confirm(s, sucai, None, 2**40)):
        with pytest.raises(NotFound):
            _run(app, act)
    assert order_row(app, order_no) == row
    with app.app_context():
        events = app.appbuilder.session.scalars(select(MallOrderEvent.kind).where(
            MallOrderEvent.order_id == row["id"])).all()
        assert "confirm" not in events
