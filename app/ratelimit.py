"""Attempt limits for logins, 找回密码 and registrations, in the limiter's storage.

The storage is FAB's Flask-Limiter storage (RATELIMIT_STORAGE_URI): memory in one process,
Redis when configured, so that a limit holds across gunicorn workers.
"""

from __future__ import annotations

from flask import current_app, request
from limits import parse

from app.services.errors import RateLimited

TOO_MANY = "操作过于频繁，请稍后再试。"


def client() -> str:
    """The client's address (behind a proxy, configure ProxyFix so this is the real one)."""
    return request.remote_addr or "unknown"


def check(scope: str, key: str, setting: str) -> None:
    """Count one attempt under ``scope``/``key`` against the limit in config ``setting``.

    :raises RateLimited: when the attempt is over the limit (it is not counted then)
    """
    limiter = current_app.appbuilder.sm.limiter.limiter
    if not limiter.hit(parse(current_app.config[setting]), scope, key):
        raise RateLimited(TOO_MANY)
