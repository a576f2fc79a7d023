"""What the interpreter runs on: the loaded chains, the record types and the completion hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from workflow import WorkflowConfigError, WorkflowSet, load_workflows
from workflow.checks import check_structure

Hook = Callable[[Session, Any], None]
# Reads one value of a record for the chain's conditions, e.g. ``lambda plan: plan.has_imports``.
Accessor = Callable[[Any], Any]


@dataclass(frozen=True)
class RecordType:
    """A business object that goes through a chain (e.g. ``bid_change_filing``)."""

    name: str
    label: str
    model: type
    # What the chain's conditions may read: condition field name → accessor of the record.
    fields: Mapping[str, Accessor]
    # (label, value) rows shown read-only on the review page.
    describe: Callable[[Any], list[tuple[str, str]]]
    # (label, download URL) of the record's attachments.
    attachments: Callable[[Any], list[tuple[str, str]]] = lambda record: []
    # The post of the applicant's unit that submits and withdraws, and its name for messages.
    submitter: str = "clerk"
    submitter_label: str = "经办岗"

    def values(self, record: Any) -> dict[str, Any]:
        """The values of ``record`` the chain's conditions read, one per declared field."""
        return {name: read(record) for name, read in self.fields.items()}


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

    def loaded(self) -> WorkflowSet:
        """The workflows :meth:`load` read.

        :raises RuntimeError: when no file has been loaded yet
        """
        if self.workflows is None:
            raise RuntimeError("workflows.yaml has not been loaded")
        return self.workflows

    def record_fields(self) -> dict[str, frozenset[str]]:
        """Each registered record type's condition field names, by record type."""
        return {name: frozenset(kind.fields) for name, kind in self.records.items()}

    def check(self, workflows: WorkflowSet) -> list[str]:
        """What start-up and ``flask workflows check`` refuse without a database.

        :returns: ``path: what is wrong`` for every unknown record type, condition field and
            hook, unreachable step and step that cannot end; empty when all is well
        """
        return check_structure(workflows.workflows, frozenset(self.hooks), self.record_fields())

    def load(self, path: str) -> None:
        """Load and validate the workflows file against the registered hooks and records.

        :raises workflow.WorkflowConfigError: naming the exact path of every problem
        """
        # References are checked with the file's own rules, so one run lists all of them;
        # the graph lint needs a file that passed those.
        loaded = load_workflows(path, frozenset(self.hooks), self.record_fields())
        problems = self.check(loaded)
        if problems:
            raise WorkflowConfigError(problems)
        self.workflows = loaded


def init_registry(app: Flask, registry: WorkflowRegistry) -> None:
    """Load ``WORKFLOWS_FILE`` into ``registry`` and attach it to ``app``; fails start-up."""
    registry.load(app.config["WORKFLOWS_FILE"])
    app.extensions["workflow_registry"] = registry


def registry() -> WorkflowRegistry:
    """The current application's workflow registry."""
    found: WorkflowRegistry = current_app.extensions["workflow_registry"]
    return found
