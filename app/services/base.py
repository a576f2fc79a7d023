"""Helpers shared by the services."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy import CursorResult, Result, Select, func, select
from sqlalchemy.orm import Session

from app.services.errors import ValidationFailed

P = ParamSpec("P")
R = TypeVar("R")


def without_autoflush(
    func: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """Run a validation without flushing pending changes.

    A validation reads the database while the record being checked is still pending; a flush
    at that moment would hit a constraint before the rule could explain itself in Chinese.
    """

    @functools.wraps(func)
    def wrapper(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with session.no_autoflush:
            return func(session, *args, **kwargs)

    return wrapper


def matched_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched (its result is a CursorResult; any other
    result matched none)."""
    return result.rowcount if isinstance(result, CursorResult) else 0


@dataclass(frozen=True)
class Page(Generic[R]):
    """One page of a list and where it stands in the whole."""

    rows: list[R]
    total: int
    number: int  # from 1
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def page_number(value: Any, label: str = "页码") -> int:
    """A page number or size as sent (``None`` or empty means 1).

    :raises ValidationFailed: when it is not a positive whole number
    """
    if value is None or str(value).strip() == "":
        return 1
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise ValidationFailed(f"{label}必须是正整数。")
    return int(text)


def paginate(session: Session, query: Select[Any], number: int, size: int) -> Page[Any]:
    """Page ``number`` of ``query`` (a page past the end gives the last page).

    The count runs on the query without its ordering, so an index on the filter serves it;
    the page itself costs the same whatever the total.
    """
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    last = max(1, -(-(total or 0) // size))
    number = min(max(1, number), last)
    rows = list(session.scalars(query.limit(size).offset((number - 1) * size)).unique())
    return Page(rows, total or 0, number, size)
