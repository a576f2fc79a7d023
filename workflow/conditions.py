"""Evaluate structured conditions against a record's fields; nothing is ever ``eval``-ed."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from workflow.schema import AllOf, AnyOf, Compare, Condition, NotOf, Operator


class ConditionError(ValueError):
    """A condition names a field the record does not have, or compares incomparable values."""


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
    return {
        Operator.gt: left > right,
        Operator.gte: left >= right,
        Operator.lt: left < right,
        Operator.lte: left <= right,
    }[cond.op]


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


def fields_used(condition: Condition | None) -> set[str]:
    """Every record field a condition reads (for linting against the record's columns)."""
    if condition is None:
        return set()
    if isinstance(condition, AllOf):
        return set().union(*(fields_used(c) for c in condition.all))
    if isinstance(condition, AnyOf):
        return set().union(*(fields_used(c) for c in condition.any))
    if isinstance(condition, NotOf):
        return fields_used(condition.not_)
    return {condition.field}
