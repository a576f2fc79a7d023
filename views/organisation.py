"""系统管理: regions, units, business-division responsibilities and posts."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.services import organisation as org
from models import Post, Region, Unit, UnitKind
from views.base import ServiceModelView


class FilterFirstLevel(FilterEqual):
    """Only first-level purchasing units (those that can act as 主管单位)."""

    name = "一级预算单位"

    def apply(self, query: Any, value: Any) -> Any:
        return query.filter(Unit.kind == UnitKind.purchaser, Unit.parent_id.is_(None))


UNIT_LABELS = {
    "code": _l("单位编码"),
    "name": _l("单位名称"),
    "kind": _l("单位类型"),
    "region": _l("所属区划"),
    "parent": _l("主管单位"),
    "active": _l("启用"),
    "competents": _l("分管的主管单位"),
    "created_on": _l("创建时间"),
}


class RegionView(ServiceModelView):
    """区划管理."""

    datamodel = SQLAInterface(Region)
    list_title = show_title = _l("区划管理")
    add_title = _l("新增区划")
    edit_title = _l("修改区划")
    list_columns = ["code", "name", "short_name", "supervision_unit", "sort_order"]
    list_loads = ["units"]  # supervision_unit looks through the region's units
    show_columns = list_columns
    add_columns = edit_columns = ["code", "name", "short_name", "sort_order"]
    search_columns = ["code", "name"]
    order_columns = ["code", "name", "sort_order"]
    base_order = ("sort_order", "asc")
    label_columns = {
        "code": _l("区划代码"),
        "name": _l("区划名称"),
        "short_name": _l("简称"),
        "supervision_unit": _l("监管部门"),
        "sort_order": _l("排序"),
    }
    description_columns = {
        "short_name": _l("用于政府采购计划编号，如“豫”“郑”。"),
        "code": _l("小写字母和数字，如 zz。"),
    }

    save_command = staticmethod(org.save_region)
    delete_command = staticmethod(org.delete_region)


class UnitView(ServiceModelView):
    """单位管理: every unit of every kind; 主管单位 is the parent of a purchasing unit."""

    datamodel = SQLAInterface(Unit)
    list_title = show_title = _l("单位管理")
    add_title = _l("新增单位")
    edit_title = _l("修改单位")
    list_columns = ["code", "name", "kind", "region", "parent", "active"]
    show_columns = ["code", "name", "kind", "region", "parent", "active", "created_on"]
    add_columns = edit_columns = ["code", "name", "kind", "region", "parent", "active"]
    search_columns = ["code", "name", "kind", "region", "parent", "active"]
    order_columns = ["code", "name", "kind"]
    base_order = ("code", "asc")
    label_columns = UNIT_LABELS
    description_columns = {"parent": _l("一级预算单位不填；二级单位选择其主管单位。")}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "parent": [["id", FilterFirstLevel, None]],
    }

    save_command = staticmethod(org.save_unit)
    delete_command = staticmethod(org.delete_unit)


class DivisionView(ServiceModelView):
    """业务处室分管: which competent departments each business division is responsible for."""

    datamodel = SQLAInterface(Unit)
    base_permissions = ["can_list", "can_show", "can_edit"]
    base_filters = [["kind", FilterEqual, UnitKind.division]]
    list_title = show_title = _l("业务处室分管")
    edit_title = _l("设置分管的主管单位")
    list_columns = ["code", "name", "region", "competents"]
    show_columns = list_columns
    edit_columns = ["competents"]
    search_columns = ["name", "region"]
    base_order = ("code", "asc")
    label_columns = {**UNIT_LABELS, "name": _l("业务处室")}
    edit_form_query_rel_fields = {"competents": [["id", FilterFirstLevel, None]]}

    save_command = staticmethod(org.save_division)


class PostView(ServiceModelView):
    """岗位: read-only reference data maintained by ``flask setup``."""

    datamodel = SQLAInterface(Post)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("岗位")
    # The code (clerk, internal_reviewer) is for workflows.yaml, not for people: not shown.
    list_columns = ["name", "unit_kind_label"]
    show_columns = list_columns
    search_columns = ["name"]
    base_order = ("sort_order", "asc")
    label_columns = {
        "name": _l("岗位名称"),
        "code": _l("岗位代码"),
        "unit_kind_label": _l("适用单位类型"),
    }

