"""Settlement REST of the buyer: 验收, 付款 (multipart voucher, 资金支付申请), payments, 评价,
售后 list and 处理; its routes beside MallOrderApi's, scope on every id, hostile input."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.timezone import business_today
from models.mall import AfterSaleCase, MallOrder, MallPayment
from tests.mall.acceptance_support import delivered_order, with_session

ORDERS, CASES = "/api/v1/mall/orders", "/api/v1/mall/after-sales"
PDF = b"%PDF-1.4 voucher"


def lines_of(app: Flask, order_id: int) -> list[tuple[int, int, str]]:
    """(line id, delivered quantity, unit price text) of the order's lines."""
    def work(session: Any) -> list[tuple[int, int, str]]:
        order = session.get(MallOrder, order_id)
        return [(line.id, line.delivered_qty, f"{line.unit_price:.2f}") for line in order.lines]
    return with_session(app, work)


def version_of(app: Flask, order_id: int) -> int:
    return with_session(app, lambda s: s.get(MallOrder, order_id).version)


def voucher(name: str = "付款凭证.pdf", content: bytes = PDF) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def accept_body(app: Flask, order_id: int, rejected: int = 1) -> dict[str, Any]:
    """Accept every delivered unit, the last line's first ``rejected`` units refused."""
    found = lines_of(app, order_id)
    rows: list[dict[str, Any]] = [{"line_id": pk, "accepted_qty": qty, "rejected_qty": 0}
                                  for pk, qty, _ in found]
    if rejected:
        rows[-1].update(accepted_qty=rows[-1]["accepted_qty"] - rejected, rejected_qty=rejected,
                        reason="外壳破损")
    return {"method": "onsite", "note": "到货验收", "lines": rows,
            "version": version_of(app, order_id)}


def test_routes_have_their_own_blueprint_beside_the_orders_api(app: Flask) -> None:
    rules: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            key = (rule.rule, method)
            assert key not in rules, f"{key} served by {rules[key]} and {rule.endpoint}"
            rules[key] = rule.endpoint
    ours = {
        ("/api/v1/mall/orders/<int:pk>/accept", "POST"): "accept",
        ("/api/v1/mall/orders/<int:pk>/payments", "POST"): "pay",
        ("/api/v1/mall/orders/<int:pk>/payments", "GET"): "list_payments",
        ("/api/v1/mall/orders/<int:pk>/budget-payments", "POST"): "pay_through_budget",
        ("/api/v1/mall/orders/<int:pk>/evaluate", "POST"): "evaluate",
        ("/api/v1/mall/after-sales/", "GET"): "list_after_sales",
        ("/api/v1/mall/after-sales/<int:pk>/resolve", "POST"): "resolve",
    }
    for key, method in ours.items():
        assert rules.get(key) == f"MallSettlementApi.{method}", key
    for path, method in (("/api/v1/mall/orders/", "GET"), ("/api/v1/mall/orders/", "POST"),
                         ("/api/v1/mall/orders/<int:pk>", "GET"),
                         ("/api/v1/mall/orders/<int:pk>/submit", "POST"),
                         ("/api/v1/mall/orders/<int:pk>/cancel", "POST")):
        assert rules[(path, method)].startswith("MallOrderApi."), path
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/api/v1/mall/orders/7/accept", "POST")[0] == "MallSettlementApi.accept"
    assert adapter.match("/api/v1/mall/orders/7", "GET")[0] == "MallOrderApi.show"


