"""Persistence of workflow instances, their tasks and their append-only history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.organisation import Unit
from models.people import Operator


class TaskStatus(StrEnum):
    """Where a review task stands; the stored value is the member's value."""

    open = "open"  # 待办: waiting for a reviewer of its post and unit
    done = "done"  # 已办: a reviewer acted on it
    cancelled = "cancelled"  # the submitter withdrew the record first


class WorkflowDefinition(Model):
    """A version of one workflow as it was when an instance started (pinned by hash)."""

    __tablename__ = "workflow_definition"

    hash: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class WorkflowInstance(Model):
    """The chain of one business record: where it stands and who submitted it."""

    __tablename__ = "workflow_instance"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", name="uq_workflow_instance_record"),
        Index("ix_workflow_instance_status", "workflow", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow: Mapped[str] = mapped_column(String(64), nullable=False)
    definition_hash: Mapped[str] = mapped_column(
        ForeignKey("workflow_definition.hash"), nullable=False
    )
    record_type: Mapped[str] = mapped_column(String(64), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    step: Mapped[str | None] = mapped_column(String(64), nullable=True)
    returned_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    submitted_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    # Optimistic lock: every transition checks the version it read, so two racing
    # transitions (two submits, withdraw against approve) cannot both be written.
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    definition: Mapped[WorkflowDefinition] = relationship()
    unit: Mapped[Unit] = relationship()
    submitter: Mapped[Operator] = relationship()


class WorkflowTask(Model):
    """One pending or finished piece of review work, for a post in a unit."""

    __tablename__ = "workflow_task"
    __table_args__ = (
        # The to-do query: open tasks of one post in one unit, oldest first.
        Index("ix_workflow_task_todo", "post_code", "unit_id", "created_on",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        Index("ix_workflow_task_instance", "instance_id", "status"),
        # The reminder scan: open tasks whose next reminder is due, soonest first.
        Index("ix_workflow_task_remind", "next_remind_on",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        # 已办任务: a reviewer's finished tasks, newest first.
        Index("ix_workflow_task_done", "actor_id", "acted_on",
              postgresql_where=text("status = 'done'"), sqlite_where=text("status = 'done'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instance.id"), nullable=False)
    step: Mapped[str] = mapped_column(String(64), nullable=False)
    step_label: Mapped[str] = mapped_column(String(100), nullable=False)
    post_code: Mapped[str] = mapped_column(String(32), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=TaskStatus.open)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    acted_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    # Reminder state (naive UTC), from the step's `reminder` in workflows.yaml: durable, so a
    # scheduler restart neither loses nor repeats a reminder.
    next_remind_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    remind_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                              server_default=text("0"))
    due_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # 截止时间
    escalated_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # 超期

    instance: Mapped[WorkflowInstance] = relationship()
    unit: Mapped[Unit] = relationship()


class WorkflowHistory(Model):
    """One line of a record's history: who did what at which step, with their opinion."""

    __tablename__ = "workflow_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("workflow_instance.id"), nullable=False, index=True
    )
    step: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step_label: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    result: Mapped[str] = mapped_column(String(100), nullable=False)
    actor_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    actor_name: Mapped[str] = mapped_column(String(64), nullable=False)
    post_name: Mapped[str] = mapped_column(String(50), nullable=False)
    opinion: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    # The review task this line closed (已办任务 shows its result); none for 提交 and 撤回.
    task_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_task.id"), nullable=True,
                                                index=True)

    instance: Mapped[WorkflowInstance] = relationship()


class HistoryIsAppendOnly(RuntimeError):
    """History rows are never changed or removed."""


@event.listens_for(WorkflowHistory, "before_update")
@event.listens_for(WorkflowHistory, "before_delete")
def _refuse_history_change(mapper: object, connection: object, target: WorkflowHistory) -> None:
    raise HistoryIsAppendOnly(f"审批记录 {target.id} 不可修改或删除。")
