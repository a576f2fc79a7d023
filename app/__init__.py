"""Application factory for the procurement filing and approval panel."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import csrf, db, migrate

log = logging.getLogger(__name__)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Flask application.

    :param overrides: configuration values that win over the environment (used by tests)
    :returns: the configured application with every view and API registered
    """
    from app.passwords import fab_password_validator
    from config import BASE_DIR, build_config

    # FAB stamps last_login and audit columns with naive datetime.now(); the process runs in
    # UTC so that every stored timestamp means the same thing (see app.timezone).
    os.environ["TZ"] = "UTC"
    time.tzset()

    app = Flask(__name__, instance_path=str(BASE_DIR / "instance"))
    app.config.update(build_config())
    if overrides:
        app.config.update(overrides)
    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = fab_password_validator

    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    with app.app_context():
        import models  # noqa: F401  (registers every table on the metadata)
        from app.registry import register_all, register_workflows

        register_workflows(app)
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        register_all(appbuilder, app)

    from app.cli import register_cli
    from app.edge import register_edge
    from app.errors import register_error_handlers
    from app.headers import register_security_headers
    from app.services.stored import watch_flushes

    register_cli(app)
    register_error_handlers(app)
    register_edge(app)
    watch_flushes()
    register_security_headers(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind nginx, take the client address from X-Forwarded-For (PROXY_FIX_X_FOR hops).

    Only the last ``PROXY_FIX_X_FOR`` entries are trusted: a client cannot choose its address
    (and so escape the login limits) by sending the header itself. 0 leaves the app as is.
    """
    from config import ConfigError

    hops = app.config.get("PROXY_FIX_X_FOR") or 0
    if not isinstance(hops, int) or hops < 0:
        raise ConfigError(f"PROXY_FIX_X_FOR 必须是非负整数，当前值为“{hops}”。")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]
