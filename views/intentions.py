"""意向公开: a unit's procurement intentions (stub; completed by the intentions work)."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.scope import UNIT_SCOPE
from models import Intention
from views.base import ServiceModelView


class IntentionView(ServiceModelView):
    """采购意向."""

    datamodel = SQLAInterface(Intention)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("采购意向")
    list_columns = ["project_name", "budget_amount", "expected_month", "status", "published_on"]
    show_columns = list_columns
    search_columns = ["project_name"]
    label_columns = {"project_name": _l("采购项目名称"), "budget_amount": _l("预算金额"),
                     "expected_month": _l("预计采购时间"), "status": _l("状态"),
                     "published_on": _l("公开日期")}
