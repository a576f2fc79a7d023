"""Hostile input gets a 4xx with a Chinese message on SQLite and PostgreSQL, never a 5xx."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from models import Operator, SpendingReduction
from tests.test_plans_api import PLANS
from tests.test_plans_api import body as plan_body

HUGE = 17715708518355406159872
JUST_OVER = 2147483648


def refused(response: Any, status: int) -> dict[str, Any]:
    """The JSON refusal of ``response``, after checking its status and Chinese message."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) >= {"code", "message", "field"}, body
    assert not body["message"].isascii(), body
    return body


@pytest.mark.parametrize("pk", [HUGE, JUST_OVER, "abc", "1%00"])
def test_ids_beyond_the_column_are_not_found_on_rest(client: Any, api_token: Any,
                                                     pk: Any) -> None:
    headers = api_token("zz_clerk")
    # A non-number matches no ``<int:pk>`` route: routing answers 404 or 405 (in Chinese).
    expected = (404,) if isinstance(pk, int) else (404, 405)
    for path in (f"/api/v1/intention/{pk}", f"/api/v1/contract/{pk}"):
        response = client.get(path, headers=headers)
        refused(response, response.status_code)
        assert response.status_code in expected, path
    # /<int:pk>/history does not match a non-number: another route answers 404 or 405.
    assert client.get(f"/api/v1/spending_reduction/{pk}/history",
                      headers=headers).status_code in (404, 405)
    assert client.put(f"/api/v1/payment/{pk}", headers=headers, json={}).status_code in (
        (404,) if isinstance(pk, int) else (404, 405))


