"""Attempt limits for logins, 找回密码 and registrations, in the limiter's storage.

The storage is FAB's Flask-Limiter storage (RATELIMIT_STORAGE_URI): memory in one process,
Redis when configured, so that a limit holds across gunicorn workers. When Redis does not
answer, each process counts in its own memory until it does: sign-ins stay possible and limited.
Every key starts with RATELIMIT_KEY_PREFIX, as Flask-Limiter's own keys do, so that two
deployments sharing one Redis never count together.

Failed sign-ins are counted twice (:class:`LoginGuard`): per account and client, where
LOGIN_MAX_FAILURES lock that client (only) out of that account for LOGIN_LOCK_MINUTES; and per
account across clients, where past LOGIN_DELAY_AFTER failures every answer for the account is
delayed, doubling up to LOGIN_DELAY_MAX seconds. An account is never locked for everyone.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from datetime import datetime
from typing import Any

from flask import current_app, g, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage

from app.services.errors import RateLimited
from app.timezone import to_business

TOO_MANY = "操作过于频繁，请稍后再试。"
LOCKED = "登录失败次数过多，请{minutes}分钟后再试或通过“找回密码”重置。"
# Purchasers and supervisors have no 找回密码: their unit administrator resets the password.
LOCKED_WITHOUT_RECOVERY = "登录失败次数过多，请{minutes}分钟后再试，或请本单位管理员重置密码。"
FAILURES_NOTICE = ("自上次登录以来，您的账号有{count}次登录失败，最近一次在{when}；"
                   "如非本人操作，请及时修改密码。")
# The account-wide count is read, never refused: its limit only has to be out of reach.
UNBOUNDED = 10**9
log = logging.getLogger(__name__)


def client() -> str:
    """The client's address (behind a proxy, configure ProxyFix so this is the real one)."""
    return request.remote_addr or "unknown"


def check(scope: str, key: str, setting: str) -> None:
    """Count one attempt under ``scope``/``key`` against the limit in config ``setting``.

    :raises RateLimited: when the attempt is over the limit (it is not counted then)
    """
    if not hit(current_app.config[setting], scope, key):
        raise RateLimited(TOO_MANY)


def hit(limit: str, scope: str, *key: str) -> bool:
    """Count one attempt under ``scope``/``key``; whether it is within ``limit`` ("3 per hour")."""
    return bool(_strategy("hit", parse(limit), scope, *key))


def usage(limit: str, scope: str, *key: str) -> tuple[int, float]:
    """How many attempts ``limit``'s current window holds, and when (epoch seconds) it ends."""
    item = parse(limit)
    stats = _strategy("get_window_stats", item, scope, *key)
    return item.amount - stats.remaining, float(stats.reset_time)


def clear(limit: str, scope: str, *key: str) -> None:
    """Forget the attempts counted under ``scope``/``key`` for ``limit``."""
    _strategy("clear", parse(limit), scope, *key)


def _strategy(method: str, item: RateLimitItem, *identifiers: str) -> Any:
    limiter = current_app.appbuilder.sm.limiter.limiter
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    key = (prefix, *identifiers) if prefix else identifiers
    try:
        return getattr(limiter, method)(item, *key)
    except Exception as exc:  # the shared storage (Redis) is unreachable
        if isinstance(limiter.storage, MemoryStorage):
            raise
        log.error("限流存储不可用（%s），本进程暂以内存计数。", exc)
        return getattr(_fallback(limiter), method)(item, *key)


def wait(seconds: float) -> None:
    """Hold this answer back (a test replaces it to see the delays without waiting)."""
    time.sleep(seconds)


def _fallback(limiter: Any) -> Any:
    """This process's in-memory limiter of the same strategy, made on first need."""
    fallback = current_app.extensions.get("ratelimit_fallback")
    if fallback is None:
        fallback = current_app.extensions["ratelimit_fallback"] = type(limiter)(MemoryStorage())
    return fallback


