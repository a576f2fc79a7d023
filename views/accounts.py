"""Sign-in, 找回密码, the forced password change and 供应商注册: pages anyone can open."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.const import API_SECURITY_ACCESS_TOKEN_KEY, API_SECURITY_REFRESH_TOKEN_KEY
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_jwt_extended import create_access_token, create_refresh_token
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from app.passwords import POLICY_TEXT
from app.ratelimit import check, client, pending_notice
from app.services import accounts, operators
from app.services.errors import ServiceError
from app.services.sms import deliver_sms
from app.transaction import run_each, unit_of_work
from models import Supplier
from views.base import attempt
from views.rest import NOT_JSON, ChineseApiErrors

INVALID_LOGIN = "用户名或密码错误。"
log = logging.getLogger(__name__)


def _required(label: str) -> InputRequired:
    return InputRequired(message=f"请输入{label}。")


class LoginForm(FlaskForm):
    """用户登录."""

    username = StringField("用户名", validators=[_required("用户名")])
    password = PasswordField("密码", validators=[_required("密码")])


class RecoveryForm(FlaskForm):
    """供应商找回密码."""

    credit_code = StringField("统一社会信用代码", validators=[_required("统一社会信用代码")],
                              description="注册时填写的统一社会信用代码（18位）。")
    phone = StringField("手机号", validators=[_required("手机号")],
                        description="注册时填写的联系人手机号码或法定代表人手机号码。")


class PasswordChangeForm(FlaskForm):
    """修改密码 (forced after a temporary password)."""

    password = PasswordField("新密码", validators=[_required("新密码")], description=POLICY_TEXT)
    confirm = PasswordField("确认新密码", validators=[_required("确认新密码")])


class SupplierForm(FlaskForm):
    """供应商注册."""

    name = StringField("供应商名称", validators=[_required("供应商名称")])
    credit_code = StringField("统一社会信用代码", validators=[_required("统一社会信用代码")],
                              description="18位，将作为登录用户名。")
    contact_name = StringField("联系人", validators=[_required("联系人")])
    contact_phone = StringField("联系人手机", validators=[_required("联系人手机")])
    legal_name = StringField("法定代表人", validators=[_required("法定代表人")])
    legal_phone = StringField("法定代表人手机", validators=[_required("法定代表人手机")])
    bank_account_name = StringField("收款账户名称", validators=[_required("收款账户名称")])
    bank_account_no = StringField("收款账号", validators=[_required("收款账号")])
    bank_name = StringField("开户银行", validators=[_required("开户银行")])
    password = PasswordField("登录密码", validators=[_required("登录密码")],
                             description=POLICY_TEXT)
    confirm = PasswordField("确认密码", validators=[_required("确认密码")])


def deliver_after_response(response: Response) -> Response:
    """Send queued SMS once the answer is out, so its timing says nothing about a match."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def deliver() -> None:
        with app.app_context():
            run_each(deliver_sms(app.appbuilder.session))

    response.call_on_close(deliver)
    return response


def login_url(supplier: bool) -> str:
    """The login page on the tab of the person: 供应商 or 采购人、监管人员."""
    return url_for("LoginView.login", who="supplier") if supplier else url_for("LoginView.login")


class LoginView(AuthDBView):
    """用户登录 (采购人、监管人员 / 供应商), rate-limited, with temporary passwords."""

    login_template = "accounts/login.html"

    @expose("/login/", methods=["GET", "POST"])
    def login(self) -> Any:
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm()
        who = "supplier" if request.args.get("who") == "supplier" else "unit"
        if form.validate_on_submit():
            try:
                check("login-client", client(), "LOGIN_RATE_LIMIT")
            except ServiceError as exc:
                flash(exc.message, "warning")
                return self._render(form, who)
            g.accept_temporary_password = g.show_login_failures = True
            user = self.appbuilder.sm.auth_user_db(form.username.data.strip(),
                                                   form.password.data)
            if not user:
                flash(g.get("login_refusal") or INVALID_LOGIN, "warning")
                return self._render(form, who)
            login_user(user, remember=False)
            notice = pending_notice()
            if notice:
                flash(notice, "warning")
            if user.must_change_password:
                return redirect(url_for("PasswordChangeView.change"))
            return redirect(get_safe_redirect(request.args.get("next", "")))
        return self._render(form, who)

    def _render(self, form: LoginForm, who: str) -> str:
        return self.render_template(self.login_template, title="用户登录", form=form, who=who,
                                    appbuilder=self.appbuilder)

    @expose("/logout/")
    def logout(self) -> Any:
        """退出登录: ends every session and token of the account, this one included.

        A copy of this browser's cookie (or a token) taken before must not stay signed in.
        """
        user = self._get_authenticated_user()
        if user is not None:
            refused = attempt(lambda session: operators.end_sessions(session, user))
            if refused:
                log.warning("logout of %s could not end its sessions: %s", user.id, refused)
        logout_user()
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(current_app.config.get("LOGOUT_REDIRECT_URL",
                                               self.appbuilder.get_url_for_index))


