"""Sessions and tokens that end: a password change or reset, deactivation and logout end every
session cookie, access token and refresh token issued before (issue 14)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from sqlalchemy import select

from app.credentials import SESSION_ENDED, TOKEN_EXPIRED, TOKEN_INVALID
from app.extensions import db
from app.services.accounts import WRONG_CURRENT_PASSWORD
from models import Operator
from tests.conftest import DEMO_PASSWORD, Web

NEW_PASSWORD = "Fresh#2026"
PAGE = "/profile/userinfo/"
API = "/api/v1/intention/"


class Tokens:
    """An access and a refresh token of one sign-in through ``/api/v1/security/login``."""

    def __init__(self, client: FlaskClient, username: str, password: str = DEMO_PASSWORD
                 ) -> None:
        answer = client.post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db", "refresh": True})
        assert answer.status_code == 200, answer.get_json()
        self.client = client
        self.access = answer.get_json()["access_token"]
        self.refresh = answer.get_json()["refresh_token"]

    def call(self) -> Any:
        return self.client.get(API, headers={"Authorization": f"Bearer {self.access}"})

    def renew(self) -> Any:
        return self.client.post("/api/v1/security/refresh",
                                headers={"Authorization": f"Bearer {self.refresh}"})


def signed_in(web: Web | FlaskClient) -> bool:
    """Whether the browser still opens a page that needs a signed-in person."""
    answer = web.get(PAGE)
    if answer.status_code == 200:
        return True
    assert answer.status_code == 302 and "/login" in answer.headers["Location"], \
        answer.status_code
    return False


def refusal(message: str) -> dict[str, object]:
    """The body of a refused token: the shape of every REST error."""
    return {"code": "unauthorized", "message": message, "field": None}


def ended(tokens: Tokens) -> None:
    """Both tokens answer 401 with the Chinese explanation."""
    for answer in (tokens.call(), tokens.renew()):
        assert answer.status_code == 401
        assert answer.get_json() == refusal(SESSION_ENDED)


def alive(tokens: Tokens) -> None:
    assert tokens.call().status_code == 200
    renewed = tokens.renew()
    assert renewed.status_code == 200, renewed.get_json()
    again = tokens.client.get(API, headers={
        "Authorization": f"Bearer {renewed.get_json()['access_token']}"})
    assert again.status_code == 200


def copy_of(app: Flask, web: Web) -> FlaskClient:
    """Another client carrying a copy of ``web``'s session cookie."""
    cookie = web.client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def operator_id(app: Flask, username: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(Operator.id).where(Operator.username == username))
        assert found is not None
        return found


def can_log_in(app: Flask, username: str, password: str) -> bool:
    answer = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"})
    return answer.status_code == 200


@pytest.fixture
def clerk(app: Flask, client: FlaskClient, login_as: Callable[..., Web]
          ) -> tuple[Web, Web, FlaskClient, Tokens]:
    """zz_clerk signed in twice in browsers, once more in a copied cookie, and by JWT."""
    first, second = login_as("zz_clerk"), login_as("zz_clerk")
    tokens = Tokens(client, "zz_clerk")
    copied = copy_of(app, first)
    assert signed_in(first) and signed_in(second) and signed_in(copied)
    alive(tokens)
    return first, second, copied, tokens


def test_own_password_change_ends_the_other_sessions_only(
        app: Flask, clerk: tuple[Web, Web, FlaskClient, Tokens]) -> None:
    first, second, copied, tokens = clerk
    changed = first.submit("/resetmypassword/form", {
        "current_password": DEMO_PASSWORD, "password": NEW_PASSWORD,
        "conf_password": NEW_PASSWORD}, follow=True)
    assert "本浏览器保持登录" in changed.get_data(as_text=True)
    assert signed_in(first)
    assert not signed_in(second)
    # Even a copy of the changing browser's own cookie, taken before, is refused.
    assert not signed_in(copied)
    ended(tokens)
    assert not can_log_in(app, "zz_clerk", DEMO_PASSWORD)
    alive(Tokens(app.test_client(), "zz_clerk", NEW_PASSWORD))


def test_wrong_current_password_changes_nothing(
        app: Flask, clerk: tuple[Web, Web, FlaskClient, Tokens]) -> None:
    first, second, copied, tokens = clerk
    refused = first.submit("/resetmypassword/form", {
        "current_password": "Wrong#2026", "password": NEW_PASSWORD,
        "conf_password": NEW_PASSWORD}, follow=True)
    assert WRONG_CURRENT_PASSWORD in refused.get_data(as_text=True)
    form = first.get("/resetmypassword/form").get_data(as_text=True)
    assert "当前密码" in form
    assert form.index("当前密码") < form.index("新密码")
    assert can_log_in(app, "zz_clerk", DEMO_PASSWORD)
    assert not can_log_in(app, "zz_clerk", NEW_PASSWORD)
    assert signed_in(first) and signed_in(second) and signed_in(copied)
    alive(tokens)


