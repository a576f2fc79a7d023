"""找回密码: the SMS temporary password, identical answers, the forced change and the limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from app.extensions import db
from app.passwords import POLICY_TEXT
from app.services.accounts import RECOVERY_ANSWER
from app.timezone import utcnow
from models import Operator, RecoveryAttempt, SmsMessage, TemporaryPassword
from tests.conftest import CSRF, DEMO_PASSWORD, Web

CODE, CONTACT, LEGAL = "91410100MA440A1B2D", "13900000001", "13900000011"
OTHER_CODE, OTHER_PHONE = "91410102MA450A1B2W", "13900000002"
UNKNOWN_CODE = "91410105MA47C0D1E" + uscc.calc_check_digit("91410105MA47C0D1E")
NEW_PASSWORD = "Fresh#2026"
TOO_MANY = "操作过于频繁，请稍后再试。"
INVALID_LOGIN = "用户名或密码错误。"
FLASH = re.compile(r'<div class="alert alert-\w+">\s*<button[^>]*>&times;</button>\s*(.*?)\s*</div>', re.S)
MESSAGE = re.compile(r'<p id="account-message">(.*?)</p>', re.S)
TEMP = re.compile(r"临时密码：(\w+)")
VIAS = ["web", "api"]


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    """A short-lived session of its own (so ``g`` is not shared with the requests)."""
    with app.app_context():
        yield db.session


def recover(client: FlaskClient, via: str, code: str, phone: str, addr: str = "127.0.0.1") -> Any:
    """One 找回密码 request through the page or the API; the response is closed (SMS delivered)."""
    env = {"REMOTE_ADDR": addr}
    if via == "api":
        return client.post("/api/v1/account/recover", json={"credit_code": code, "phone": phone},
                           environ_base=env, buffered=True)
    token = CSRF.search(client.get("/recover/", environ_base=env).get_data(as_text=True))
    assert token
    return client.post("/recover/", data={"csrf_token": token.group(1), "credit_code": code,
                                          "phone": phone}, environ_base=env, buffered=True)


def said(response: Any) -> str:
    """The API message, or the page's #account-message, or its flash."""
    if response.is_json:
        return response.get_json()["message"]
    html = response.get_data(as_text=True)
    found = MESSAGE.search(html) or FLASH.search(html)
    assert found, f"no message on the page (status {response.status_code})"
    return found.group(1).strip()


def answer(app: Flask) -> str:
    return RECOVERY_ANSWER.format(minutes=app.config["TEMP_PASSWORD_MINUTES"])


def messages(app: Flask) -> list[SmsMessage]:
    with database(app) as session:
        rows = list(session.scalars(select(SmsMessage).order_by(SmsMessage.id)))
        session.expunge_all()
        return rows


def attempts(app: Flask) -> list[tuple[str, str, str, str]]:
    with database(app) as session:
        return [(a.client, a.credit_code, a.phone_tail, a.outcome) for a in
                session.scalars(select(RecoveryAttempt).order_by(RecoveryAttempt.id))]


def temporary(app: Flask) -> str:
    match = TEMP.search(messages(app)[-1].body)
    assert match, "the SMS carries no temporary password"
    return match.group(1)


def account(app: Flask, username: str = CODE) -> Operator:
    with database(app) as session:
        user = session.scalar(select(Operator).where(Operator.username == username))
        session.expunge(user)
        return user


