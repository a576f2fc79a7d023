"""接口令牌 of a supplier: issued by its own account (the secret shown once), revoked there,
and the one way the supplier API tells which supplier is calling.

Only the SHA-256 of a secret is stored; its first characters (``prefix``) tell tokens apart.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.permissions import SUPPLIER
from app.services.errors import Conflict, NotFound, PermissionDenied, ServiceError
from app.services.mall.supplier import as_id, text
from app.timezone import utcnow
from models import Operator
from models.mall import SupplierToken

PREFIX = "sk_"
PREFIX_LENGTH = 8
NAME_LIMIT = 100
# The longest secret worth hashing ("sk_" and 43 characters are issued).
SECRET_LIMIT = 200
# last_used_on is written at most this often: a busy client does not write on every call.
USE_RESOLUTION = timedelta(minutes=1)


class Unauthorized(ServiceError):
    """The supplier API was called without a valid, unrevoked token."""

    status = 401
    code = "unauthorized"


UNAUTHORIZED = "缺少有效的供应商接口令牌（请在请求头 Authorization 中使用 Bearer 令牌）。"


def supplier_of(actor: Operator | None) -> int:
    """The supplier an account acts for.

    :raises PermissionDenied: the actor is not a supplier's account
    """
    if actor is None or actor.post_code != SUPPLIER or actor.supplier_id is None:
        raise PermissionDenied("只有供应商账号可以管理接口令牌。")
    return actor.supplier_id


def digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(session: Session, actor: Operator | None, name: Any) -> tuple[SupplierToken, str]:
    """签发 a token for the actor's supplier; the secret is returned here and never again.

    :raises PermissionDenied: the actor is not a supplier's account
    :raises ValidationFailed: no name, or a name too long (field ``name``)
    """
    supplier_id = supplier_of(actor)
    assert actor is not None
    label = text(name, "令牌名称", "name", NAME_LIMIT)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = SupplierToken(supplier_id=supplier_id, name=label, token_hash=digest(secret),
                          prefix=secret[:PREFIX_LENGTH], created_by_id=actor.id,
                          created_on=utcnow())
    session.add(token)
    session.flush()
    return token, secret


def own_tokens(session: Session, actor: Operator | None) -> list[SupplierToken]:
    """The actor's supplier's tokens, newest first (revoked ones too).

    :raises PermissionDenied: the actor is not a supplier's account
    """
    supplier_id = supplier_of(actor)
    return list(session.scalars(select(SupplierToken).where(
        SupplierToken.supplier_id == supplier_id).order_by(SupplierToken.id.desc())))


def revoke(session: Session, actor: Operator | None, token_id: Any) -> SupplierToken:
    """吊销 one of the supplier's tokens: calls with it are refused from now on.

    :raises PermissionDenied: the actor is not a supplier's account
    :raises NotFound: no such token of this supplier (code ``mall_token_not_found``)
    :raises Conflict: already revoked (code ``mall_token_revoked``)
    """
    supplier_id = supplier_of(actor)
    number = as_id(token_id)
    token = session.get(SupplierToken, number) if number else None
    if token is None or token.supplier_id != supplier_id:
        raise NotFound("接口令牌不存在。", code="mall_token_not_found")
    if token.revoked_on is not None:
        raise Conflict("该接口令牌已吊销。", code="mall_token_revoked")
    token.revoked_on = utcnow()
    return token


def authenticate(session: Session, secret: Any) -> SupplierToken | None:
    """The live token whose secret this is (its last use noted), else ``None``."""
    if (not isinstance(secret, str) or not secret.startswith(PREFIX)
            or len(secret) > SECRET_LIMIT or not secret.isascii()):
        return None
    token = session.scalar(select(SupplierToken).where(
        SupplierToken.token_hash == digest(secret)))
    if token is None or token.revoked_on is not None:
        return None
    now = utcnow()
    if token.last_used_on is None or now - token.last_used_on >= USE_RESOLUTION:
        token.last_used_on = now
    return token


def caller(session: Session, authorization: Any) -> SupplierToken:
    """The token of an ``Authorization: Bearer sk_…`` header.

    :raises Unauthorized: no such header, or a token unknown or revoked
    """
    scheme, _, secret = (authorization or "").partition(" ") if isinstance(
        authorization, str) else ("", "", "")
    token = authenticate(session, secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise Unauthorized(UNAUTHORIZED)
    return token
