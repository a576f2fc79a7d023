"""Fixtures: one app per run on SQLite or PostgreSQL, a fresh demo database for every test.

``TEST_DATABASE=postgresql`` (or ``--db=postgresql``) runs the suite on PostgreSQL at
``TEST_PG_URL`` (default: 127.0.0.1:5432 as postgres, trust auth).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

# The suite signs in hundreds of times from one address; tests of the limits lower them.
from bench.server import RELAXED_LIMITS

DEMO_PASSWORD = "Demo@2026"
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default=os.environ.get("TEST_DATABASE", "sqlite"),
                     choices=["sqlite", "postgresql"], help="database backend for the suite")


class Database:
    """A test database that can be restored to its freshly seeded state."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        suffix = f"{os.getpid()}"
        if backend == "sqlite":
            self.path = workdir / "test.db"
            self.template = workdir / "template.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name, self.template_name = f"hp_test_{suffix}", f"hp_tmpl_{suffix}"
            base = PG_ADMIN_URL.rsplit("/", 1)[0]
            self.url = f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{self.name}"
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                        f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)',
                        f'CREATE DATABASE "{self.name}"')

    def _admin(self, *statements: str) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def snapshot(self) -> None:
        """Keep the current content as the state every test starts from."""
        if self.backend == "sqlite":
            shutil.copyfile(self.path, self.template)
        else:
            self._admin(f'CREATE DATABASE "{self.template_name}" TEMPLATE "{self.name}"')

    def restore(self) -> None:
        """Put the snapshot back (all connections must be closed)."""
        if self.backend == "sqlite":
            shutil.copyfile(self.template, self.path)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                        f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template_name}"')

    def drop(self) -> None:
        if self.backend == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                        f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Database]:
    backend = request.config.getoption("--db")
    if backend == "postgresql":
        try:
            psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
        except psycopg.OperationalError as exc:
            pytest.exit(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}", returncode=3)
    db = Database(backend, tmp_path_factory.mktemp("db"))
    yield db
    db.drop()





@pytest.fixture(scope="session")
def app(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    os.environ["INSTANCE_DIR"] = str(instance)
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import load_demo
    from app.extensions import db
    from app.setup import sync_security

    application = create_app({
        "SQLALCHEMY_DATABASE_URI": database.url,
        "TESTING": True,
        "SECRET_KEY": "test-only-secret-" + "x" * 40,
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "SERVER_NAME": "localhost",
        **RELAXED_LIMITS,
    })
    with application.app_context():
        upgrade()
        sync_security(application.appbuilder)
        load_demo(db.session)
        db.session.remove()
        db.engine.dispose()
    database.snapshot()
    yield application


@pytest.fixture(autouse=True)
def _fresh_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that uses the app starts from the seeded demo database."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    database: Database = request.getfixturevalue("database")
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    database.restore()
    app.config.update(RELAXED_LIMITS)
    app.appbuilder.sm.limiter.reset()
    yield
    app.config.update(RELAXED_LIMITS)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Web:
    """A test client that behaves like a browser: it carries the CSRF token of each form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def token(self, form_path: str) -> str:
        page = self.client.get(form_path)
        match = CSRF.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {form_path} (status {page.status_code})"
        return match.group(1)

    def submit(self, form_path: str, data: dict[str, Any], post_path: str | None = None,
               follow: bool = False) -> Any:
        """Open ``form_path``, then post ``data`` with its CSRF token like a browser would."""
        payload = {"csrf_token": self.token(form_path), **data}
        return self.client.post(post_path or form_path, data=payload,
                                follow_redirects=follow)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Any:
        return self.submit("/login/", {"username": username, "password": password})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(app: Flask) -> Callable[..., Web]:
    """``login_as("zz_unitadmin")`` gives a signed-in browser-like client."""

    def _login(username: str, password: str = DEMO_PASSWORD) -> Web:
        web = Web(app.test_client())
        response = web.login(username, password)
        assert response.status_code == 302, f"login of {username} failed"
        assert "/login" not in response.headers.get("Location", ""), f"{username} not signed in"
        return web

    return _login


@pytest.fixture
def api_token(app: Flask) -> Callable[[str], dict[str, str]]:
    """JWT headers for a demo account, from ``/api/v1/security/login``."""

    def _token(username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        response = app.test_client().post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db", "refresh": False,
        })
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return _token


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """The app's SQLAlchemy session inside an application context."""
    from app.extensions import db

    with app.app_context():
        yield db.session