class LoginApi(ChineseApiErrors, SecurityApi):
    """``/api/v1/security/login``: rate-limited per client, lockout and refusals in Chinese."""

    @expose("/login", methods=["POST"])
    def login(self) -> Response:
        """Sign in and receive a JWT (temporary passwords are for the web login only).
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: LoginPost
          responses:
            200:
              description: access_token
            401:
              description: 用户名或密码错误、账号锁定或须先修改密码
            429:
              description: 操作过于频繁
        """
        try:
            check("login-client", client(), "LOGIN_RATE_LIMIT")
        except ServiceError as exc:
            return self.response(exc.status, message=exc.message)
        g.login_refusal, g.accept_temporary_password = None, False
        return self._issue_tokens()

    def _issue_tokens(self) -> Response:
        # FAB's login, except that the tokens carry Operator.get_id() ("<id>:<version>")
        # instead of the bare id: ending the account's sessions then ends them too. FAB's
        # refresh endpoint passes the refresh token's identity on to the new access token.
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message=NOT_JSON)
        try:
            payload = login_post.load(body)
        except ValidationError as error:
            return self.response_400(message=error.messages)
        user = self.appbuilder.sm.auth_user_db(payload["username"], payload["password"])
        if not user:
            return self.response(401, message=g.get("login_refusal") or INVALID_LOGIN)
        identity = user.get_id()
        tokens = {API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(identity, fresh=True)}
        if payload.get("refresh"):
            tokens[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(identity)
        return self.response(200, **tokens)


class RecoveryView(BaseView):
    """供应商找回密码: the same answer whatever matched; the SMS leaves after the answer."""

    route_base = "/recover"
    default_view = "recover"

    @expose("/", methods=["GET", "POST"])
    def recover(self) -> Any:
        form = RecoveryForm()
        if form.validate_on_submit():
            with unit_of_work() as session:
                refused = accounts.request_recovery(session, form.credit_code.data,
                                                    form.phone.data, client())
            if refused:
                flash(refused.message, "warning")
            else:
                page = self.render_template("accounts/done.html", title="找回密码",
                                            message=accounts.recovery_answer(),
                                            login_url=login_url(supplier=True))
                return deliver_after_response(current_app.make_response(page))
        return self.render_template("accounts/form.html", title="供应商找回密码", form=form,
                                    submit="确定", login_link=login_url(supplier=True))


class PasswordChangeView(BaseView):
    """修改密码 after a temporary password: the only page open until it is done."""

    route_base = "/password"
    default_view = "change"

    @expose("/change", methods=["GET", "POST"])
    def change(self) -> Any:
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        if not current_user.must_change_password:
            # Everyone else changes a password under 个人信息 → 修改密码.
            return redirect(url_for("MyPasswordView.this_form_get"))
        form = PasswordChangeForm()
        if form.validate_on_submit():
            refused = attempt(lambda session: accounts.change_password(
                session, current_user, form.password.data, form.confirm.data))
            if refused:
                flash(refused.message, "warning")
            else:
                supplier = current_user.supplier_id is not None
                logout_user()
                return self.render_template("accounts/done.html", title="修改密码",
                                            message=accounts.PASSWORD_CHANGED,
                                            login_url=login_url(supplier))
        return self.render_template("accounts/form.html", title="修改密码", form=form,
                                    submit="确定", notice="您使用临时密码登录，请先设置新密码。")


class SupplierRegisterView(BaseView):
    """供应商注册: the supplier and its account; the login name is the credit code."""

    route_base = "/register/supplier"
    default_view = "register"

    @expose("/", methods=["GET", "POST"])
    def register(self) -> Any:
        form = SupplierForm()
        if form.validate_on_submit():
            supplier = Supplier(**{field: (form[field].data or "").strip() for field in (
                "name", "credit_code", "contact_name", "contact_phone", "legal_name",
                "legal_phone", "bank_account_name", "bank_account_no", "bank_name")})
            try:
                with unit_of_work() as session:
                    username = accounts.register_supplier(
                        session, supplier, form.password.data, form.confirm.data, client())
            except ServiceError as exc:
                flash(exc.message, "warning")
            else:
                # The same page whether the code was new or already registered.
                page = self.render_template("accounts/done.html", title="供应商注册",
                                            message=accounts.registration_answer(username),
                                            login_url=login_url(supplier=True))
                return deliver_after_response(current_app.make_response(page))
        return self.render_template("accounts/form.html", title="供应商注册", form=form,
                                    submit="注册", login_link=login_url(supplier=True))


# Reachable while a temporary password must still be replaced.
ALWAYS_OPEN = {"PasswordChangeView.change", "LoginView.logout", "static", "appbuilder.static"}


def force_password_change() -> Response | None:
    """After a temporary password, every page leads to 修改密码 until it is done."""
    if not getattr(current_user, "is_authenticated", False) or \
            not getattr(current_user, "must_change_password", False):
        return None
    if request.endpoint in ALWAYS_OPEN:
        return None
    return redirect(url_for("PasswordChangeView.change"))
