"""The persistence adapter of the interpreter: instances, tasks and history over SQLAlchemy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.permissions import SYS_ADMIN
from app.services.base import matched_rows
from app.services.definitions import pinned_workflow
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.notifications import transition_notices
from app.services.reminders import schedule
from app.services.workflow_registry import RecordType, WorkflowRecord, registry
from app.timezone import utcnow
from models import (
    Operator,
    Post,
    TaskStatus,
    Unit,
    UnitKind,
    WorkflowDefinition,
    WorkflowHistory,
    WorkflowInstance,
    WorkflowTask,
    division_competent,
)
from workflow import Decision, InstanceState, Status, Transition, Workflow, WorkflowError
from workflow import act as engine_act
from workflow import submit as engine_submit
from workflow import withdraw as engine_withdraw
from workflow.loader import definition_hash
from workflow.schema import Scope

# A task list shows each task's unit and chain: load them with the tasks, not one by one.
TASK_LIST_LOADING = (
    joinedload(WorkflowTask.instance).joinedload(WorkflowInstance.unit),
    joinedload(WorkflowTask.instance).joinedload(WorkflowInstance.definition),
)
ALREADY_HANDLED = "该任务已被处理"
ALREADY_SUBMITTED = "该记录已被提交或已变化，请刷新后查看。"
CANNOT_WITHDRAW = "已有审核人处理，不能撤回。"
SUBMIT, WITHDRAW = "submit", "withdraw"


def resolve_unit(session: Session, applicant: Unit, scope: Scope) -> Unit:
    """The unit whose post acts on a step, relative to the applicant's unit.

    :raises ValidationFailed: naming the unit whose organisation data is missing
    """
    if scope is Scope.own_unit:
        return applicant
    if scope is Scope.competent:
        if applicant.competent_unit is None:
            raise ValidationFailed(f"“{applicant.name}”没有主管单位，无法送审。")
        return applicant.competent_unit
    if scope is Scope.division:
        division = applicant.responsible_division
        if division is None:
            competent = applicant.competent_unit or applicant
            raise ValidationFailed(f"“{competent.name}”尚未设置分管的业务处室，无法送审。")
        return division
    kind = "supervision" if scope is Scope.supervision else "office"
    found = session.scalar(
        select(Unit).where(Unit.region_id == applicant.region_id, Unit.kind == kind,
                           Unit.active.is_(True)).order_by(Unit.id)
    )
    if found is None:
        what = "监管部门" if scope is Scope.supervision else "市采购办"
        raise ValidationFailed(f"{applicant.region.name}尚未设置{what}，无法送审。")
    return found


def reviewed_units(actor: Operator) -> Select[tuple[int]]:
    """The units whose records the actor's post reviews: :func:`resolve_unit` read backwards.

    For every scope a chain gives the post: its own unit; a 主管单位's own and subordinate
    units; the units under the competent departments a 业务处室 is responsible for; the whole
    region of a 监管部门 or 市采购办. Other posts review no unit's records.
    """
    scopes = {step.scope for chain in registry().loaded().workflows.values()
              for step in chain.steps if step.post == actor.post_code}
    me = actor.unit_id
    # Aliases, never correlated: the query this filters may join (or alias) ``unit`` itself.
    unit, mine = aliased(Unit), aliased(Unit)

    def under(competents: Any) -> ColumnElement[bool]:
        # competent_unit: a first-level unit is its own 主管单位, others have their parent.
        return and_(unit.kind == UnitKind.purchaser,
                    or_(unit.parent_id.in_(competents),
                        and_(unit.parent_id.is_(None), unit.id.in_(competents))))

    conditions: list[ColumnElement[bool]] = []
    if me is not None:
        if Scope.own_unit in scopes:
            conditions.append(unit.id == me)
        if Scope.competent in scopes:
            conditions.append(under([me]))
        if Scope.division in scopes:
            conditions.append(under(select(division_competent.c.competent_id)
                                    .where(division_competent.c.division_id == me)
                                    .correlate(None)))
        if scopes & {Scope.supervision, Scope.office}:
            conditions.append(unit.region_id == select(mine.region_id).where(mine.id == me)
                              .correlate(None).scalar_subquery())
    return select(unit.id).where(or_(false(), *conditions)).correlate(None)


def has_assignee(session: Session, unit: Unit, post_code: str) -> bool:
    """Whether an active operator holds ``post_code`` in ``unit``."""
    return bool(session.scalar(
        select(exists().where(Operator.unit_id == unit.id, Operator.active.is_(True),
                              Operator.post.has(Post.code == post_code)))
    ))


def _definition(session: Session, name: str, workflow: Workflow) -> WorkflowDefinition:
    digest = definition_hash(workflow)
    stored = session.get(WorkflowDefinition, digest)
    if stored is None:
        # Two first submissions may store the same version at once: insert it idempotently.
        content = json.dumps(workflow.model_dump(mode="json", by_alias=True), ensure_ascii=False)
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(WorkflowDefinition)
            .values(hash=digest, name=name, content=content, created_on=utcnow())
            .on_conflict_do_nothing(index_elements=["hash"])
        )
        stored = session.get(WorkflowDefinition, digest)
        if stored is None:
            raise RuntimeError(f"workflow definition {digest} was neither found nor stored")
    return stored


@contextmanager
def _race_guard(session: Session, message: str) -> Iterator[None]:
    """Flush a transition at the end; if a racing one was written first, raise Conflict.

    The instance's version (or the unique record key of a first submission) makes the loser's
    write fail at this flush (or an autoflush before it); the boundary rolls back.
    """
    try:
        yield
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict(message) from exc


def instance_of(session: Session, record_type: str, record_id: int) -> WorkflowInstance | None:
    """The workflow instance of a record, if it was ever submitted."""
    return session.scalar(select(WorkflowInstance).where(
        WorkflowInstance.record_type == record_type, WorkflowInstance.record_id == record_id))


def state_of(instance: WorkflowInstance | None) -> InstanceState:
    """The interpreter's view of a persisted instance."""
    if instance is None:
        return InstanceState()
    return InstanceState(Status(instance.status), instance.step, instance.returned_from)


