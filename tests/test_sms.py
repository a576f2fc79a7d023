"""短信: queue_sms/deliver_sms with no gateway, a fake HTTP gateway, redaction and the records."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.services.accounts import expire_temporary_passwords
from app.services.sms import HttpSmsGateway, deliver_sms, queue_sms
from app.timezone import utcnow
from app.transaction import run_each, unit_of_work
from models import Operator, SmsMessage, TemporaryPassword
from tests.conftest import Web

CODE, PHONE = "91410100MA440A1B2D", "13900000001"
SECRET = "Abc123defG"
TEXT = f"【河南省政府采购网】您的用户名：{CODE}，临时密码：{SECRET}，30分钟内有效。"
REDACTED = TEXT.replace(SECRET, "******")
TOKEN = "gateway-token-123"
TEMP = re.compile(r"临时密码：(\w+)")


@dataclass
class FakeGateway:
    """A local HTTP SMS gateway that records each request and answers ``status``."""

    url: str
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.received.append({"json": json.loads(body), "path": self.path,
                                  "auth": self.headers["Authorization"],
                                  "type": self.headers["Content-Type"]})
            self.send_response(fake.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(5)


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    """A session in an application context of its own."""
    with app.app_context():
        yield db.session


def queued(session: Session) -> SmsMessage:
    message = queue_sms(session, PHONE, "password_recovery", TEXT, secret=SECRET)
    session.commit()
    return message


def bodies(app: Flask) -> list[str]:
    with database(app) as session:
        return list(session.scalars(select(SmsMessage.body).order_by(SmsMessage.id)))


def recover(app: Flask) -> str:
    """找回密码 for 河南中原建设工程有限公司 over the API; returns the temporary password."""
    response = app.test_client().post("/api/v1/account/recover",
                                      json={"credit_code": CODE, "phone": PHONE}, buffered=True)
    assert response.status_code == 200
    match = TEMP.search(bodies(app)[-1])
    assert match
    return match.group(1)


def test_without_gateway_messages_are_kept_for_the_administrator(
        app: Flask, login_as: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No SMS_GATEWAY_URL: due messages become kept and stay readable in 短信记录."""
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", "")
    with database(app) as session:
        message = queued(session)
        assert message.status == "pending"
        assert run_each(deliver_sms(session), session) == (0, 0)
        assert (message.status, message.body, message.attempts) == ("kept", TEXT, 0)
        assert message.last_error == "未配置短信网关（SMS_GATEWAY_URL），短信保存在短信记录中。"
    page = login_as("admin").get("/smsmessageview/list/").get_data(as_text=True)
    assert TEXT in page and "已保存（未配置短信网关）" in page


def test_gateway_receives_json_and_bearer_token_then_body_is_redacted(
        app: Flask, gateway: FakeGateway) -> None:
    """The gateway gets {"phone", "text"} with the token; the delivered row keeps ******."""
    with database(app) as session:
        message, now = queued(session), utcnow()
        sent = deliver_sms(session, HttpSmsGateway(gateway.url, TOKEN), now=now)
        assert run_each(sent, session) == (1, 0)
        assert (message.status, message.body, message.last_error) == ("delivered", REDACTED, "")
        assert message.delivered_on == now
        assert run_each(deliver_sms(session, HttpSmsGateway(gateway.url, TOKEN)), session) == (0, 0)
    assert gateway.received == [{"json": {"phone": PHONE, "text": TEXT}, "path": "/sms",
                                 "auth": f"Bearer {TOKEN}", "type": "application/json"}]


