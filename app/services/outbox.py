"""A durable outbox for outside systems, with retries; the default transport keeps messages."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.timezone import utcnow
from models import OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 20


class Transport(Protocol):
    """Delivers one message; raises on failure."""

    def send(self, topic: str, payload: dict[str, Any]) -> None:
        """Deliver or raise."""


class HttpTransport:
    """POSTs JSON to the budget execution system (BUDGET_SYSTEM_URL, BUDGET_SYSTEM_TOKEN)."""

    def __init__(self, url: str, token: str, timeout: float = 10) -> None:
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout

    def send(self, topic: str, payload: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.url}/{topic}", data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "X-Budget-Token": self.token},
            method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"HTTP {response.status}")


class NotConfigured:
    """No address is configured: messages wait in the outbox, visible to administrators."""

    def send(self, topic: str, payload: dict[str, Any]) -> None:
        raise RuntimeError(
            "未配置预算执行系统地址（BUDGET_SYSTEM_URL），消息保留在发件箱中等待发送。")


def default_transport() -> Transport:
    """The HTTP transport when configured, otherwise one that keeps every message."""
    url = current_app.config.get("BUDGET_SYSTEM_URL", "")
    if url:
        return HttpTransport(url, current_app.config.get("BUDGET_SYSTEM_TOKEN", ""))
    return NotConfigured()


def enqueue(session: Session, topic: str, key: str, payload: dict[str, Any]) -> OutboxMessage:
    """Add a message in the caller's transaction (so it exists exactly when the change does)."""
    message = OutboxMessage(topic=topic, key=key,
                            payload=json.dumps(payload, ensure_ascii=False, default=str))
    session.add(message)
    return message


DELIVERY_ERRORS = (OSError, RuntimeError, urllib.error.URLError)


def attempt_each(due: list[Any], send: Callable[[Any], None], now: datetime,
                 max_attempts: int, cap_minutes: int) -> Iterator[bool]:
    """Try to send each due row once: delivered, or retried after 2, 4, 8… minutes (capped)
    and failed after ``max_attempts``. Yields after each row whether it was delivered, so that
    the runner commits every attempt apart (a crash later does not send it again).

    A row has ``status``, ``attempts``, ``last_error``, ``next_attempt_on`` and ``delivered_on``.
    """
    for row in due:
        try:
            send(row)
        except DELIVERY_ERRORS as exc:
            row.attempts += 1
            row.last_error = str(exc)[:1000]
            row.next_attempt_on = now + timedelta(minutes=min(2 ** row.attempts, cap_minutes))
            if row.attempts >= max_attempts:
                row.status = "failed"
            log.warning("投递失败（%s %s）：%s", type(row).__name__, row.id, exc)
            yield False
        else:
            row.status, row.delivered_on, row.last_error = "delivered", now, ""
            yield True


def deliver_pending(session: Session, transport: Transport | None = None,
                    now: datetime | None = None, limit: int = 100) -> Iterator[bool]:
    """Try every due message once, yielding whether each was delivered (:func:`attempt_each`)."""
    transport = transport or default_transport()
    now = now or utcnow()
    due = list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "pending",
                                    OutboxMessage.next_attempt_on <= now)
        .order_by(OutboxMessage.id).limit(limit)))
    return attempt_each(
        due, lambda message: transport.send(message.topic, json.loads(message.payload)),
        now, MAX_ATTEMPTS, cap_minutes=24 * 60)
