"""The schema of ``workflows.yaml``: pydantic models that forbid unknown keys."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Scalar = bool | int | Decimal | str | None


class Strict(BaseModel):
    """Base of every schema model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(StrEnum):
    """Where a step's assignees sit, relative to the applicant's unit."""

    own_unit = "own_unit"
    competent = "competent"
    division = "division"
    supervision = "supervision"
    office = "office"


class Operator(StrEnum):
    """Comparison operators of a condition."""

    eq = "eq"
    ne = "ne"
    in_ = "in"
    not_in = "not_in"
    gt = "gt"
    gte = "gte"
    lt = "lt"
    lte = "lte"
    truthy = "truthy"
    falsy = "falsy"
    # For list-valued fields (e.g. the methods of a plan's items).
    any_in = "any_in"
    all_in = "all_in"


class Compare(Strict):
    """A comparison of one record field with a value."""

    field: Identifier
    op: Operator = Operator.eq
    value: Scalar | list[Scalar] = None


class AllOf(Strict):
    """True when every sub-condition is true."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    """True when at least one sub-condition is true."""

    any: list[Condition] = Field(min_length=1)


class NotOf(Strict):
    """True when the sub-condition is false."""

    not_: Condition = Field(alias="not")


def _condition_kind(value: object) -> str:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return f"@{key}"
        return "@compare"
    kinds: dict[type, str] = {AllOf: "@all", AnyOf: "@any", NotOf: "@not"}
    return kinds.get(type(value), "@compare")


# The discriminator keeps error paths short: ``when.all[0].field``, not one error per member.
Condition = Annotated[
    Annotated[Compare, Tag("@compare")]
    | Annotated[AllOf, Tag("@all")]
    | Annotated[AnyOf, Tag("@any")]
    | Annotated[NotOf, Tag("@not")],
    Discriminator(_condition_kind),
]


class ActionKind(StrEnum):
    """What an action does to the instance."""

    approve = "approve"
    return_to_applicant = "return_to_applicant"
    return_to_step = "return_to_step"


class Option(Strict):
    """One answer to a reviewer's choice; ``next`` picks the step that follows."""

    value: Identifier
    label: str = Field(min_length=1)
    next: Identifier | Literal["end"] | None = None


class Choice(Strict):
    """An extra question the reviewer answers with an approval, e.g. 是否上级领导审批."""

    id: Identifier
    label: str = Field(min_length=1)
    options: list[Option] = Field(min_length=2)


class Action(Strict):
    """A button on the review page: 同意, 退回采购人, 退回初审…"""

    id: Identifier
    label: str = Field(min_length=1)
    kind: ActionKind
    to: Identifier | None = None
    next: Identifier | Literal["end"] | None = None
    choices: list[Choice] = []
    opinion_required: bool | None = None


class Reminder(Strict):
    """Reminder settings of a step, in working days (used by the reminder scheduler)."""

    after_days: int = Field(ge=1)
    repeat_days: int | None = Field(default=None, ge=1)
    escalate_days: int | None = Field(default=None, ge=1)
    escalate_to: Identifier | None = None


class Step(Strict):
    """One review step: who acts (post and scope), when it applies, what they may do."""

    id: Identifier
    label: str = Field(min_length=1)
    post: Identifier
    scope: Scope
    when: Condition | None = None
    opinion_required: bool = False
    reminder: Reminder | None = None
    actions: list[Action] = Field(min_length=1)


class Workflow(Strict):
    """One approval chain for one business object."""

    label: str = Field(min_length=1)
    record: Identifier
    resubmit: Literal["restart", "returning_step"] = "restart"
    steps: list[Step] = Field(min_length=1)
    on_complete: list[Identifier] = []


class WorkflowFile(Strict):
    """The whole of ``workflows.yaml``."""

    workflows: dict[Identifier, Workflow]


for _model in (AllOf, AnyOf, NotOf):
    _model.model_rebuild()
