"""Checks of the chains against the database, each unit's coverage, and the impact of a change."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.definitions import pinned_workflow
from app.services.errors import ValidationFailed
from app.services.workflow import has_assignee, resolve_unit
from app.services.workflow_registry import WorkflowRegistry
from models import Post, Unit, UnitKind, WorkflowInstance
from workflow import Status
from workflow.conditions import ConditionError, could_hold
from workflow.loader import definition_hash
from workflow.schema import Scope, Step

IN_FLIGHT = (Status.in_review, Status.returned, Status.withdrawn)
# What a unit lacks when a scope cannot be resolved (see resolve_unit).
SCOPE_UNITS = {Scope.competent: "主管单位", Scope.division: "分管业务处室",
               Scope.supervision: "监管部门", Scope.office: "市采购办"}


def check(session: Session, registry: WorkflowRegistry) -> list[str]:
    """The structural problems of every chain: graph, fields, hooks and the posts it names.

    What needs no database is :meth:`WorkflowRegistry.check`, the check start-up runs too;
    whether each unit has the people is :func:`coverage`.

    :returns: messages naming the YAML path; empty when all is well
    """
    post_names = set(session.scalars(select(Post.code)))
    loaded = registry.loaded()
    problems = registry.check(loaded)
    for name, workflow in loaded.workflows.items():
        for index, step in enumerate(workflow.steps):
            where = f"workflows.{name}.steps[{index}]"
            if step.post not in post_names:
                problems.append(f"{where}.post: 岗位“{step.post}”不存在")
            escalate = step.reminder.escalate_to if step.reminder else None
            if escalate and escalate not in post_names:
                problems.append(f"{where}.reminder.escalate_to: 岗位“{escalate}”不存在")
    return problems


@dataclass(frozen=True)
class Gap:
    """A step a unit's records may reach where nobody can act: submission refuses it cleanly."""

    message: str
    # What is missing, for the table: a post's name, or a unit such as 监管部门.
    missing: str
    # True when only some records reach the step (its condition reads the record's fields).
    conditional: bool


@dataclass(frozen=True)
class Coverage:
    """Whether one unit's records can complete one chain."""

    unit: str
    workflow: str
    gaps: tuple[Gap, ...]

    @property
    def complete(self) -> bool:
        """Whether every step the unit's records may reach has someone to act."""
        return not self.gaps

    def summary(self) -> str:
        """可以完成, or what is missing (（部分记录） when only some records reach that step)."""
        if not self.gaps:
            return "可以完成"
        always = {gap.missing for gap in self.gaps if not gap.conditional}
        missing = dict.fromkeys(gap.missing if gap.missing in always or not gap.conditional
                                else f"{gap.missing}（部分记录）" for gap in self.gaps)
        return "缺少" + "、".join(missing)


def coverage(session: Session, registry: WorkflowRegistry) -> list[Coverage]:
    """Unit × chain: whether each active purchasing unit's records can complete each chain.

    A step whose condition is false for every record of the unit (e.g. 单位内部审核 of a plan
    when the unit has no internal reviewer) is no gap; a step whose condition depends on the
    record is a gap for some records only.

    :returns: one entry per unit and chain, units by code, chains in file order
    """
    post_names = {code: name for code, name in session.execute(select(Post.code, Post.name))}
    units = session.scalars(select(Unit).where(Unit.kind == UnitKind.purchaser,
                                               Unit.active.is_(True)).order_by(Unit.code))
    loaded = registry.loaded()
    table = []
    for unit in units:
        for name, workflow in loaded.workflows.items():
            known = registry.records[workflow.record].unit_values(session, unit)
            gaps = []
            for index, step in enumerate(workflow.steps):
                try:
                    reached = could_hold(step.when, known)
                except ConditionError:
                    reached = None  # the record's own values decide whether it is refused
                if reached is False or step.post not in post_names:
                    continue  # never reached, or a structural problem check() reports
                where = f"workflows.{name}.steps[{index}]（{step.label}）"
                gap = _gap(session, unit, step, post_names[step.post], where)
                if gap is not None:
                    message, missing = gap
                    if reached is None:
                        message += "（仅部分记录经过此步骤）"
                    gaps.append(Gap(message, missing, conditional=reached is None))
            table.append(Coverage(unit.name, workflow.label, tuple(gaps)))
    return table


def _gap(session: Session, unit: Unit, step: Step, post: str, where: str
         ) -> tuple[str, str] | None:
    """(message, what is missing) when nobody can act on ``step`` for ``unit``'s records."""
    try:
        target = resolve_unit(session, unit, step.scope)
    except ValidationFailed as exc:
        return f"{where}: {exc.message}", SCOPE_UNITS.get(step.scope, post)
    if has_assignee(session, target, step.post):
        return None
    applicant = "" if target.id == unit.id else f"（申请单位“{unit.name}”）"
    return f"{where}: “{target.name}”没有{post}{applicant}", post


@dataclass(frozen=True)
class Affected:
    """An in-flight instance pinned to a definition that differs from the file."""

    workflow: str
    record_type: str
    record_id: int
    unit: str
    status: str
    step: str | None
    step_still_exists: bool


def diff(session: Session, registry: WorkflowRegistry) -> list[Affected]:
    """In-flight instances whose pinned definition differs from workflows.yaml today."""
    loaded = registry.loaded()
    current = {n: definition_hash(wf) for n, wf in loaded.workflows.items()}
    rows = session.scalars(
        select(WorkflowInstance).where(WorkflowInstance.status.in_(IN_FLIGHT))
        .order_by(WorkflowInstance.workflow, WorkflowInstance.id)
    )
    affected = []
    for instance in rows:
        if current.get(instance.workflow) == instance.definition_hash:
            continue
        new = loaded.workflows.get(instance.workflow)
        exists = new is not None and any(s.id == instance.step for s in new.steps)
        pinned_workflow(instance)  # fails loudly if a stored definition became unreadable
        affected.append(Affected(instance.workflow, instance.record_type, instance.record_id,
                                 instance.unit.name, instance.status, instance.step,
                                 exists or instance.step is None))
    return affected
