"""Attempt limits for logins, 找回密码 and registrations, in the limiter's storage.

The storage is FAB's Flask-Limiter storage (RATELIMIT_STORAGE_URI): memory in one process,
Redis when configured, so that a limit holds across gunicorn workers. When Redis does not
answer, each process counts in its own memory until it does: sign-ins stay possible and limited.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request
from limits import parse
from limits.storage import MemoryStorage

from app.services.errors import RateLimited

TOO_MANY = "操作过于频繁，请稍后再试。"
log = logging.getLogger(__name__)


def client() -> str:
    """The client's address (behind a proxy, configure ProxyFix so this is the real one)."""
    return request.remote_addr or "unknown"


def check(scope: str, key: str, setting: str) -> None:
    """Count one attempt under ``scope``/``key`` against the limit in config ``setting``.

    :raises RateLimited: when the attempt is over the limit (it is not counted then)
    """
    limiter = current_app.appbuilder.sm.limiter.limiter
    item = parse(current_app.config[setting])
    try:
        allowed = limiter.hit(item, scope, key)
    except Exception as exc:  # the shared storage (Redis) is unreachable
        if isinstance(limiter.storage, MemoryStorage):
            raise
        log.error("限流存储不可用（%s），本进程暂以内存计数。", exc)
        allowed = _fallback(limiter).hit(item, scope, key)
    if not allowed:
        raise RateLimited(TOO_MANY)


def _fallback(limiter: Any) -> Any:
    """This process's in-memory limiter of the same strategy, made on first need."""
    fallback = current_app.extensions.get("ratelimit_fallback")
    if fallback is None:
        fallback = current_app.extensions["ratelimit_fallback"] = type(limiter)(MemoryStorage())
    return fallback
