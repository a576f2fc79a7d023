"""Error pages and JSON errors in Chinese; no traceback or English reaches a user."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, StatementError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.edge import TOO_DEEP, TOO_LARGE_BODY, InvalidInput
from app.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: "请求无效，请检查填写的内容。",
    401: "请先登录。",
    403: "您没有权限访问该页面或执行该操作。",
    404: "您访问的页面或记录不存在，或不在您的权限范围内。",
    405: "不支持该请求方式。",
    409: "该记录已被他人修改，请刷新后重试。",
    413: "上传的文件过大。",
    415: "请求内容类型不受支持。",
    422: "提交的内容不符合要求。",
    429: "操作过于频繁，请稍后再试。",
    500: "系统内部错误，请稍后再试或联系系统管理员。",
}
# The ``code`` of an error answer by status; a service's refusal carries its own.
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large",
    415: "unsupported_media_type", 422: "invalid", 429: "rate_limited", 500: "server_error",
}

CSRF_MESSAGE = "页面已过期或来源无效，请刷新页面后重新提交。"
OUT_OF_RANGE = "提交的数值或文字超出允许的范围，请检查后重试。"


def error_body(status: int, message: str | None = None, field: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    """The JSON of every error answer: ``{"code", "message", "field"}``."""
    fallback = MESSAGES[500] if status >= 500 else MESSAGES[400]
    return {"code": code or CODES.get(status, "bad_request" if status < 500 else "server_error"),
            "message": message or MESSAGES.get(status, fallback), "field": field}


def client_error(exc: BaseException) -> tuple[int, str, str | None] | None:
    """(status, message, field) when ``exc`` was caused by the request's input, else None.

    The edge refuses such input first; this answers what still reaches the database or a
    parser another way (and FAB's ``@safe`` REST handlers, which see the exception first).
    """
    if isinstance(exc, InvalidInput):
        return exc.code or 400, exc.message, exc.field
    if isinstance(exc, RequestEntityTooLarge):
        upload = request.mimetype == "multipart/form-data"
        return 413, MESSAGES[413] if upload else TOO_LARGE_BODY, None
    if isinstance(exc, RecursionError):
        return 400, TOO_DEEP, None
    cause = exc.orig if isinstance(exc, StatementError) else exc
    if isinstance(exc, DataError) or isinstance(cause, OverflowError | UnicodeEncodeError):
        log.warning("input refused by the database on %s: %s", request.path, cause)
        return 400, OUT_OF_RANGE, None
    return None


def _respond(status: int, message: str | None = None,
             field: str | None = None) -> tuple[object, int]:
    _discard_transaction()
    body = error_body(status, message, field)
    if request.path.startswith("/api/"):
        return jsonify(body), status
    appbuilder = current_app.appbuilder
    if "user" not in g:
        # An error raised before FAB's own hook (CSRF, the edge) renders the layout too.
        g.user = current_user
    try:
        page = render_template(
            "error.html", appbuilder=appbuilder, base_template=appbuilder.base_template,
            status=status, message=body["message"],
        )
    except Exception:
        # The page layout itself failed (e.g. the database is down): answer in plain text.
        log.exception("error page could not be rendered")
        page = f"{status} {body['message']}"
    return page, status


def _discard_transaction() -> None:
    """A failed statement leaves the session unusable until rolled back (the page needs it)."""
    try:
        db.session.rollback()
    except Exception:
        log.exception("rollback after an error failed")


def register_error_handlers(app: Flask) -> None:
    """Answer HTTP errors and unexpected exceptions with a Chinese page or JSON body."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[object, int]:
        return _respond(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[object, int]:
        known = client_error(exc)
        if known is not None:
            return _respond(*known)
        return _respond(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[object, int]:
        known = client_error(exc)
        if known is not None:
            return _respond(*known)
        log.exception("unhandled error on %s", request.path)
        return _respond(500)