Ts = TypeVarTuple("Ts")


def _engine(call: Callable[[*Ts], Transition], *args: *Ts) -> Transition:
    try:
        return call(*args)
    except WorkflowError as exc:
        raise ValidationFailed(exc.message) from exc


def _apply(session: Session, instance: WorkflowInstance, record: WorkflowRecord,
           transition: Transition, workflow: Workflow, actor: Operator, action: str,
           opinion: str, closed: WorkflowTask | None = None) -> None:
    """Persist a transition: history, state, the next task, the hooks and the messages.

    :param closed: the review task the transition closed (its history line names it)
    """
    kind = registry().records[instance.record_type]
    number_before = kind.summary(record).number
    step = next((s for s in workflow.steps if s.id == transition.step), None)
    now = utcnow()
    session.add(WorkflowHistory(
        instance=instance, step=transition.step, step_label=step.label if step else "采购人",
        action=action, result=transition.result, actor_id=actor.id,
        actor_name=actor.first_name, post_name=actor.post.name if actor.post else "",
        opinion=opinion.strip(), created_on=now, task_id=closed.id if closed else None,
    ))
    new = transition.state
    instance.status, instance.step, instance.returned_from = new.status, new.step, \
        new.returned_from
    instance.updated_on = now
    record.status = new.status
    if transition.task is not None:
        unit = resolve_unit(session, instance.unit, transition.task.scope)
        if not has_assignee(session, unit, transition.task.post):
            post = session.scalar(select(Post.name).where(Post.code == transition.task.post))
            raise ValidationFailed(
                f"“{unit.name}”尚未配置{post or transition.task.post}，无法送审。"
            )
        opened = WorkflowTask(
            instance=instance, step=transition.task.step, step_label=transition.task.label,
            post_code=transition.task.post, unit_id=unit.id, created_on=now,
        )
        schedule(opened, next((s for s in workflow.steps if s.id == opened.step), None),
                 opened.created_on)
        session.add(opened)
        session.flush()  # the reviewers' message points at the task by its id
    else:
        opened = None
    for hook in transition.hooks:
        registry().hooks[hook](session, record)
    transition_notices(session, kind, instance, record, transition, closed, opened, opinion,
                       number_before)