@pytest.mark.parametrize("pk", [HUGE, JUST_OVER])
def test_ids_beyond_the_column_are_not_found_on_pages(login_as: Any, pk: int) -> None:
    web = login_as("zz_clerk")
    for path in (f"/intentionview/show/{pk}", f"/tasks/{pk}/review",
                 f"/paymentview/print/{pk}", f"/intentionview/edit/{pk}"):
        response = web.client.get(path)
        assert response.status_code == 404, path
        assert "不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("q", ["-5.26e%2B16", "(page:1e999)", "(((((", "(page:9007199254740993)",
                               "(filters:!((col:id,opr:eq,value:99999999999)))",
                               "(filters:!((col:amount,opr:gt,value:'1e400')))"])
def test_a_bad_query_is_400(client: Any, api_token: Any, q: str) -> None:
    body = refused(client.get(f"/api/v1/contract/?q={q}", headers=api_token("zz_clerk")), 400)
    assert "English" not in body["message"]


def test_a_query_that_breaks_fab_schema_is_chinese(client: Any, api_token: Any) -> None:
    body = refused(client.get("/api/v1/contract/?q=(page:'x')", headers=api_token("zz_clerk")),
                   400)
    assert "rison" not in body["message"].lower() or "格式" in body["message"]


def test_a_deeply_nested_body_is_400_even_anonymously(client: Any) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    body = refused(client.post("/api/v1/account/password", data=deep,
                               content_type="application/json"), 400)
    assert "层级" in body["message"]


def test_deep_but_parsable_json_is_refused_by_depth(client: Any) -> None:
    deep: dict[str, Any] = {"a": 1}
    for _ in range(40):
        deep = {"a": deep}
    refused(client.post("/api/v1/account/recover", json=deep), 400)


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "null", "5", "{", "\xff"])
def test_a_body_that_is_not_an_object_is_refused(client: Any, api_token: Any,
                                                 body: str) -> None:
    headers = api_token("zz_clerk")
    for method, path in (("put", "/api/v1/payment/1"), ("post", "/api/v1/spending_reduction/"),
                         ("post", "/api/v1/account/recover")):
        response = getattr(client, method)(path, headers=headers, data=body.encode("latin-1"),
                                           content_type="application/json")
        assert response.status_code in (400, 404, 422), (path, body, response.status_code)
        assert not response.get_json()["message"].isascii()


@pytest.mark.parametrize("text", ["\ud800", "a\x00b", "bell\x07", "\udfff tail"])
def test_control_characters_and_surrogates_are_refused(app: Flask, client: Any,
                                                       api_token: Any, text: str) -> None:
    payload = json.dumps({"spending_plan": 1, "kind": "balance", "amount": "1.00",
                          "reason": text})
    with app.app_context():
        before = db.session.scalar(select(func.count(SpendingReduction.id)))
    body = refused(client.post("/api/v1/spending_reduction/", headers=api_token("zz_clerk"),
                               data=payload, content_type="application/json"), 400)
    assert body["field"] == "reason"
    with app.app_context():
        assert db.session.scalar(select(func.count(SpendingReduction.id))) == before


@pytest.mark.parametrize("path", ["/login/", "/recover/", "/register/supplier/"])
def test_a_nul_byte_in_an_anonymous_form_is_400(client: Any, path: str) -> None:
    response = client.post(path, data={"username": "ad\x00min", "password": "x",
                                       "credit_code": "91410100MA440A1B2D\x00",
                                       "phone": "139\x00", "name": "\x00"})
    assert response.status_code == 400
    assert "控制字符" in response.get_data(as_text=True)
    # The next request of the same process is served normally.
    assert client.get("/login/").status_code == 200


def test_a_nul_byte_in_a_query_string_is_400(login_as: Any) -> None:
    web = login_as("zz_clerk")
    response = web.client.get("/intentionview/list/?_flt_0_name=%00")
    assert response.status_code == 400


def test_a_nul_in_the_login_api_is_400(client: Any) -> None:
    body = refused(client.post("/api/v1/security/login", json={
        "username": "admin\x00", "password": "x", "provider": "db"}), 400)
    assert body["field"] == "username"


@pytest.mark.parametrize("number", ["1e309", "-1e309", "1" * 400, "9007199254740992"])
def test_numbers_out_of_range_are_refused(client: Any, api_token: Any, number: str) -> None:
    payload = '{"spending_plan": NUMBER, "kind": "balance", "amount": "1.00", "reason": "x"}'
    payload = payload.replace("NUMBER", number)
    refused(client.post("/api/v1/spending_reduction/", headers=api_token("zz_clerk"),
                        data=payload, content_type="application/json"), 400)


@pytest.mark.parametrize("number", [2147483648, 99999999999, -2147483649])
def test_an_id_beyond_its_column_names_no_record(client: Any, api_token: Any,
                                                 number: int) -> None:
    body = refused(client.post("/api/v1/spending_reduction/", headers=api_token("zz_clerk"),
                               json={"spending_plan": number, "kind": "balance",
                                     "amount": "1.00", "reason": "x"}), 422)
    assert body["field"] == "spending_plan"


def test_a_400_digit_amount_is_refused_by_the_money_rules(client: Any, api_token: Any) -> None:
    response = client.post("/api/v1/spending_reduction/", headers=api_token("zz_clerk"), json={
        "spending_plan": 1, "kind": "balance", "amount": "9" * 400, "reason": "x"})
    assert response.status_code == 422
    assert not response.get_json()["message"].isascii()


def test_an_object_for_a_relationship_is_refused(client: Any, api_token: Any) -> None:
    body = refused(client.post("/api/v1/spending_reduction/", headers=api_token("zz_clerk"),
                               json={"spending_plan": {"a": 1}, "kind": "balance",
                                     "amount": "1.00", "reason": "x"}), 422)
    assert body["field"] == "spending_plan"


def test_an_oversized_rest_upload_is_413(app: Flask, client: Any, api_token: Any) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = {"data": json.dumps({"plan": 1}),
            "attachment": (io.BytesIO(b"0" * (limit + 1)), "big.pdf")}
    body = refused(client.post("/api/v1/contract/", headers=api_token("zz_clerk"), data=data,
                               content_type="multipart/form-data"), 413)
    assert "过大" in body["message"]


def test_an_oversized_json_body_is_413(client: Any, api_token: Any) -> None:
    payload = json.dumps({"reason": "x" * 3_000_000})
    refused(client.post("/api/v1/spending_reduction/", headers=api_token("zz_clerk"),
                        data=payload, content_type="application/json"), 413)


def test_a_text_longer_than_its_column_is_refused_alike(app: Flask, client: Any,
                                                        api_token: Any) -> None:
    response = client.put("/api/v1/operator/1", headers=api_token("admin"),
                          json={"first_name": "张", "phone": "1" * 300})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == "phone"
    with app.app_context():
        stored = db.session.get(Operator, 1)
        assert stored is not None and stored.phone != "1" * 300


def test_a_filter_value_that_does_not_suit_its_column_is_400(login_as: Any) -> None:
    web = login_as("zz_clerk")
    for arg in ("_flt_0_id=99999999999", "_flt_1_id=abc"):
        response = web.client.get(f"/intentionview/list/?{arg}")
        assert response.status_code in (200, 400), arg
        assert "decimal" not in response.get_data(as_text=True)


def test_english_messages_do_not_reach_a_client(client: Any, api_token: Any) -> None:
    headers = api_token("zz_clerk")
    response = client.post("/api/v1/spending_reduction/", headers=headers, data="x=1",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (400, 422)
    assert not response.get_json()["message"].isascii()
    response = client.post("/api/v1/spending_reduction/", headers=headers, data="{bad",
                           content_type="application/json")
    assert refused(response, 400)["message"] == "请求内容不是有效的JSON。"


def test_a_csrf_failure_renders_without_a_traceback(app: Flask, caplog: Any) -> None:
    response = app.test_client().post("/login/", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert "Traceback" not in caplog.text and "error page could not" not in caplog.text


@pytest.mark.parametrize("quantity", ["1e400", "9" * 40, "1e-400"])
def test_a_quantity_beyond_its_column_is_refused(app: Flask, client: Any, api_token: Any,
                                                 quantity: str) -> None:
    body = plan_body(app)
    body["items"][0]["quantity"] = quantity
    response = client.post(PLANS, headers=api_token("sj_clerk"), json=body)
    assert response.status_code == 422, response.get_json()
    assert "数量" in response.get_json()["message"]
