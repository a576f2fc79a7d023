"""Who the current user is and which units they may see: one rule for every way in."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false

from app.permissions import SYS_ADMIN
from models import Operator


def current_operator() -> Operator | None:
    """The signed-in operator of this request, or ``None``."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def is_sys_admin(user: Operator | None) -> bool:
    """Whether ``user`` holds the 系统管理员 post."""
    return user is not None and user.post_code == SYS_ADMIN


class OperatorScopeFilter(BaseFilter):
    """Restricts a query by the current operator: the system administrator sees all, an
    operator without a unit nothing, others what ``within`` allows."""

    def apply(self, query: Any, value: Any) -> Any:
        user = current_operator()
        if is_sys_admin(user):
            return query
        if user is None or user.unit_id is None:
            return query.filter(false())
        return query.filter(self.within(getattr(self.model, self.column_name), user))

    def within(self, column: Any, user: Operator) -> Any:
        """The condition on the filtered ``column`` for ``user`` (who has a unit)."""
        raise NotImplementedError


class UnitScopeFilter(OperatorScopeFilter):
    """Restricts a query to the current operator's unit; the system administrator sees all."""

    name = "本单位"
    arg_name = "unit_scope"

    def within(self, column: Any, user: Operator) -> Any:
        return column == user.unit_id


UNIT_SCOPE = [["unit_id", UnitScopeFilter, None]]
# For a picker of units (e.g. a search filter): the operator's own unit only.
OWN_UNIT_CHOICE = [["id", UnitScopeFilter, None]]


def own_unit_choices(model: Any, *conditions: Any, label: str = "本单位") -> list[list[Any]]:
    """``*_query_rel_fields`` entry offering only the current operator's unit's records.

    :param model: the related model; its ``unit_id`` decides
    :param conditions: further SQLAlchemy conditions, e.g. ``Plan.status == "completed"``
    """

    class OwnUnitFilter(BaseFilter):
        name = label

        def apply(self, query: Any, value: Any) -> Any:
            user = current_operator()
            return query.filter(model.unit_id == (user.unit_id if user else None), *conditions)

    return [["id", OwnUnitFilter, None]]
