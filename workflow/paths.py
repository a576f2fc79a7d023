"""Which steps of a chain a record goes through, from the facts its conditions read.

A record's flowchart draws only its own path; the 审批流程图 page draws one variant of a chain
for facts chosen in a form (e.g. 郑州, not linked to an intention). Both evaluate each step's
``when`` with :func:`workflow.conditions.could_hold`, so a fact left open keeps the step as
"depends" instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.conditions import ConditionError, could_hold
from workflow.schema import AllOf, AnyOf, Compare, Condition, NotOf, Operator, Workflow

# The value a "其他" option stands for: equal to no literal of any condition.
OTHER = "\x00other"


def applicability(workflow: Workflow, facts: Mapping[str, Any],
                  current: str | None = None) -> dict[str, bool | None]:
    """Whether each step applies to a record with ``facts``, by step id.

    :param facts: condition field → value; a field left out is unknown
    :param current: the step the record waits on; shown even if today's facts skip it
    :returns: ``True`` (the record passes the step), ``False`` (skipped) or ``None`` (depends on
        a fact not given, or on values that cannot be compared)
    """
    found: dict[str, bool | None] = {}
    for step in workflow.steps:
        try:
            applies = could_hold(step.when, facts)
        except ConditionError:
            applies = None
        found[step.id] = None if step.id == current and applies is False else applies
    return found


@dataclass(frozen=True)
class FactOption:
    """One answer the 审批流程图 form offers for a fact: what it sends and what it stands for."""

    key: str
    label: str
    value: Any


@dataclass(frozen=True)
class FactChoice:
    """A fact a chain's conditions read, with the answers that tell its variants apart."""

    field: str
    options: tuple[FactOption, ...]


def _compares(condition: Condition | None) -> Iterator[Compare]:
    if condition is None:
        return
    if isinstance(condition, AllOf | AnyOf):
        for part in condition.all if isinstance(condition, AllOf) else condition.any:
            yield from _compares(part)
    elif isinstance(condition, NotOf):
        yield from _compares(condition.not_)
    else:
        yield condition


_FLAGS = (Operator.truthy, Operator.falsy)
_LISTS = (Operator.any_in, Operator.all_in)
_LITERALS = (Operator.eq, Operator.ne, Operator.in_, Operator.not_in)


def _options(compares: list[Compare]) -> tuple[FactOption, ...]:
    ops = {c.op for c in compares}
    if ops <= set(_FLAGS):
        return FactOption("yes", "是", True), FactOption("no", "否", False)
    if ops <= set(_LISTS):
        listed = [v for c in compares if isinstance(c.value, list) for v in c.value]
        named = list(dict.fromkeys(str(v) for v in listed))
        return (FactOption("listed", f"仅为{'、'.join(named)}", named),
                FactOption("other", "含其他", [OTHER]))
    if ops <= set(_LITERALS):
        values = [v for c in compares
                  for v in (c.value if isinstance(c.value, list) else [c.value])]
        named = list(dict.fromkeys(str(v) for v in values if v is not None))
        return (*(FactOption(f"v{n}", value, value) for n, value in enumerate(named)),
                FactOption("other", "其他", OTHER))
    return ()  # numeric thresholds and mixed uses stay open (不限)


def fact_choices(workflow: Workflow) -> list[FactChoice]:
    """The facts the chain's conditions read, in file order, with the answers to offer.

    A flag (``truthy``/``falsy``) offers 是/否; a literal comparison offers each literal and
    其他; a list comparison offers "only these" and 含其他. A fact compared with thresholds
    is not offered: its steps stay "depends".
    """
    by_field: dict[str, list[Compare]] = {}
    for step in workflow.steps:
        for compare in _compares(step.when):
            by_field.setdefault(compare.field, []).append(compare)
    choices = [FactChoice(field, _options(compares)) for field, compares in by_field.items()]
    return [choice for choice in choices if choice.options]


def chosen_facts(choices: list[FactChoice], answers: Mapping[str, str]) -> dict[str, Any]:
    """The facts a submitted 审批流程图 form stands for; unanswered or unknown keys stay open.

    :param answers: field → option key, as the form sends them
    """
    facts: dict[str, Any] = {}
    for choice in choices:
        option = next((o for o in choice.options if o.key == answers.get(choice.field)), None)
        if option is not None:
            facts[choice.field] = option.value
    return facts
