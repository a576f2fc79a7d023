"""The edge: every request's input checked once, before any view or FAB reads it.

A request that breaks a rule here never reaches a view: malformed or hostile input gets a 4xx
with a Chinese message (and the field) from :mod:`app.errors`, the same on SQLite and
PostgreSQL. The rules:

- ids in the path (``pk``, ``…_id``) beyond an INTEGER column are 404, like a missing record;
- text anywhere (path, query, form, JSON keys and values) holds no NUL, control character or
  unpaired surrogate, and no single value is longer than :data:`MAX_TEXT`;
- a JSON body is at most :data:`MAX_JSON_BYTES`, nested at most :data:`MAX_DEPTH` deep, its
  integers are within JSON's safe range and its numbers are finite (amounts are sent as
  text); an id beyond its column is the schema's to refuse (``views.schemas.identifier``);
- a body over ``MAX_CONTENT_LENGTH`` is 413 on REST as on pages;
- ``q`` (FAB's rison or JSON query) parses, follows the same rules, and its filters' values
  suit their columns; so do the ``_flt_<n>_<column>`` filters of list pages, and their paging
  arguments are whole numbers.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import prison
from flask import Flask, Request, current_app, request
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge

from models.values import CONTROL_TEXT, MAX_ID, bad_text, id_in_text

MAX_TEXT = 50_000
# JSON's safe integers (what a JavaScript client can represent exactly).
MAX_INTEGER = 2**53 - 1
MAX_DEPTH = 32
MAX_JSON_BYTES = 2 * 1024 * 1024
# Numeric(18, 2).
MAX_DECIMAL_DIGITS = 18

NOT_JSON = "请求内容不是有效的JSON。"
TOO_DEEP = f"请求内容嵌套层级过深（最多 {MAX_DEPTH} 层）。"
TOO_LONG = f"内容过长（最多 {MAX_TEXT} 个字符）。"
OUT_OF_RANGE = "数值超出允许的范围。"
BAD_QUERY = "查询参数 q 格式不正确（应为 Rison 或 JSON）。"
BAD_FILTER = "筛选条件“{label}”的取值无效。"
TOO_LARGE_BODY = "提交的内容过大。"

_FILTER_ARG = re.compile(r"^_flt_\d+_(.+)$")
# FAB's paging of list pages: ``page_<View>`` and ``psize_<View>``, read with int().
_PAGING_ARG = re.compile(r"^(page|psize)_[A-Z]")
BAD_PAGING = "分页参数无效。"


class InvalidInput(BadRequest):
    """Input refused at the edge: a 400 with a Chinese message and the field it concerns."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(description=message)
        self.code = status
        self.message, self.field = message, field