def submit_record(session: Session, record_type: str, record: WorkflowRecord,
                  actor: Operator | None) -> Transition:
    """提交: send a record (again) into its chain.

    :raises PermissionDenied: unless the actor is a clerk of the record's unit
    :raises ValidationFailed: when the state forbids it or an assignee cannot be resolved
    """
    kind: RecordType = registry().records[record_type]
    if actor is None or actor.unit_id != record.unit_id or actor.post_code != kind.submitter:
        raise PermissionDenied(f"只有本单位{kind.submitter_label}可以提交。")
    name, current = registry().loaded().for_record(record_type)
    with _race_guard(session, ALREADY_SUBMITTED):
        instance = instance_of(session, record_type, record.id)
        if instance is None:
            instance = WorkflowInstance(
                workflow=name, definition=_definition(session, name, current),
                record_type=record_type, record_id=record.id, unit=record.unit,
                submitter_id=actor.id, status=Status.draft,
            )
            session.add(instance)
        instance.submitter_id = actor.id
        workflow = pinned_workflow(instance)
        transition = _engine(engine_submit, workflow, state_of(instance), kind.values(record))
        instance.submitted_on = utcnow()
        _apply(session, instance, record, transition, workflow, actor, SUBMIT, "")
    return transition


def _reviewer_has_acted(session: Session, instance: WorkflowInstance) -> bool:
    last_submit = session.scalar(
        select(func.max(WorkflowHistory.id)).where(
            WorkflowHistory.instance_id == instance.id, WorkflowHistory.action == SUBMIT)
    ) or 0
    return bool(session.scalar(select(exists().where(
        WorkflowHistory.instance_id == instance.id, WorkflowHistory.id > last_submit,
        WorkflowHistory.action.notin_([SUBMIT, WITHDRAW])))))


def withdraw_record(session: Session, record_type: str, record: WorkflowRecord,
                    actor: Operator) -> Transition:
    """撤回: the submitting unit takes a record back before any reviewer acted.

    :raises PermissionDenied: unless the actor is a clerk of the record's unit
    :raises ValidationFailed: when a reviewer has acted or the record is not in review
    """
    kind: RecordType = registry().records[record_type]
    if actor.unit_id != record.unit_id or actor.post_code != kind.submitter:
        raise PermissionDenied(f"只有本单位{kind.submitter_label}可以撤回。")
    instance = instance_of(session, record_type, record.id)
    if instance is None:
        raise ValidationFailed("该记录尚未提交，不能撤回。")
    workflow = pinned_workflow(instance)
    transition = _engine(engine_withdraw, state_of(instance),
                         _reviewer_has_acted(session, instance))
    with _race_guard(session, CANNOT_WITHDRAW):
        closed = session.execute(
            update(WorkflowTask)
            .where(WorkflowTask.instance_id == instance.id,
                   WorkflowTask.status == TaskStatus.open)
            .values(status=TaskStatus.cancelled, version=WorkflowTask.version + 1,
                    acted_on=utcnow())
        )
        if matched_rows(closed) != 1:
            raise StaleDataError("the open task changed")
        _apply(session, instance, record, transition, workflow, actor, WITHDRAW, "")
    return transition


