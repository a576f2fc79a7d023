"""Security pages: the signed-in person's profile and the read-only 角色权限 list."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect
from flask_appbuilder import SimpleFormView
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.models import Role
from flask_appbuilder.security.views import ResetMyPasswordView, UserDBModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired

from app.passwords import POLICY_TEXT
from app.permissions import permission_label
from app.services import accounts
from app.services import operators as ops
from views.base import ServiceModelView, attempt, display_value

PROFILE_FIELDS = ["username", "first_name", "unit", "post", "phone", "internal_review"]


class ProfileView(UserDBModelView):
    """The signed-in person's own information page (个人信息); no user administration here."""

    route_base = "/profile"
    base_permissions = ["can_userinfo", "resetmypassword", "userinfoedit"]
    show_columns = [*PROFILE_FIELDS, "last_login", "login_count"]
    formatters_columns = {column: display_value for column in show_columns}
    label_columns = {
        "username": _l("登录账号"),
        "first_name": _l("姓名"),
        "unit": _l("所属单位"),
        "post": _l("岗位"),
        "phone": _l("手机号码"),
        "internal_review": _l("内部审核标志"),
        "last_login": _l("最后登录时间"),
        "login_count": _l("登录次数"),
    }
    user_show_fieldsets = [
        (_l("个人信息"), {"fields": PROFILE_FIELDS}),
        (_l("登录情况"), {"fields": ["last_login", "login_count"], "expanded": False}),
    ]
    show_fieldsets = user_show_fieldsets
    user_info_title = _l("个人信息")


class ProfileEditForm(DynamicForm):
    """Name and phone, the two things a person may change about themselves."""

    first_name = StringField(_l("姓名"), validators=[InputRequired(message="请输入姓名。")],
                             widget=BS3TextFieldWidget())
    phone = StringField(_l("手机号码"), validators=[InputRequired(message="请输入手机号码。")],
                        widget=BS3TextFieldWidget())


class ProfileEditView(SimpleFormView):
    """修改个人信息."""

    route_base = "/profile/edit"
    form = ProfileEditForm
    form_title = _l("修改个人信息")
    redirect_url = "/profile/userinfo/"

    def form_get(self, form: DynamicForm) -> None:
        form.first_name.data = g.user.first_name
        form.phone.data = g.user.phone

    def form_post(self, form: DynamicForm) -> Any:
        refused = attempt(lambda session: ops.change_contact(
            session, g.user, form.first_name.data, form.phone.data))
        if refused:
            flash(refused.message, "danger")
            return redirect(self.route_base + "/form")
        flash("个人信息已保存。", "success")
        return None


def password_field(label: str) -> PasswordField:
    """A password input checked against the policy, with the policy as its hint."""
    return PasswordField(
        label,
        validators=[InputRequired(message="请输入密码。"), PasswordComplexityValidator()],
        widget=BS3PasswordFieldWidget(),
        description=POLICY_TEXT,
    )


CONFIRM_PASSWORD = PasswordField(
    _l("确认密码"),
    validators=[
        InputRequired(message="请再次输入密码。"),
        EqualTo("password", message="两次输入的密码不一致。"),
    ],
    widget=BS3PasswordFieldWidget(),
)


class NewPasswordForm(DynamicForm):
    """A new password, typed twice, checked against the policy."""

    password = password_field(_l("新密码"))
    conf_password = CONFIRM_PASSWORD


class OwnPasswordForm(NewPasswordForm):
    """个人信息 → 修改密码: the current password, then the new one twice."""

    current_password = PasswordField(
        _l("当前密码"), validators=[InputRequired(message="请输入当前密码。")],
        widget=BS3PasswordFieldWidget())


OWN_PASSWORD_CHANGED = ("密码修改成功！您在其他浏览器、设备上的登录和接口令牌已全部失效，"
                        "需用新密码重新登录；本浏览器保持登录。")


class MyPasswordView(ResetMyPasswordView):
    """修改密码 for the signed-in person; their other sessions and tokens end."""

    form = OwnPasswordForm
    form_columns = ["current_password", "password", "conf_password"]
    form_title = _l("修改密码")
    message = OWN_PASSWORD_CHANGED

    def form_post(self, form: DynamicForm) -> Any:
        # The account itself, not g.user (a proxy of current_user): login_user keeps what it
        # is given as the current user, and a proxy of itself would never resolve.
        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        refused = attempt(lambda session: accounts.change_own_password(
            session, user, form.current_password.data, form.password.data,
            form.conf_password.data))
        if refused:
            flash(refused.message, "danger")
            return redirect(self.route_base + "/form")
        # The change ended every session of the account; this browser gets a new one.
        login_user(user, remember=False)
        flash(self.message, "success")
        return None


def permissions_label(value: Any) -> str:
    """The permissions of a role, in Chinese, one per line."""
    labels = sorted(permission_label(pv.permission.name, pv.view_menu.name) for pv in value)
    return "\n".join(labels)


class RoleView(ServiceModelView):
    """角色权限: read-only; post roles follow the code (flask setup), unit roles 角色定制."""

    datamodel = SQLAInterface(Role)
    route_base = "/roles"
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("角色权限")
    list_columns = show_columns = ["name", "permissions"]
    list_loads = ["permissions.permission", "permissions.view_menu"]
    search_columns = ["name"]
    order_columns = ["name"]
    base_order = ("name", "asc")
    label_columns = {"name": _l("角色名称"), "permissions": _l("权限")}
    formatters_columns = {"permissions": permissions_label}
