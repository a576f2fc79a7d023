"""操作权限 → 角色定制: a unit's own roles and the 功能权限 ticked on them."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.scope import UNIT_SCOPE
from app.services import roles as role_service
from models import UnitRole
from views.base import ServiceHooks, ServiceModelView
from views.rest import ServiceRestApi
from views.schemas import UnitRoleBody

ROLE_LABELS = {
    "name": _l("类别名称"),
    "description": _l("说明"),
    "functions": _l("功能权限"),
    "unit": _l("所属单位"),
}


class UnitRoleRules(ServiceHooks):
    """The service calls shared by the page and the REST resource."""

    save_command = staticmethod(role_service.save_unit_role)
    delete_command = staticmethod(role_service.delete_unit_role)


class UnitRoleView(UnitRoleRules, ServiceModelView):
    """角色定制."""

    datamodel = SQLAInterface(UnitRole)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("角色定制")
    add_title = _l("增加角色")
    edit_title = _l("修改角色")
    list_columns = ["name", "description", "functions"]
    show_columns = ["name", "description", "unit", "functions"]
    add_columns = edit_columns = ["name", "description", "functions"]
    search_columns = ["name"]
    base_order = ("name", "asc")
    label_columns = ROLE_LABELS
    description_columns = {"functions": _l("勾选该角色可以使用的功能。")}


class UnitRoleApi(UnitRoleRules, ServiceRestApi):
    """REST resource for 角色定制, scoped to the caller's unit."""

    resource_name = "unit_role"
    list_title = show_title = _l("角色定制")
    add_title = _l("增加角色")
    edit_title = _l("修改角色")
    datamodel = SQLAInterface(UnitRole)
    base_filters = UNIT_SCOPE
    list_columns = show_columns = ["id", "name", "description", "functions.code", "functions.name"]
    add_columns = edit_columns = ["name", "description", "functions"]
    label_columns = {
        **ROLE_LABELS, "functions.code": _l("功能代码"), "functions.name": _l("功能权限"),
    }
    openapi_spec_tag = "角色定制"
    body_schema = UnitRoleBody
