"""Checks of the chains against the database, and the impact of a changed workflows.yaml."""

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
from workflow.loader import definition_hash

IN_FLIGHT = (Status.in_review, Status.returned, Status.withdrawn)


def check(session: Session, registry: WorkflowRegistry) -> list[str]:
    """Every problem of every chain: structure, fields, posts and assignees per unit.

    What needs no database is :meth:`WorkflowRegistry.check`, the check start-up runs too.

    :returns: messages naming the YAML path or the unit concerned; empty when all is well
    """
    posts = {name: code for code, name in session.execute(select(Post.code, Post.name))}
    post_names = {code: name for name, code in posts.items()}
    units = list(session.scalars(select(Unit).where(Unit.kind == UnitKind.purchaser,
                                                    Unit.active.is_(True)).order_by(Unit.code)))
    loaded = registry.loaded()
    problems = registry.check(loaded)
    for name, workflow in loaded.workflows.items():
        for index, step in enumerate(workflow.steps):
            where = f"workflows.{name}.steps[{index}]"
            if step.post not in post_names:
                problems.append(f"{where}.post: 岗位“{step.post}”不存在")
                continue
            escalate = step.reminder.escalate_to if step.reminder else None
            if escalate and escalate not in post_names:
                problems.append(f"{where}.reminder.escalate_to: 岗位“{escalate}”不存在")
            for unit in units:
                try:
                    target = resolve_unit(session, unit, step.scope)
                except ValidationFailed as exc:
                    problems.append(f"{where}（{step.label}）: {exc.message}")
                    continue
                if not has_assignee(session, target, step.post):
                    applicant = "" if target.id == unit.id else f"（申请单位“{unit.name}”）"
                    problems.append(f"{where}（{step.label}）: “{target.name}”没有"
                                    f"{post_names[step.post]}{applicant}")
    return problems


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
