"""计划查询 for reviewers: the records of the units whose filings their post reviews."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false, or_

from app.scope import current_operator, is_sys_admin
from app.services.workflow import reviewed_units
from workflow import Status


class ReviewScopeFilter(BaseFilter):
    """The current operator's unit, and the submitted records of the units their post reviews
    (the units the chains' scopes send to it); the system administrator sees all."""

    name = "本单位及审核范围"
    arg_name = "review_scope"

    def apply(self, query: Any, value: Any) -> Any:
        user = current_operator()
        if is_sys_admin(user):
            return query
        if user is None or user.unit_id is None:
            return query.filter(false())
        unit = getattr(self.model, self.column_name)
        # Drafts stay with their unit: a reviewer sees what was sent to review.
        return query.filter(or_(unit == user.unit_id,
                                (unit.in_(reviewed_units(user)))
                                & (self.model.status != Status.draft)))


class ReviewUnitFilter(BaseFilter):
    """For a picker of units: the operator's own and those their post reviews."""

    name = "本单位及审核范围"
    arg_name = "review_units"

    def apply(self, query: Any, value: Any) -> Any:
        user = current_operator()
        if is_sys_admin(user):
            return query
        if user is None or user.unit_id is None:
            return query.filter(false())
        column = getattr(self.model, self.column_name)
        return query.filter(or_(column == user.unit_id, column.in_(reviewed_units(user))))


REVIEW_SCOPE = [["unit_id", ReviewScopeFilter, None]]
REVIEW_UNIT_CHOICE = [["id", ReviewUnitFilter, None]]
