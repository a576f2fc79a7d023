"""The REST door: explicit bodies in, the same commands as the pages, refusals as
``{"code", "message", "field"}``; FAB's English answers replaced by Chinese ones."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, jsonify, make_response, request
from flask_appbuilder import ModelRestApi
from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session

from app.edge import BAD_QUERY, NOT_JSON, load_json
from app.errors import MESSAGES, client_error, error_body
from app.services.errors import ServiceError, ValidationFailed
from app.transaction import unit_of_work
from views.api_messages import chinese, first_error, names_no_field
from views.base import ServiceHooks
from views.export import ExportApi
from views.filters import chinese_operations
from views.labels import chinese_labels

T = TypeVar("T")


class ChineseApiErrors:
    """FAB's API answers errors in English ("Fatal error", "Not found"); these say it in Chinese.

    :meth:`run` is the REST door's unit of work: a refusal answers
    ``{"code", "message", "field"}`` with its status.
    """

    def run(self, command: Callable[[Session], T], respond: Callable[[T], Response]) -> Response:
        """Call ``command`` in a unit of work and answer with ``respond(result)`` or the refusal."""
        try:
            with unit_of_work() as session:
                result = command(session)
        except ServiceError as exc:
            return self.refusal(exc)
        return respond(result)

    def invalid_body(self, error: ValidationError) -> Response:
        """A body that breaks its schema, answered like a refusal: the first field's message
        (after its Chinese label, where the resource has one) and every field's in ``errors``."""
        errors = chinese(error.messages)
        field, text = first_error(errors)
        # A Chinese label where the resource declares one; else the API's own field name
        # (FAB's generated labels are English: "New Method").
        given = str(getattr(self, "label_columns", {}).get(field) or "")
        label = given if given and not given.isascii() else (field or "")
        # The schema's own messages name their field already (采购方式无效…); marshmallow's don't.
        named = f"{label}：{text}" if label and names_no_field(text) else text
        refused = ValidationFailed(named, field=field)
        return self.refusal(refused, errors=errors)

    def body(self, schema: type[Schema]) -> dict[str, Any] | Response:
        """The JSON body loaded by ``schema``, or the refusal to answer."""
        try:
            return request_body(schema())
        except ValidationError as err:
            return self.invalid_body(err)

    def run_body(self, schema: type[Schema], command: Callable[[Session, dict[str, Any]], T],
                 respond: Callable[[T], Response]) -> Response:
        """:meth:`run` the command on the JSON body loaded by ``schema`` (or refuse the body)."""
        data = self.body(schema)
        if isinstance(data, Response):
            return data
        return self.run(lambda session: command(session, data), respond)

    def refusal(self, error: ServiceError, **extra: Any) -> Response:
        """A service's refusal as the REST body."""
        # Not FAB's ``response``: its first parameter is called ``code``.
        answer = make_response(jsonify({**error.as_dict(), **extra}), error.status)
        answer.headers["Content-Type"] = "application/json; charset=utf-8"
        return answer

    def error(self, status: int, message: str | None = None,
              field: str | None = None) -> Response:
        """An error answer of the REST door: ``{"code", "message", "field"}``."""
        answer = make_response(jsonify(error_body(status, message, field)), status)
        answer.headers["Content-Type"] = "application/json; charset=utf-8"
        return answer

    def response_400(self, message: Any = None) -> Response:
        # FAB's ``@safe`` answers a BadRequest raised inside a view with str(exc), English.
        known = _input_error()
        if known is not None:
            return self.error(*known)
        return self.error(400, _chinese_400(message))

    def response_401(self) -> Response:
        return self.error(401)

    def response_403(self) -> Response:
        return self.error(403)

    def response_404(self) -> Response:
        return self.error(404)

    def response_405(self) -> Response:
        return self.error(405)

    def response_422(self, message: Any = None) -> Response:
        if isinstance(message, dict):
            return self.invalid_body(ValidationError(message))
        return self.error(422, str(chinese(message)) if message else "请求内容无法处理。")

    def response_500(self, message: Any = None) -> Response:
        # FAB's ``@safe`` calls this inside its ``except``: input the edge could not see
        # (a value the database refuses, an upload over the limit) is still the client's.
        known = _input_error()
        if known is not None:
            return self.error(*known)
        # The cause is logged by FAB; the caller learns nothing about the internals.
        return self.error(500)


# FAB's own English 400 messages, and what they mean.
_FAB_400 = (
    ("Request is not JSON", NOT_JSON),
    ("Not a valid rison", BAD_QUERY),
    ("Not a valid rison/json", BAD_QUERY),
)


