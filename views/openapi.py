"""The OpenAPI document at ``/api/<version>/_openapi``: FAB's, completed so that a generated
client can call every operation.

FAB writes each operation from its docstring only: a custom ``@expose("/<int:pk>/submit")``
whose docstring does not repeat the ``pk`` parameter is published without it, and the error
answers are FAB's English ``{"message"}``. :func:`complete` adds what the Flask URL rules and
the REST resources already know: every path parameter with its type, the multipart form of
bodies that take files, the ``Refusal`` answer of every error status, and it drops the
operations that no role can ever be granted (routes outside a resource's
``base_permissions``, which FAB answers 403 whoever asks).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from flask import Response, current_app
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.api.manager import OpenApi as FabOpenApi
from flask_appbuilder.const import PERMISSION_PREFIX
from werkzeug.routing import Map

from app.errors import MESSAGES
from views.rest import ChineseApiErrors

# Integer columns and ids are 32-bit on PostgreSQL (and refused above it on SQLite).
INT32_MAX = 2**31 - 1
# The statuses whose body is a Refusal, on every operation.
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429)
REFUSAL_REF = {"$ref": "#/components/schemas/Refusal"}
REFUSAL: dict[str, Any] = {
    "type": "object",
    "description": "拒绝或出错时的回答（所有 4xx、5xx 状态）。",
    "properties": {
        "code": {"type": "string", "description": "稳定的错误代码，如 invalid、not_in_scope、"
                                                  "forbidden、not_found、conflict、rate_limited"},
        "message": {"type": "string", "description": "给用户看的中文说明"},
        "field": {"type": "string", "nullable": True, "description": "所涉字段，无则为 null"},
        "errors": {"type": "object", "additionalProperties": True,
                   "description": "请求体不符合格式时，每个字段的说明"},
    },
    # Every answer has a message; token refusals (flask-jwt-extended) carry no code.
    "required": ["message"],
}
METHODS = ("get", "put", "post", "delete", "patch")
# Werkzeug's converters and the OpenAPI type of their values.
CONVERTER_TYPES: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
    "float": {"type": "number", "minimum": 0},
    "uuid": {"type": "string", "format": "uuid"},
}
RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule (``/api/v1/tasks/<int:pk>/act``) as an OpenAPI path (``…/{pk}/act``)."""
    return RULE_ARGUMENT.sub(lambda found: "{" + found.group("name") + "}", rule)


def path_parameters(rule: str) -> list[dict[str, Any]]:
    """The path parameters of a Flask rule, typed by their converters (``None``: any text)."""
    return [{
        "in": "path", "name": found.group("name"), "required": True,
        "schema": CONVERTER_TYPES.get(found.group("converter") or ""),
    } for found in RULE_ARGUMENT.finditer(rule)]


def reachable(api: BaseApi, attr_name: str) -> bool:
    """Whether some role can be granted the method (FAB answers 403 outside base_permissions)."""
    method = getattr(api, attr_name, None)
    if method is None or not hasattr(method, "_permission_name"):
        return True  # not protected: public
    return f"{PERMISSION_PREFIX}{api.get_method_permission(attr_name)}" in api.base_permissions


class Route:
    """One Flask URL rule of a REST resource: its OpenAPI path, methods and parameters."""

    def __init__(self, api: BaseApi, attr_name: str, rule: str, methods: Iterable[str]) -> None:
        self.api, self.attr_name, self.rule = api, attr_name, rule
        self.path = openapi_path(rule)
        self.methods = sorted(m.lower() for m in methods if m.lower() in METHODS)
        self.parameters = path_parameters(rule)


def api_routes(apis: Iterable[BaseApi], url_map: Map) -> list[Route]:
    """The URL rules of ``apis`` (by blueprint), in the order Flask matches them."""
    by_blueprint = {api.blueprint.name: api for api in apis}
    routes = []
    for rule in url_map.iter_rules():
        blueprint, _, attr_name = rule.endpoint.partition(".")
        api = by_blueprint.get(blueprint)
        if api is not None:
            routes.append(Route(api, attr_name, rule.rule, rule.methods or ()))
    return routes


