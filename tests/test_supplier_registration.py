"""供应商注册: the public form and REST, the new account's 供应商信息 and what it cannot reach."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from stdnum.cn import uscc

from app.extensions import db
from app.passwords import POLICY_TEXT
from app.services.accounts import SUPPLIER_REGISTERED
from models import Operator, SmsMessage, Supplier
from tests.conftest import Web

FORM = "/register/supplier/"
API = "/api/v1/account/supplier"
PASSWORD = "Sup@2026x"
DEMO_CODE = "91410100MA440A1B2D"  # 河南中原建设工程有限公司
ALERT = re.compile(r'<div class="alert[^"]*">(.*?)</div>', re.S)


def credit_code(body: str = "MA47Q0001", prefix: str = "91410105") -> str:
    """A company's 统一社会信用代码 with its check digit."""
    base = prefix + body
    return base + uscc.calc_check_digit(base)


CODE = credit_code()
ACCEPTED = SUPPLIER_REGISTERED.format(username=CODE)
DEMO_PHONES = ["13900000001", "13900000011"]  # contact and legal representative


def notices(app: Flask) -> list[tuple[str, str]]:
    """The SMS queued so far: (phone, text)."""
    with app.app_context():
        return [(m.phone, m.body) for m in db.session.scalars(
            select(SmsMessage).order_by(SmsMessage.id))]


def supplier_data(**overrides: str) -> dict[str, str]:
    """What a supplier types into 供应商注册."""
    return {"name": "郑州金水办公设备有限公司", "credit_code": CODE, "contact_name": "陈联系",
            "contact_phone": "13512340001", "legal_name": "刘法人", "legal_phone": "13512340002",
            "bank_account_name": "郑州金水办公设备有限公司", "bank_account_no": "6227000012345678",
            "bank_name": "中国工商银行郑州金水支行", "password": PASSWORD, "confirm": PASSWORD,
            **overrides}


def counts(app: Flask) -> tuple[int, int]:
    """How many suppliers and operators exist."""
    with app.app_context():
        session = app.appbuilder.session
        return (session.scalar(select(func.count(Supplier.id))),
                session.scalar(select(func.count(Operator.id))))


def supplier_id(app: Flask, code: str) -> int | None:
    with app.app_context():
        return app.appbuilder.session.scalar(select(Supplier.id).where(
            Supplier.credit_code == code))


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def alerts(page: str) -> list[str]:
    """The flashed messages of a page, as plain text (the form always shows its help texts)."""
    return [html.unescape(re.sub(r"<[^>]+>|&times;|\s+", "", m)) for m in ALERT.findall(page)]


def register(app: Flask, **overrides: str) -> str:
    """Post the public form as an anonymous visitor; returns the page."""
    return text(Web(app.test_client()).submit(FORM, supplier_data(**overrides)))


def supplier_login(app: Flask, username: str = CODE, password: str = PASSWORD) -> Web:
    """Sign in through the 供应商 tab of the login page."""
    web = Web(app.test_client())
    assert "供应商登录" in text(web.get("/login/?who=supplier"))
    signed = web.submit("/login/?who=supplier", {"username": username, "password": password})
    assert signed.status_code == 302 and "/login" not in signed.headers["Location"]
    return web


@pytest.fixture
def registered(app: Flask) -> Web:
    """A supplier registered through the form, signed in."""
    assert ACCEPTED in register(app)
    return supplier_login(app)


def test_registration_creates_the_supplier_and_its_account(app: Flask,
                                                           registered: Web) -> None:
    """The account is named by the code; the supplier sees 供应商中心 → 供应商信息."""
    with app.app_context():
        account = app.appbuilder.session.scalar(
            select(Operator).where(Operator.username == CODE))
        assert account.supplier.name == "郑州金水办公设备有限公司" and account.active
        assert account.unit_id is None and account.post_code == "supplier"
    home = text(registered.get("/"))
    assert "供应商中心" in home and "/supplierselfview/list/" in home
    listed = text(registered.get("/supplierselfview/list/"))
    assert CODE in listed and "郑州金水办公设备有限公司" in listed
    assert DEMO_CODE not in listed and "河南中原建设工程有限公司" not in listed


def test_a_lower_case_code_is_stored_in_capitals(app: Flask) -> None:
    """The login name is the normalised (upper-case) code."""
    page = register(app, credit_code=CODE.lower())
    assert ACCEPTED in page
    supplier_login(app, CODE)


