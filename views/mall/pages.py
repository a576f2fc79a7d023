"""What the buyer's and the supplier's order pages share: the order a URL names, the version a
form was rendered with."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import abort, current_app

from app.scope import current_operator
from app.services.errors import ServiceError
from app.services.mall import core
from models.mall import MallOrder


def version_of(form: Any) -> int:
    """The version a form was rendered with (missing or garbled: -1, refused as stale)."""
    text = str(form.get("version") or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1


def _refused(error: ServiceError) -> NoReturn:
    abort(error.status)


def buyer_order(pk: int) -> MallOrder:
    """The order ``pk`` of the signed-in buyer's unit, else the refusal's status (404)."""
    try:
        return core.buyer_order(current_app.appbuilder.session,  # type: ignore[attr-defined]
                                current_operator(), pk)
    except ServiceError as exc:
        _refused(exc)
