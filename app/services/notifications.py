"""消息中心: a person's messages, read one at a time or all at once."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.timezone import utcnow
from models import Notification, Operator

TASK_TARGET = "task:"


def task_target(task_id: int) -> str:
    """What a message about a task points at; the views turn it into the review page's URL."""
    return f"{TASK_TARGET}{task_id}"


def task_of(target: str) -> int | None:
    """The task a message points at, if it points at one."""
    rest = target.removeprefix(TASK_TARGET)
    return int(rest) if rest != target and rest.isdigit() else None


def mark_read(session: Session, reader: Operator, pk: int) -> Notification | None:
    """Mark one of the reader's messages read; ``None`` when it is not theirs (or missing)."""
    message = session.get(Notification, pk)
    if message is None or message.recipient_id != reader.id:
        return None
    if message.read_on is None:
        message.read_on = utcnow()
    return message


def mark_all_read(session: Session, reader: Operator) -> None:
    """全部标为已读."""
    session.execute(update(Notification).where(
        Notification.recipient_id == reader.id, Notification.read_on.is_(None))
        .values(read_on=utcnow()))
