"""工作台: what tells a task's record apart, a reviewer's queue and a clerk's filings by state.

Read-only queries for the task lists and the home page. Each costs a fixed number of queries
whatever the number of rows: records are loaded per record type, a page at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.services.workflow import SUBMIT, WITHDRAW, open_tasks
from app.services.workflow_registry import Summary, registry
from models import (
    Operator,
    PaymentApplication,
    PaymentStatus,
    TaskStatus,
    WorkflowHistory,
    WorkflowInstance,
    WorkflowTask,
)
from models.mall import MallException, MallOrder, OrderStatus
from workflow import Status

SHOWN = 10  # rows of each list on the home page
RECENT = 5  # recently completed filings shown


def summaries(session: Session, instances: Iterable[WorkflowInstance]) -> dict[int, Summary]:
    """The summary of each instance's record, by instance id (one query per record type)."""
    wanted: dict[str, dict[int, int]] = defaultdict(dict)
    for instance in instances:
        wanted[instance.record_type][instance.record_id] = instance.id
    found: dict[int, Summary] = {}
    kinds = registry().records
    for record_type, by_record in wanted.items():
        kind = kinds[record_type]
        model: Any = kind.model
        rows = session.scalars(
            select(model).where(model.id.in_(list(by_record)))
            .options(*(selectinload(getattr(model, name)) for name in kind.summary_loads)))
        for record in rows:
            found[by_record[record.id]] = kind.summary(record)
    return found


def handled(session: Session, tasks: Iterable[WorkflowTask]) -> dict[int, WorkflowHistory]:
    """The history line that closed each task (result, opinion), by task id."""
    ids = [task.id for task in tasks]
    if not ids:
        return {}
    return {line.task_id: line for line in session.scalars(
        select(WorkflowHistory).where(WorkflowHistory.task_id.in_(ids)))
        if line.task_id is not None}


def is_overdue(now: datetime) -> ColumnElement[bool]:
    """An open task past its 办理期限 (or already escalated), as a SQL condition."""
    return or_(WorkflowTask.escalated_on.is_not(None),
               and_(WorkflowTask.due_on.is_not(None), WorkflowTask.due_on <= now))


def queue(session: Session, actor: Operator, now: datetime) -> Select[tuple[WorkflowTask]]:
    """The actor's 待办任务, overdue ones first, then oldest first."""
    first = case((is_overdue(now), 0), else_=1)
    return open_tasks(session, actor).order_by(None).order_by(
        first, WorkflowTask.created_on, WorkflowTask.id)


@dataclass(frozen=True)
class ChainQueue:
    """One chain's share of a reviewer's queue."""

    label: str
    total: int
    overdue: int


def queue_by_chain(session: Session, actor: Operator, now: datetime) -> list[ChainQueue]:
    """How many open tasks of the actor's post and unit wait in each chain, and how many are
    overdue; chains with overdue tasks first."""
    late = func.sum(case((is_overdue(now), 1), else_=0))
    rows = session.execute(
        select(WorkflowInstance.workflow, func.count(WorkflowTask.id), late)
        .join(WorkflowInstance, WorkflowTask.instance_id == WorkflowInstance.id)
        .where(WorkflowTask.status == TaskStatus.open, WorkflowTask.post_code == actor.post_code,
               WorkflowTask.unit_id == actor.unit_id)
        .group_by(WorkflowInstance.workflow)).all()
    chains = registry().loaded().workflows
    found = [ChainQueue(chains[name].label if name in chains else name, int(total),
                        int(overdue or 0)) for name, total, overdue in rows]
    return sorted(found, key=lambda c: (-c.overdue, -c.total, c.label))


@dataclass(frozen=True)
class Filing:
    """One of a unit's records on the 工作台, with where it stands."""

    record_type: str
    label: str
    record_id: int
    summary: Summary
    since: datetime | None = None
    step_label: str = ""  # 审核中: the step it waits on
    opinion: str = ""  # 已退回: the returning reviewer's opinion
    due_on: datetime | None = None


@dataclass
class Filings:
    """A clerk's 我的申请: counts by record type and state, and the filings of each state."""

    counts: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)
    drafts: list[Filing] = field(default_factory=list)
    in_review: list[Filing] = field(default_factory=list)
    returned: list[Filing] = field(default_factory=list)
    completed: list[Filing] = field(default_factory=list)


DRAFTS = (Status.draft, Status.withdrawn)


