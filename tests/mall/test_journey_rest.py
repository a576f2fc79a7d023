"""The whole 网上商城 journey through REST only: the buyer's JWT API (cart, 下单 with an
Idempotency-Key, 验收, 付款, 评价, 售后) and the suppliers' token API (pull, confirm, split
shipment, delivery)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.services import contracts
from app.services import workflow as flow
from app.services.mall.room import room_of
from app.timezone import business_today
from models import Contract, Supplier
from models.mall import MallOffer, MallProduct
from tests.mall.acceptance_support import with_session
from tests.support.fake_supplier import HUAWEI, JINGCAI, SUCAI, FakeSupplier, issue_token
from tests.support.mall import ADDRESS, mall_line

CART, ORDERS, CASES = "/api/v1/mall/cart/", "/api/v1/mall/orders/", "/api/v1/mall/after-sales/"
COMPUTERS, PRINTERS = "A02010104", "A02021003"
DELI = "P2500DNW"  # 得力 printer: 苏采's offer is the lowest


def offer_id(app: Flask, model: str, credit_code: str) -> int:
    return with_session(app, lambda s: s.scalar(
        select(MallOffer.id).join(MallProduct).join(Supplier, Supplier.id == MallOffer.supplier_id)
        .where(MallProduct.model == model, Supplier.credit_code == credit_code)))


def room(app: Flask, code: str) -> tuple[int, Decimal, Decimal]:
    """(已采购 quantity, 可采购 quantity, 可采购 amount) of the clerk's plan line of ``code``."""
    def work(session: Any) -> tuple[int, Decimal, Decimal]:
        found = room_of(session, mall_line(session, "pds_clerk", code))
        return found.bought_qty, found.left_qty, found.left_amount
    return with_session(app, work)


def contract_facts(app: Flask, contract_id: int) -> tuple[str, bool, list[str]]:
    def work(session: Any) -> tuple[str, bool, list[str]]:
        contract = session.get(Contract, contract_id)
        instance = flow.instance_of(session, contracts.RECORD, contract_id)
        return (str(contract.amount), instance is not None and instance.record_type == "contract",
                [n.kind for n in contract.notices])
    return with_session(app, work)


