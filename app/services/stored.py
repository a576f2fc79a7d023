"""The last check before a flush: no value the database would refuse or hold differently.

The edge (``app/edge.py``) refuses such input from a request; this catches whatever reaches a
record another way (an import, a job, a command composing text) with a refusal instead of a
database error, alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, String, event, inspect
from sqlalchemy.orm import Session

from app.services.errors import ValidationFailed
from models.values import CONTROL_TEXT, MAX_ID, bad_text

OUT_OF_RANGE = "数值超出允许的范围。"


def check_values(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse a flush that would store a text too long for its column or with control
    characters, or an integer beyond its INTEGER column.

    :raises ValidationFailed: naming the column (the input field of the same name)
    """
    for item in (*session.new, *session.dirty):
        state = inspect(item)
        for column in state.mapper.column_attrs:
            kind = getattr(column.expression, "type", None)
            if not isinstance(kind, String | Integer) or isinstance(kind, BigInteger):
                continue
            for value in state.attrs[column.key].history.added or ():
                if isinstance(kind, String):
                    _check_text(column.key, value, kind.length)
                elif isinstance(value, int) and abs(value) > MAX_ID:
                    raise ValidationFailed(OUT_OF_RANGE, field=column.key)


def _check_text(key: str, text: Any, length: int | None) -> None:
    if not isinstance(text, str):
        return
    if bad_text(text):
        raise ValidationFailed(f"“{key}”{CONTROL_TEXT}", field=key)
    if length is not None and len(text) > length:
        raise ValidationFailed(f"“{key}”的内容过长，最多 {length} 个字符。", field=key)


def watch_flushes() -> None:
    """Check every session's flushes (idempotent)."""
    if not event.contains(Session, "before_flush", check_values):
        event.listen(Session, "before_flush", check_values)
