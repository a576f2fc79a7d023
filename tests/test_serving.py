"""Production serving: login limits shared through Redis, the client address behind a proxy."""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config
from tests.conftest import DEMO_PASSWORD, RELAXED_LIMITS

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
TOO_MANY = "操作过于频繁，请稍后再试。"


@pytest.fixture
def make_app(app: Flask, database: Any, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Another application instance on the test database, like a second gunicorn worker."""
    from app import create_app
    from app.extensions import db

    made: list[Flask] = []

    def _make(**overrides: Any) -> Flask:
        other = create_app({
            "SQLALCHEMY_DATABASE_URI": database.url, "TESTING": True,
            "SECRET_KEY": app.config["SECRET_KEY"], "UPLOAD_FOLDER": str(tmp_path),
            "SERVER_NAME": "localhost", **RELAXED_LIMITS, **overrides,
        })
        made.append(other)
        return other

    yield _make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def api_login(application: Flask, address: str, forwarded: str | None = None) -> tuple[int, str]:
    """One REST sign-in of zz_clerk from ``address`` (through a proxy when ``forwarded``)."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    response = application.test_client().post(
        "/api/v1/security/login", environ_base={"REMOTE_ADDR": address}, headers=headers,
        json={"username": "zz_clerk", "password": DEMO_PASSWORD, "provider": "db",
              "refresh": False})
    return response.status_code, (response.get_json() or {}).get("message", "")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The Redis of the limits; the test is skipped when none answers."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")
    yield REDIS_URL
    client.close()


def test_login_limit_holds_across_instances_sharing_redis(make_app: Callable[..., Flask],
                                                          redis_url: str) -> None:
    """Two workers with Redis storage count one client's sign-ins together; with memory each
    worker would allow the whole limit (shown by the control pair)."""
    import redis

    # A client address of its own, so that other runs sharing this Redis do not interfere.
    address = "10.{}.{}.{}".format(*(random.randint(1, 254) for _ in range(3)))
    limits = {"LOGIN_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": redis_url}
    first, second = make_app(**limits), make_app(**limits)
    try:
        assert api_login(first, address)[0] == 200
        assert api_login(second, address)[0] == 200
        assert api_login(first, address)[0] == 200
        assert api_login(second, address) == (429, TOO_MANY)
        assert api_login(first, address) == (429, TOO_MANY)
        assert api_login(second, "10.255.255.1")[0] == 200  # another client is not limited
    finally:
        client = redis.Redis.from_url(redis_url)
        for pattern in (f"*{address}*", "*10.255.255.1*"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)
        client.close()

    memory = {"LOGIN_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": "memory://"}
    alone, other = make_app(**memory), make_app(**memory)
    for _ in range(3):
        assert api_login(alone, address)[0] == 200
    assert api_login(other, address)[0] == 200  # per-process storage: the limit does not hold
    assert api_login(alone, address)[0] == 429


def test_unreachable_redis_falls_back_to_per_process_limits(
        make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture) -> None:
    """Redis down: sign-ins still work, each process still limits them, and the error is logged."""
    alone = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1", LOGIN_RATE_LIMIT="2 per minute")
    assert api_login(alone, "10.0.0.5")[0] == 200
    assert api_login(alone, "10.0.0.5")[0] == 200
    assert api_login(alone, "10.0.0.5") == (429, TOO_MANY)
    assert "限流存储不可用" in caplog.text


def test_redis_storage_gets_short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    options = config.build_config()["RATELIMIT_STORAGE_OPTIONS"]
    assert options == {"socket_connect_timeout": 1, "socket_timeout": 1}
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert config.build_config()["RATELIMIT_STORAGE_OPTIONS"] == {}


