"""消息中心: a person's messages, what a transition tells whom, read one at a time or all at once.

The workflow adapter calls :func:`transition_notices` wherever it persists a transition, so
every way a record moves (page, REST, CLI) tells the same people the same thing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.services.sms import queue_sms
from app.services.workflow_registry import RecordType, WorkflowRecord
from app.timezone import utcnow
from models import Notification, Operator, Post, WorkflowInstance, WorkflowTask
from workflow import Status, Transition

TASK_TARGET = "task:"
RECORD_TARGET = "record:"
# Which messages also go by SMS (WORKFLOW_SMS): to the applicant on 退回 (returned), 完成
# (completed) and 计划编号 (plan_number), to the reviewers on a new task (new_task).
SMS_EVENTS = ("returned", "completed", "plan_number", "new_task")
SMS_PREFIX = "【河南省政府采购网】"
QUIET = "workflow_sms_off"  # app.extensions key set by :func:`without_sms`


def task_target(task_id: int) -> str:
    """What a message about a task points at; the views turn it into the review page's URL."""
    return f"{TASK_TARGET}{task_id}"


def task_of(target: str) -> int | None:
    """The task a message points at, if it points at one."""
    rest = target.removeprefix(TASK_TARGET)
    return int(rest) if rest != target and rest.isdigit() else None


def record_target(record_type: str, record_id: int) -> str:
    """What a message about a record points at; the views turn it into its show page's URL."""
    return f"{RECORD_TARGET}{record_type}:{record_id}"


def record_of(target: str) -> tuple[str, int] | None:
    """The (record type, id) a message points at, if it points at a record."""
    rest = target.removeprefix(RECORD_TARGET)
    record_type, _, pk = rest.rpartition(":")
    if rest == target or not record_type or not pk.isdigit():
        return None
    return record_type, int(pk)


def holders(session: Session, unit_id: int, post_code: str) -> list[Operator]:
    """Active operators holding ``post_code`` in the unit."""
    return list(session.scalars(
        select(Operator).join(Post, Operator.post_id == Post.id)
        .where(Operator.unit_id == unit_id, Post.code == post_code,
               Operator.active.is_(True)).order_by(Operator.id)))


def notify(session: Session, person: Operator, kind: str, title: str, link: str,
           body: str = "") -> Notification:
    """Write one message to one person's 消息中心 (in the caller's transaction)."""
    message = Notification(recipient_id=person.id, kind=kind, title=title[:200], link=link,
                           body=body, created_on=utcnow())
    session.add(message)
    return message


def sms_events() -> frozenset[str]:
    """The events of :data:`SMS_EVENTS` that WORKFLOW_SMS switches on."""
    if current_app.extensions.get(QUIET):
        return frozenset()
    setting = str(current_app.config.get("WORKFLOW_SMS", ""))
    return frozenset(e.strip() for e in setting.split(",") if e.strip() in SMS_EVENTS)


@contextmanager
def without_sms() -> Iterator[None]:
    """Messages but no SMS while made-up records are loaded (the demo's history)."""
    current_app.extensions[QUIET] = True
    try:
        yield
    finally:
        current_app.extensions.pop(QUIET, None)


def _tell(session: Session, people: list[Operator], event: str, title: str, link: str,
          body: str = "") -> None:
    by_sms = event in sms_events()
    for person in {p.id: p for p in people}.values():
        notify(session, person, event, title, link, body)
        if by_sms and person.phone:
            detail = f"，{body}" if body else ""
            queue_sms(session, person.phone, event,
                      f"{SMS_PREFIX}{person.first_name}，{title}{detail}。请登录系统查看。")


def transition_notices(session: Session, kind: RecordType, instance: WorkflowInstance,
                       record: WorkflowRecord, transition: Transition,
                       closed: WorkflowTask | None, opened: WorkflowTask | None, opinion: str,
                       number_before: str) -> None:
    """Tell the applicant of a 退回 (with the opinion) or completion (with a new number), and
    the holders of the opened task's post that it waits for them.

    :param closed: the task the transition closed (a review), if any
    :param opened: the task it opened, if any
    :param number_before: the record's summary number before the completion hooks ran: a
        number that appears or changes (政府采购计划编号) is told with the completion
    """
    summary = kind.summary(record)
    what = f"{kind.label}《{summary.title}》"
    link = record_target(kind.name, record.id)
    status = transition.state.status
    applicant = [instance.submitter]
    if status == Status.returned:
        by = f"（{closed.step_label}）" if closed is not None else ""
        body = f"审批意见：{opinion.strip()}" if opinion.strip() else ""
        _tell(session, applicant, "returned", f"已退回：{what}被退回修改{by}", link, body)
    elif status == Status.completed:
        if summary.number and summary.number != number_before:
            verb = "变更为" if number_before else "："
            _tell(session, applicant, "plan_number",
                  f"已完成：{what}已审核通过，政府采购计划编号{verb}{summary.number}", link)
        else:
            _tell(session, applicant, "completed", f"已完成：{what}已审核通过", link)
    if opened is not None:
        _tell(session, holders(session, opened.unit_id, opened.post_code), "new_task",
              f"新待办：{what}（{opened.step_label}）", task_target(opened.id),
              f"申请单位：{instance.unit.name}")


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