def signed_in_with_temporary(app: Flask) -> tuple[Web, str]:
    """A browser signed in with a fresh temporary password (returned) of 河南中原建设工程有限公司."""
    web = Web(app.test_client())
    recover(web.client, "api", CODE, CONTACT)
    password = temporary(app)
    response = web.login(CODE, password)
    assert response.status_code == 302 and response.headers["Location"] == "/password/change"
    return web, password


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("phone", [CONTACT, LEGAL])
def test_matching_phone_sends_username_and_password(app: Flask, via: str, phone: str) -> None:
    """Code and contact or legal-representative phone match: one SMS, the shared answer."""
    response = recover(app.test_client(), via, CODE, phone)
    assert response.status_code == 200 and said(response) == answer(app)
    [sms] = messages(app)
    assert (sms.phone, sms.purpose) == (phone, "password_recovery") and f"用户名：{CODE}，" in sms.body
    assert re.fullmatch(r"[A-Za-z0-9]{10}", temporary(app))


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize(("code", "phone", "message"), [
    ("91410100MA440A1B2E", CONTACT, "统一社会信用代码校验位不正确，请核对。"),
    ("91410100MA440A1B2", CONTACT, "统一社会信用代码应为18位数字或大写字母。"),
    (CODE, "1390000001", "请输入11位手机号码。"),
    (CODE, "23900000001", "请输入11位手机号码。"),
])
def test_malformed_input_is_refused_without_sms(app: Flask, via: str, code: str, phone: str,
                                                message: str) -> None:
    """A wrong check digit or a malformed phone is refused in Chinese and sends nothing."""
    response = recover(app.test_client(), via, code, phone)
    assert (response.status_code, said(response)) == (422 if via == "api" else 200, message)
    assert messages(app) == []
    assert attempts(app) == [("127.0.0.1", code, phone[-4:], "invalid")]


@pytest.mark.parametrize("via", VIAS)
def test_no_match_answers_exactly_like_a_match(app: Flask, via: str) -> None:
    """An unknown valid code or a wrong phone gets the very answer of a match, and no SMS."""
    client = app.test_client()
    match = recover(client, via, CODE, CONTACT)
    for code, phone in ((UNKNOWN_CODE, CONTACT), (CODE, "13700000000"), (OTHER_CODE, CONTACT)):
        other = recover(client, via, code, phone)
        assert other.status_code == match.status_code == 200
        assert said(other) == said(match)
        if via == "api":
            assert other.get_data() == match.get_data()
        else:
            assert FLASH.search(other.get_data(as_text=True)) is None
    assert len(messages(app)) == 1
    assert [a[3] for a in attempts(app)] == ["sent", "no_match", "no_match", "no_match"]


def test_every_attempt_is_audited_with_the_phone_tail_only(app: Flask) -> None:
    """sent, no_match, invalid and limited attempts are all recorded, with 4 phone digits."""
    app.config["RECOVERY_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    recover(client, "api", CODE, LEGAL)
    recover(client, "web", UNKNOWN_CODE, "13712345678")
    recover(client, "api", CODE, "139000")
    assert recover(client, "web", CODE, "13698765432").status_code == 200
    assert attempts(app) == [
        ("127.0.0.1", CODE, "0011", "sent"), ("127.0.0.1", UNKNOWN_CODE, "5678", "no_match"),
        ("127.0.0.1", CODE, "9000", "invalid"), ("127.0.0.1", CODE, "5432", "limited")]


def test_temporary_password_leads_every_page_to_the_change(app: Flask) -> None:
    """After a temporary password, every page redirects to 修改密码 until it is changed."""
    web, _ = signed_in_with_temporary(app)
    for path in ("/", "/tasks/", "/supplierselfview/list/", "/profile/userinfo/"):
        response = web.get(path)
        assert (response.status_code, response.headers["Location"]) == (302, "/password/change")
    assert "您使用临时密码登录，请先设置新密码。" in web.get("/password/change").get_data(as_text=True)
    assert account(app).must_change_password is True


@pytest.mark.parametrize(("new", "confirm", "message"), [
    ("abcdefgh", "abcdefgh", POLICY_TEXT),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "两次输入的新密码不一致。"),
])
def test_refused_new_password_changes_nothing(app: Flask, new: str, confirm: str,
                                               message: str) -> None:
    """A weak new password or a mismatched confirmation is refused; nothing changes."""
    web, _ = signed_in_with_temporary(app)
    before = account(app).password
    response = web.submit("/password/change", {"password": new, "confirm": confirm})
    assert response.status_code == 200 and said(response) == message
    after = account(app)
    assert after.password == before and after.must_change_password is True
    assert web.get("/").headers["Location"] == "/password/change"


