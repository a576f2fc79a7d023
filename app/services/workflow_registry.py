"""What the interpreter runs on: the loaded chains, the record types and the completion hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from flask import Flask, current_app
from sqlalchemy.orm import Session, object_session

from models import Unit
from workflow import WorkflowConfigError, WorkflowSet, load_workflows
from workflow.checks import check_structure


class WorkflowRecord(Protocol):
    """A business record that goes through a chain, as the workflow adapter sees it.

    Every record type's model satisfies it structurally (``Mapped`` columns read as these
    types): the adapter reads the id, the unit and its id (who submits, where the chain
    starts), keeps ``status`` as a copy of the instance's status (a :class:`workflow.Status`
    value), and the ``record_completion`` hook stamps ``completed_on``.
    """

    id: int
    unit_id: int
    unit: Unit
    status: str
    completed_on: datetime | None


R = TypeVar("R", bound=WorkflowRecord)

# A completion hook named by ``on_complete`` in workflows.yaml.
Hook = Callable[[Session, WorkflowRecord], None]
# Reads one value of a record for the chain's conditions, e.g. ``lambda plan: plan.has_imports``.
Accessor = Callable[[Any], Any]


@dataclass(frozen=True)
class UnitFact:
    """A condition field read from the applicant's unit alone (e.g. its region).

    It reads a record like any accessor; ``flask workflows check`` reads it from a unit, to
    tell which steps a unit's records can never reach.
    """

    of_unit: Callable[[Session, Unit], Any]

    def __call__(self, record: WorkflowRecord) -> Any:
        session = object_session(record)
        if session is None:
            raise RuntimeError("a record read by its chain belongs to a session")
        return self.of_unit(session, record.unit)


@dataclass(frozen=True)
class DetailTable:
    """Lines of a record (e.g. its 采购内容), shown as a table on its show and review pages."""

    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(frozen=True)
class Summary:
    """What tells one record apart in a task list or a message: name, number, amount."""

    title: str
    number: str = ""
    amount: str = ""


def no_summary(record: Any) -> Summary:
    """The default summary of a record type that declares none: its id."""
    return Summary(f"第{record.id}号")


@dataclass(frozen=True)
class RecordType:
    """A business object that goes through a chain (e.g. ``bid_change_filing``)."""

    name: str
    label: str
    model: type[WorkflowRecord]
    # What the chain's conditions may read: condition field name → accessor of the record.
    fields: Mapping[str, Accessor]
    # (label, value) rows shown read-only on the review page.
    describe: Callable[[Any], list[tuple[str, str]]]
    # (label, download URL) of the record's attachments.
    attachments: Callable[[Any], list[tuple[str, str]]] = lambda record: []
    # The post of the applicant's unit that submits and withdraws, and its name for messages.
    submitter: str = "clerk"
    submitter_label: str = "经办岗"
    # Tables below the rows of ``describe`` on the show and review pages.
    tables: Callable[[Any], list[DetailTable]] = lambda record: []
    # The record's 项目名称, number and amount in task lists, the 工作台 and messages, and the
    # relationships it reads (loaded for a whole page at once).
    summary: Callable[[Any], Summary] = no_summary
    summary_loads: tuple[str, ...] = ()

    def values(self, record: WorkflowRecord) -> dict[str, Any]:
        """The values of ``record`` the chain's conditions read, one per declared field."""
        return {name: read(record) for name, read in self.fields.items()}

    def unit_values(self, session: Session, unit: Unit) -> dict[str, Any]:
        """The condition fields every record of ``unit`` has alike (the :class:`UnitFact`)."""
        return {name: read.of_unit(session, unit) for name, read in self.fields.items()
                if isinstance(read, UnitFact)}


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

    def record_hook(self, name: str, model: type[R], function: Callable[[Session, R], None]
                    ) -> None:
        """Register a completion hook that applies to records of ``model`` only.

        The chains of workflows.yaml name their hooks; a hook of one record type named by a
        chain of another is refused when it runs (TypeError), not applied to the wrong record.
        """
        def run(session: Session, record: WorkflowRecord) -> None:
            if not isinstance(record, model):
                raise TypeError(f"hook {name} applies to {model.__name__}, "
                                f"not to {type(record).__name__}")
            function(session, record)

        self.hook(name, run)

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