def _declare_path_parameters(operation: dict[str, Any], route: Route) -> None:
    """Each path parameter declared once, required, with its converter's type."""
    given = operation.setdefault("parameters", [])
    for parameter in route.parameters:
        same = [p for p in given if p.get("in") == "path" and p.get("name") == parameter["name"]]
        if not same:
            same = [{**parameter, "schema": {"type": "string"}}]
            given.insert(0, same[0])
        for declared in same:
            declared["required"] = True
            schema = declared.setdefault("schema", {"type": "string"})
            if parameter["schema"] is not None:
                # A typed converter decides; the docstring's description stays.
                schema.update(copy.deepcopy(parameter["schema"]))
            elif schema.get("type") == "integer":
                # FAB's "/<pk>" (PUT, DELETE) matches any text but means an id.
                schema.update(CONVERTER_TYPES["int"])


def _multipart(operation: dict[str, Any], api: BaseApi) -> None:
    """A resource with files takes its JSON as the part ``data`` and each file as a part."""
    files: tuple[str, ...] = getattr(api, "file_fields", ())
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    if not files or body is None:
        return
    content["multipart/form-data"] = {
        "schema": {
            "type": "object",
            "properties": {
                "data": body,  # the same JSON as application/json (see "encoding")
                **{name: {"type": "string", "format": "binary"} for name in files},
            },
            "required": ["data"],
        },
        "encoding": {"data": {"contentType": "application/json"}},
    }


def _error_responses(operation: dict[str, Any]) -> None:
    """Every error status answers a Refusal (the operation's own description stays)."""
    responses = operation.setdefault("responses", {})
    for status in (*ERROR_STATUSES, 500):
        key = str(status)
        given = responses.get(key)  # apispec has made every status a string
        if given is None:
            if status in ERROR_STATUSES:
                responses[key] = {"$ref": f"#/components/responses/{key}"}
            continue
        if "$ref" in given:
            continue
        responses[key] = {"description": str(given.get("description") or MESSAGES[status]),
                          "content": {"application/json": {"schema": REFUSAL_REF}}}


def _components(document: dict[str, Any]) -> None:
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Refusal"] = REFUSAL
    responses = components.setdefault("responses", {})
    for status in (*ERROR_STATUSES, 500):
        responses[str(status)] = {
            "description": MESSAGES[status],
            "content": {"application/json": {"schema": REFUSAL_REF}},
        }
    if not current_app.config.get("FAB_API_KEY_ENABLED", False):
        # FAB names its API-key scheme on every operation even where keys are off.
        components.get("securitySchemes", {}).pop("api_key", None)


def _drop_api_key(operation: dict[str, Any]) -> None:
    if current_app.config.get("FAB_API_KEY_ENABLED", False):
        return
    if "security" in operation:
        operation["security"] = [s for s in operation["security"] if "api_key" not in s]


def complete(document: dict[str, Any], routes: Iterable[Route]) -> dict[str, Any]:
    """``document`` (FAB's, as a dict) with every route's operation complete; changed in place."""
    paths: dict[str, Any] = document.setdefault("paths", {})
    for route in routes:
        item = paths.get(route.path, {})
        for method in route.methods:
            if not reachable(route.api, route.attr_name):
                item.pop(method, None)
                continue
            operation = item.setdefault(method, {"responses": {}})
            responses = operation.setdefault("responses", {})
            if not any(str(status).startswith("2") for status in responses):
                responses["200"] = {"description": "成功"}
            _declare_path_parameters(operation, route)
            if method in ("post", "put"):
                _multipart(operation, route.api)
            _error_responses(operation)
            _drop_api_key(operation)
        if any(m in item for m in METHODS):
            paths[route.path] = item
        else:
            paths.pop(route.path, None)
    _components(document)
    return document


class OpenApi(ChineseApiErrors, FabOpenApi):
    """FAB's OpenAPI endpoint answering the completed document (same permission: OpenApi)."""

    @expose("/<version>/_openapi")
    @protect()
    @safe
    def get(self, version: str) -> Response:
        """The OpenAPI document of one API version (v1), for every signed-in API client.
        ---
        get:
          description: 某一版本（v1）全部接口的 OpenAPI 文档
          parameters:
          - {in: path, name: version, required: true, schema: {type: string}}
          responses:
            200:
              description: OpenAPI 3 文档
              content:
                application/json:
                  schema: {type: object}
        """
        apis = [view for view in self.appbuilder.baseviews
                if isinstance(view, BaseApi) and view.version == version]
        if not apis:
            return self.response_404()
        spec = self._create_api_spec(version)
        for api in apis:
            api.add_api_spec(spec)
        document = complete(spec.to_dict(), api_routes(apis, current_app.url_map))
        document["info"]["description"] = f"{self.appbuilder.app_name} REST 接口（JWT）"
        return self.response(200, **document)