def _chinese_400(message: Any) -> str:
    if isinstance(message, str):
        for english, text in _FAB_400:
            if message.startswith(english):
                return text
    translated = chinese(message) if message else None
    if isinstance(translated, str) and not translated.isascii():
        return translated
    if isinstance(translated, dict | list):
        return first_error(translated)[1]
    return MESSAGES[400]


def _input_error() -> tuple[int, str, str | None] | None:
    exc = sys.exc_info()[1]
    return client_error(exc) if exc is not None else None


class ServiceRestApi(ExportApi, ChineseApiErrors, ServiceHooks, ModelRestApi):
    """A REST resource whose writes take an explicit body schema and call :meth:`save`.

    ``body_schema`` lists plain values and ids (a reference as ``<name>_id``, which may keep
    FAB's key with ``data_key``); FAB's generic relationship assignment is never used. A
    resource without one has no POST or PUT.
    """

    # Only JWT: a session cookie must not authorise API writes that carry no CSRF token.
    allow_browser_login = False
    page_size = 20
    body_schema: type[Schema] | None = None
    # FAB's (untyped) labels; English ones are replaced by the page's (views.labels).
    label_columns: dict[str, Any]
    # POST's body when it differs from PUT's (e.g. an initial password).
    post_schema: type[Schema] | None = None
    # PUT changes the fields it names (FAB's habit); False: PUT sends the whole body.
    partial_put = True

    def __init__(self) -> None:
        if self.body_schema is not None:
            # The OpenAPI document then describes the body the endpoints really take.
            self.add_model_schema = (self.post_schema or self.body_schema)()
            # Its own class, so that apispec names the PUT body apart from the POST body.
            change = type(f"{self.body_schema.__name__}Change", (self.body_schema,), {})
            self.edit_model_schema = change()
        super().__init__()
        self.label_columns = chinese_labels(self.datamodel.obj, self.label_columns)
        for column in self.search_columns:  # _info names the operations as the pages do
            chinese_operations(self._filters, self.datamodel, column, lists=True)

    def pre_get(self, data: dict[str, Any]) -> None:
        """A record's answer says which of its ruled actions apply now (``allowed``: 修改 is
        ``edit``, 删除 ``delete``, 提交 ``submit`` …), as its page offers them."""
        item = self.datamodel.get(data["id"], self._base_filters) if self.state_rules else None
        if item is not None:
            data["allowed"] = self.allowed(item)

    def _get_fields_info(self, cols: list[str], model_schema: Schema, filter_rel_fields: Any,
                         **kwargs: Any) -> list[dict[str, Any]]:
        # _info describes the explicit body: its plain fields, never a list of related records.
        if self.body_schema is None:
            return []
        return super()._get_fields_info(list(model_schema.fields), model_schema, {}, **kwargs)

    def _get_field_info(self, field: Any, filter_rel_field: Any, page: Any = None,
                        page_size: Any = None) -> dict[str, Any]:
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        # FAB translates "" for a column without label or description, which yields the
        # catalog's header; say nothing instead.
        sources = (("label", self.label_columns), ("description", self.description_columns))
        for key, given in sources:
            if not given.get(field.name):
                info[key] = ""
        return info

    def _write(self, item: Any) -> Response:
        schema = self.body_schema if item is not None else self.post_schema or self.body_schema
        if schema is None:
            return self.response_405()
        try:
            data = request_body(schema(), partial=item is not None and self.partial_put)
        except ValidationError as err:
            return self.invalid_body(err)
        return self.run(
            lambda session: self.save(session, self.actor, data, item),
            lambda record: self.response(201 if item is None else 200, id=record.id,
                                         result=self.show_model_schema.dump(record)))

    def post_headless(self) -> Response:
        return self._write(None)

    def put_headless(self, pk: Any) -> Response:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self._write(item)

    def delete_headless(self, pk: Any) -> Response:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self.run(lambda session: self.remove(session, self.actor, item),
                        lambda _: self.response(200, message="已删除。"))


def request_body(schema: Schema, partial: bool = False) -> dict[str, Any]:
    """The JSON body, or with files a multipart request whose part ``data`` holds the JSON.

    :raises ValidationError: when the body breaks the schema or is not a JSON object
    :raises InvalidInput: when ``data`` is not JSON or breaks the edge's rules
    """
    raw = request.form.get("data") if request.files or request.form else None
    payload = load_json(raw, "data") if raw else request.get_json(silent=True)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ValidationError({"_schema": ["请求内容应为 JSON 对象。"]})
    return schema.load(payload, partial=partial)
