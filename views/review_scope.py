"""计划查询 for reviewers: the records of the units whose filings their post reviews."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_

from app.scope import OperatorScopeFilter
from app.services.workflow import reviewed_units
from models import Operator
from workflow import Status


class ReviewScopeFilter(OperatorScopeFilter):
    """The current operator's unit, and the submitted records of the units their post reviews
    (the units the chains' scopes send to it); the system administrator sees all."""

    name = "本单位及审核范围"
    arg_name = "review_scope"

    def within(self, column: Any, user: Operator) -> Any:
        # Drafts stay with their unit: a reviewer sees what was sent to review.
        return or_(column == user.unit_id,
                   column.in_(reviewed_units(user)) & (self.model.status != Status.draft))


class ReviewUnitFilter(OperatorScopeFilter):
    """For a picker of units: the operator's own and those their post reviews."""

    name = "本单位及审核范围"
    arg_name = "review_units"

    def within(self, column: Any, user: Operator) -> Any:
        return or_(column == user.unit_id, column.in_(reviewed_units(user)))


REVIEW_SCOPE = [["unit_id", ReviewScopeFilter, None]]
REVIEW_UNIT_CHOICE = [["id", ReviewUnitFilter, None]]