def test_the_supplier_keeps_its_contacts_current(app: Flask, registered: Web) -> None:
    """The contact phone may change (a malformed one is refused); name and code may not."""
    pk = supplier_id(app, CODE)
    form = f"/supplierselfview/edit/{pk}"
    fields = {key: value for key, value in supplier_data().items() if key in (
        "contact_name", "legal_name", "legal_phone", "bank_account_name", "bank_account_no",
        "bank_name")}
    bad = registered.submit(form, {**fields, "contact_phone": "1351234"}, follow=True)
    assert "联系人手机应为11位手机号码。" in alerts(text(bad))
    # Name and code are not on the form: posting them changes nothing.
    good = registered.submit(form, {**fields, "contact_phone": "13698765432", "name": "改名",
                                    "credit_code": DEMO_CODE}, follow=True)
    assert "修改成功" in alerts(text(good))
    with app.app_context():
        supplier = app.appbuilder.session.get(Supplier, pk)
        assert supplier.contact_phone == "13698765432" and supplier.credit_code == CODE
        assert supplier.name == "郑州金水办公设备有限公司"
    assert "13698765432" in text(registered.get(f"/supplierselfview/show/{pk}"))


def test_another_suppliers_record_is_out_of_reach(app: Flask, registered: Web) -> None:
    """Show and edit of a demo supplier answer 404; its data is unchanged."""
    other = supplier_id(app, DEMO_CODE)
    assert registered.get(f"/supplierselfview/show/{other}").status_code == 404
    assert registered.get(f"/supplierselfview/edit/{other}").status_code == 404
    token = registered.token(f"/supplierselfview/edit/{supplier_id(app, CODE)}")
    posted = registered.client.post(f"/supplierselfview/edit/{other}", data={
        "csrf_token": token, "contact_name": "篡改", "contact_phone": "13600000000"})
    assert posted.status_code == 404
    with app.app_context():
        assert app.appbuilder.session.get(Supplier, other).contact_name == "王建国"


@pytest.mark.parametrize("path", [
    "/procurementplanview/list/", "/procurementplanview/add", "/contractview/list/",
    "/tasks/", "/operatorview/list/", "/unitregistrationview/list/", "/smsmessageview/list/",
    "/supplierview/list/",
])
def test_a_supplier_cannot_reach_clerk_or_admin_pages(app: Flask, registered: Web,
                                                      path: str) -> None:
    """Clerk pages, the 市采购办's pages and the administrator's 短信记录 answer 403."""
    assert registered.get(path).status_code == 403


REFUSALS = [
    ({"credit_code": CODE[:-1] + ("1" if CODE[-1] != "1" else "2")},
     "统一社会信用代码校验位不正确，请核对。"),
    ({"credit_code": "91410105MA47Q"}, "统一社会信用代码应为18位数字或大写字母。"),
    ({"password": "abcdefgh", "confirm": "abcdefgh"}, POLICY_TEXT),
    ({"password": "12345678", "confirm": "12345678"}, POLICY_TEXT),
    ({"confirm": "Sup@2026y"}, "两次输入的密码不一致。"),
    ({"contact_phone": "0371-1234567"}, "联系人手机应为11位手机号码。"),
]


@pytest.mark.parametrize(("overrides", "message"), REFUSALS)
def test_the_form_refuses_bad_input(app: Flask, overrides: dict[str, str], message: str) -> None:
    """Each refusal is flashed in Chinese and leaves no supplier and no account."""
    before = counts(app)
    page = register(app, **overrides)
    assert message in alerts(page) and "注册申请已受理" not in page
    assert counts(app) == before


def test_the_api_registers_a_supplier(app: Flask, client: Any, api_token: Any) -> None:
    """POST /api/v1/account/supplier: 201 with the login name, which signs in."""
    answer = client.post(API, json=supplier_data())
    assert answer.status_code == 201
    assert answer.get_json() == {"username": CODE, "message": ACCEPTED}
    assert supplier_id(app, CODE) is not None
    assert "Authorization" in api_token(CODE, PASSWORD)


