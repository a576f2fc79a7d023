"""Sign-in security: failures lock one client out of one account, never the owner; attacks from
many clients slow an account down; the owner is told; the per-client limit; the login tabs."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import app.ratelimit as ratelimit
from app.extensions import db
from models import Operator, SmsMessage
from tests.conftest import DEMO_PASSWORD, RELAXED_LIMITS, Web

CODE, PHONE = "91410100MA440A1B2D", "13900000001"
UNKNOWN = "91410100MA440A1B2X"  # spelled like a credit code, but no such account
INVALID_LOGIN = "用户名或密码错误。"
TOO_MANY = "操作过于频繁，请稍后再试。"
FLASH = re.compile(r'<div class="alert alert-\w+">\s*<button[^>]*>&times;</button>\s*(.*?)\s*</div>', re.S)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def locked_message(app: Flask, supplier: bool = True) -> str:
    """The lock message for a name written like a supplier's (with 找回密码), or any other."""
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    if supplier:
        return f"登录失败次数过多，请{minutes}分钟后再试或通过“找回密码”重置。"
    return f"登录失败次数过多，请{minutes}分钟后再试，或请本单位管理员重置密码。"


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


def at(app: Flask, address: str) -> FlaskClient:
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


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


def lock_out(client: FlaskClient, username: str, via: str = "web") -> list[tuple[int, str]]:
    """LOGIN_MAX_FAILURES (5) wrong passwords from ``client``; their answers."""
    return [attempt(client, via, username, "Wrong#2026") for _ in range(5)]


def flashes(web: Web, path: str = "/") -> list[str]:
    return [m.strip() for m in FLASH.findall(web.get(path).get_data(as_text=True))]


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
def test_failures_lock_out_that_client_only(app: Flask, via: str) -> None:
    """Five wrong passwords from one client: that client is refused the right one for
    LOGIN_LOCK_MINUTES; the owner signs in from another client, on the page and the API."""
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    attacker = at(app, "10.0.0.66")
    if via == "mixed":
        for channel in ["web", "api", "password-api", "web", "api"]:
            assert attempt(attacker, channel, CODE, "Wrong#2026")[0] in (200, 401)
    else:
        assert {status for status, _ in lock_out(attacker, CODE, via)} <= {200, 401}
    assert attempt(attacker, "web", CODE, DEMO_PASSWORD) == (200, locked_message(app))
    assert attempt(attacker, "api", CODE, DEMO_PASSWORD) == (401, locked_message(app))
    assert attempt(attacker, "password-api", CODE, DEMO_PASSWORD) == (401, locked_message(app))
    owner = at(app, "10.0.0.7")
    assert attempt(owner, "api", CODE, DEMO_PASSWORD)[0] == 200
    assert attempt(owner, "web", CODE, DEMO_PASSWORD) == (302, "")
    # Other accounts are not locked for the attacker's address either.
    assert attempt(attacker, "web", "zz_clerk", DEMO_PASSWORD) == (302, "")


