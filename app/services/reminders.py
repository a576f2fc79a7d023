"""Reminders and escalation of open review tasks on the working-day calendar.

The scheduler calls :func:`run_reminders` and :func:`overdue_digest`; both take ``now`` so that
tests drive the clock. Reminder state lives on the task (``next_remind_on``, ``remind_count``,
``due_on``, ``escalated_on``) and changes in the same transaction as the notifications and the
SMS it causes: a crash sends nothing, a restart repeats nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, joinedload

from app.services.definitions import task_step
from app.services.notifications import holders, notify, task_target
from app.services.sms import queue_sms
from app.services.workflow_registry import registry
from app.timezone import BUSINESS_TZ, to_business, utcnow
from app.workdays import add_working_days, working_days_between
from models import (
    Notification,
    Operator,
    TaskStatus,
    Unit,
    UnitKind,
    WorkflowInstance,
    WorkflowTask,
)
from workflow.schema import Reminder, Step

SMS_TASKS_LISTED = 3


@dataclass(frozen=True)
class ReminderRun:
    """What one scan did."""

    reminded: int
    escalated: int
    sms: int


def business(value: datetime) -> datetime:
    """Stored naive UTC → naive Asia/Shanghai, the calendar's time."""
    return to_business(value).replace(tzinfo=None)


def stored(value: datetime) -> datetime:
    """Naive Asia/Shanghai → stored naive UTC."""
    return value.replace(tzinfo=BUSINESS_TZ).astimezone(UTC).replace(tzinfo=None)


def schedule(task: WorkflowTask, step: Step | None, now: datetime) -> None:
    """Set a new task's first reminder and its deadline from the step's reminder settings."""
    reminder = step.reminder if step else None
    if reminder is None:
        return
    start = business(now)
    task.next_remind_on = stored(add_working_days(start, reminder.after_days))
    if reminder.escalate_days:
        task.due_on = stored(add_working_days(start, reminder.escalate_days))


def age_in_working_days(task: WorkflowTask, now: datetime) -> int:
    """Whole working days the task has waited."""
    return working_days_between(business(task.created_on), business(now))


def _next_reminder(task: WorkflowTask, reminder: Reminder, now: datetime) -> datetime | None:
    pending_escalation = task.due_on if task.escalated_on is None else None
    if not reminder.repeat_days:
        return pending_escalation if pending_escalation and pending_escalation > now else None
    # Reminders missed while the scheduler was down are skipped, not sent in a burst.
    following = business(task.next_remind_on or now)
    while following <= business(now):
        following = add_working_days(following, reminder.repeat_days)
    candidate = stored(following)
    if pending_escalation and now < pending_escalation < candidate:
        return pending_escalation
    return candidate


def due_tasks(now: datetime, batch: int) -> Select[tuple[WorkflowTask]]:
    """The reminder scan's query: open tasks whose reminder has come, soonest first."""
    return (
        select(WorkflowTask)
        .where(WorkflowTask.status == TaskStatus.open, WorkflowTask.next_remind_on <= now)
        .options(joinedload(WorkflowTask.instance).joinedload(WorkflowInstance.definition))
        .order_by(WorkflowTask.next_remind_on, WorkflowTask.id).limit(batch))