def test_behind_a_proxy_limits_key_on_the_forwarded_client(
        make_app: Callable[..., Flask]) -> None:
    """PROXY_FIX_X_FOR=1: the address nginx appends is the client; what the client sent itself
    in X-Forwarded-For does not change who it is."""
    proxied = make_app(PROXY_FIX_X_FOR=1, LOGIN_RATE_LIMIT="2 per minute")
    assert isinstance(proxied.wsgi_app, ProxyFix)
    nginx = "127.0.0.1"
    assert api_login(proxied, nginx, "203.0.113.5")[0] == 200
    assert api_login(proxied, nginx, "203.0.113.5")[0] == 200
    assert api_login(proxied, nginx, "203.0.113.5") == (429, TOO_MANY)
    # A forged first entry: nginx appends the real address, which alone is trusted.
    assert api_login(proxied, nginx, "198.51.100.9, 203.0.113.5") == (429, TOO_MANY)
    # Another client behind the same proxy is not limited.
    assert api_login(proxied, nginx, "203.0.113.6")[0] == 200


def test_without_proxy_fix_the_header_is_ignored(app: Flask) -> None:
    """By default (no proxy configured) X-Forwarded-For cannot be used to dodge the limit."""
    assert not isinstance(app.wsgi_app, ProxyFix)
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    assert api_login(app, "10.0.0.9", "203.0.113.1")[0] == 200
    assert api_login(app, "10.0.0.9", "203.0.113.2")[0] == 200
    assert api_login(app, "10.0.0.9", "203.0.113.3") == (429, TOO_MANY)


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("0", 0), ("2", 2)])
def test_proxy_fix_setting(monkeypatch: pytest.MonkeyPatch, value: str | None,
                           expected: int) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    if value is None:
        monkeypatch.delenv("PROXY_FIX_X_FOR", raising=False)
    else:
        monkeypatch.setenv("PROXY_FIX_X_FOR", value)
    assert config.build_config()["PROXY_FIX_X_FOR"] == expected


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_proxy_fix_setting_refuses_nonsense(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PROXY_FIX_X_FOR", value)
    with pytest.raises(config.ConfigError, match="PROXY_FIX_X_FOR"):
        config.build_config()


@pytest.mark.parametrize(("given", "used"), [
    ("postgresql://postgres@127.0.0.1:5432/procurement",
     "postgresql+psycopg://postgres@127.0.0.1:5432/procurement"),
    ("postgres://u:p@db/x", "postgresql+psycopg://u:p@db/x"),
    ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_uses_psycopg3(monkeypatch: pytest.MonkeyPatch, given: str,
                                    used: str) -> None:
    """The URL psql understands works as DATABASE_URL (psycopg2 is not installed)."""
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", given)
    assert config.build_config()["SQLALCHEMY_DATABASE_URI"] == used


def test_gunicorn_serves_with_the_production_settings(app: Flask, database: Any) -> None:
    """app/gunicorn_conf.py through bench.server: workers answer the web and the API, and
    leaving the block stops the master and every worker."""
    from bench.client import ApiSession, LoginFailed, WebSession
    from bench.server import serve

    with serve(database.url, workers=2) as served:
        workers = served.worker_pids()
        assert len(workers) == 2 and served.max_worker_rss_mb() > 20
        web = WebSession(served.base_url)
        assert web.login("pds_clerk", DEMO_PASSWORD).status == 302
        home = web.get("/")
        assert home.status == 200 and "河南省电子化政府采购系统" in home.text
        api = ApiSession(served.base_url)
        api.login("pds_clerk", DEMO_PASSWORD)
        listed = api.get("/api/v1/procurement_plan/")
        assert listed.status == 200 and isinstance(listed.json()["result"], list)
        assert listed.seconds > 0
        with pytest.raises(LoginFailed):
            ApiSession(served.base_url).login("pds_clerk", "Wrong#2026")
        log = served.log_path
    assert not [pid for pid in [served.master_pid, *workers] if Path(f"/proc/{pid}").exists()]
    assert '"GET / HTTP/1.1" 200' in log.read_text(encoding="utf-8")