def filings(session: Session, actor: Operator) -> Filings:
    """The filings of the actor's unit of every record type the actor's post submits."""
    found = Filings()
    unit_id = actor.unit_id
    kinds = [k for k in registry().records.values() if k.submitter == actor.post_code]
    if unit_id is None or not kinds:
        return found
    for kind in kinds:
        model: Any = kind.model
        counts: dict[str, int] = {status: int(n) for status, n in session.execute(
            select(model.status, func.count(model.id)).where(model.unit_id == unit_id)
            .group_by(model.status))}
        found.counts.append((kind.name, kind.label, counts))
        if any(counts.get(s) for s in DRAFTS):
            drafts = session.scalars(
                select(model).where(model.unit_id == unit_id, model.status.in_(DRAFTS))
                .options(*(selectinload(getattr(model, n)) for n in kind.summary_loads))
                .order_by(model.id.desc()).limit(SHOWN))
            found.drafts += [Filing(kind.name, kind.label, r.id, kind.summary(r),
                                    getattr(r, "created_on", None)) for r in drafts]
        if counts.get(Status.completed):
            # Read from the records: a completed record need not have gone through a chain
            # here (imported history).
            done = session.scalars(
                select(model).where(model.unit_id == unit_id, model.status == Status.completed)
                .options(*(selectinload(getattr(model, n)) for n in kind.summary_loads))
                .order_by(model.completed_on.desc(), model.id.desc()).limit(RECENT))
            found.completed += [Filing(kind.name, kind.label, r.id, kind.summary(r),
                                       r.completed_on) for r in done]
    names = [k.name for k in kinds]
    found.drafts = sorted(found.drafts, key=lambda f: f.since or datetime.min,
                          reverse=True)[:SHOWN]
    found.completed = sorted(found.completed, key=lambda f: f.since or datetime.min,
                             reverse=True)[:RECENT]
    waiting = session.execute(
        select(WorkflowInstance, WorkflowTask)
        .join(WorkflowTask, and_(WorkflowTask.instance_id == WorkflowInstance.id,
                                 WorkflowTask.status == TaskStatus.open))
        .where(WorkflowInstance.unit_id == unit_id, WorkflowInstance.record_type.in_(names),
               WorkflowInstance.status == Status.in_review)
        .order_by(WorkflowTask.created_on, WorkflowTask.id).limit(SHOWN)).all()
    returned = list(session.scalars(_latest(unit_id, names, Status.returned)))
    opinions = _last_opinions(session, [i.id for i in returned])
    told = summaries(session, [i for i, _ in waiting] + returned)
    labels = {k.name: k.label for k in kinds}

    def filing(instance: WorkflowInstance, since: datetime, task: WorkflowTask | None = None
               ) -> Filing:
        return Filing(instance.record_type, labels[instance.record_type], instance.record_id,
                      told.get(instance.id, Summary("—")), since,
                      task.step_label if task else "", opinions.get(instance.id, ""),
                      task.due_on if task else None)

    found.in_review = [filing(i, t.created_on, t) for i, t in waiting]
    found.returned = [filing(i, i.updated_on) for i in returned]
    return found


def _latest(unit_id: int, names: list[str], status: Status) -> Select[tuple[WorkflowInstance]]:
    return (select(WorkflowInstance)
            .where(WorkflowInstance.unit_id == unit_id, WorkflowInstance.record_type.in_(names),
                   WorkflowInstance.status == status)
            .order_by(WorkflowInstance.updated_on.desc(), WorkflowInstance.id.desc())
            .limit(SHOWN))


def _last_opinions(session: Session, instance_ids: list[int]) -> dict[int, str]:
    """The opinion of each instance's last review (the one that returned it)."""
    if not instance_ids:
        return {}
    last = (select(func.max(WorkflowHistory.id))
            .where(WorkflowHistory.instance_id.in_(instance_ids),
                   WorkflowHistory.action.notin_([SUBMIT, WITHDRAW]))
            .group_by(WorkflowHistory.instance_id))
    rows = session.execute(select(WorkflowHistory.instance_id, WorkflowHistory.opinion)
                           .where(WorkflowHistory.id.in_(last)))
    return {instance_id: opinion for instance_id, opinion in rows}


@dataclass(frozen=True)
class MallWork:
    """网上商城 work of a clerk's unit: how many of each wait, the nearest payment due date."""

    exceptions: int = 0  # 异常 not yet 处理
    to_accept: int = 0  # 待验收
    to_pay: int = 0  # 已验收, not paid
    pay_due_on: date | None = None  # the nearest due date of those
    to_evaluate: int = 0  # 已付款, not yet evaluated

    @property
    def any(self) -> bool:
        """Whether anything waits."""
        return bool(self.exceptions or self.to_accept or self.to_pay or self.to_evaluate)


def mall_work(session: Session, actor: Operator) -> MallWork:
    """The unit's mall work for the 工作台, in one query (the exception count is a subquery)."""
    if actor.unit_id is None:
        return MallWork()
    statuses = (OrderStatus.awaiting_acceptance, OrderStatus.accepted, OrderStatus.paid)

    def count(status: OrderStatus) -> Any:
        return func.coalesce(func.sum(case((MallOrder.status == status, 1), else_=0)), 0)

    open_exceptions = (select(func.count(MallException.id))
                       .where(MallException.unit_id == actor.unit_id,
                              MallException.resolved_on.is_(None)).scalar_subquery())
    row = session.execute(
        select(open_exceptions, count(OrderStatus.awaiting_acceptance),
               count(OrderStatus.accepted), count(OrderStatus.paid),
               func.min(case((MallOrder.status == OrderStatus.accepted,
                              MallOrder.payment_due_on), else_=None)))
        .select_from(MallOrder)
        .where(MallOrder.unit_id == actor.unit_id, MallOrder.status.in_(statuses))).one()
    return MallWork(int(row[0] or 0), int(row[1]), int(row[2]), row[4], int(row[3]))


def due_payments(session: Session, actor: Operator) -> tuple[int, list[PaymentApplication]]:
    """资金支付申请 of the unit that wait for the clerk: drafts not yet sent and those the
    budget system returned; (how many, the first of them)."""
    waiting = and_(PaymentApplication.unit_id == actor.unit_id,
                   PaymentApplication.status.in_([PaymentStatus.draft, PaymentStatus.returned]))
    total = session.scalar(select(func.count(PaymentApplication.id)).where(waiting)) or 0
    rows = list(session.scalars(select(PaymentApplication).where(waiting)
                                .options(joinedload(PaymentApplication.contract))
                                .order_by(PaymentApplication.created_on).limit(SHOWN)))
    return int(total), rows
