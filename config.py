"""Configuration read from environment variables, with safe defaults for a local install."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from flask_appbuilder.const import AUTH_DB
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """Raised when the environment does not allow a safe start."""


def _secret_key(production: bool) -> str:
    """Return SECRET_KEY from the environment, or a per-install key kept in ``instance/``.

    A production deployment must set it explicitly: a key generated on one host would differ
    between hosts and silently log everybody out.
    """
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if production:
        raise ConfigError("生产模式必须通过环境变量 SECRET_KEY 显式设置密钥，系统拒绝启动。")
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _non_negative_int(name: str, default: str) -> int:
    """An integer setting >= 0 from the environment."""
    raw = os.environ.get(name, default).strip()
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(f"环境变量 {name} 必须是非负整数，当前值为“{raw}”。")
    return int(raw)


def _non_negative_number(name: str, default: str) -> float:
    """A number setting >= 0 (seconds, say) from the environment."""
    raw = os.environ.get(name, default).strip()
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ConfigError(f"环境变量 {name} 必须是非负数，当前值为“{raw}”。")
    return value


# Storages every worker process and host share: a limit counted there holds for all of them.
SHARED_STORAGES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://",
                   "redis+cluster://", "memcached://", "mongodb://", "mongodb+srv://")


def _ratelimit_storage(production: bool) -> str:
    """RATELIMIT_STORAGE_URI; production refuses a storage of one process (memory://)."""
    uri = os.environ.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://"
    if production and not uri.startswith(SHARED_STORAGES):
        raise ConfigError(
            f"生产模式下环境变量 RATELIMIT_STORAGE_URI 必须指向各工作进程共享的存储"
            f"（redis://、rediss:// 或 memcached://），当前为“{uri.split('://')[0]}://”："
            "进程内存中的计数每个工作进程各算各的，登录失败锁定和找回密码的次数限制会成倍放宽。"
            "系统拒绝启动。")
    return uri


def _key_prefix(database_url: str) -> str:
    """RATELIMIT_KEY_PREFIX, by default one per database: two deployments sharing one Redis
    never count together, while every worker and host of one deployment does."""
    given = os.environ.get("RATELIMIT_KEY_PREFIX", "").strip()
    if given:
        return given
    try:
        identity = make_url(database_url).set(password=None).render_as_string()
    except ArgumentError:
        identity = database_url
    return "hp-" + hashlib.sha256(identity.encode()).hexdigest()[:12]


def _database_url(url: str) -> str:
    """``postgresql://…`` (as psql and most hosts write it) means the psycopg 3 driver here.

    SQLAlchemy would otherwise pick psycopg2, which is not installed.
    """
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def build_config() -> dict[str, object]:
    """Assemble the Flask configuration from the environment."""
    production = os.environ.get("APP_ENV", "development") == "production"
    database_url = _database_url(os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'procurement.db'}"
    ))
    upload_folder = Path(os.environ.get("UPLOAD_FOLDER", INSTANCE_DIR / "uploads"))
    locale = os.environ.get("APP_LOCALE", "zh")
    secret_key = _secret_key(production)
    ratelimit_uri = _ratelimit_storage(production)
    return {
        "APP_ENV": "production" if production else "development",
        "PRODUCTION": production,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "UPLOAD_FOLDER": str(upload_folder),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "WORKFLOWS_FILE": os.environ.get("WORKFLOWS_FILE", str(BASE_DIR / "workflows.yaml")),
        # Flask-AppBuilder
        "APP_NAME": "河南省电子化政府采购系统",
        "APP_THEME": "",
        "AUTH_TYPE": AUTH_DB,
        "AUTH_ROLE_ADMIN": "系统管理员",
        "AUTH_ROLE_PUBLIC": "公共",
        "AUTH_USER_REGISTRATION": False,
        # Schema comes from Alembic only; permissions are synced by `flask setup`.
        "FAB_CREATE_DB": False,
        "FAB_UPDATE_PERMS": False,
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_SWAGGER_UI": True,
        # app/registry.py registers the completed document (views/openapi.py) instead of FAB's.
        "FAB_ADD_OPENAPI_VIEWS": False,
        "FAB_SECURITY_MANAGER_CLASS": "app.security.ProcurementSecurityManager",
        "FAB_PASSWORD_COMPLEXITY_ENABLED": True,
        "FAB_API_MAX_PAGE_SIZE": 100,
        "FAB_INDEX_VIEW": "views.home.HomeView",
        "FAB_BASE_TEMPLATE": "layout.html",
        # Chinese only: FAB's catalog plus ours (ours is read last and wins).
        "BABEL_DEFAULT_LOCALE": locale,
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        "LANGUAGES": {locale: {"flag": "cn", "name": "简体中文"}},
        "BUSINESS_TIMEZONE": "Asia/Shanghai",
        # The budget execution system: where 支付申请 go (none: they wait in the outbox) and
        # the token its callbacks must present.
        "BUDGET_SYSTEM_URL": os.environ.get("BUDGET_SYSTEM_URL", ""),
        "BUDGET_SYSTEM_TOKEN": os.environ.get("BUDGET_SYSTEM_TOKEN", ""),
        "BUDGET_CALLBACK_TOKEN": os.environ.get("BUDGET_CALLBACK_TOKEN", ""),
        # SMS: none configured keeps every message in 短信记录 for an administrator to relay.
        "SMS_GATEWAY_URL": os.environ.get("SMS_GATEWAY_URL", ""),
        "SMS_GATEWAY_TOKEN": os.environ.get("SMS_GATEWAY_TOKEN", ""),
        # Workflow messages that also go by SMS (comma-separated): returned, completed,
        # plan_number (to the applicant), new_task (to the reviewers, who get reminders too).
        "WORKFLOW_SMS": os.environ.get("WORKFLOW_SMS", "returned,completed,plan_number"),
        # 网上商城 payment reminders (before, on and after the due date) also go by SMS.
        "MALL_PAYMENT_SMS": os.environ.get("MALL_PAYMENT_SMS", "1") == "1",
        "TEMP_PASSWORD_MINUTES": int(os.environ.get("TEMP_PASSWORD_MINUTES", "30")),
        # Logins, 找回密码 and registrations: limits per client, per phone and per account.
        # Limits live in RATELIMIT_STORAGE_URI (redis://… so that they hold across workers;
        # required in production), under keys starting with RATELIMIT_KEY_PREFIX.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": ratelimit_uri,
        "RATELIMIT_KEY_PREFIX": _key_prefix(database_url),
        # A Redis that does not answer must not hold a login for long (see app/ratelimit.py).
        "RATELIMIT_STORAGE_OPTIONS": (
            {"socket_connect_timeout": 1, "socket_timeout": 1}
            if ratelimit_uri.startswith(("redis://", "rediss://", "redis+unix://")) else {}),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "20 per minute"),
        "RECOVERY_RATE_LIMIT": os.environ.get("RECOVERY_RATE_LIMIT", "5 per 10 minutes"),
        # SMS a phone may receive: temporary passwords (counted only when code and phone
        # match) and notices that someone registered a code already registered.
        "RECOVERY_PHONE_RATE_LIMIT": os.environ.get("RECOVERY_PHONE_RATE_LIMIT", "3 per hour"),
        "REGISTRATION_RATE_LIMIT": os.environ.get("REGISTRATION_RATE_LIMIT", "10 per hour"),
        "REGISTRATION_NOTICE_RATE_LIMIT": os.environ.get("REGISTRATION_NOTICE_RATE_LIMIT",
                                                         "3 per day"),
        # LOGIN_MAX_FAILURES wrong passwords for one account from one client within
        # LOGIN_LOCK_MINUTES lock that client (only) out of it for LOGIN_LOCK_MINUTES. Past
        # LOGIN_DELAY_AFTER failures from all clients, every answer for the account waits
        # LOGIN_DELAY_SECONDS, doubling with each further failure up to LOGIN_DELAY_MAX.
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCK_MINUTES": int(os.environ.get("LOGIN_LOCK_MINUTES", "15")),
        "LOGIN_DELAY_AFTER": _non_negative_int("LOGIN_DELAY_AFTER", "10"),
        "LOGIN_DELAY_SECONDS": _non_negative_number("LOGIN_DELAY_SECONDS", "0.5"),
        "LOGIN_DELAY_MAX": _non_negative_number("LOGIN_DELAY_MAX", "8"),
        # Behind nginx: how many proxies in front of the app append to X-Forwarded-For (0: none,
        # the socket's peer is the client). Rate limits key on the address this yields.
        "PROXY_FIX_X_FOR": _non_negative_int("PROXY_FIX_X_FOR", "0"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "WTF_CSRF_ENABLED": True,
    }
