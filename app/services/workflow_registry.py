"""What the interpreter runs on: the loaded chains, the record types and the completion hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from workflow import WorkflowSet, load_workflows

Hook = Callable[[Session, Any], None]


@dataclass(frozen=True)
class RecordType:
    """A business object that goes through a chain (e.g. ``bid_change_filing``)."""

    name: str
    label: str
    model: type
    # Values the chain's conditions may read, and their names (for `flask workflows check`).
    fields: Callable[[Any], Mapping[str, Any]]
    field_names: frozenset[str]
    # (label, value) rows shown read-only on the review page.
    describe: Callable[[Any], list[tuple[str, str]]]
    # (label, download URL) of the record's attachments.
    attachments: Callable[[Any], list[tuple[str, str]]] = lambda record: []
    # The post of the applicant's unit that submits and withdraws, and its name for messages.
    submitter: str = "clerk"
    submitter_label: str = "经办岗"


@dataclass
class WorkflowRegistry:
    """The chains of ``workflows.yaml`` with the Python pieces they name."""

    records: dict[str, RecordType] = field(default_factory=dict)
    hooks: dict[str, Hook] = field(default_factory=dict)
    workflows: WorkflowSet | None = None

    def record(self, record_type: RecordType) -> None:
        """Register a record type."""
        self.records[record_type.name] = record_type

    def hook(self, name: str, function: Hook) -> None:
        """Register a completion hook under the name workflows.yaml uses."""
        self.hooks[name] = function

    def load(self, path: str) -> None:
        """Load and validate the workflows file against the registered hooks and records.

        :raises workflow.WorkflowConfigError: naming the exact path of every problem
        """
        from workflow import WorkflowConfigError

        loaded = load_workflows(path, set(self.hooks))
        problems = [
            f"workflows.{name}.record: 未注册的业务对象“{wf.record}”"
            for name, wf in loaded.workflows.items() if wf.record not in self.records
        ]
        if problems:
            raise WorkflowConfigError(problems)
        self.workflows = loaded


def init_registry(app: Flask, registry: WorkflowRegistry) -> None:
    """Load ``WORKFLOWS_FILE`` into ``registry`` and attach it to ``app``; fails start-up."""
    registry.load(app.config["WORKFLOWS_FILE"])
    app.extensions["workflow_registry"] = registry


def registry() -> WorkflowRegistry:
    """The current application's workflow registry."""
    return current_app.extensions["workflow_registry"]