def test_rest_password_change_ends_sessions_and_tokens(
        app: Flask, client: FlaskClient, clerk: tuple[Web, Web, FlaskClient, Tokens]) -> None:
    first, second, _copied, tokens = clerk
    answer = client.post("/api/v1/account/password", json={
        "username": "zz_clerk", "password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    assert not signed_in(first) and not signed_in(second)
    ended(tokens)


def test_administrator_reset_ends_sessions_and_tokens(
        app: Flask, login_as: Callable[..., Web],
        clerk: tuple[Web, Web, FlaskClient, Tokens]) -> None:
    first, second, copied, tokens = clerk
    admin = login_as("zz_unitadmin")
    pk = operator_id(app, "zz_clerk")
    done = admin.submit(f"/operatorview/resetpassword/{pk}", {
        "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}, follow=True)
    assert "已重置" in done.get_data(as_text=True)
    assert not signed_in(first) and not signed_in(second) and not signed_in(copied)
    ended(tokens)
    assert signed_in(admin)
    alive(Tokens(app.test_client(), "zz_clerk", NEW_PASSWORD))


def test_deactivation_ends_sessions_and_tokens_for_good(
        app: Flask, client: FlaskClient, api_token: Callable[[str], dict[str, str]],
        clerk: tuple[Web, Web, FlaskClient, Tokens]) -> None:
    first, second, _copied, tokens = clerk
    admin = api_token("zz_unitadmin")
    pk = operator_id(app, "zz_clerk")
    off = client.put(f"/api/v1/operator/{pk}", json={"active": False}, headers=admin)
    assert off.status_code == 200, off.get_json()
    assert not signed_in(first) and not signed_in(second)
    ended(tokens)
    # Switched on again, the account signs in anew; what was issued before stays ended.
    on = client.put(f"/api/v1/operator/{pk}", json={"active": True}, headers=admin)
    assert on.status_code == 200, on.get_json()
    assert not signed_in(first)
    ended(tokens)
    alive(Tokens(app.test_client(), "zz_clerk"))


def test_logout_ends_copied_cookies_and_tokens(
        app: Flask, login_as: Callable[..., Web],
        clerk: tuple[Web, Web, FlaskClient, Tokens]) -> None:
    first, second, copied, tokens = clerk
    first.get("/logout/")
    assert not signed_in(first)
    assert not signed_in(copied)
    assert not signed_in(second)
    ended(tokens)
    fresh = login_as("zz_clerk")
    assert signed_in(fresh)


def test_cli_password_reset_ends_sessions(
        app: Flask, clerk: tuple[Web, Web, FlaskClient, Tokens]) -> None:
    first, _second, _copied, tokens = clerk
    from flask_appbuilder.cli import reset_password

    # FAB's command group comes from an entry point the test runner does not load.
    result = app.test_cli_runner().invoke(reset_password, [
        "--username", "zz_clerk", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert not signed_in(first)
    ended(tokens)
    assert can_log_in(app, "zz_clerk", NEW_PASSWORD)


@pytest.mark.parametrize("value", [
    "abc", "1:x", "99999999999999999999:0", "1:99999999999999999999", "2147483648:0", ":",
    "", "1:", ":0", "-1:0", "1:-1", "1:0:0", " 1:0", "١:٠", "999999:0",
])
def test_malformed_session_identity_signs_nobody_in(app: Flask, client: FlaskClient,
                                                    value: str) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = value
        session["_fresh"] = True
    assert not signed_in(client)
    assert client.get("/").status_code < 500


def test_old_style_identities_are_refused(app: Flask, client: FlaskClient) -> None:
    """Sessions and tokens issued before versions existed carry the bare id."""
    pk = operator_id(app, "zz_clerk")
    with client.session_transaction() as session:
        session["_user_id"] = str(pk)
    assert not signed_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{pk}:0"
    assert signed_in(client)
    with app.app_context():
        bare = create_access_token(identity=str(pk))
    answer = client.get(API, headers={"Authorization": f"Bearer {bare}"})
    assert answer.status_code == 401 and answer.get_json() == refusal(SESSION_ENDED)


def test_refused_tokens_are_explained_in_chinese(app: Flask, client: FlaskClient) -> None:
    pk = operator_id(app, "zz_clerk")
    with app.app_context():
        expired = create_access_token(identity=f"{pk}:0", expires_delta=timedelta(seconds=-5))
    cases = {
        "Bearer not-a-token": TOKEN_INVALID,
        f"Bearer {expired}": TOKEN_EXPIRED,
        "Basic abc": "请先登录。",
    }
    for header, message in cases.items():
        answer = client.get(API, headers={"Authorization": header})
        assert answer.status_code == 401, header
        assert answer.get_json() == refusal(message), header
    access = Tokens(client, "zz_clerk").access
    # An access token where a refresh token belongs.
    wrong = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {access}"})
    assert wrong.status_code == 401 and wrong.get_json() == refusal(TOKEN_INVALID)
    missing = client.get(API)
    assert missing.status_code == 401 and missing.get_json() == refusal("请先登录。")
