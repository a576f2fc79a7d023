"""The supplier API: token only (401 otherwise), pulling and looking up orders, events stored
first and answered once, refusals that change nothing but raise an exception, offer sync,
and its place in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from app.services.mall import tokens
from app.transaction import unit_of_work
from models import Contract, Operator
from models.mall import (
    MallException,
    MallOffer,
    MallOrderEvent,
    OfferPriceHistory,
    SupplierEvent,
    SupplierToken,
)
from tests.support.fake_supplier import (
    API,
    JINGCAI,
    SUCAI,
    FakeSupplier,
    issue_token,
    order_row,
    order_submitted,
)


def _count(app: Any, model: Any, *where: Any) -> int:
    with app.app_context():
        return app.appbuilder.session.scalar(
            select(func.count()).select_from(model).where(*where)) or 0


def _counts(app: Any) -> tuple[int, ...]:
    return tuple(_count(app, model) for model in (SupplierEvent, MallOrderEvent, MallException,
                                                  Contract))


def test_no_token_bad_token_or_a_jwt_is_401(app: Any,
                                            api_token: Callable[[str], dict[str, str]]) -> None:
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer sk_not-a-token"},
                    {"Authorization": "sk_" + "x" * 43}, {"Authorization": "Basic abc"},
                    api_token(JINGCAI)):
        answer = client.get(f"{API}/orders/", headers=headers)
        assert answer.status_code == 401, headers
        body = answer.get_json()
        assert body["code"] == "unauthorized" and "令牌" in body["message"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    before = _counts(app)
    answer = client.post(f"{API}/events/", json={"event_id": "e1", "kind": "confirm",
                                                 "order_no": "SC1"})
    assert answer.status_code == 401
    assert client.post(f"{API}/offers/sync", json={"items": []}).status_code == 401
    assert _counts(app) == before


def test_a_revoked_token_is_401(app: Any) -> None:
    fake = FakeSupplier(app, issue_token(app))
    assert fake.pull().status_code == 200
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            token = session.scalar(select(SupplierToken))
            assert token.last_used_on is not None and token.prefix == fake.secret[:8]
            assert token.token_hash != fake.secret and fake.secret not in token.token_hash
            owner = session.scalar(select(Operator).where(Operator.username == JINGCAI))
            tokens.revoke(session, owner, token.id)
    answer = fake.pull()
    assert answer.status_code == 401 and answer.get_json()["code"] == "unauthorized"


def test_pull_and_look_up_orders(app: Any) -> None:
    order_no = order_submitted(app)
    other = order_submitted(app, credit_code=SUCAI, items={"启天M437": 1})
    fake = FakeSupplier(app, issue_token(app))
    answer = fake.pull()
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["count"] == 1 and body["page"] == 1
    order = body["result"][0]
    assert order["order_no"] == order_no and order["status"] == "awaiting_confirmation"
    assert order["amount"] == "13798.00" and order["confirm_by"]
    assert order["delivery_address"] and order["contact_phone"] == "13800000001"
    assert order["lines"][0]["supplier_sku"] == "JC-100013"
    assert order["lines"][0]["quantity"] == 2 and order["lines"][0]["unit_price"] == "6899.00"
    assert fake.pull("confirmed").get_json()["count"] == 0
    for bad in ({"status": "draft"}, {"status": "x" * 30}, {"page": "abc"},
                {"page_size": "1000"}, {"page": "0"}):
        assert fake.pull(**bad).status_code == 422, bad
    assert fake.pull(page="999999999999999999").status_code == 200
    looked = fake.lookup(order_no)
    assert looked.status_code == 200 and looked.get_json()["result"]["shipments"] == []
    for missing in (other, "SC0", "%E4%B8%AD"):
        answer = fake.lookup(missing)
        assert answer.status_code == 404 and answer.get_json()["code"] == "mall_order_not_found"


def test_a_repeated_event_id_answers_the_same_and_changes_nothing(app: Any) -> None:
    order_no = order_submitted(app)
    fake = FakeSupplier(app, issue_token(app))
    pulled = fake.pull().get_json()["result"][0]
    first = fake.confirm(pulled, event_id="confirm-1")
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "confirmed"
    after_first, row = _counts(app), order_row(app, order_no)
    again = fake.confirm(pulled, event_id="confirm-1")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    # The same id with another body is the same event: the first answer, nothing applied.
    other = fake.send("reject", order_no, event_id="confirm-1", reason="重复")
    assert other.status_code == 200 and other.get_json() == first.get_json()
    assert _counts(app) == after_first and order_row(app, order_no) == row


def test_an_illegal_transition_is_409_and_an_exception(app: Any) -> None:
    order_no = order_submitted(app)
    fake = FakeSupplier(app, issue_token(app))
    before_row, before = order_row(app, order_no), _counts(app)
    refused = fake.ship(order_no, "JD-1", event_id="ship-early")
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["code"] == "mall_state" and "待电商确认" in body["message"]
    assert set(body) == {"code", "message", "field"}
    assert order_row(app, order_no)["status"] == before_row["status"]
    assert order_row(app, order_no)["lines"] == before_row["lines"]
    assert _count(app, MallException) == before[2] + 1
    with app.app_context():
        exception = app.appbuilder.session.scalar(select(MallException))
        assert exception.kind == "illegal_transition" and exception.order_id == before_row["id"]
        assert exception.unit_id is not None and "JD-1" in exception.payload
        stored = app.appbuilder.session.scalar(select(SupplierEvent))
        assert stored.answer_status == 409 and stored.order_id == before_row["id"]
    repeat = fake.ship(order_no, "JD-1", event_id="ship-early")
    assert repeat.status_code == 409 and repeat.get_json() == body
    assert _count(app, MallException) == before[2] + 1


def test_an_amount_other_than_the_snapshot_is_422_and_an_exception(app: Any) -> None:
    order_no = order_submitted(app)
    fake = FakeSupplier(app, issue_token(app))
    pulled = fake.pull().get_json()["result"][0]
    refused = fake.confirm(pulled, amount="13798.01")
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "mall_amount_mismatch"
    assert refused.get_json()["field"] == "amount"
    assert order_row(app, order_no)["status"] == "awaiting_confirmation"
    with app.app_context():
        exception = app.appbuilder.session.scalar(select(MallException))
        assert exception.kind == "amount_mismatch"
    # Without an amount: refused (the supplier must state what it confirms), no exception.
    missing = fake.send("confirm", order_no)
    assert missing.status_code == 422 and missing.get_json()["field"] == "amount"
    assert _count(app, MallException) == 1
    # The amount as a JSON number is read exactly (never as a float).
    assert fake.confirm(pulled, amount=13798.00).status_code == 200


def test_events_that_are_not_events_store_nothing(app: Any) -> None:
    order_no = order_submitted(app)
    fake = FakeSupplier(app, issue_token(app))
    before = _counts(app)
    payload: Any
    for payload in ([], "x", {"kind": "confirm", "order_no": order_no},
                    {"event_id": "", "kind": "confirm", "order_no": order_no},
                    {"event_id": "e" * 65, "kind": "confirm", "order_no": order_no},
                    {"event_id": 5, "kind": "confirm", "order_no": order_no},
                    {"event_id": "e1", "kind": "cancel", "order_no": order_no},
                    {"event_id": "e1", "kind": "confirm"},
                    {"event_id": "e1", "kind": "confirm", "order_no": ["x"]}):
        answer = fake.post(payload)
        assert answer.status_code == 422, payload
        assert answer.get_json()["code"] == "mall_bad_event"
    not_json = fake.client.post(f"{API}/events/", data="{", headers={
        **fake.headers, "Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert _counts(app) == before


def test_an_unknown_order_is_404_and_stored(app: Any) -> None:
    other = order_submitted(app, credit_code=SUCAI, items={"启天M437": 1})
    fake = FakeSupplier(app, issue_token(app))  # 京采's token
    answer = fake.send("confirm", other, event_id="wrong-1", amount="5199.00")
    assert answer.status_code == 404 and answer.get_json()["code"] == "mall_order_not_found"
    assert order_row(app, other)["status"] == "awaiting_confirmation"
    with app.app_context():
        stored = app.appbuilder.session.scalar(select(SupplierEvent))
        assert stored.answer_status == 404 and stored.order_id is None
        # No task for the other supplier's buyer: the exception belongs to no unit.
        exception = app.appbuilder.session.scalar(select(MallException))
        assert exception.unit_id is None and exception.order_id is None


def test_offer_sync(app: Any) -> None:
    fake = FakeSupplier(app, issue_token(app))
    answer = fake.sync([{"supplier_sku": "JC-100013", "price": "6999.00", "stock": 7},
                        {"supplier_sku": "SC-88002", "price": "1.00"},
                        {"supplier_sku": "JC-200021", "price": 2999.5}])
    assert answer.status_code == 200, answer.get_json()
    results = answer.get_json()["result"]
    assert [r["ok"] for r in results] == [True, False, True]
    with app.app_context():
        session = app.appbuilder.session
        offer = session.scalar(select(MallOffer).where(MallOffer.supplier_sku == "JC-100013"))
        assert str(offer.price) == "6999.00" and offer.stock == 7
        assert session.scalar(select(func.count()).select_from(OfferPriceHistory).where(
            OfferPriceHistory.offer_id == offer.id, OfferPriceHistory.source == "sync")) == 1
        other = session.scalar(select(MallOffer).where(MallOffer.supplier_sku == "SC-88002"))
        assert str(other.price) == "6999.00"  # 苏采's offer: not 京采's to change
    body: Any
    for body in ({"items": "x"}, {}, {"items": [{}] * 501}):
        refused = fake.client.post(f"{API}/offers/sync", json=body, headers=fake.headers)
        assert refused.status_code == 422, body


def test_the_api_is_in_the_openapi_document(app: Any,
                                            api_token: Callable[[str], dict[str, str]]) -> None:
    document = app.test_client().get("/api/v1/_openapi", headers=api_token(JINGCAI))
    assert document.status_code == 200
    spec = document.get_json()
    paths = spec["paths"]
    for path, method in ((f"{API}/orders/", "get"), (f"{API}/orders/{{order_no}}", "get"),
                         (f"{API}/events/", "post"), (f"{API}/offers/sync", "post")):
        assert method in paths[path], path
        operation = paths[path][method]
        assert operation["security"] == [{"supplier_token": []}]
        assert "401" in operation["responses"]
    scheme = spec["components"]["securitySchemes"]["supplier_token"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"


def test_hostile_bodies_are_refused_in_chinese_never_a_5xx(app: Any) -> None:
    order_no = order_submitted(app)
    fake = FakeSupplier(app, issue_token(app))
    (pulled,) = fake.pull().get_json()["result"]
    line_id = pulled["lines"][0]["line_id"]
    weird: list[Any] = [None, True, -1, 0, 2**53, 1.5, "1e5", "NaN", "１２", [], {}, "x" * 600,
                        "\u202e", "0x10"]
    for amount in weird:
        answer = fake.send("confirm", order_no, amount=amount)
        assert answer.status_code < 500 and answer.get_json()["message"], amount
    assert fake.confirm(pulled).status_code == 200
    for value in weird:
        for fields in ({"waybill": value}, {"waybill": "W1", "carrier": value},
                       {"waybill": "W1", "lines": value},
                       {"waybill": "W1", "lines": [{"line_id": value, "quantity": 1}]},
                       {"waybill": "W1", "lines": [{"line_id": line_id, "quantity": value}]},
                       {"waybill": "W1", "lines": [value]}):
            answer = fake.send("ship", order_no, **fields)
            assert answer.status_code < 500, fields
            assert answer.status_code == 200 or answer.get_json()["message"]
        for fields in ({"waybill": value}, {"reason": value}):
            kind = "deliver" if "waybill" in fields else "reject"
            assert fake.send(kind, order_no, **fields).status_code < 500, fields
    for path in ("%00", "a" * 40, "SC" + "9" * 30, "..", "%F0%9F%98%80"):
        assert fake.lookup(path).status_code in (400, 404), path
    assert fake.client.post(f"{API}/events/", data="x", headers=fake.headers).status_code == 422
    nul = fake.client.post(f"{API}/events/", json={"event_id": "a\u0000"}, headers=fake.headers)
    assert nul.status_code == 400
    bodies: list[Any] = [[1], {"items": [None, 1, "x", {"supplier_sku": 5}]}]
    bodies += [{"items": [{"supplier_sku": "JC-100013", "price": value, "stock": value}]}
               for value in weird]
    for body in bodies:
        answer = fake.client.post(f"{API}/offers/sync", json=body, headers=fake.headers)
        assert answer.status_code < 500, body


def test_pulling_orders_costs_the_same_for_10_and_100(app: Any) -> None:
    from sqlalchemy import event

    from app.extensions import db
    from tests.support import volume
    from tests.support.fake_supplier import budget_orders

    fake = FakeSupplier(app, issue_token(app))
    counts = []
    for start, count in ((0, 10), (10, 90)):
        volume.seed(app, budget_orders, JINGCAI, start, count)
        fake.pull(page_size="100")  # warm
        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def record(*args: Any, seen: list[str] = statements) -> None:
            seen.append(args[2])
        event.listen(engine, "before_cursor_execute", record)
        try:
            answer = fake.pull(page_size="100")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert answer.status_code == 200
        counts.append((len(statements), len(answer.get_json()["result"])))
    (few, _), (many, rows) = counts
    assert rows == 100 and few == many, counts
    assert many <= 6, counts
