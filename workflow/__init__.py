"""The approval-chain interpreter: a pure, typed package with no Flask or SQLAlchemy import.

``schema`` describes ``workflows.yaml``; ``loader`` reads and checks it, naming the exact path
of any error; ``checks`` holds the checks against the record types and hooks that start-up and
``flask workflows check`` share; ``engine`` computes transitions; ``graph`` lints chains and
draws them as SVG; ``errors`` holds the base of every refusal.
Persistence of instances, tasks and history is an adapter elsewhere.
"""

from workflow.engine import (
    Decision,
    InstanceState,
    Status,
    TaskSpec,
    Transition,
    act,
    submit,
    withdraw,
)
from workflow.errors import WorkflowError
from workflow.loader import WorkflowConfigError, WorkflowSet, load_workflows, parse_workflows
from workflow.schema import Workflow

__all__ = [
    "Decision",
    "InstanceState",
    "Status",
    "TaskSpec",
    "Transition",
    "Workflow",
    "WorkflowConfigError",
    "WorkflowError",
    "WorkflowSet",
    "act",
    "load_workflows",
    "parse_workflows",
    "submit",
    "withdraw",
]
