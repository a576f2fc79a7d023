"""计划管理 → 用款计划 (stub; completed by the spending-plan work)."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.scope import UNIT_SCOPE
from models import SpendingPlan
from views.base import ServiceModelView


class SpendingPlanView(ServiceModelView):
    """用款计划."""

    datamodel = SQLAInterface(SpendingPlan)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("用款计划")
    list_columns = ["external_no", "name", "year", "plan_amount"]
    show_columns = list_columns
    search_columns = ["external_no", "name"]
    label_columns = {"external_no": _l("用款计划编号"), "name": _l("用款计划名称"),
                     "year": _l("年度"), "plan_amount": _l("计划金额")}