def run_reminders(session: Session, now: datetime | None = None, batch: int = 500) -> ReminderRun:
    """Remind the assignees of due tasks, escalate overdue ones, send one SMS digest per person.

    Only open tasks whose ``next_remind_on`` has come are read (a partial index serves it), so
    the cost follows the number of due tasks. Commits once for the whole batch.
    """
    now = now or utcnow()
    due = list(session.scalars(due_tasks(now, batch)))
    digest: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    people: dict[int, Operator] = {}
    found: dict[tuple[int, str], list[Operator]] = {}

    def staff(unit_id: int, post_code: str) -> list[Operator]:
        # Many due tasks share a unit and post: look each pair up once per scan.
        if (unit_id, post_code) not in found:
            found[unit_id, post_code] = holders(session, unit_id, post_code)
        return found[unit_id, post_code]

    reminded = escalated = 0
    for task in due:
        step = task_step(task)
        if step is None or step.reminder is None:
            task.next_remind_on = None
            continue
        label = registry().records[task.instance.record_type].label
        link = task_target(task.id)
        assignees = staff(task.unit_id, task.post_code)
        overdue = task.due_on is not None and task.due_on <= now and task.escalated_on is None
        if overdue:
            task.escalated_on = now
            escalated += 1
            supervisors = staff(task.unit_id, step.reminder.escalate_to) \
                if step.reminder.escalate_to else []
            title = f"超期：{label}（{task.step_label}）已超过办理期限"
            for person in {p.id: p for p in [*assignees, *supervisors]}.values():
                notify(session, person, "escalation", title, link)
                people[person.id] = person
                digest[person.id].append((label, True))
        else:
            reminded += 1
            title = (f"待办提醒：{label}（{task.step_label}）已等待"
                     f"{age_in_working_days(task, now)}个工作日")
            for person in assignees:
                notify(session, person, "reminder", title, link)
                people[person.id] = person
                digest[person.id].append((label, False))
        task.remind_count += 1
        task.next_remind_on = _next_reminder(task, step.reminder, now)
    sms = 0
    for person_id, lines in digest.items():
        person = people[person_id]
        if person.phone:
            queue_sms(session, person.phone, "reminder", _digest_text(person, lines))
            sms += 1
    return ReminderRun(reminded, escalated, sms)


def _digest_text(person: Operator, lines: list[tuple[str, bool]]) -> str:
    overdue = sum(1 for _, late in lines if late)
    names = "、".join(dict.fromkeys(label for label, _ in lines))
    late = f"（其中{overdue}项已超期）" if overdue else ""
    return (f"【河南省政府采购网】{person.first_name}，您有{len(lines)}项待办任务待处理{late}："
            f"{names}。请及时登录系统办理。")


# More overdue lines of a supervised region: (session, region id, business date) -> (unit, count).
ExtraOverdue = Callable[[Session, int, date], list[tuple[str, int]]]


def overdue_digest(session: Session, now: datetime | None = None,
                   extra: ExtraOverdue | None = None) -> int:
    """每日超期汇总: tell each supervision department how many tasks of its region are overdue.

    Sent once per department and business day; returns the notifications written.

    :param extra: more overdue items of the region (the 网上商城's unpaid orders)
    """
    now = now or utcnow()
    kind = f"digest:{business(now).date().isoformat()}"
    written = 0
    for department in session.scalars(select(Unit).where(Unit.kind == UnitKind.supervision,
                                                         Unit.active.is_(True))):
        rows = session.execute(
            select(Unit.name, WorkflowTask.step_label, func.count(WorkflowTask.id))
            .join(Unit, WorkflowTask.unit_id == Unit.id)
            .where(WorkflowTask.status == TaskStatus.open, WorkflowTask.escalated_on.is_not(None),
                   Unit.region_id == department.region_id)
            .group_by(Unit.name, WorkflowTask.step_label).order_by(Unit.name)).all()
        total = sum(count for *_, count in rows)
        unpaid = extra(session, department.region_id, business(now).date()) if extra else []
        late = sum(count for _, count in unpaid)
        if not total and not late:
            continue
        body = "\n".join([*(f"{unit}·{step}：{count}项" for unit, step, count in rows),
                          *(f"{unit}·网上商城订单逾期未付款：{count}笔" for unit, count in unpaid)])
        title = f"超期待办汇总：本区划共{total}项待办已超期" + (
            f"，{late}笔网上商城订单逾期未付款" if late else "")
        for person in session.scalars(select(Operator).where(
                Operator.unit_id == department.id, Operator.active.is_(True))):
            sent = select(exists().where(Notification.recipient_id == person.id,
                                         Notification.kind == kind))
            if session.scalar(sent):
                continue
            session.add(Notification(recipient_id=person.id, kind=kind, body=body, link="",
                                     title=title,
                                     created_on=utcnow()))
            written += 1
    return written