def task_for(session: Session, task_id: int, actor: Operator) -> WorkflowTask:
    """A task the actor may act on.

    :raises NotFound: when there is no such task
    :raises PermissionDenied: when it belongs to another post or unit
    """
    task = session.get(WorkflowTask, task_id)
    if task is None:
        raise NotFound("任务不存在。")
    if task.post_code != actor.post_code or task.unit_id != actor.unit_id:
        raise PermissionDenied("这不是您的待办任务。")
    return task


def act_on_task(session: Session, task_id: int, actor: Operator, decision: Decision,
                version: int) -> Transition:
    """审核: apply a reviewer's decision to an open task at the version they saw.

    Exactly one of two concurrent attempts wins: closing the task is a conditional update on
    its version, so the loser changes nothing and gets :class:`Conflict`.

    :raises NotFound, PermissionDenied: see :func:`task_for`
    :raises Conflict: 该任务已被处理 (stale version or already closed)
    :raises ValidationFailed: unknown action, missing opinion or choice, unresolvable assignee
    """
    task = task_for(session, task_id, actor)
    if task.status != TaskStatus.open or task.version != version:
        raise Conflict(ALREADY_HANDLED)
    instance = task.instance
    if instance.status != Status.in_review or instance.step != task.step:
        # The task was read open, but a withdrawal or another act committed in between and
        # moved the instance on: the task is handled, whatever the engine would say of it.
        raise Conflict(ALREADY_HANDLED)
    kind = registry().records[instance.record_type]
    record = session.get(kind.model, instance.record_id)
    if record is None:
        raise NotFound("记录不存在。")
    workflow = pinned_workflow(instance)
    transition = _engine(engine_act, workflow, state_of(instance), kind.values(record), decision)
    with _race_guard(session, ALREADY_HANDLED):
        closed = session.execute(
            update(WorkflowTask)
            .where(WorkflowTask.id == task.id, WorkflowTask.version == version,
                   WorkflowTask.status == TaskStatus.open)
            .values(status=TaskStatus.done, version=version + 1, acted_on=utcnow(),
                    actor_id=actor.id)
            .execution_options(synchronize_session=False)
        )
        if matched_rows(closed) != 1:
            raise StaleDataError("the task was handled by someone else")
        _apply(session, instance, record, transition, workflow, actor, decision.action,
               decision.opinion, closed=task)
    return transition


def open_tasks(session: Session, actor: Operator) -> Select[tuple[WorkflowTask]]:
    """The actor's 待办任务 query, oldest first (uses the partial to-do index)."""
    return (
        select(WorkflowTask)
        .where(WorkflowTask.status == TaskStatus.open, WorkflowTask.post_code == actor.post_code,
               WorkflowTask.unit_id == actor.unit_id)
        .options(*TASK_LIST_LOADING)
        .order_by(WorkflowTask.created_on, WorkflowTask.id)
    )


def done_tasks(session: Session, actor: Operator) -> Select[tuple[WorkflowTask]]:
    """The actor's 已办任务 query, newest first."""
    return (
        select(WorkflowTask)
        .where(WorkflowTask.actor_id == actor.id, WorkflowTask.status == TaskStatus.done)
        .options(*TASK_LIST_LOADING)
        .order_by(WorkflowTask.acted_on.desc(), WorkflowTask.id.desc())
    )


def history(session: Session, instance: WorkflowInstance) -> list[WorkflowHistory]:
    """A record's history, in order."""
    return list(session.scalars(
        select(WorkflowHistory).where(WorkflowHistory.instance_id == instance.id)
        .order_by(WorkflowHistory.id)
    ))


def may_view(session: Session, actor: Operator, instance: WorkflowInstance) -> bool:
    """Whether the actor's unit submitted the record or their post has or had a task on it."""
    if actor.post_code == SYS_ADMIN or actor.unit_id == instance.unit_id:
        return True
    return bool(session.scalar(select(exists().where(
        WorkflowTask.instance_id == instance.id, WorkflowTask.post_code == actor.post_code,
        WorkflowTask.unit_id == actor.unit_id))))