class EdgeRequest(Request):
    """Flask's request whose JSON is parsed once, with the edge's rules and Chinese refusals."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        raise InvalidInput(NOT_JSON)

    def get_json(self, force: bool = False, silent: bool = False,
                 cache: bool = True) -> Any:
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as exc:
            raise InvalidInput(TOO_DEEP) from exc
        check_value(value)
        return value


def load_json(text: str, field: str | None = None) -> Any:
    """``text`` as JSON under the edge's rules (e.g. the ``data`` part of a multipart body).

    :raises InvalidInput: when it is not JSON or breaks a rule
    """
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise InvalidInput(TOO_DEEP, field) from exc
    except ValueError as exc:
        raise InvalidInput(NOT_JSON, field) from exc
    check_value(value, field or "")
    return value


def check_value(value: Any, path: str = "", depth: int = 0) -> None:
    """Refuse a decoded value (JSON or rison) that breaks the edge's rules.

    :raises InvalidInput: naming the path of the offending value (``items.0.name``)
    """
    field = path or None
    if depth > MAX_DEPTH:
        raise InvalidInput(TOO_DEEP, field)
    if isinstance(value, str):
        check_text(value, field)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            raise InvalidInput(OUT_OF_RANGE, field)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(OUT_OF_RANGE, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key), field)
            check_value(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_value(item, f"{path}.{index}" if path else str(index), depth + 1)


def check_text(value: str, field: str | None = None) -> None:
    """Refuse text with control characters or longer than :data:`MAX_TEXT`."""
    if bad_text(value):
        raise InvalidInput(CONTROL_TEXT, field)
    if len(value) > MAX_TEXT:
        raise InvalidInput(TOO_LONG, field)


def check_request() -> None:
    """Before every view: size, path ids, query, form and JSON (see the module's rules)."""
    _check_size()
    for name, value in (request.view_args or {}).items():
        _check_path_value(name, value)
    for name, value in request.args.items(multi=True):
        check_text(name, name)
        check_text(value, name)
        if _PAGING_ARG.match(name) and id_in_text(value) is None and value != "0":
            raise InvalidInput(BAD_PAGING, name)
    if request.path.startswith("/api/") and request.args.get("q"):
        _check_query(request.args["q"])
    _check_filters()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            check_text(name, name)
            check_text(value, name)
        for name, upload in request.files.items(multi=True):
            check_text(upload.filename or "", name)
    elif request.is_json and request.content_length != 0:
        request.get_json()


def _check_size() -> None:
    length = request.content_length
    if length is None:
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.is_json:
        limit = min(limit or MAX_JSON_BYTES, MAX_JSON_BYTES)
    if limit is not None and length > limit:
        raise RequestEntityTooLarge(TOO_LARGE_BODY)


def _check_path_value(name: str, value: Any) -> None:
    if isinstance(value, int):
        if not 0 <= value <= MAX_ID:
            raise NotFound()
        return
    text = str(value)
    if bad_text(text) or len(text) > MAX_TEXT:
        raise NotFound()
    if (name == "pk" or name == "id" or name.endswith("_id")) and id_in_text(text) is None:
        raise NotFound()


def _check_query(text: str) -> None:
    try:
        value = prison.loads(text)
    except prison.decoder.ParserException:
        # FAB reads ``q`` as JSON when it is not rison (FAB_API_ALLOW_JSON_QS).
        try:
            value = load_json(text, "q")
        except InvalidInput:
            raise InvalidInput(BAD_QUERY, "q") from None
    except Exception:
        # FAB does not catch the rest (ValueError for ``-5.26e+16``): a 500 there.
        raise InvalidInput(BAD_QUERY, "q") from None
    check_value(value, "q")
    if isinstance(value, dict) and isinstance(value.get("filters"), list):
        for rule in value["filters"]:
            if isinstance(rule, dict) and isinstance(rule.get("col"), str):
                _check_filter(rule["col"], rule.get("value"))


def _check_filters() -> None:
    for name, value in request.args.items(multi=True):
        found = _FILTER_ARG.match(name)
        if found:
            _check_filter(found.group(1), value)


def _check_filter(column: str, value: Any) -> None:
    """A filter value must suit its column: an id, an integer or an amount (no column is float)."""
    datamodel = getattr(_current_view(), "datamodel", None)
    if datamodel is None or column not in datamodel.list_properties:
        return
    if datamodel.is_relation(column) or datamodel.is_integer(column):
        ok = _fits_integer(value)
    elif datamodel.is_numeric(column):
        ok = _fits_decimal(value)
    else:
        return
    if not ok:
        view = _current_view()
        label = str(getattr(view, "label_columns", {}).get(column) or column)
        raise InvalidInput(BAD_FILTER.format(label=label), column)


def _fits_integer(value: Any) -> bool:
    if isinstance(value, list):
        return all(_fits_integer(item) for item in value)
    if isinstance(value, bool) or value in (None, ""):
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_ID
    text = str(value).strip().removeprefix("-")
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


def _fits_decimal(value: Any) -> bool:
    if value in (None, ""):
        return True
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return False
    # Beyond Numeric(18, 2) no stored amount can compare; the databases would disagree.
    return number.is_finite() and number.adjusted() < MAX_DECIMAL_DIGITS - 2


def _current_view() -> Any:
    """The FAB view or API the request is routed to (its endpoint is the class name)."""
    endpoint = (request.endpoint or "").split(".", 1)[0]
    views = current_app.extensions.setdefault("edge_views", {})
    if not views:
        appbuilder = current_app.appbuilder  # type: ignore[attr-defined]
        views.update({view.endpoint: view for view in appbuilder.baseviews
                      if getattr(view, "endpoint", None)})
    return views.get(endpoint)


def register_edge(app: Flask) -> None:
    """Check every request at the edge (first of the request hooks)."""
    app.request_class = EdgeRequest
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
