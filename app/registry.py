"""One function registers every menu, view and API of the panel."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from views.operators import AdminOperatorView, OperatorApi, OperatorView
from views.organisation import DivisionView, PostView, RegionView, UnitView
from views.roles import UnitRoleApi, UnitRoleView

# Menu names are stable identifiers used in permissions; labels are what people read.
SYSTEM = ("SystemAdmin", _l("系统管理"), "fa-cogs")
PERMISSIONS = ("Permissions", _l("操作权限"), "fa-user-shield")


def _add(appbuilder: AppBuilder, view: type, name: str, label: str, icon: str,
         category: tuple[str, object, str]) -> None:
    cat_name, cat_label, cat_icon = category
    appbuilder.add_view(
        view, name, label=label, icon=icon,
        category=cat_name, category_label=cat_label, category_icon=cat_icon,
    )


def register_all(appbuilder: AppBuilder) -> None:
    """Register the menus, views and REST APIs, in the order the menu shows them."""
    _add(appbuilder, RegionView, "RegionManage", _l("区划管理"), "fa-map", SYSTEM)
    _add(appbuilder, UnitView, "UnitManage", _l("单位管理"), "fa-building", SYSTEM)
    _add(appbuilder, DivisionView, "DivisionManage", _l("业务处室分管"), "fa-sitemap", SYSTEM)
    _add(appbuilder, AdminOperatorView, "AllOperators", _l("全部人员"), "fa-users", SYSTEM)
    _add(appbuilder, PostView, "PostList", _l("岗位"), "fa-id-badge", SYSTEM)

    _add(appbuilder, UnitRoleView, "RoleManage", _l("角色定制"), "fa-user-tag", PERMISSIONS)
    _add(appbuilder, OperatorView, "OperatorManage", _l("操作人员管理"), "fa-user", PERMISSIONS)

    appbuilder.add_api(OperatorApi)
    appbuilder.add_api(UnitRoleApi)