def test_the_lock_ends_after_the_lock_minutes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The locked client signs in again once LOGIN_LOCK_MINUTES have passed."""
    client = at(app, "10.0.0.67")
    lock_out(client, "zz_clerk")
    assert attempt(client, "web", "zz_clerk", DEMO_PASSWORD) == (
        200, locked_message(app, supplier=False))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 14 * 60)
    assert attempt(client, "web", "zz_clerk", DEMO_PASSWORD) == (
        200, "登录失败次数过多，请1分钟后再试，或请本单位管理员重置密码。")
    monkeypatch.setattr(time, "time", lambda: real() + 15 * 60 + 1)
    assert attempt(client, "web", "zz_clerk", DEMO_PASSWORD) == (302, "")


@pytest.mark.parametrize("via", ["web", "api"])
def test_an_unknown_name_answers_like_an_account(app: Flask, via: str) -> None:
    """The same answers, in the same order, for an unknown name and an account under attack
    (the lock message depends on how the name is written: a supplier's has 找回密码)."""
    answers = {}
    for n, name in enumerate((CODE, UNKNOWN, "zz_clerk", "nobody_here")):
        client = at(app, f"10.0.1.{n + 1}")
        answers[name] = [*lock_out(client, name, via),
                         attempt(client, via, name, DEMO_PASSWORD),
                         attempt(client, via, name, "Wrong#2026")]
    assert answers[CODE] == answers[UNKNOWN]
    assert answers["zz_clerk"] == answers["nobody_here"]
    fail = (200, INVALID_LOGIN) if via == "web" else (401, INVALID_LOGIN)
    locked = (fail[0], locked_message(app))
    assert answers[CODE] == [fail] * 5 + [locked, locked]
    buyer_locked = (fail[0], locked_message(app, supplier=False))
    assert answers["zz_clerk"] == [fail] * 5 + [buyer_locked, buyer_locked]


def test_lockout_holds_when_signing_in_by_email(app: Flask) -> None:
    """Only the login account signs in: the e-mail (which would sidestep the counts) is refused."""
    client = app.test_client()
    email = operator(app, CODE).email
    assert attempt(client, "web", email, DEMO_PASSWORD) == (200, "用户名或密码错误。")
    lock_out(client, CODE)
    assert attempt(client, "web", email, DEMO_PASSWORD) == (200, "用户名或密码错误。")
    assert attempt(client, "web", CODE, DEMO_PASSWORD) == (200, locked_message(app))


def unlock(web: Web, view: str, pk: int) -> Any:
    return web.client.post(f"/{view}/action/unlock/{pk}", follow_redirects=True,
                           data={"csrf_token": web.token("/profile/edit/form")})


def test_unit_admin_unlocks_an_operator(app: Flask, login_as: Callable[..., Web]) -> None:
    """操作人员管理 → 解除锁定 raises login_epoch: the locked client signs in at once."""
    client = at(app, "10.0.0.68")
    lock_out(client, "zz_clerk")
    clerk = operator(app, "zz_clerk")
    page = unlock(login_as("zz_unitadmin"), "operatorview", clerk.id)
    assert "已解除“" in page.get_data(as_text=True) and "的登录锁定。" in page.get_data(as_text=True)
    assert operator(app, "zz_clerk").login_epoch == clerk.login_epoch + 1
    assert attempt(client, "web", "zz_clerk", DEMO_PASSWORD) == (302, "")


def test_unlock_is_scoped_and_the_admin_unlocks_anyone(app: Flask,
                                                       login_as: Callable[..., Web]) -> None:
    """Another unit's administrator gets 404 and changes nothing; 全部人员 unlocks anyone."""
    client = at(app, "10.0.0.69")
    lock_out(client, "sj_clerk")
    target = operator(app, "sj_clerk")
    assert unlock(login_as("zz_unitadmin"), "operatorview", target.id).status_code == 404
    assert operator(app, "sj_clerk").login_epoch == target.login_epoch
    assert attempt(client, "web", "sj_clerk", DEMO_PASSWORD) == (
        200, locked_message(app, supplier=False))
    assert unlock(login_as("admin"), "adminoperatorview", target.id).status_code == 200
    assert attempt(client, "web", "sj_clerk", DEMO_PASSWORD) == (302, "")


def test_many_clients_slow_an_account_down(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past LOGIN_DELAY_AFTER failures from all clients every answer waits, doubling up to
    LOGIN_DELAY_MAX; nobody is locked out, and the owner still signs in (after the wait)."""
    for key, value in (("LOGIN_DELAY_AFTER", 3), ("LOGIN_DELAY_SECONDS", 0.01),
                       ("LOGIN_DELAY_MAX", 0.04)):
        monkeypatch.setitem(app.config, key, value)
    waited: list[float] = []
    monkeypatch.setattr(ratelimit, "wait", waited.append)
    for n in range(7):
        assert attempt(at(app, f"10.0.2.{n}"), "api", CODE, "Wrong#2026") == (401, INVALID_LOGIN)
    assert waited == [0.01, 0.02, 0.04, 0.04]
    assert attempt(at(app, "10.0.2.99"), "api", CODE, DEMO_PASSWORD)[0] == 200
    assert waited[-1] == 0.04
    waited.clear()
    # Another account is not slowed.
    assert attempt(at(app, "10.0.2.99"), "api", "zz_clerk", DEMO_PASSWORD)[0] == 200
    assert waited == []


def test_the_owner_is_told_of_failed_attempts(app: Flask) -> None:
    """At the next web sign-in: how many failures and when the last was; then no more. A REST
    sign-in in between leaves the count for the web login to tell."""
    for n in range(2):
        attempt(at(app, f"10.0.3.{n}"), "web", CODE, "Wrong#2026")
    assert attempt(at(app, "10.0.3.9"), "api", CODE, DEMO_PASSWORD)[0] == 200
    attempt(at(app, "10.0.3.2"), "api", CODE, "Wrong#2026")
    last = operator(app, CODE).last_failed_login
    assert last is not None
    web = Web(at(app, "10.0.3.10"))
    assert web.login(CODE).status_code == 302
    [notice] = flashes(web)
    assert re.fullmatch(r"自上次登录以来，您的账号有3次登录失败，最近一次在\d{4}-\d\d-\d\d \d\d:\d\d；"
                        r"如非本人操作，请及时修改密码。", notice), notice
    assert operator(app, CODE).fail_login_count == 0
    again = Web(at(app, "10.0.3.10"))
    assert again.login(CODE).status_code == 302
    assert flashes(again) == []


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
    assert attempt(at(app, "10.0.0.8"), "web", "zz_clerk", DEMO_PASSWORD) == (302, "")


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


def test_recovery_ends_a_lockout(app: Flask) -> None:
    """A locked-out client signs in with the temporary password the lock message offers, and
    after the forced change with the new password."""
    client = app.test_client()
    lock_out(client, CODE)
    client.post("/api/v1/account/recover", json={"credit_code": CODE, "phone": PHONE},
                buffered=True)
    with database(app) as session:
        body = session.scalar(select(SmsMessage.body))
    found = re.search(r"临时密码：(\w+)", body or "")
    assert found
    web = Web(app.test_client())
    response = web.login(CODE, found.group(1))
    assert response.headers.get("Location") == "/password/change"
    changed = web.submit("/password/change", {"password": "Fresh#2026", "confirm": "Fresh#2026"})
    assert changed.status_code == 200
    assert attempt(app.test_client(), "web", CODE, "Fresh#2026") == (302, "")


@pytest.fixture
def redis_apps(app: Flask, database: Any, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    """Two deployments (key prefixes of this run) on one Redis and the test database."""
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        server.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")
    from app import create_app

    run = uuid.uuid4().hex[:10]
    prefixes = [f"test-{run}-a", f"test-{run}-b"]
    made = [create_app({
        "SQLALCHEMY_DATABASE_URI": database.url, "TESTING": True,
        "SECRET_KEY": app.config["SECRET_KEY"], "UPLOAD_FOLDER": str(tmp_path),
        "SERVER_NAME": "localhost", **RELAXED_LIMITS, "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix}) for prefix in prefixes]
    try:
        yield made[0], made[1]
    finally:
        for other in made:
            with other.app_context():
                db.session.remove()
                db.engine.dispose()
        for prefix in prefixes:
            for key in server.scan_iter(match=f"*{prefix}*"):
                server.delete(key)
        server.close()


def test_two_prefixes_on_one_redis_count_apart(redis_apps: tuple[Flask, Flask]) -> None:
    """A client locked out (and rate-limited) in one deployment is neither in the other,
    although both count in the same Redis; the keys carry their deployment's prefix."""
    first, second = redis_apps
    client_a, client_b = at(first, "10.0.4.1"), at(second, "10.0.4.1")
    lock_out(client_a, "zz_clerk", "api")
    assert attempt(client_a, "api", "zz_clerk", DEMO_PASSWORD) == (401, locked_message(first, supplier=False))
    assert attempt(client_b, "api", "zz_clerk", DEMO_PASSWORD)[0] == 200
    # A limit of its own (its key names the amount): one sign-in per client and deployment.
    first.config["LOGIN_RATE_LIMIT"] = second.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    assert attempt(client_a, "api", "zz_clerk", DEMO_PASSWORD) == (401, locked_message(first, supplier=False))
    assert attempt(client_a, "api", "zz_clerk", DEMO_PASSWORD) == (429, TOO_MANY)
    assert attempt(client_b, "api", "zz_clerk", DEMO_PASSWORD)[0] == 200
    import redis

    server = redis.Redis.from_url(REDIS_URL)
    keys = [key.decode() for key in server.scan_iter(match="*10.0.4.1*")]
    server.close()
    assert keys and all(first.config["RATELIMIT_KEY_PREFIX"] in key
                        or second.config["RATELIMIT_KEY_PREFIX"] in key for key in keys)
