"""操作权限 → 操作人员管理, the system administrator's 全部人员, and the operator REST API."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.widgets import FormWidget
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.scope import UNIT_SCOPE, current_operator, is_sys_admin
from app.services import operators as ops
from models import Operator, UnitRole
from views.base import ServiceHooks, ServiceModelView, act_on_chosen, attempt
from views.rest import ServiceRestApi
from views.schemas import OperatorBody, OperatorPostBody
from views.security import CONFIRM_PASSWORD, NewPasswordForm, password_field


class FilterOwnUnitRoles(BaseFilter):
    """Unit roles the current operator may assign: their own unit's, or any for the admin."""

    name = "本单位角色"

    def apply(self, query: Any, value: Any) -> Any:
        user = current_operator()
        if is_sys_admin(user):
            return query
        return query.filter(UnitRole.unit_id == (user.unit_id if user else None))


def _yes_no(value: object) -> bool:
    return value in (True, "1", "true", "True")


INTERNAL_REVIEW_FIELD = SelectField(
    _l("内部审核标志"),
    choices=[("0", "否"), ("1", "是")],
    coerce=_yes_no,
    default="0",
    description=_l("选“是”的人员担任内部审核岗。"),
    widget=Select2Widget(),
)
NEW_OPERATOR_FIELDS = {
    "password": password_field(_l("初始密码")),
    "conf_password": CONFIRM_PASSWORD,
    "internal_review": INTERNAL_REVIEW_FIELD,
}


OPERATOR_LABELS = {
    "username": _l("登录账号"),
    "first_name": _l("姓名"),
    "phone": _l("手机号码"),
    "unit": _l("所属单位"),
    "post": _l("岗位"),
    "internal_review": _l("内部审核标志"),
    "unit_roles": _l("角色"),
    "active": _l("启用"),
    "last_login": _l("最后登录时间"),
    "password": _l("初始密码"),
    "conf_password": _l("确认密码"),
}


class OperatorRules(ServiceHooks):
    """The service calls shared by the operator pages and the REST resource."""

    save_command = staticmethod(ops.save_operator)
    delete_command = staticmethod(ops.delete_operator)


class OperatorViewBase(OperatorRules, ServiceModelView):
    """Shared behaviour of the two operator screens; they differ only in columns."""

    datamodel = SQLAInterface(Operator)
    label_columns = OPERATOR_LABELS
    add_form_extra_fields = NEW_OPERATOR_FIELDS
    edit_form_extra_fields = {"internal_review": INTERNAL_REVIEW_FIELD}
    search_columns = ["username", "first_name", "phone", "active"]
    order_columns = ["username", "first_name"]
    base_order = ("username", "asc")
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "unit_roles": [["id", FilterOwnUnitRoles, None]],
    }

    def post_add(self, item: Operator) -> None:
        # The account is generated, so the administrator must be told what to hand over.
        flash(f"已为“{item.first_name}”生成登录账号：{item.username}", "info")

    @action("resetpassword", _l("重置密码"), "", "fa-key", multiple=False)
    def resetpassword(self, item: Operator) -> Response:
        return redirect(url_for(f"{self.endpoint}.reset_password", pk=item.id))

    @action("unlock", _l("解除锁定"),
            _l("确定解除所选人员的登录锁定吗？被锁定的客户端可立即重新登录。"), "fa-unlock")
    def unlock(self, items: Operator | list[Operator]) -> Any:
        return act_on_chosen(
            self.endpoint, items,
            lambda session, item: ops.unlock_operator(session, self.actor, item),
            lambda item: f"{item.first_name}（{item.username}）",
            lambda item: f"已解除“{item.first_name}”（{item.username}）的登录锁定。")

    @expose("/resetpassword/<int:pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("resetpassword")
    def reset_password(self, pk: int) -> Any:
        """Form that sets a new password for an operator in scope."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        form = NewPasswordForm.refresh(request.form)
        if request.method == "POST" and form.validate():
            refused = attempt(lambda session: ops.reset_operator_password(
                session, item, self.actor, form.password.data))
            if refused:
                flash(refused.message, "danger")
            else:
                flash(f"已重置“{item.first_name}”（{item.username}）的密码。", "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        widget = FormWidget(form=form, include_cols=["password", "conf_password"])
        return self.render_template(
            "appbuilder/general/model/edit.html",
            title=f"重置密码：{item.first_name}（{item.username}）",
            widgets={"edit": widget},
        )


class OperatorView(OperatorViewBase):
    """操作人员管理: a unit administrator's own unit's operators."""

    base_filters = UNIT_SCOPE
    list_title = show_title = _l("操作人员管理")
    add_title = _l("增加操作人员")
    edit_title = _l("修改操作人员")
    list_columns = ["username", "first_name", "phone", "post", "internal_review", "active"]
    show_columns = [
        "username", "first_name", "phone", "unit", "post", "internal_review", "unit_roles",
        "active", "last_login",
    ]
    add_columns = [
        "first_name", "phone", "password", "conf_password", "internal_review", "unit_roles",
    ]
    edit_columns = ["first_name", "phone", "internal_review", "unit_roles", "active"]


class AdminOperatorView(OperatorViewBase):
    """全部人员: the system administrator's view of every operator, with unit and post."""

    list_title = show_title = _l("全部人员")
    add_title = _l("增加人员")
    edit_title = _l("修改人员")
    list_columns = ["username", "first_name", "phone", "unit", "post", "active"]
    show_columns = OperatorView.show_columns
    add_columns = [
        "username", "first_name", "phone", "unit", "post", "password", "conf_password",
        "unit_roles",
    ]
    edit_columns = ["first_name", "phone", "unit", "post", "unit_roles", "active"]
    search_columns = ["username", "first_name", "phone", "unit", "post", "active"]
    description_columns = {"username": _l("留空则按“单位编码+三位序号”自动生成。")}
    optional_columns = ["username"]
    required_choices = ["post"]


API_COLUMNS = [
    "id", "username", "first_name", "phone", "internal_review", "active",
    "unit.name", "post.name", "unit_roles.id", "unit_roles.name",
]


class OperatorApi(OperatorRules, ServiceRestApi):
    """REST resource for a unit's operators, scoped like 操作人员管理."""

    resource_name = "operator"
    list_title = show_title = _l("操作人员")
    add_title = _l("增加操作人员")
    edit_title = _l("修改操作人员")
    datamodel = SQLAInterface(Operator)
    base_filters = UNIT_SCOPE
    list_columns = show_columns = API_COLUMNS
    edit_columns = ["first_name", "phone", "internal_review", "unit_roles", "active"]
    add_columns = ["first_name", "phone", "internal_review", "unit_roles"]
    order_columns = ["username", "first_name"]
    search_columns = ["username", "first_name", "phone", "active"]
    label_columns = {
        **OPERATOR_LABELS,
        "unit.name": _l("所属单位"),
        "post.name": _l("岗位"),
        "unit_roles.id": _l("角色编号"),
        "unit_roles.name": _l("角色"),
    }
    openapi_spec_tag = "操作人员"
    post_schema = OperatorPostBody
    body_schema = OperatorBody
