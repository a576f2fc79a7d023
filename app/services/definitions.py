"""The chain definitions that instances were pinned to when they were submitted."""

from __future__ import annotations

from functools import lru_cache

from models import WorkflowInstance, WorkflowTask
from workflow import Workflow
from workflow.schema import Step


@lru_cache(maxsize=128)
def _parse_definition(digest: str, content: str) -> Workflow:
    # A version's content never changes, so each is parsed once per process.
    return Workflow.model_validate_json(content)


def pinned_workflow(instance: WorkflowInstance) -> Workflow:
    """The definition an instance started with, whatever workflows.yaml says today."""
    return _parse_definition(instance.definition.hash, instance.definition.content)


def task_step(task: WorkflowTask) -> Step | None:
    """The step of the pinned definition that a task is at (``None`` if it is gone)."""
    return next((s for s in pinned_workflow(task.instance).steps if s.id == task.step), None)
