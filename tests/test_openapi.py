"""The OpenAPI document (/api/v1/_openapi) is valid and complete: every route's path
parameters, request bodies and error answers, served to every API client and nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate

from app.permissions import API_DOCS, FUNCTIONS, POSTS, SYS_ADMIN
from views.openapi import ERROR_STATUSES, INT32_MAX, RULE_ARGUMENT, openapi_path

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client: Any, api_token: Any) -> dict[str, Any]:
    response = client.get("/api/v1/_openapi", headers=api_token("admin"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method != "parameters"]


def api_rules(app: Flask) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_path_parameter_of_every_route_is_declared(app: Flask,
                                                         document: dict[str, Any]) -> None:
    checked = 0
    for rule in api_rules(app):
        item = document["paths"].get(openapi_path(rule.rule), {})
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            operation = item.get(method.lower())
            if operation is None:
                continue  # a route no role can be granted (see the next test)
            declared = {p["name"]: p for p in operation.get("parameters", [])
                        if p["in"] == "path"}
            for found in RULE_ARGUMENT.finditer(rule.rule):
                name, converter = found.group("name"), found.group("converter")
                where = f"{method} {rule.rule}: {name}"
                assert name in declared, where
                assert declared[name]["required"] is True, where
                if converter == "int":
                    assert declared[name]["schema"]["type"] == "integer", where
                    assert declared[name]["schema"]["maximum"] == INT32_MAX, where
                checked += 1
    # The custom endpoints FAB published without their pk are among them.
    assert checked >= 40
    for path in ("/api/v1/tasks/{pk}/act", "/api/v1/bid_change_filing/{pk}/submit",
                 "/api/v1/payment/{pk}/send", "/api/v1/bid_change_announcement/{pk}/publish",
                 "/api/v1/contract/{pk}/history"):
        operation = next(iter(document["paths"][path].values()))
        assert [p["name"] for p in operation["parameters"] if p["in"] == "path"] == ["pk"]


def test_routes_no_role_can_be_granted_are_not_published(app: Flask, client: Any,
                                                          api_token: Any,
                                                          document: dict[str, Any]) -> None:
    # BidChangeFilingApi is read-only (its base_permissions hold no can_post): FAB answers 403
    # even to the administrator, so a client must not be offered it.
    assert "post" not in document["paths"]["/api/v1/bid_change_filing/"]
    assert "put" not in document["paths"].get("/api/v1/bid_change_filing/{pk}", {})
    response = client.post("/api/v1/bid_change_filing/", json={}, headers=api_token("admin"))
    assert response.status_code == 403
    # Every route that is published exists.
    routes = {(openapi_path(r.rule), m.lower()) for r in api_rules(app) for m in r.methods or ()}
    for path, method, _ in operations(document):
        assert (path, method) in routes, (method, path)


def test_every_operation_answers_errors_as_a_refusal(document: dict[str, Any]) -> None:
    refusal = document["components"]["schemas"]["Refusal"]
    assert set(refusal["properties"]) == {"code", "message", "field", "errors"}
    assert refusal["properties"]["field"]["nullable"] is True
    for status in ERROR_STATUSES:
        answer = document["components"]["responses"][str(status)]
        assert answer["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Refusal"}
        assert not answer["description"].isascii()
    for path, method, operation in operations(document):
        for status in ERROR_STATUSES:
            answer = operation["responses"].get(str(status))
            assert answer is not None, (method, path, status)
            if "$ref" not in answer:
                assert answer["content"]["application/json"]["schema"]["$ref"].endswith(
                    "/Refusal"), (method, path, status)
        assert "api_key" not in str(operation.get("security", [])), (method, path)


def test_request_bodies_are_declared(document: dict[str, Any]) -> None:
    paths = document["paths"]

    def body(path: str, method: str = "post") -> dict[str, Any]:
        return paths[path][method]["requestBody"]["content"]

    schemas = document["components"]["schemas"]
    act = body("/api/v1/tasks/{pk}/act")["application/json"]["schema"]["$ref"]
    assert set(schemas[act.rsplit("/", 1)[1]]["required"]) == {"action", "version"}
    for path in ("/api/v1/account/recover", "/api/v1/account/password",
                 "/api/v1/account/supplier", "/api/v1/account/unit", "/api/v1/security/login",
                 "/api/v1/budget_callback/payment", "/api/v1/spending_plan/import"):
        assert "application/json" in body(path), path
    # Resources with files take the JSON as the part "data" and each file as a part.
    for path, files in (("/api/v1/contract/", {"contract_file"}),
                        ("/api/v1/method_change/", {"attachment"}),
                        ("/api/v1/procurement_plan/", {"import_proof", "unlinked_proof"})):
        for method, where in (("post", path), ("put", path + "{pk}")):
            form = body(where, method)["multipart/form-data"]["schema"]
            assert set(form["properties"]) == {"data", *files}, where
            assert form["properties"]["data"] == body(where, method)["application/json"][
                "schema"]
    # Every write of a REST resource says what it takes.
    for path, method, operation in operations(document):
        if method in ("post", "put") and "{pk}/" not in path and "refresh" not in path:
            assert "requestBody" in operation, (method, path)


@pytest.mark.parametrize("username", ["zz_clerk", "zz_div_first", "zz_internal",
                                      "zz_unitadmin", "zz_office", "91410100MA440A1B2D"])
def test_served_to_every_api_client(client: Any, api_token: Any, username: str) -> None:
    response = client.get("/api/v1/_openapi", headers=api_token(username))
    assert response.status_code == 200, response.get_json()
    assert "/api/v1/tasks/{pk}/act" in response.get_json()["paths"]


def test_refused_without_a_token_in_chinese(client: Any) -> None:
    response = client.get("/api/v1/_openapi")
    assert response.status_code == 401
    message = response.get_json()["message"]
    assert message and not message.isascii()


def test_every_post_and_function_with_an_api_reads_the_document() -> None:
    specs: list[tuple[str, tuple[tuple[str, str], ...]]] = [
        *((post.code, post.grants) for post in POSTS if post.code != SYS_ADMIN),
        *((function.code, function.grants) for function in FUNCTIONS)]
    for code, grants in specs:
        if any(view.endswith("Api") for _, view in grants):
            assert API_DOCS in grants, code


def test_swagger_ui_for_administrators(login_as: Any) -> None:
    web = login_as("admin")
    page = web.get("/swagger/v1")
    assert page.status_code == 200
    assert "/api/v1/_openapi" in page.get_data(as_text=True)
    # The page fetches the document with the session cookie.
    assert web.get("/api/v1/_openapi").status_code == 200
