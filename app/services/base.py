"""Helpers shared by the services."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

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
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> R:
        with session.no_autoflush:
            return func(session, *args, **kwargs)

    return wrapper