def test_changed_password_replaces_old_and_temporary(app: Flask) -> None:
    """密码修改成功！; then only the new password signs in (the temporary one is spent)."""
    web, spent = signed_in_with_temporary(app)
    response = web.submit("/password/change", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and said(response) == "密码修改成功！" and "立即登录" in html
    # 立即登录 opens the 供应商 tab, where the supplier signs in.
    assert '<a class="btn btn-primary" id="login-now" href="/login/?who=supplier">立即登录</a>' in html
    fresh = Web(app.test_client())
    for password in (spent, DEMO_PASSWORD):
        assert said(fresh.login(CODE, password)) == INVALID_LOGIN
    response = fresh.login(CODE, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert account(app).must_change_password is False


def test_expired_temporary_password_is_refused(app: Flask) -> None:
    """A temporary password past its expiry no longer signs in."""
    recover(app.test_client(), "web", CODE, CONTACT)
    with database(app) as session:
        session.execute(update(TemporaryPassword).values(expires_on=utcnow() - timedelta(minutes=1)))
        session.commit()
    assert said(Web(app.test_client()).login(CODE, temporary(app))) == INVALID_LOGIN
    assert account(app).must_change_password is False


def test_second_recovery_retires_the_first_password(app: Flask) -> None:
    """A new temporary password replaces the live one, whose SMS is redacted."""
    client = app.test_client()
    recover(client, "api", CODE, CONTACT)
    first = temporary(app)
    recover(client, "web", CODE, LEGAL)
    second, retired = temporary(app), messages(app)[0].body
    assert first != second and first not in retired and "临时密码：******" in retired
    assert said(Web(app.test_client()).login(CODE, first)) == INVALID_LOGIN
    assert Web(app.test_client()).login(CODE, second).headers["Location"] == "/password/change"


def test_old_password_works_until_a_temporary_one_is_used(app: Flask, login_as: Any,
                                                          api_token: Any) -> None:
    """A stranger's recovery request does not lock the supplier out."""
    recover(app.test_client(), "api", CODE, CONTACT)
    assert login_as(CODE).get("/supplierselfview/list/").status_code == 200
    assert api_token(CODE)["Authorization"].startswith("Bearer ")
    assert account(app).must_change_password is False
    with database(app) as session:
        assert session.scalar(select(func.count()).select_from(TemporaryPassword)
                              .where(TemporaryPassword.used_on.is_(None))) == 1


def test_api_login_refuses_temporary_password_and_pending_change(app: Flask) -> None:
    """The REST login takes no temporary password and no account that must change first."""
    client = app.test_client()
    recover(client, "api", CODE, CONTACT)
    login = {"username": CODE, "password": temporary(app), "provider": "db", "refresh": False}
    response = client.post("/api/v1/security/login", json=login)
    assert (response.status_code, response.get_json()) == (401, {"message": INVALID_LOGIN})
    assert Web(app.test_client()).login(CODE, temporary(app)).status_code == 302
    response = client.post("/api/v1/security/login", json={**login, "password": DEMO_PASSWORD})
    assert (response.status_code, said(response)) == (401, "请先在网页登录并修改密码。")


def test_api_password_change_with_temporary_password(app: Flask, api_token: Any) -> None:
    """/api/v1/account/password sets the new password with the temporary one, once."""
    client = app.test_client()
    recover(client, "api", CODE, CONTACT)
    body = {"username": CODE, "password": temporary(app), "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD}
    response = client.post("/api/v1/account/password", json=body)
    assert response.status_code == 200 and response.get_json() == {"message": "密码修改成功！"}
    assert api_token(CODE, NEW_PASSWORD)
    again = client.post("/api/v1/account/password", json=body)
    assert again.status_code == 401 and again.get_json() == {"message": INVALID_LOGIN}


def test_api_refused_new_password_keeps_temporary_password(app: Flask) -> None:
    """A weak new password over the API leaves the temporary password usable for a retry."""
    client = app.test_client()
    recover(client, "api", CODE, CONTACT)
    body = {"username": CODE, "password": temporary(app), "new_password": "abcdefgh",
            "confirm": "abcdefgh"}
    response = client.post("/api/v1/account/password", json=body)
    refusal = response.get_json()
    assert response.status_code == 422 and (refusal["code"], refusal["message"]) == (
        "invalid", POLICY_TEXT)
    retry = client.post("/api/v1/account/password",
                        json={**body, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert retry.status_code == 200


@pytest.mark.parametrize("via", VIAS)
def test_recovery_is_limited_per_client(app: Flask, via: str) -> None:
    """Over RECOVERY_RATE_LIMIT one client is refused; another address still passes."""
    app.config["RECOVERY_RATE_LIMIT"] = "2 per minute"
    client = app.test_client()
    for _ in range(2):
        assert said(recover(client, via, UNKNOWN_CODE, CONTACT)) == answer(app)
    response = recover(client, via, CODE, CONTACT)
    assert (response.status_code, said(response)) == (429 if via == "api" else 200, TOO_MANY)
    assert messages(app) == []
    assert said(recover(client, via, CODE, CONTACT, addr="10.0.0.9")) == answer(app)
    assert [a[3] for a in attempts(app)] == ["no_match", "no_match", "limited", "sent"]


def test_strangers_cannot_spend_a_suppliers_recoveries(app: Flask) -> None:
    """Three strangers (other clients, wrong phones) ask for the supplier's code: the supplier
    still recovers its account (there is no per-code limit to exhaust)."""
    client = app.test_client()
    for n in (1, 2, 3):
        stranger = recover(client, "api", CODE, f"1370000000{n}", addr=f"10.0.0.{n}")
        assert (stranger.status_code, said(stranger)) == (200, answer(app))
    for via in VIAS:
        owner = recover(client, via, CODE, CONTACT, addr="10.0.0.9")
        assert (owner.status_code, said(owner)) == (200, answer(app))
    assert [m.phone for m in messages(app)] == [CONTACT, CONTACT]
    assert [a[3] for a in attempts(app)] == ["no_match"] * 3 + ["sent", "sent"]


@pytest.mark.parametrize("via", VIAS)
def test_a_phones_sms_budget_answers_like_any_request(app: Flask, via: str) -> None:
    """Over RECOVERY_PHONE_RATE_LIMIT (counted when code and phone match) no SMS goes, with
    the very answer of a sent one; the other registered phone still receives its SMS."""
    app.config["RECOVERY_PHONE_RATE_LIMIT"] = "2 per hour"
    client = app.test_client()
    sent = [recover(client, via, code, CONTACT, addr=f"10.0.0.{n}")
            for n, code in enumerate((CODE, "9141-0100 MA440A1B2D"), start=1)]
    spent = recover(client, via, CODE.lower(), CONTACT, addr="10.0.0.3")
    assert spent.status_code == sent[0].status_code == 200
    assert said(spent) == said(sent[0]) == answer(app)
    if via == "api":
        assert spent.get_data() == sent[0].get_data()
    assert [m.phone for m in messages(app)] == [CONTACT, CONTACT]
    assert said(recover(client, via, CODE, LEGAL, addr="10.0.0.4")) == answer(app)
    assert [m.phone for m in messages(app)] == [CONTACT, CONTACT, LEGAL]
    assert [a[3] for a in attempts(app)] == ["sent", "sent", "sms_limited", "sent"]
    # Requests that match nothing do not spend the budget of the phone they name.
    app.config["RECOVERY_PHONE_RATE_LIMIT"] = "1 per hour"
    for n in (5, 6):
        recover(client, via, UNKNOWN_CODE, OTHER_PHONE, addr=f"10.0.0.{n}")
    assert said(recover(client, via, OTHER_CODE, OTHER_PHONE, addr="10.0.0.7")) == answer(app)
    assert messages(app)[-1].phone == OTHER_PHONE