def test_the_whole_journey_through_rest(app: Flask, api_token: Any) -> None:
    client, headers = app.test_client(), api_token("pds_clerk")
    items = with_session(app, lambda s: {code: mall_line(s, "pds_clerk", code).id
                                         for code in (COMPUTERS, PRINTERS)})
    before = room(app, COMPUTERS)

    # 加入购物车: two offers of two suppliers.
    line_ids = []
    for model, code, item in ((HUAWEI, JINGCAI, COMPUTERS), (DELI, SUCAI, PRINTERS)):
        added = client.post(CART, json={"offer_id": offer_id(app, model, code),
                                        "plan_item_id": items[item], "quantity": 2},
                            headers=headers)
        assert added.status_code == 201, added.get_json()
        line_ids.append(added.get_json()["id"])
    cart = client.get(CART, headers=headers).get_json()["result"]
    assert all(row["orderable"] and row["is_lowest"] for row in cart)

    # 下单 and 提交 with an Idempotency-Key: one order per supplier; a repeat answers the same.
    keyed = {**headers, "Idempotency-Key": "journey-rest-0001"}
    body = {**ADDRESS, "line_ids": line_ids, "submit": True}
    placed = client.post(ORDERS, json=body, headers=keyed)
    assert placed.status_code == 201, placed.get_json()
    made = placed.get_json()["result"]
    assert len(made) == 2 and {o["status"] for o in made} == {"awaiting_confirmation"}
    repeat = client.post(ORDERS, json=body, headers=keyed)
    assert repeat.status_code == 200
    assert sorted(o["id"] for o in repeat.get_json()["result"]) == sorted(o["id"] for o in made)
    assert client.get(ORDERS, headers=headers).get_json()["count"] == 2
    order = next(o for o in made if o["supplier"] == "河南京采电子商务有限公司")
    other = next(o for o in made if o is not order)
    assert order["amount"] == "13798.00" and other["amount"] == "2798.00"
    assert room(app, COMPUTERS)[1] == before[1] - 2  # reserved (占用中)

    # The suppliers pull what awaits them and confirm at the snapshot's amount.
    jingcai, sucai = (FakeSupplier(app, issue_token(app, code)) for code in (JINGCAI, SUCAI))
    pulled = jingcai.pull().get_json()
    assert [o["order_no"] for o in pulled["result"]] == [order["order_no"]]
    snapshot = pulled["result"][0]
    assert snapshot["amount"] == "13798.00" and snapshot["lines"][0]["quantity"] == 2
    confirmed = jingcai.confirm(snapshot)
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "confirmed"
    assert sucai.confirm(sucai.pull().get_json()["result"][0]).status_code == 200

    shown = client.get(f"{ORDERS}{order['id']}", headers=headers).get_json()["result"]
    assert shown["status"] == "confirmed" and shown["contract_id"]
    amount, in_chain, notices = contract_facts(app, shown["contract_id"])
    assert amount == "13798.00" and in_chain and notices == ["announcement"]
    assert order["order_no"] in client.get("/public/contracts/").get_data(as_text=True)

    # 取消 after the confirmation is refused.
    for target in (shown, other):
        refused = client.post(f"{ORDERS}{target['id']}/cancel",
                              json={"reason": "不需要了", "version": shown["version"]},
                              headers=headers)
        assert refused.status_code == 409 and refused.get_json()["code"] == "mall_order_confirmed"

    # Two waybills of one unit each, delivered one after the other.
    line_id = snapshot["lines"][0]["line_id"]
    for waybill in ("JD0001", "JD0002"):
        shipped = jingcai.ship(order["order_no"], waybill, [{"line_id": line_id, "quantity": 1}])
        assert shipped.status_code == 200, shipped.get_json()
    looked = jingcai.lookup(order["order_no"]).get_json()["result"]
    assert [s["waybill"] for s in looked["shipments"]] == ["JD0001", "JD0002"]
    assert jingcai.deliver(order["order_no"], "JD0001").get_json()["status"] == "shipping"
    assert jingcai.deliver(order["order_no"], "JD0002").get_json()["status"] == \
        "awaiting_acceptance"

    # 验收 with one unit refused: an after-sale case opens; the order is 已验收.
    version = client.get(f"{ORDERS}{order['id']}", headers=headers).get_json()["result"][
        "version"]
    accepted = client.post(f"{ORDERS}{order['id']}/accept", headers=headers, json={
        "method": "onsite", "note": "到货验收", "version": version, "lines": [
            {"line_id": line_id, "accepted_qty": 1, "rejected_qty": 1, "reason": "屏幕损坏"}]})
    assert accepted.status_code == 201, accepted.get_json()
    record = accepted.get_json()["result"]
    assert record["order"]["status"] == "accepted" and len(record["after_sales"]) == 1
    cases = client.get(CASES, headers=headers).get_json()["result"]
    assert [(c["id"], c["quantity"], c["reason"]) for c in cases] == [
        (record["after_sales"][0], 1, "屏幕损坏")]

    # 付款 of the accepted amount with a PDF voucher, then 评价.
    payments = client.get(f"{ORDERS}{order['id']}/payments", headers=headers).get_json()
    assert payments["accepted_amount"] == payments["payable"] == "6899.00"
    paid = client.post(f"{ORDERS}{order['id']}/payments", headers=headers, data={
        "method": "转账", "amount": "6899.00", "paid_on": business_today().isoformat(),
        "voucher": (io.BytesIO(b"%PDF-1.4\n% voucher\n"), "转账凭证.pdf")})
    assert paid.status_code == 201, paid.get_json()
    # Paid for what was accepted; 已付款 waits for the 售后 case of the refused unit.
    assert paid.get_json()["result"]["order"]["status"] == "accepted"

    # The plan line: both units bought; the refused one comes back when it is returned.
    assert room(app, COMPUTERS) == (before[0] + 2, before[1] - 2,
                                    before[2] - Decimal("13798.00"))
    resolved = client.post(f"{CASES}{cases[0]['id']}/resolve", headers=headers,
                           json={"resolution": "returned", "note": "已退回供应商"})
    assert resolved.status_code == 200, resolved.get_json()
    assert room(app, COMPUTERS) == (before[0] + 1, before[1] - 1,
                                    before[2] - Decimal("6899.00"))
    assert client.get(f"{ORDERS}{order['id']}", headers=headers).get_json()["result"][
        "status"] == "paid"

    evaluated = client.post(f"{ORDERS}{order['id']}/evaluate", headers=headers, json={
        "quality": 4, "delivery": 5, "service": 5, "after_sale": 4, "comment": "整体满意"})
    assert evaluated.status_code == 201, evaluated.get_json()
    final = client.get(f"{ORDERS}{order['id']}", headers=headers).get_json()["result"]
    assert final["status"] == "completed" and final["status_label"] == "已完成"
    assert final["lines"][0]["buckets"] == {
        "confirmed": 2, "shipped": 2, "delivered": 2, "accepted": 1, "rejected": 1,
        "returned": 1, "cancelled": 0}

    # Every step in the order's history, in order.
    events = client.get(f"{ORDERS}{order['id']}", headers=headers).get_json()["result"][
        "events"]
    assert [e["kind"] for e in events] == [
        "create", "submit", "confirm", "contract", "ship", "ship", "deliver_part", "deliver",
        "accept", "after_sale", "pay_part", "after_sale", "pay", "evaluate"]
    assert [e["actor_kind"] for e in events] == [
        "buyer", "buyer", "supplier_api", "system", *["supplier_api"] * 4, *["buyer"] * 6]
    assert "屏幕损坏" in events[9]["note"] and "退货" in events[11]["note"]
