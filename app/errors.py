"""Error pages and JSON errors in Chinese; no traceback or English reaches a user."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: "请求无效，请检查填写的内容。",
    401: "请先登录。",
    403: "您没有权限访问该页面或执行该操作。",
    404: "您访问的页面或记录不存在，或不在您的权限范围内。",
    405: "不支持该请求方式。",
    409: "该记录已被他人修改，请刷新后重试。",
    413: "上传的文件过大。",
    422: "提交的内容不符合要求。",
    429: "操作过于频繁，请稍后再试。",
    500: "系统内部错误，请稍后再试或联系系统管理员。",
}


CSRF_MESSAGE = "页面已过期或来源无效，请刷新页面后重新提交。"


def _respond(status: int, message: str | None = None) -> tuple[object, int]:
    message = message or MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    if request.path.startswith("/api/"):
        return jsonify(message=message), status
    appbuilder = current_app.appbuilder
    try:
        page = render_template(
            "error.html", appbuilder=appbuilder, base_template=appbuilder.base_template,
            status=status, message=message,
        )
    except Exception:
        # The page layout itself failed (e.g. the database is down): answer in plain text.
        log.exception("error page could not be rendered")
        page = f"{status} {message}"
    return page, status


def register_error_handlers(app: Flask) -> None:
    """Answer HTTP errors and unexpected exceptions with a Chinese page or JSON body."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[object, int]:
        return _respond(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[object, int]:
        return _respond(exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[object, int]:
        log.exception("unhandled error on %s", request.path)
        return _respond(500)
