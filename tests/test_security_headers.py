"""Security headers on every kind of response: pages, JSON, static files, downloads, errors."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from models import ProcurementPlan
from tests.test_plans_web import form_data, post

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{22,})'")


def directives(response: Any) -> dict[str, list[str]]:
    """The response's CSP as {directive: [sources]}."""
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no CSP on {response.request.path} ({response.status_code})"
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_secured(response: Any) -> None:
    """The headers that every answer of the panel carries, whatever its kind."""
    csp = directives(response)
    script = csp["script-src"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert any(NONCE.fullmatch(source) for source in script), script
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in (
        "strict-origin-when-cross-origin", "same-origin", "no-referrer")
    # Tests run over plain HTTP outside production: no HTTPS pinning there.
    assert "Strict-Transport-Security" not in response.headers


def nonce_of(response: Any) -> str:
    match = NONCE.search(response.headers["Content-Security-Policy"])
    assert match
    return match.group(1)


def test_page_scripts_carry_the_nonce_of_their_response(login_as: Any) -> None:
    web = login_as("zz_clerk")
    page = web.get("/procurementplanview/list/")
    assert page.status_code == 200
    assert_secured(page)
    html, nonce = page.get_data(as_text=True), nonce_of(page)
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts
    for attributes in scripts:
        assert f'nonce="{nonce}"' in attributes, attributes
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), "inline event handler on the page"


def test_nonce_differs_per_request(client: Any, db_session: Any) -> None:
    # db_session holds an application context across the requests: the nonce must not live there.
    nonces = {nonce_of(client.get("/login/")) for _ in range(3)}
    assert len(nonces) == 3


def test_login_page_and_its_redirect(client: Any) -> None:
    assert_secured(client.get("/login/"))
    redirect = client.get("/procurementplanview/list/")
    assert redirect.status_code == 302
    assert_secured(redirect)


def test_json_answers(client: Any, api_token: Any) -> None:
    answer = client.get("/api/v1/procurement_plan/", headers=api_token("zz_clerk"))
    assert answer.status_code == 200 and answer.is_json
    assert_secured(answer)
    refused = client.get("/api/v1/procurement_plan/")
    assert refused.status_code == 401
    assert_secured(refused)


def test_static_files(client: Any) -> None:
    for path in ("/static/js/forms.js", "/static/appbuilder/js/ab.js"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert_secured(answer)


def test_error_pages(client: Any, login_as: Any) -> None:
    missing = login_as("zz_clerk").get("/procurementplanview/show/999999")
    assert missing.status_code == 404
    assert_secured(missing)
    assert_secured(client.get("/no-such-page"))
    assert_secured(client.get("/api/v1/no-such-resource/"))


def test_download_stays_an_attachment(app: Flask, login_as: Any, db_session: Any) -> None:
    web = login_as("zz_clerk")
    data = form_data(app, "zz_clerk", linked="0", unlinked_reason="预算调整新增",
                     submit_after_save="1")
    data["unlinked_proof"] = (io.BytesIO(b"%PDF-1.4 why"), "不关联说明.pdf")
    assert "已保存并提交。" in post(web, data)
    pk = db_session.scalar(select(ProcurementPlan.id).order_by(ProcurementPlan.id.desc()))
    download = web.get(f"/procurementplanview/download/{pk}/unlinked_proof")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 why"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert_secured(download)


def test_hsts_only_over_https_or_in_production(app: Flask, client: Any) -> None:
    secure = client.get("/login/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert_secured(client.get("/login/"))
    app.config["PRODUCTION"] = True
    try:
        behind_nginx = client.get("/login/")
        assert "Strict-Transport-Security" in behind_nginx.headers
        app.config["HSTS_MAX_AGE"] = 0
        assert "Strict-Transport-Security" not in client.get("/login/").headers
    finally:
        app.config["PRODUCTION"] = False
        app.config.pop("HSTS_MAX_AGE", None)
