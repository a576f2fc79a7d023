"""The fake JD-VOP-like supplier against the API: duplicated events (also at the same moment),
events out of order, a price change between cart and confirmation, a split shipment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from models import Contract
from models.mall import MallException, MallOffer, MallOrderEvent, MallShipment, SupplierEvent
from tests.support.fake_supplier import (
    HUAWEI,
    FakeSupplier,
    issue_token,
    order_row,
    order_submitted,
)


def _count(app: Any, model: Any, *where: Any) -> int:
    with app.app_context():
        return app.appbuilder.session.scalar(
            select(func.count()).select_from(model).where(*where)) or 0


def test_the_whole_round_pull_confirm_ship_deliver(app: Any) -> None:
    order_no = order_submitted(app)
    fake = FakeSupplier(app, issue_token(app))
    (pulled,) = fake.pull().get_json()["result"]
    assert fake.confirm(pulled).status_code == 200
    assert fake.pull().get_json()["count"] == 0  # nothing awaits confirmation any more
    assert fake.ship(order_no, "JD100").status_code == 200
    delivered = fake.deliver(order_no, "JD100")
    assert delivered.status_code == 200
    assert delivered.get_json()["status"] == "awaiting_acceptance"
    assert fake.pull("awaiting_acceptance").get_json()["result"][0]["order_no"] == order_no


def test_duplicated_events_one_after_the_other_and_at_the_same_moment(app: Any) -> None:
    order_no = order_submitted(app)
    fake = FakeSupplier(app, issue_token(app))
    (pulled,) = fake.pull().get_json()["result"]
    confirm = fake.event("confirm", order_no, "vop-msg-1", amount=pulled["amount"])
    answers = fake.post_together(confirm, copies=4)
    assert [a.status_code for a in answers] == [200] * 4, [a.get_json() for a in answers]
    assert all(a.get_json() == answers[0].get_json() for a in answers)
    assert _count(app, SupplierEvent) == 1
    assert _count(app, Contract, Contract.code == order_no) == 1
    assert _count(app, MallOrderEvent, MallOrderEvent.kind == "confirm") == 1
    row = order_row(app, order_no)
    # The queue delivers the message once more, later: the same answer, nothing changes.
    assert fake.post(confirm).get_json() == answers[0].get_json()
    ship = fake.event("ship", order_no, "vop-msg-2", waybill="JD200")
    assert fake.post(ship).status_code == 200
    assert fake.post(ship).status_code == 200
    assert _count(app, MallShipment) == 1
    assert order_row(app, order_no)["version"] == row["version"] + 1
    assert _count(app, MallException) == 0


def test_a_delivery_before_its_shipment_is_refused_then_applied_when_sent_again(
        app: Any) -> None:
    order_no = order_submitted(app)
    fake = FakeSupplier(app, issue_token(app))
    (pulled,) = fake.pull().get_json()["result"]
    assert fake.confirm(pulled).status_code == 200
    before = order_row(app, order_no)
    early = fake.deliver(order_no, "JD300", event_id="deliver-early")
    assert early.status_code == 409 and early.get_json()["code"] == "mall_not_shipped"
    assert order_row(app, order_no) == {**before, "events": before["events"] + 1}  # 异常 only
    assert _count(app, MallException, MallException.kind == "illegal_transition") == 1
    assert fake.ship(order_no, "JD300").status_code == 200
    # The refused message keeps its answer; the supplier sends the delivery as a new event.
    assert fake.deliver(order_no, "JD300", event_id="deliver-early").status_code == 409
    retried = fake.deliver(order_no, "JD300")
    assert retried.status_code == 200 and retried.get_json()["status"] == "awaiting_acceptance"


def test_a_price_change_between_cart_and_confirmation(app: Any) -> None:
    order_no = order_submitted(app, items={HUAWEI: 2})  # in the cart and ordered at 6,899.00
    fake = FakeSupplier(app, issue_token(app))
    synced = fake.sync([{"supplier_sku": "JC-100013", "price": "7199.00"}])
    assert synced.get_json()["result"][0]["ok"] is True
    (pulled,) = fake.pull().get_json()["result"]
    assert pulled["amount"] == "13798.00" and pulled["lines"][0]["unit_price"] == "6899.00"
    # The supplier's system confirms at its new price: refused, the buyer gets a task.
    refused = fake.confirm(pulled, amount="14398.00")
    assert refused.status_code == 422 and refused.get_json()["code"] == "mall_amount_mismatch"
    assert order_row(app, order_no)["status"] == "awaiting_confirmation"
    assert _count(app, MallException, MallException.kind == "amount_mismatch") == 1
    # At the snapshot's amount it is confirmed; the contract follows the snapshot.
    assert fake.confirm(pulled).status_code == 200
    with app.app_context():
        session = app.appbuilder.session
        contract = session.scalar(select(Contract).where(Contract.code == order_no))
        assert contract.amount == Decimal("13798.00")
        offer = session.scalar(select(MallOffer).where(MallOffer.supplier_sku == "JC-100013"))
        assert offer.price == Decimal("7199.00")


def test_a_split_shipment_with_two_waybills(app: Any) -> None:
    order_no = order_submitted(app, items={HUAWEI: 3, "LaserJet Pro 4104dw": 2})
    fake = FakeSupplier(app, issue_token(app))
    (pulled,) = fake.pull().get_json()["result"]
    computers, printers = (line["line_id"] for line in pulled["lines"])
    assert fake.confirm(pulled).status_code == 200
    first = fake.ship(order_no, "JD401", lines=[{"line_id": computers, "quantity": 2},
                                                {"line_id": printers, "quantity": 2}])
    assert first.status_code == 200, first.get_json()
    too_many = fake.ship(order_no, "JD402", lines=[{"line_id": computers, "quantity": 2}])
    assert too_many.status_code == 422 and too_many.get_json()["code"] == "mall_ship_too_many"
    assert fake.ship(order_no, "JD402").status_code == 200  # the rest: one computer
    part = fake.deliver(order_no, "JD402")
    assert part.get_json()["status"] == "shipping"
    looked = fake.lookup(order_no).get_json()["result"]
    assert [(s["waybill"], s["delivered_on"] is not None) for s in looked["shipments"]] == [
        ("JD401", False), ("JD402", True)]
    assert [(line["shipped_qty"], line["delivered_qty"]) for line in looked["lines"]] == [
        (3, 1), (2, 0)]
    done = fake.deliver(order_no, "JD401")
    assert done.get_json()["status"] == "awaiting_acceptance"
    assert _count(app, MallException, MallException.kind == "quantity_mismatch") == 1
