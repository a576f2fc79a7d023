"""Session and token identities that end: ``"<id>:<credential_version>"``, and the Chinese
answers of flask-jwt-extended's refusals.

A session cookie (Flask-Login's ``_user_id``), an access token and a refresh token all carry
:meth:`models.Operator.get_id`. ``app.services.operators.end_sessions`` raises the account's
version; from then on every earlier identity is refused by
:meth:`app.security.ProcurementSecurityManager.load_user`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Response, jsonify
from flask_jwt_extended import JWTManager

from app.errors import MESSAGES, error_body
from models.values import MAX_ID

log = logging.getLogger(__name__)

# Bounded (with MAX_ID) so that a number beyond the integer column never reaches the database.
IDENTITY = re.compile(r"([0-9]{1,10}):([0-9]{1,10})")

SESSION_ENDED = "登录已失效（密码已修改或重置、账号已停用或已退出登录），请重新登录。"
TOKEN_EXPIRED = "登录已过期，请重新登录。"
TOKEN_INVALID = "登录令牌无效，请重新登录。"
NEEDS_FRESH = "该操作需要重新登录后再进行。"


def parse_identity(value: Any) -> tuple[int, int] | None:
    """The operator id and credential version of an identity, or None when malformed.

    A bare ``"<id>"`` (issued before versions existed) is malformed too: it must not outlive
    the change that introduced them.
    """
    if not isinstance(value, str):
        return None
    found = IDENTITY.fullmatch(value)
    if found is None:
        return None
    operator_id, version = int(found.group(1)), int(found.group(2))
    if operator_id > MAX_ID or version > MAX_ID:
        return None
    return operator_id, version


def _refusal(message: str, status: int = 401) -> tuple[Response, int]:
    # The shape of every other REST refusal, never the library's {"msg"}.
    return jsonify(error_body(status, message)), status


def register_jwt_refusals(manager: JWTManager) -> None:
    """Answer every refused JWT with a Chinese ``{"code", "message", "field"}`` and 401,
    without a traceback.

    flask-jwt-extended answers in English (``"Token has expired"``, ``"Error loading the
    user 5"``) and a malformed token with 422; a client must sign in again in every case.
    """
    def invalid(reason: str) -> tuple[Response, int]:
        log.info("JWT refused: %s", reason)
        return _refusal(TOKEN_INVALID)

    manager.user_lookup_error_loader(lambda _header, _data: _refusal(SESSION_ENDED))
    manager.revoked_token_loader(lambda _header, _data: _refusal(SESSION_ENDED))
    manager.expired_token_loader(lambda _header, _data: _refusal(TOKEN_EXPIRED))
    manager.needs_fresh_token_loader(lambda _header, _data: _refusal(NEEDS_FRESH))
    manager.token_verification_failed_loader(lambda _header, _data: _refusal(TOKEN_INVALID))
    manager.invalid_token_loader(invalid)
    manager.unauthorized_loader(lambda _reason: _refusal(MESSAGES[401]))
