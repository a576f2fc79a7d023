"""The unit of work every door opens: commit on success, roll back on any error.

Pages and REST (``views/base.py``), CLI commands and scheduled jobs (``app/runner.py``) call a
service command inside :func:`unit_of_work`; services themselves never commit. Files a
command stored are removed again when its transaction does not commit, so a refusal leaves
no orphan on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.services import files
from app.services.errors import Conflict

log = logging.getLogger(__name__)
RACE_MESSAGE = "该记录已被他人修改，请刷新后重试。"


@contextmanager
def unit_of_work(session: Session | scoped_session[Any] | None = None) -> Iterator[Session]:
    """Yield the session; commit when the block ends, roll back when anything is raised.

    A write that loses a race at commit (a stale version, a unique key taken meanwhile)
    becomes :class:`Conflict`; every other exception is re-raised after the rollback.
    """
    session = cast(Session, session or db.session)
    with files.tracking() as written:
        try:
            yield session
            session.commit()
        except (StaleDataError, IntegrityError) as exc:
            _abandon(session, written)
            log.info("write lost a race: %s", exc)
            raise Conflict(RACE_MESSAGE) from exc
        except BaseException:
            _abandon(session, written)
            raise


def _abandon(session: Session, written: list[str]) -> None:
    session.rollback()
    files.remove(written)


def run_each(steps: Iterable[bool],
             session: Session | scoped_session[Any] | None = None) -> tuple[int, int]:
    """Drive a command that yields once per independent piece of work (a delivery attempt),
    committing after each and once more at the end; returns (steps that said True, the rest).

    A failure rolls back only the step it happened in; earlier steps stay committed.
    """
    session = session or db.session
    done = failed = 0
    try:
        for ok in steps:
            session.commit()
            done, failed = done + bool(ok), failed + (not ok)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return done, failed