class LoginGuard:
    """The failure counts of one sign-in attempt: the typed account name from this client.

    The name is counted whether or not such an account exists (an unknown name behaves and
    answers like a known one), lower-cased as FAB looks it up, and hashed: a password typed
    into the name field must not sit in the storage. ``epoch`` is the account's
    ``login_epoch`` (0 for no account): raising it (解除锁定) starts every count afresh.
    """

    def __init__(self, username: str, epoch: int = 0, address: str | None = None) -> None:
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        self.account = f"{epoch}.{digest}"
        self.client = address if address is not None else client()
        config = current_app.config
        self.minutes = int(config["LOGIN_LOCK_MINUTES"])
        self.failures = f"{int(config['LOGIN_MAX_FAILURES'])} per {self.minutes} minutes"
        # The lock's own window starts when the limit is reached: it lasts the full minutes.
        self.lock = f"1 per {self.minutes} minutes"
        self.spread = f"{UNBOUNDED} per {self.minutes} minutes"

    def refusal(self, recovery: bool = True) -> str | None:
        """The lock message when this client is locked out of this account, else None.

        :param recovery: whether the account may be a supplier's, who have 找回密码
        """
        locked, ends = usage(self.lock, "login-lock", self.account, self.client)
        if not locked:
            return None
        message = LOCKED if recovery else LOCKED_WITHOUT_RECOVERY
        return message.format(minutes=max(1, math.ceil((ends - time.time()) / 60)))

    def slow_down(self) -> float:
        """Wait before answering when the account is under attack; returns the seconds waited.

        Past LOGIN_DELAY_AFTER failures from all clients within LOGIN_LOCK_MINUTES, each
        further failure doubles the wait (from LOGIN_DELAY_SECONDS, at most LOGIN_DELAY_MAX).
        Successes wait too: otherwise the quick answer would tell a right password.
        """
        config = current_app.config
        over = usage(self.spread, "login-account", self.account)[0] - int(
            config["LOGIN_DELAY_AFTER"])
        if over < 0:
            return 0.0
        first, cap = float(config["LOGIN_DELAY_SECONDS"]), float(config["LOGIN_DELAY_MAX"])
        delay = min(cap, first * 2 ** min(over, 32))
        if delay > 0:
            wait(delay)
        return delay

    def failed(self) -> None:
        """Count a failure; the LOGIN_MAX_FAILURES-th locks this client out of the account."""
        hit(self.spread, "login-account", self.account)
        if not hit(self.failures, "login-fail", self.account, self.client) or \
                usage(self.failures, "login-fail", self.account, self.client)[0] >= \
                int(current_app.config["LOGIN_MAX_FAILURES"]):
            hit(self.lock, "login-lock", self.account, self.client)
            clear(self.failures, "login-fail", self.account, self.client)
            log.warning("sign-in locked for a client after %s failures",
                        current_app.config["LOGIN_MAX_FAILURES"])

    def succeeded(self) -> None:
        """A right password (or a live temporary one) from this client ends its count and lock."""
        clear(self.failures, "login-fail", self.account, self.client)
        clear(self.lock, "login-lock", self.account, self.client)


def failures_notice(count: int, last: datetime | None) -> str | None:
    """What the owner is told at sign-in about failures since the last one (None: none)."""
    if count <= 0:
        return None
    when = to_business(last).strftime("%Y-%m-%d %H:%M") if last else "未知时间"
    return FAILURES_NOTICE.format(count=count, when=when)


def remember_failures(count: int | None, last: datetime | None) -> None:
    """Keep, for the page answering this sign-in, the failures the account had before it."""
    g.login_failures = (count or 0, last)


def pending_notice() -> str | None:
    """The notice of :func:`failures_notice` for the sign-in this request made, if any."""
    count, last = g.get("login_failures") or (0, None)
    return failures_notice(count, last)
