"""Evaluate structured conditions against a record's fields; nothing is ever ``eval``-ed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from workflow.errors import WorkflowError
from workflow.schema import AllOf, AnyOf, Compare, Condition, NotOf, Operator


class ConditionError(WorkflowError):
    """A condition names a field the record does not have, or compares incomparable values."""

    code = "condition"


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _ordered(left: Any, right: Any) -> tuple[Any, Any]:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a, b
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    raise ConditionError(f"无法比较 {left!r} 与 {right!r}")


def _compare(cond: Compare, fields: Mapping[str, Any]) -> bool:
    if cond.field not in fields:
        raise ConditionError(f"记录没有字段“{cond.field}”")
    actual, expected = fields[cond.field], cond.value
    match cond.op:
        case Operator.truthy:
            return bool(actual)
        case Operator.falsy:
            return not actual
        case Operator.eq:
            return actual == expected or _number(actual) == _number(expected) is not None
        case Operator.ne:
            return not (actual == expected or _number(actual) == _number(expected) is not None)
        case Operator.in_ | Operator.not_in:
            if not isinstance(expected, list):
                raise ConditionError(f"“{cond.op.value}”需要一个列表")
            found = actual in expected
            return found if cond.op is Operator.in_ else not found
        case Operator.any_in | Operator.all_in:
            if not isinstance(expected, list) or not isinstance(actual, (list, tuple, set)):
                raise ConditionError(f"“{cond.op.value}”需要列表字段和列表值")
            hits = [value in expected for value in actual]
            return any(hits) if cond.op is Operator.any_in else all(hits)
    left, right = _ordered(actual, expected)
    outcome: bool = {
        Operator.gt: left > right,
        Operator.gte: left >= right,
        Operator.lt: left < right,
        Operator.lte: left <= right,
    }[cond.op]
    return outcome


def holds(condition: Condition | None, fields: Mapping[str, Any]) -> bool:
    """Whether ``condition`` is true for a record with ``fields``; no condition holds.

    :raises ConditionError: when a field is missing or values cannot be compared
    """
    if condition is None:
        return True
    if isinstance(condition, AllOf):
        return all(holds(c, fields) for c in condition.all)
    if isinstance(condition, AnyOf):
        return any(holds(c, fields) for c in condition.any)
    if isinstance(condition, NotOf):
        return not holds(condition.not_, fields)
    return _compare(condition, fields)


def could_hold(condition: Condition | None, known: Mapping[str, Any]) -> bool | None:
    """Whether ``condition`` holds when only the fields in ``known`` are known.

    ``True`` or ``False`` when the known fields settle it whatever the others are, ``None``
    when it depends on a field not in ``known`` (e.g. a plan's methods, when only its unit is
    known).

    :raises ConditionError: when known values cannot be compared
    """
    if condition is None:
        return True
    if isinstance(condition, NotOf):
        inner = could_hold(condition.not_, known)
        return None if inner is None else not inner
    if isinstance(condition, AllOf | AnyOf):
        parts = [could_hold(c, known) for c in
                 (condition.all if isinstance(condition, AllOf) else condition.any)]
        settling = isinstance(condition, AnyOf)  # any True settles any; any False settles all
        if settling in parts:
            return settling
        return None if None in parts else not settling
    return _compare(condition, known) if condition.field in known else None


def field_paths(condition: Condition | None, path: str) -> Iterator[tuple[str, str]]:
    """Every record field a condition reads, with the YAML path of the ``field`` key naming it.

    :param path: the path of the condition itself, e.g. ``workflows.plan.steps[3].when``
    :returns: ``(path, field)`` pairs such as ``(…when.all[1].field, "typo")``, in file order
    """
    if condition is None:
        return
    if isinstance(condition, AllOf):
        for index, part in enumerate(condition.all):
            yield from field_paths(part, f"{path}.all[{index}]")
    elif isinstance(condition, AnyOf):
        for index, part in enumerate(condition.any):
            yield from field_paths(part, f"{path}.any[{index}]")
    elif isinstance(condition, NotOf):
        yield from field_paths(condition.not_, f"{path}.not")
    else:
        yield f"{path}.field", condition.field
