"""SMS through a small gateway interface; every message is first kept in 短信记录."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.ratelimit import hit
from app.services.outbox import attempt_each
from app.timezone import utcnow
from models import SmsMessage

MAX_ATTEMPTS = 10
KEPT = "kept"  # no gateway: the message stays in 短信记录 for an administrator to relay


class SmsGateway(Protocol):
    """Sends one text to one mobile phone; raises on failure."""

    def send(self, phone: str, text: str) -> None:
        """Deliver or raise."""


class HttpSmsGateway:
    """POSTs ``{"phone", "text"}`` as JSON to SMS_GATEWAY_URL with a bearer token."""

    def __init__(self, url: str, token: str, timeout: float = 10) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str) -> None:
        request = urllib.request.Request(
            self.url, data=json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {self.token}"}, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"短信网关返回 HTTP {response.status}")


def configured_gateway() -> SmsGateway | None:
    """The HTTP gateway when SMS_GATEWAY_URL is set; None keeps messages in 短信记录."""
    url = current_app.config.get("SMS_GATEWAY_URL", "")
    return HttpSmsGateway(url, current_app.config.get("SMS_GATEWAY_TOKEN", "")) if url else None


def queue_sms(session: Session, phone: str, purpose: str, text: str,
              secret: str = "") -> SmsMessage:
    """Record an SMS in the caller's transaction; :func:`deliver_sms` sends it.

    :param secret: a part of ``text`` (a temporary password) to hide once it is no longer live
    """
    redacted = text.replace(secret, "******") if secret else text
    message = SmsMessage(phone=phone, purpose=purpose, body=text, redacted=redacted,
                         status="pending", attempts=0, last_error="", next_attempt_on=utcnow())
    session.add(message)
    return message


def queue_notices(session: Session, phones: list[str], purpose: str, text: str,
                  budget: str) -> int:
    """Record one notice for each distinct phone still within its budget; returns how many.

    :param budget: the config setting of a phone's allowance for this kind of notice (e.g.
        ``"3 per day"``): a stranger who repeats the request must not flood a phone
    """
    queued = 0
    for phone in dict.fromkeys(p for p in phones if p):
        if hit(current_app.config[budget], purpose, phone):
            queue_sms(session, phone, purpose, text)
            queued += 1
    return queued


def redact(session: Session, message_ids: list[int]) -> None:
    """Replace the bodies of these messages by their redacted text (the secret is dead)."""
    if message_ids:
        session.execute(update(SmsMessage).where(SmsMessage.id.in_(message_ids))
                        .values(body=SmsMessage.redacted))


def deliver_sms(session: Session, gateway: SmsGateway | None = None,
                now: datetime | None = None, limit: int = 100) -> Iterator[bool]:
    """Send every due message once through the gateway, yielding whether each was delivered.

    Each attempt is a unit of work of its own: the runner (:func:`app.transaction.run_each`)
    commits after every yield. Without a gateway the due messages are marked kept: they stay
    readable in 短信记录. A delivered message keeps only its redacted text.
    """
    gateway = gateway or configured_gateway()
    now = now or utcnow()
    due = list(session.scalars(
        select(SmsMessage).where(SmsMessage.status == "pending",
                                 SmsMessage.next_attempt_on <= now)
        .order_by(SmsMessage.id).limit(limit)))
    if gateway is None:
        for message in due:
            message.status = KEPT
            message.last_error = "未配置短信网关（SMS_GATEWAY_URL），短信保存在短信记录中。"
        return

    def send(message: SmsMessage) -> None:
        gateway.send(message.phone, message.body)
        message.body = message.redacted  # sent: the secret need not stay readable

    yield from attempt_each(due, send, now, MAX_ATTEMPTS, cap_minutes=60)