def test_accept_pay_evaluate_and_resolve(app: Flask, api_token: Any) -> None:
    order_id = delivered_order(app)
    client, headers = app.test_client(), api_token("pds_clerk")
    accepted = client.post(f"{ORDERS}/{order_id}/accept", json=accept_body(app, order_id),
                           headers=headers)
    assert accepted.status_code == 201, accepted.get_json()
    record = accepted.get_json()["result"]
    assert record["order"]["status"] == "accepted" and record["order"]["payment_due_on"]
    assert record["method_label"] == "现场验收" and len(record["after_sales"]) == 1
    assert [(r["accepted_qty"], r["rejected_qty"]) for r in record["lines"]] == [(1, 0), (1, 1)]
    cases = client.get(f"{CASES}/", headers=headers).get_json()
    assert cases["count"] == 1 and cases["result"][0]["id"] == record["after_sales"][0]
    case = cases["result"][0]
    assert case["status"] == "open" and case["status_label"] == "处理中"
    assert case["quantity"] == 1 and case["reason"] == "外壳破损"
    assert client.get(f"{CASES}/?status=closed", headers=headers).get_json()["count"] == 0
    assert client.get(f"{CASES}/?order_id={order_id}", headers=headers).get_json()["count"] == 1
    again = client.post(f"{ORDERS}/{order_id}/accept", json=accept_body(app, order_id),
                        headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "mall_state"

    listed = client.get(f"{ORDERS}/{order_id}/payments", headers=headers).get_json()
    assert listed["accepted_amount"] == "8198.00" and listed["payable"] == "8198.00"
    assert listed["result"] == []
    form = {"method": "公务卡", "amount": "9000.00", "paid_on": business_today().isoformat(),
            "voucher": voucher()}
    too_much = client.post(f"{ORDERS}/{order_id}/payments", data=form, headers=headers)
    assert too_much.status_code == 422 and too_much.get_json()["code"] == "mall_pay_too_much"
    no_file = client.post(f"{ORDERS}/{order_id}/payments", headers=headers, data={
        "method": "公务卡", "amount": "8198.00", "paid_on": business_today().isoformat()})
    assert no_file.status_code == 422 and no_file.get_json()["field"] == "voucher"
    fake = client.post(f"{ORDERS}/{order_id}/payments", headers=headers, data={
        **form, "amount": "8198.00", "voucher": voucher(content=b"MZ not a pdf")})
    assert fake.status_code == 422 and "付款凭证" in fake.get_json()["message"]
    paid = client.post(f"{ORDERS}/{order_id}/payments", headers=headers,
                       data={**form, "amount": "8198.00", "voucher": voucher()})
    assert paid.status_code == 201, paid.get_json()
    row = paid.get_json()["result"]
    # Paid for what was accepted; 已付款 waits for the open 售后 case of the rejected unit.
    assert row["order"]["status"] == "accepted" and row["status_label"] == "已付款"
    assert row["amount"] == "8198.00" and row["voucher_name"] == "付款凭证.pdf"
    listed = client.get(f"{ORDERS}/{order_id}/payments", headers=headers).get_json()
    assert listed["paid_amount"] == "8198.00" and listed["payable"] == "0.00"
    assert [p["id"] for p in listed["result"]] == [row["id"]]

    resolve = f"{CASES}/{case['id']}/resolve"
    refused = client.post(resolve, json={"resolution": "settled"}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["field"] == "note"
    unknown = client.post(resolve, json={"resolution": "burn"}, headers=headers)
    assert unknown.status_code == 422 and unknown.get_json()["field"] == "resolution"
    closed = client.post(resolve, json={"resolution": "returned", "note": "已退回"},
                         headers=headers)
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["result"]["resolution_label"] == "退货"
    assert client.post(resolve, json={"resolution": "returned"},
                       headers=headers).get_json()["code"] == "mall_after_sale_closed"
    assert client.get(f"{CASES}/?status=closed", headers=headers).get_json()["count"] == 1
    listed = client.get(f"{ORDERS}/{order_id}/payments", headers=headers).get_json()
    assert listed["order"]["status"] == "paid"  # the case closed: paid in full

    scores = {"quality": 5, "delivery": 4, "service": 5, "after_sale": 3, "comment": "送货及时"}
    for bad, field in (({**scores, "quality": 6}, "quality"),
                       ({**scores, "delivery": "4"}, "delivery"),
                       ({**scores, "service": True}, "service"),
                       ({**scores, "after_sale": 4.5}, "after_sale")):
        refused = client.post(f"{ORDERS}/{order_id}/evaluate", json=bad, headers=headers)
        assert refused.status_code == 422 and refused.get_json()["field"] == field, bad
    done = client.post(f"{ORDERS}/{order_id}/evaluate", json=scores, headers=headers)
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["result"]["order"]["status_label"] == "已完成"
    twice = client.post(f"{ORDERS}/{order_id}/evaluate", json=scores, headers=headers)
    assert twice.status_code == 409 and twice.get_json()["code"] == "mall_state"


def test_budget_payment_is_pending_until_paid(app: Flask, api_token: Any) -> None:
    order_id = delivered_order(app)
    client, headers = app.test_client(), api_token("pds_clerk")
    assert client.post(f"{ORDERS}/{order_id}/accept", json=accept_body(app, order_id, 0),
                       headers=headers).status_code == 201
    plan_id = with_session(app, lambda s: s.get(MallOrder, order_id).contract.fundings[0]
                           .spending_plan_id)
    url = f"{ORDERS}/{order_id}/budget-payments"
    as_float = client.post(url, json={"amount": 1000.5, "spending_plan_id": plan_id},
                           headers=headers)
    assert as_float.status_code == 422 and as_float.get_json()["field"] == "amount"
    assert "文本" in as_float.get_json()["message"]
    wrong_plan = client.post(url, json={"amount": "1000.00", "spending_plan_id": 2**31 - 1},
                             headers=headers)
    assert wrong_plan.status_code == 422
    assert wrong_plan.get_json()["field"] == "spending_plan_id"
    sent = client.post(url, json={"amount": "1000.00", "spending_plan_id": plan_id},
                       headers=headers)
    assert sent.status_code == 201, sent.get_json()
    row = sent.get_json()["result"]
    assert row["status"] == "pending" and row["payment_application_no"]
    assert row["order"]["status"] == "accepted"
    listed = client.get(f"{ORDERS}/{order_id}/payments", headers=headers).get_json()
    assert listed["pending_amount"] == "1000.00" and listed["payable"] == "10097.00"


def test_scope_every_id_is_the_units(app: Flask, api_token: Any) -> None:
    order_id = delivered_order(app)
    client, mine, theirs = app.test_client(), api_token("pds_clerk"), api_token("zz_clerk")
    assert client.post(f"{ORDERS}/{order_id}/accept", json=accept_body(app, order_id),
                       headers=mine).status_code == 201
    case_id = with_session(app, lambda s: s.scalar(select(AfterSaleCase.id)))
    before = version_of(app, order_id)
    for answer in (
            client.post(f"{ORDERS}/{order_id}/accept", json=accept_body(app, order_id),
                        headers=theirs),
            client.get(f"{ORDERS}/{order_id}/payments", headers=theirs),
            client.post(f"{ORDERS}/{order_id}/payments", headers=theirs, data={
                "method": "公务卡", "amount": "1.00", "paid_on": business_today().isoformat(),
                "voucher": voucher()}),
            client.post(f"{ORDERS}/{order_id}/budget-payments", json={"amount": "1.00"},
                        headers=theirs),
            client.post(f"{ORDERS}/{order_id}/evaluate", json={
                "quality": 5, "delivery": 5, "service": 5, "after_sale": 5}, headers=theirs),
            client.post(f"{CASES}/{case_id}/resolve", json={"resolution": "returned"},
                        headers=theirs)):
        assert answer.status_code == 404, answer.get_json()
        assert set(answer.get_json()) >= {"code", "message", "field"}
    assert client.get(f"{CASES}/", headers=theirs).get_json()["count"] == 0
    assert client.get(f"{CASES}/?order_id={order_id}", headers=theirs).get_json()["count"] == 0
    assert version_of(app, order_id) == before
    assert with_session(app, lambda s: s.scalar(select(func.count(MallPayment.id)))) == 0
    # A line of another order is not this order's.
    other = delivered_order(app)
    body = accept_body(app, order_id)
    body["lines"] = [{"line_id": lines_of(app, other)[0][0], "accepted_qty": 1}]
    assert client.post(f"{ORDERS}/{order_id}/accept", json=body,
                       headers=mine).status_code in (409, 422)
    foreign = accept_body(app, other, 0)
    foreign["lines"][0]["line_id"] = lines_of(app, order_id)[0][0]
    answer = client.post(f"{ORDERS}/{other}/accept", json=foreign, headers=mine)
    assert answer.status_code == 422 and answer.get_json()["code"] == "mall_line_not_found"
    # Accounts without a unit: a supplier holds no such grant, nobody without a token.
    assert client.get(f"{CASES}/", headers=api_token("91410100MA470A1B25")).status_code == 403
    assert client.get(f"{CASES}/").status_code == 401


def test_hostile_input_is_a_chinese_refusal(app: Flask, api_token: Any) -> None:
    order_id = delivered_order(app)
    client, headers = app.test_client(), api_token("pds_clerk")
    base = accept_body(app, order_id)
    for path in (f"{ORDERS}/abc/accept", f"{ORDERS}/99999999999/accept",
                 f"{ORDERS}/2147483648/accept", f"{ORDERS}/-1/accept",
                 f"{CASES}/99999999999999999999/resolve", f"{CASES}/x/resolve"):
        answer = client.post(path, json=base, headers=headers)
        assert answer.status_code == 404, path
    assert client.get(f"{ORDERS}/99999999999/payments", headers=headers).status_code == 404
    line = base["lines"][0]
    bodies = [
        {**base, "note": "nul\x00here"},
        {**base, "method": "x\ud800"},
        {**base, "version": "1"},
        {**base, "version": 2**60},
        {**base, "lines": "all"},
        {**base, "lines": []},
        {**base, "lines": [{**line, "line_id": "1"}]},
        {**base, "lines": [{**line, "line_id": 2**40}]},
        {**base, "lines": [{**line, "accepted_qty": 1.5}]},
        {**base, "lines": [{**line, "accepted_qty": -1}]},
        {**base, "lines": [{**line, "accepted_qty": 10**12}]},
        {**base, "lines": [line, line]},
        {**base, "surprise": 1},
        {**base, "method": "nothing"},
        [base],
        {},
    ]
    for body in bodies:
        answer = client.post(f"{ORDERS}/{order_id}/accept", json=body, headers=headers)
        assert 400 <= answer.status_code < 500, (body, answer.get_json())
        message = answer.get_json()["message"]
        assert message and not message.isascii(), (body, message)
    for raw in (b"{not json", b"[" * 100000, b'{"method": NaN}'):
        answer = client.post(f"{ORDERS}/{order_id}/accept", data=raw, headers={
            **headers, "Content-Type": "application/json"})
        assert answer.status_code == 400 and not answer.get_json()["message"].isascii()
    today = business_today().isoformat()
    for form in ({"method": "公务卡", "amount": "1e3", "paid_on": today},
                 {"method": "公务卡", "amount": "10.001", "paid_on": today},
                 {"method": "公务卡", "amount": "99999999999999999999", "paid_on": today},
                 {"method": "公务卡", "amount": "1.00", "paid_on": "2026-02-30"},
                 {"method": "公务卡", "amount": "1.00", "paid_on": "9999-01-01"},
                 {"method": "公务卡", "amount": "1.00", "paid_on": today, "version": "x"},
                 {"method": "现金", "amount": "1.00", "paid_on": today},
                 {"method": "公务卡", "amount": "1\x00", "paid_on": today}):
        answer = client.post(f"{ORDERS}/{order_id}/payments", headers=headers,
                             data={**form, "voucher": voucher()})
        assert 400 <= answer.status_code < 500, (form, answer.get_json())
        assert not answer.get_json()["message"].isascii(), form
    for query in ("status=x", "order_id=abc", "order_id=99999999999", "page=0",
                  "page_size=1000", "page=%00"):
        answer = client.get(f"{CASES}/?{query}", headers=headers)
        assert 400 <= answer.status_code < 500, query
        assert not answer.get_json()["message"].isascii(), query
    assert client.get(f"{CASES}/?page=99999999999999", headers=headers).status_code == 200
    assert version_of(app, order_id) == base["version"]


def test_openapi_documents_the_settlement_endpoints(app: Flask, api_token: Any) -> None:
    document = app.test_client().get("/api/v1/_openapi",
                                     headers=api_token("pds_clerk")).get_json()
    paths = document["paths"]
    for path, method in (("/api/v1/mall/orders/{pk}/accept", "post"),
                         ("/api/v1/mall/orders/{pk}/payments", "post"),
                         ("/api/v1/mall/orders/{pk}/payments", "get"),
                         ("/api/v1/mall/orders/{pk}/budget-payments", "post"),
                         ("/api/v1/mall/orders/{pk}/evaluate", "post"),
                         ("/api/v1/mall/after-sales/", "get"),
                         ("/api/v1/mall/after-sales/{pk}/resolve", "post")):
        assert method in paths.get(path, {}), (path, sorted(p for p in paths if "mall" in p))
        operation = paths[path][method]
        if "{pk}" in path:
            assert any(p["name"] == "pk" and p["in"] == "path" for p in operation["parameters"])
    multipart = paths["/api/v1/mall/orders/{pk}/payments"]["post"]["requestBody"]["content"]
    assert "voucher" in multipart["multipart/form-data"]["schema"]["properties"]
    for schema in ("AcceptSchema", "AcceptLineSchema", "BudgetPaymentSchema", "EvaluateSchema",
                   "ResolveSchema"):
        assert schema in document["components"]["schemas"], schema
