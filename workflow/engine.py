"""Transitions of a workflow instance: pure functions from (definition, state, input) to result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from workflow.conditions import holds
from workflow.errors import WorkflowError as WorkflowError  # re-exported: the base of refusals
from workflow.schema import Action, ActionKind, Scope, Step, Workflow


class Status(StrEnum):
    """Where a record stands in its chain."""

    draft = "draft"
    in_review = "in_review"
    returned = "returned"
    withdrawn = "withdrawn"
    completed = "completed"


STATUS_LABELS = {
    Status.draft: "草稿",
    Status.in_review: "审核中",
    Status.returned: "已退回",
    Status.withdrawn: "已撤回",
    Status.completed: "已完成",
}
SUBMITTABLE = {Status.draft, Status.returned, Status.withdrawn}


@dataclass(frozen=True)
class InstanceState:
    """The persisted state of one instance; ``step`` is set while it is in review."""

    status: Status = Status.draft
    step: str | None = None
    returned_from: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    """A task to open: who (post, relative scope) acts on which step."""

    step: str
    label: str
    post: str
    scope: Scope


@dataclass(frozen=True)
class Decision:
    """A reviewer's input: the action, the opinion and answers to the step's choices."""

    action: str
    opinion: str = ""
    choices: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """The outcome of submit, act or withdraw."""

    state: InstanceState
    result: str
    step: str | None = None
    task: TaskSpec | None = None
    hooks: tuple[str, ...] = ()

    @property
    def completed(self) -> bool:
        """Whether the chain has ended with this transition."""
        return self.state.status is Status.completed


class InvalidState(WorkflowError):
    """The instance is not in a state that allows this."""

    code = "invalid_state"


class UnknownAction(WorkflowError):
    """The action does not exist on the current step."""

    code = "unknown_action"


class OpinionRequired(WorkflowError):
    """The step or action requires an opinion and none was given."""

    code = "opinion_required"


class ChoiceRequired(WorkflowError):
    """A choice of the action was not answered or was answered with an unknown option."""

    code = "choice_required"


def _task(step: Step) -> TaskSpec:
    return TaskSpec(step=step.id, label=step.label, post=step.post, scope=step.scope)


def _index(workflow: Workflow, step_id: str) -> int:
    for index, step in enumerate(workflow.steps):
        if step.id == step_id:
            return index
    raise InvalidState(f"流程中没有步骤“{step_id}”")


def _first_applicable(workflow: Workflow, start: int, fields: Mapping[str, Any]) -> Step | None:
    for step in workflow.steps[start:]:
        if holds(step.when, fields):
            return step
    return None


def _enter(workflow: Workflow, start: int, fields: Mapping[str, Any], result: str,
           acted: str | None, returned_from: str | None = None) -> Transition:
    step = _first_applicable(workflow, start, fields)
    if step is None:
        return Transition(InstanceState(Status.completed), result, acted,
                          hooks=tuple(workflow.on_complete))
    return Transition(InstanceState(Status.in_review, step.id, returned_from), result, acted,
                      task=_task(step))


def current_step(workflow: Workflow, state: InstanceState) -> Step:
    """The step an instance in review waits on."""
    if state.status is not Status.in_review or state.step is None:
        raise InvalidState("该记录不在审核中。")
    return workflow.steps[_index(workflow, state.step)]


def submit(workflow: Workflow, state: InstanceState, fields: Mapping[str, Any]) -> Transition:
    """Submit (or resubmit) a record into its chain.

    A returned record restarts at the first applicable step, or goes back to the step that
    returned it when the workflow says ``resubmit: returning_step``.

    :raises InvalidState: unless the record is a draft, returned or withdrawn
    """
    if state.status not in SUBMITTABLE:
        raise InvalidState(f"当前状态为“{STATUS_LABELS[state.status]}”，不能提交。")
    start = 0
    if (state.status is Status.returned and workflow.resubmit == "returning_step"
            and state.returned_from):
        start = _index(workflow, state.returned_from)
    return _enter(workflow, start, fields, "提交", None)


def allowed_actions(workflow: Workflow, state: InstanceState) -> list[Action]:
    """The actions the current step offers."""
    return list(current_step(workflow, state).actions)


def _opinion_required(step: Step, action: Action) -> bool:
    if action.kind is not ActionKind.approve:
        return True
    return action.opinion_required if action.opinion_required is not None else step.opinion_required


def _approve_target(action: Action, decision: Decision) -> str | None:
    target = action.next
    for choice in action.choices:
        answer = decision.choices.get(choice.id)
        option = next((o for o in choice.options if o.value == answer), None)
        if option is None:
            raise ChoiceRequired(f"请选择“{choice.label}”。")
        target = option.next or target
    return target


def act(workflow: Workflow, state: InstanceState, fields: Mapping[str, Any],
        decision: Decision) -> Transition:
    """Apply a reviewer's decision to the instance's current step.

    :raises InvalidState: when the instance is not in review
    :raises UnknownAction: when no action is chosen or the step has no such action
    :raises OpinionRequired: when an opinion is required and blank (always on a return)
    :raises ChoiceRequired: when a choice of the action is unanswered or unknown
    """
    step = current_step(workflow, state)
    if not decision.action:
        raise UnknownAction("请选择审批结果。")
    action = next((a for a in step.actions if a.id == decision.action), None)
    if action is None:
        raise UnknownAction(f"“{step.label}”没有“{decision.action}”这个审批结果。")
    if _opinion_required(step, action) and not decision.opinion.strip():
        raise OpinionRequired("请填写审批意见。")
    index = _index(workflow, step.id)
    if action.kind is ActionKind.return_to_applicant:
        return Transition(InstanceState(Status.returned, None, step.id), action.label, step.id)
    if action.kind is ActionKind.return_to_step:
        back = workflow.steps[_index(workflow, action.to or "")]
        return Transition(InstanceState(Status.in_review, back.id, state.returned_from),
                          action.label, step.id, task=_task(back))
    target = _approve_target(action, decision)
    if target == "end":
        return Transition(InstanceState(Status.completed), action.label, step.id,
                          hooks=tuple(workflow.on_complete))
    start = _index(workflow, target) if target else index + 1
    return _enter(workflow, start, fields, action.label, step.id, state.returned_from)


def withdraw(state: InstanceState, reviewer_has_acted: bool) -> Transition:
    """The submitter takes a record back (撤回) before the first reviewer has acted.

    :raises InvalidState: when the record is not in review or a reviewer has acted
    """
    if state.status is not Status.in_review:
        raise InvalidState(f"当前状态为“{STATUS_LABELS[state.status]}”，不能撤回。")
    if reviewer_has_acted:
        raise InvalidState("已有审核人处理，不能撤回。")
    return Transition(InstanceState(Status.withdrawn), "撤回", state.step)