@pytest.mark.parametrize(("overrides", "message"), REFUSALS)
def test_the_api_refuses_bad_input(app: Flask, client: Any, overrides: dict[str, str],
                                   message: str) -> None:
    """The same refusals answer 422 with the Chinese message; nothing is kept."""
    before = counts(app)
    answer = client.post(API, json=supplier_data(**overrides))
    assert answer.status_code == 422 and answer.get_json()["message"] == message
    assert counts(app) == before


def test_the_api_names_missing_fields_in_chinese(app: Flask, client: Any) -> None:
    """Schema errors come back per field, in Chinese."""
    body = supplier_data(contact_phone=13512340001)  # type: ignore[arg-type]
    del body["bank_name"]
    answer = client.post(API, json=body)
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"bank_name": ["必填项，不能缺少。"],
                                           "contact_phone": ["应为文本。"]}
    unknown = client.post(API, json=supplier_data(website="https://example.com"))
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"website": ["未知字段。"]}
    assert supplier_id(app, CODE) is None


def test_supplier_registrations_are_rate_limited(app: Flask, client: Any) -> None:
    """REGISTRATION_RATE_LIMIT counts supplier registrations too: the third gets 429."""
    app.config["REGISTRATION_RATE_LIMIT"] = "2 per hour"
    assert client.post(API, json=supplier_data()).status_code == 201
    second = credit_code("MA47Q0002")
    assert client.post(API, json=supplier_data(credit_code=second)).status_code == 201
    before = counts(app)
    third = client.post(API, json=supplier_data(credit_code=credit_code("MA47Q0003")))
    assert third.status_code == 429 and third.get_json()["message"] == "操作过于频繁，请稍后再试。"
    assert counts(app) == before


@pytest.mark.parametrize("via", ["web", "api"])
def test_a_registered_code_answers_like_a_new_one(app: Flask, client: Any, via: str) -> None:
    """河南中原建设工程有限公司's code: the answer of a new registration, nothing created, and
    its registered phones told by SMS (once: REGISTRATION_NOTICE_RATE_LIMIT)."""
    app.config["REGISTRATION_NOTICE_RATE_LIMIT"] = "1 per day"
    new = client.post(API, json=supplier_data(credit_code=credit_code("MA47Q0009")))
    before = counts(app)
    for _ in range(2):
        if via == "api":
            taken = client.post(API, json=supplier_data(credit_code=DEMO_CODE, name="冒名公司"))
            assert taken.status_code == new.status_code == 201
            assert taken.get_json() == {"username": DEMO_CODE,
                                        "message": SUPPLIER_REGISTERED.format(username=DEMO_CODE)}
        else:
            page = register(app, credit_code=DEMO_CODE, name="冒名公司")
            assert SUPPLIER_REGISTERED.format(username=DEMO_CODE) in page and not alerts(page)
    assert counts(app) == before
    sent = notices(app)
    assert [phone for phone, _ in sent] == DEMO_PHONES
    assert all(f"统一社会信用代码{DEMO_CODE}申请供应商注册" in text for _, text in sent)
    with app.app_context():
        names = db.session.scalars(select(Supplier.name).where(
            Supplier.credit_code == DEMO_CODE)).all()
    assert names == ["河南中原建设工程有限公司"]
    # The refusals of the input still come first, taken code or not.
    weak = client.post(API, json=supplier_data(credit_code=DEMO_CODE, password="abcdefgh",
                                               confirm="abcdefgh"))
    assert weak.status_code == 422 and weak.get_json()["message"] == POLICY_TEXT


def test_a_code_taken_as_an_account_name_answers_like_a_new_one(app: Flask,
                                                                client: Any) -> None:
    """A unit account that happens to spell a valid credit code: nothing is created and the
    account's phone is told."""
    # Unit code 914101000000016 gives its administrator the account 914101000000016001,
    # which is also a valid 统一社会信用代码.
    taken = "914101000000016001"
    assert uscc.is_valid(taken)
    with app.app_context():
        from app.services.operators import create_operator
        from models import Unit

        session = app.appbuilder.session
        unit = session.scalar(select(Unit).where(Unit.code == "zz0101"))
        create_operator(session, name="某经办", phone="13511110000", password=PASSWORD,
                        post_code="clerk", unit=unit, username=taken)
        session.commit()
    before = counts(app)
    answer = client.post(API, json=supplier_data(credit_code=taken))
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["message"] == SUPPLIER_REGISTERED.format(username=taken)
    assert counts(app) == before
    assert [phone for phone, _ in notices(app)] == ["13511110000"]
