"""Sign-in security: lockout after repeated failures, the per-client limit, the login tabs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.timezone import utcnow
from models import Operator, SmsMessage
from tests.conftest import DEMO_PASSWORD, Web

CODE, PHONE = "91410100MA440A1B2D", "13900000001"
INVALID_LOGIN = "用户名或密码错误。"
TOO_MANY = "操作过于频繁，请稍后再试。"
FLASH = re.compile(r'<div class="alert alert-\w+">\s*<button[^>]*>&times;</button>\s*(.*?)\s*</div>', re.S)


def locked_message(app: Flask) -> str:
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    return f"登录失败次数过多，账号已暂时锁定，请{minutes}分钟后再试或找回密码。"


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    """A session in an application context of its own."""
    with app.app_context():
        yield db.session


def operator(app: Flask, username: str) -> Operator:
    with database(app) as session:
        user = session.scalar(select(Operator).where(Operator.username == username))
        session.expunge(user)
        return user


def attempt(client: FlaskClient, via: str, username: str, password: str) -> tuple[int, str]:
    """One sign-in through the page, the REST login or the REST password change.

    :returns: the status and the refusal message ("" on a web success)
    """
    if via == "web":
        response = Web(client).login(username, password)
        found = FLASH.search(response.get_data(as_text=True))
        return response.status_code, found.group(1).strip() if found else ""
    if via == "api":
        response = client.post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db", "refresh": False})
    else:
        response = client.post("/api/v1/account/password", json={
            "username": username, "password": password, "new_password": "Fresh#2026",
            "confirm": "Fresh#2026"})
    return response.status_code, (response.get_json() or {}).get("message", "")


def test_wrong_password_is_refused_in_chinese(client: FlaskClient) -> None:
    """A wrong password or an unknown user answers 用户名或密码错误。 on the page and the API."""
    for username in ("zz_clerk", "nobody_here", CODE):
        assert attempt(client, "web", username, "Wrong#2026") == (200, INVALID_LOGIN)
        assert attempt(client, "api", username, "Wrong#2026") == (401, INVALID_LOGIN)


def test_failures_below_the_limit_do_not_lock(app: Flask, client: FlaskClient) -> None:
    """LOGIN_MAX_FAILURES - 1 failures, then the right password works and resets the count."""
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        attempt(client, "web", "zz_clerk", "Wrong#2026")
    assert operator(app, "zz_clerk").fail_login_count == app.config["LOGIN_MAX_FAILURES"] - 1
    assert attempt(client, "web", "zz_clerk", DEMO_PASSWORD) == (302, "")
    assert operator(app, "zz_clerk").fail_login_count == 0


@pytest.mark.parametrize("via", ["web", "api", "password-api", "mixed"])
def test_repeated_failures_lock_the_account(app: Flask, via: str) -> None:
    """LOGIN_MAX_FAILURES wrong passwords lock: the right one is refused until locked_until."""
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    client = app.test_client()
    channels = ["web", "api", "password-api", "web", "api"] if via == "mixed" else [via] * 5
    for channel in channels:
        assert attempt(client, channel, CODE, "Wrong#2026")[0] in (200, 401)
    user = operator(app, CODE)
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    assert user.locked_until is not None
    assert timedelta(minutes=minutes - 1) < user.locked_until - utcnow() <= timedelta(minutes=minutes)
    assert attempt(client, "web", CODE, DEMO_PASSWORD) == (200, locked_message(app))
    assert attempt(client, "api", CODE, DEMO_PASSWORD) == (401, locked_message(app))
    with database(app) as session:
        session.execute(update(Operator).where(Operator.username == CODE)
                        .values(locked_until=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert attempt(client, "api", CODE, DEMO_PASSWORD)[0] == 200
    assert attempt(client, "web", CODE, DEMO_PASSWORD) == (302, "")


def test_login_is_limited_per_client(app: Flask) -> None:
    """Over LOGIN_RATE_LIMIT one address is refused on the page and the API; others are not."""
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    for _ in range(3):
        assert attempt(client, "web", "zz_clerk", "Wrong#2026") == (200, INVALID_LOGIN)
    assert attempt(client, "web", "zz_clerk", DEMO_PASSWORD) == (200, TOO_MANY)
    assert attempt(client, "api", "zz_clerk", DEMO_PASSWORD) == (429, TOO_MANY)
    assert attempt(client, "password-api", "zz_clerk", DEMO_PASSWORD) == (429, TOO_MANY)
    assert operator(app, "zz_clerk").fail_login_count == 3
    response = client.post("/api/v1/security/login", environ_base={"REMOTE_ADDR": "10.0.0.7"},
                           json={"username": "zz_clerk", "password": DEMO_PASSWORD,
                                 "provider": "db", "refresh": False})
    assert response.status_code == 200 and "access_token" in response.get_json()
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.8"
    assert attempt(other, "web", "zz_clerk", DEMO_PASSWORD) == (302, "")


def test_supplier_tab_links_to_recovery_and_registration(client: FlaskClient) -> None:
    """The 供应商 tab offers 找回密码 and 供应商注册; the default tab offers 采购人注册."""
    supplier = client.get("/login/?who=supplier").get_data(as_text=True)
    assert re.search(r'<a id="recover-link" href="/recover/">找回密码</a>', supplier)
    assert re.search(r'<a id="supplier-register-link" href="/register/supplier/">供应商注册</a>',
                     supplier)
    assert "供应商登录" in supplier and "采购人注册" not in supplier
    default = client.get("/login/").get_data(as_text=True)
    assert re.search(r'<a id="unit-register-link" href="[^"]+">采购人注册</a>', default)
    assert "找回密码" not in default and "供应商注册" not in default


def test_lockout_holds_when_signing_in_by_email(app: Flask) -> None:
    """Only the login account signs in: the e-mail (which would sidestep the lockout) is refused."""
    client = app.test_client()
    email = operator(app, CODE).email
    assert attempt(client, "web", email, DEMO_PASSWORD) == (200, "用户名或密码错误。")
    for _ in range(5):
        attempt(client, "web", CODE, "Wrong#2026")
    assert attempt(client, "web", email, DEMO_PASSWORD) == (200, "用户名或密码错误。")
    assert attempt(client, "web", CODE, DEMO_PASSWORD) == (200, locked_message(app))


def test_recovery_ends_a_lockout(app: Flask) -> None:
    """A locked supplier can sign in with the temporary password the lockout message offers."""
    client = app.test_client()
    for _ in range(5):
        attempt(client, "web", CODE, "Wrong#2026")
    client.post("/api/v1/account/recover", json={"credit_code": CODE, "phone": PHONE},
                buffered=True)
    with database(app) as session:
        body = session.scalar(select(SmsMessage.body))
    found = re.search(r"临时密码：(\w+)", body or "")
    assert found
    response = Web(app.test_client()).login(CODE, found.group(1))
    assert response.headers.get("Location") == "/password/change"
