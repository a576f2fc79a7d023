"""Buyer REST of the mall: cart → 下单 with an Idempotency-Key → 提交 → 取消, refusals, scope."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.extensions import db
from tests.support.mall import ADDRESS, mall_line, offers_of, order_draft

CART, ORDERS = "/api/v1/mall/cart/", "/api/v1/mall/orders/"


def ids(app: Flask, which: int = 0) -> tuple[int, int]:
    with app.app_context():
        offer = offers_of(db.session, "A02010104")[which]
        return offer.id, mall_line(db.session, "pds_clerk", "A02010104").id


def test_journey_through_rest(app: Flask, api_token: Any) -> None:
    client, headers = app.test_client(), api_token("pds_clerk")
    offer_id, item_id = ids(app)
    added = client.post(CART, json={"offer_id": offer_id, "plan_item_id": item_id,
                                    "quantity": 2}, headers=headers)
    assert added.status_code == 201, added.get_json()
    line_id = added.get_json()["id"]
    assert client.put(f"{CART}{line_id}", json={"quantity": 3},
                      headers=headers).get_json()["quantity"] == 3
    listed = client.get(CART, headers=headers).get_json()["result"]
    assert listed[0]["orderable"] and listed[0]["price"] == "5199.00"
    body = {**ADDRESS, "line_ids": [line_id], "submit": True}
    missing = client.post(ORDERS, json=body, headers=headers)
    assert missing.status_code == 400 and missing.get_json()["field"] == "Idempotency-Key"
    assert "Idempotency-Key" in missing.get_json()["message"]
    keyed = {**headers, "Idempotency-Key": "order-0001-abcdef"}
    placed = client.post(ORDERS, json=body, headers=keyed)
    assert placed.status_code == 201, placed.get_json()
    order = placed.get_json()["result"][0]
    assert order["status"] == "awaiting_confirmation" and order["amount"] == "15597.00"
    assert order["lines"][0]["lowest_price"] == "5199.00"
    repeat = client.post(ORDERS, json=body, headers=keyed)
    assert repeat.status_code == 200
    assert [o["id"] for o in repeat.get_json()["result"]] == [order["id"]]
    assert client.get(ORDERS, headers=headers).get_json()["count"] == 1
    shown = client.get(f"{ORDERS}{order['id']}", headers=headers).get_json()["result"]
    assert shown["version"] == 1 and [e["kind"] for e in shown["events"]] == ["create",
                                                                            "submit"]
    again = client.post(f"{ORDERS}{order['id']}/submit", json={"version": 0}, headers=headers)
    assert again.status_code == 200 and again.get_json()["result"]["version"] == 1
    stale = client.post(f"{ORDERS}{order['id']}/cancel", json={"reason": "x", "version": 0},
                        headers=headers)
    assert stale.status_code == 409 and stale.get_json()["code"] == "mall_stale"
    cancelled = client.post(f"{ORDERS}{order['id']}/cancel",
                            json={"reason": "需求变化", "version": 1}, headers=headers)
    assert cancelled.status_code == 200
    assert cancelled.get_json()["result"]["lines"][0]["buckets"]["cancelled"] == 3


def test_drafts_submit_with_a_reason_and_cart_delete(app: Flask, api_token: Any) -> None:
    client, headers = app.test_client(), api_token("pds_clerk")
    offer_id, item_id = ids(app, which=1)  # not the lowest
    line_id = client.post(CART, json={"offer_id": offer_id, "plan_item_id": item_id,
                                      "quantity": 1}, headers=headers).get_json()["id"]
    keyed = {**headers, "Idempotency-Key": "order-0002-abcdef"}
    body = {**ADDRESS, "line_ids": [line_id], "submit": True}
    refused = client.post(ORDERS, json=body, headers=keyed)
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "mall_reason_required"
    assert refused.get_json()["field"] == f"reason_{line_id}"
    bad = client.post(ORDERS, json={**body, "reasons": [
        {"line_id": line_id, "code": "cheaper", "text": "x"}]}, headers=keyed)
    assert bad.status_code == 422 and "非最低价理由" in bad.get_json()["message"]
    placed = client.post(ORDERS, json={**body, "reasons": [
        {"line_id": line_id, "code": "compatibility", "text": "与现有设备同型号"}]}, headers=keyed)
    assert placed.status_code == 201, placed.get_json()
    assert placed.get_json()["result"][0]["lines"][0]["non_lowest_code"] == "compatibility"
    other = client.post(CART, json={"offer_id": offer_id, "plan_item_id": item_id,
                                    "quantity": 1}, headers=headers).get_json()["id"]
    assert client.delete(f"{CART}{other}", headers=headers).status_code == 200
    assert client.get(CART, headers=headers).get_json()["result"] == []


def test_refusals_and_scope(app: Flask, api_token: Any) -> None:
    order_id = order_draft(app)
    client, theirs = app.test_client(), api_token("zz_clerk")
    for answer in (client.get(f"{ORDERS}{order_id}", headers=theirs),
                   client.post(f"{ORDERS}{order_id}/submit", json={"version": 0},
                               headers=theirs),
                   client.post(f"{ORDERS}{order_id}/cancel", json={"reason": "x",
                                                                   "version": 0},
                               headers=theirs)):
        assert answer.status_code == 404
        assert set(answer.get_json()) >= {"code", "message", "field"}
    assert client.get(ORDERS, headers=theirs).get_json()["count"] == 0
    offer_id, item_id = ids(app)
    scoped = client.post(CART, json={"offer_id": offer_id, "plan_item_id": item_id,
                                     "quantity": 1}, headers=theirs)
    assert scoped.status_code == 422 and scoped.get_json()["code"] == "not_in_scope"
    for body in ({"offer_id": "x", "plan_item_id": item_id, "quantity": 1},
                 {"offer_id": offer_id, "plan_item_id": item_id, "quantity": "1"},
                 {"offer_id": 2**40, "plan_item_id": item_id, "quantity": 1}, {}):
        answer = client.post(CART, json=body, headers=theirs)
        assert answer.status_code in (404, 422) and answer.get_json()["message"]
    assert client.put(f"{CART}99999999999", json={"quantity": 1},
                      headers=theirs).status_code == 404
    assert client.get(f"{ORDERS}?status=nope", headers=theirs).status_code == 422
    assert client.get(CART).status_code == 401


def test_openapi_documents_the_buyer_endpoints(app: Flask, api_token: Any) -> None:
    document = app.test_client().get("/api/v1/_openapi",
                                     headers=api_token("pds_clerk")).get_json()
    paths = document["paths"]
    for path in ("/api/v1/mall/cart/", "/api/v1/mall/cart/{pk}", "/api/v1/mall/orders/",
                 "/api/v1/mall/orders/{pk}", "/api/v1/mall/orders/{pk}/submit",
                 "/api/v1/mall/orders/{pk}/cancel"):
        assert path in paths, sorted(p for p in paths if "mall" in p)
    post = paths["/api/v1/mall/orders/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "CheckoutSchema" in document["components"]["schemas"]