def test_configured_gateway_sends_after_the_recovery_answer(
        app: Flask, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    """With SMS_GATEWAY_URL set, the 找回密码 SMS leaves after the answer and is redacted."""
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", gateway.url)
    monkeypatch.setitem(app.config, "SMS_GATEWAY_TOKEN", TOKEN)
    app.test_client().post("/api/v1/account/recover", json={"credit_code": CODE, "phone": PHONE},
                           buffered=True)
    [sent] = gateway.received
    assert sent["auth"] == f"Bearer {TOKEN}" and sent["json"]["phone"] == PHONE
    password = TEMP.search(sent["json"]["text"])
    assert password and len(password.group(1)) == 10
    assert bodies(app) == [sent["json"]["text"].replace(password.group(1), "******")]
    login = Web(app.test_client()).login(CODE, password.group(1))
    assert login.headers["Location"] == "/password/change"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/sms"


@pytest.mark.parametrize("failure", ["http-500", "closed-port"])
def test_failing_gateway_leaves_message_pending_until_its_next_attempt(
        app: Flask, gateway: FakeGateway, failure: str) -> None:
    """A failure counts an attempt, notes the error and waits before the retry."""
    gateway.status = 500
    url = gateway.url if failure == "http-500" else closed_port_url()
    sender = HttpSmsGateway(url, TOKEN, timeout=5)
    with database(app) as session:
        message, now = queued(session), utcnow()
        assert run_each(deliver_sms(session, sender, now=now), session) == (0, 1)
        assert (message.status, message.attempts, message.body) == ("pending", 1, TEXT)
        assert message.last_error and message.delivered_on is None
        if failure == "http-500":
            assert "500" in message.last_error
        assert message.next_attempt_on == now + timedelta(minutes=2)
        early = now + timedelta(seconds=119)
        assert run_each(deliver_sms(session, sender, now=early), session) == (0, 0)
        assert message.attempts == 1
        retry = message.next_attempt_on
        assert run_each(deliver_sms(session, sender, now=retry), session) == (0, 1)
        assert message.attempts == 2
        assert message.next_attempt_on == now + timedelta(minutes=2 + 4)
    assert len(gateway.received) == (2 if failure == "http-500" else 0)


def test_sms_is_redacted_once_the_temporary_password_is_used(app: Flask) -> None:
    """Signing in with the temporary password hides it in 短信记录."""
    password = recover(app)
    assert Web(app.test_client()).login(CODE, password).status_code == 302
    [body] = bodies(app)
    assert password not in body and "临时密码：******" in body


def test_sms_is_redacted_once_the_temporary_password_expired(app: Flask) -> None:
    """expire_temporary_passwords hides expired passwords and leaves live ones."""
    password = recover(app)
    with database(app) as session:
        with unit_of_work(session):
            assert expire_temporary_passwords(session) == 0
    assert password in bodies(app)[0]
    with database(app) as session:
        session.execute(update(TemporaryPassword).values(expires_on=utcnow() - timedelta(seconds=1)))
        session.commit()
        with unit_of_work(session):
            assert expire_temporary_passwords(session) == 1
    [body] = bodies(app)
    assert password not in body and "临时密码：******" in body


@pytest.mark.parametrize(("path", "title"), [("/smsmessageview/list/", "短信记录"),
                                             ("/recoveryattemptview/list/", "找回密码记录")])
def test_account_records_are_for_the_administrator_only(app: Flask, login_as: Any, path: str,
                                                        title: str) -> None:
    """短信记录 and 找回密码记录 open for admin, not for a clerk or a supplier."""
    app.test_client().post("/api/v1/account/recover", buffered=True,
                           json={"credit_code": CODE, "phone": "13712345678"})
    page = login_as("admin").get(path)
    assert page.status_code == 200 and title in page.get_data(as_text=True)
    if title == "找回密码记录":
        html = page.get_data(as_text=True)
        assert "信息不匹配" in html and "5678" in html and "13712345678" not in html
    for username in ("zz_clerk", CODE):
        response = login_as(username).get(path)
        assert response.status_code in (302, 403), username
        assert title not in response.get_data(as_text=True)


def test_no_page_or_api_answer_shows_a_password_hash(app: Flask, login_as: Any,
                                                     api_token: Any) -> None:
    """Hashes of passwords and temporary passwords never leave the server."""
    recover(app)
    with database(app) as session:
        supplier_id = session.scalar(select(Operator.id).where(Operator.username == CODE))
        sms_id = session.scalar(select(SmsMessage.id))
    admin, supplier = login_as("admin"), login_as(CODE)
    client = app.test_client()
    answers = [admin.get(path) for path in (
        "/smsmessageview/list/", f"/smsmessageview/show/{sms_id}", "/recoveryattemptview/list/",
        "/operatorview/list/", f"/operatorview/show/{supplier_id}", "/profile/userinfo/")]
    answers += [supplier.get(path) for path in ("/supplierselfview/list/", "/profile/userinfo/")]
    headers = api_token("admin")
    answers += [client.get(path, headers=headers) for path in (
        "/api/v1/operator/", f"/api/v1/operator/{supplier_id}")]
    answers.append(client.post("/api/v1/security/login", json={
        "username": CODE, "password": "Demo@2026", "provider": "db", "refresh": True}))
    for response in answers:
        assert response.status_code == 200, response.request.path
        text = response.get_data(as_text=True)
        assert "scrypt:" not in text and "pbkdf2:" not in text, response.request.path
