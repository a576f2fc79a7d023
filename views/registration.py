"""采购人注册 (public form) and 采购人注册审核 / 本单位注册信息 (the registration records)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, g, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import false, select
from wtforms import PasswordField, SelectField, StringField

from app.extensions import db
from app.passwords import POLICY_TEXT
from app.ratelimit import client
from app.scope import current_operator, is_sys_admin
from app.services import registration
from app.services import workflow as flow
from app.services.errors import ServiceError
from app.services.records import status_label
from app.transaction import unit_of_work
from models import Region, TaskStatus, Unit, UnitRegistration, WorkflowTask
from views.accounts import _required, deliver_after_response
from views.base import ServiceModelView
from views.bids import WorkflowActionsMixin

OFFICE_REVIEWER = "office_reviewer"


class UnitRegistrationForm(FlaskForm):
    """采购人注册: 录入采购人信息, then 预算单位管理员信息."""

    region_id = SelectField("所属区划", coerce=int, validators=[_required("所属区划")])
    parent_id = SelectField("上级单位（一级预算单位）", coerce=int,
                            description="二级预算单位须选择本区划已注册的一级预算单位；"
                                        "一级预算单位不选。")
    name = StringField("单位名称", validators=[_required("单位名称")])
    code = StringField("预算单位编码", validators=[_required("预算单位编码")],
                       description="字母、数字、下划线或连字符，2至32位。")
    credit_code = StringField("统一社会信用代码", validators=[_required("统一社会信用代码")])
    address = StringField("单位地址", validators=[_required("单位地址")])
    phone = StringField("单位电话", validators=[_required("单位电话")])
    admin_name = StringField("管理员姓名", validators=[_required("管理员姓名")])
    admin_phone = StringField("管理员手机", validators=[_required("管理员手机")])
    password = PasswordField("登录密码", validators=[_required("登录密码")],
                             description=POLICY_TEXT)
    confirm = PasswordField("确认密码", validators=[_required("确认密码")])


class UnitRegisterView(BaseView):
    """采购人注册: anyone may register a unit; it waits for the 市采购办."""

    route_base = "/register/unit"
    default_view = "register"

    @expose("/", methods=["GET", "POST"])
    def register(self) -> Any:
        session = self.appbuilder.session
        form = UnitRegistrationForm()
        form.region_id.choices = [(0, "请选择")] + [
            (r.id, r.name) for r in session.scalars(select(Region).order_by(Region.sort_order))]
        form.parent_id.choices = [(0, "（无，本单位为一级预算单位）")] + [
            (u.id, f"{u.region.name} · {u.name}") for u in registration.first_level_units(session)]
        if form.validate_on_submit():
            data = registration.RegistrationInput(**{
                name: form[name].data for name in registration.RegistrationInput.__annotations__})
            try:
                with unit_of_work() as work:
                    username = registration.register_unit(work, data, client())
            except ServiceError as exc:
                flash(exc.message, "warning")
            else:
                # The same page whether the code was new or already registered.
                page = self.render_template("accounts/done.html", title="采购人注册",
                                            message=registration.registration_answer(username))
                return deliver_after_response(current_app.make_response(page))
        return self.render_template("accounts/form.html", title="采购人注册", form=form,
                                    submit="注册完成", login_link=True)


class RegistrationScope(BaseFilter):
    """A 市采购办 sees its region's registrations; a unit administrator their own unit's."""

    name = "注册范围"

    def apply(self, query: Any, value: Any) -> Any:
        user = current_operator()
        if is_sys_admin(user):
            return query
        if user is None or user.unit is None:
            return query.filter(false())
        if user.post_code == OFFICE_REVIEWER:
            # A subquery: the list may already join ``unit`` for its columns.
            return query.filter(UnitRegistration.unit_id.in_(
                select(Unit.id).where(Unit.region_id == user.unit.region_id)))
        return query.filter(UnitRegistration.unit_id == user.unit_id)


REGISTRATION_SCOPE = [["id", RegistrationScope, None]]


class UnitRegistrationView(WorkflowActionsMixin, ServiceModelView):
    """采购人注册审核 (市采购办) and 本单位注册信息 (the unit administrator corrects, resubmits)."""

    record_type = registration.RECORD
    datamodel = SQLAInterface(UnitRegistration)
    base_filters = REGISTRATION_SCOPE
    base_permissions = ["can_list", "can_show", "can_edit", "can_review"]
    list_title = show_title = _l("采购人注册信息")
    edit_title = _l("修改注册信息")
    list_columns = ["unit", "credit_code", "admin", "status", "created_on", "id"]
    export_columns = list_columns[:-1]  # 操作 is the review button
    # The content is the record partial above these (the review page's rows).
    show_columns = ["status", "completed_on"]
    # A returned registration is corrected in everything 采购人注册 took (the password aside).
    edit_columns = ["unit_name", "unit_code", "region", "parent", "credit_code", "address",
                    "phone", "admin_name", "admin_phone"]
    edit_form_extra_fields = {
        "unit_name": StringField(_l("单位名称"), validators=[_required("单位名称")],
                                 widget=BS3TextFieldWidget()),
        "unit_code": StringField(_l("预算单位编码"), validators=[_required("预算单位编码")],
                                 widget=BS3TextFieldWidget(),
                                 description=_l("字母、数字、下划线或连字符，2至32位。")),
        "region": QuerySelectField(
            _l("所属区划"), validators=[_required("所属区划")], widget=Select2Widget(),
            query_func=lambda: db.session.scalars(
                select(Region).order_by(Region.sort_order)).all(),
            get_pk_func=lambda region: region.id, get_label="name",
            allow_blank=True, blank_text="请选择"),
        "parent": QuerySelectField(
            _l("上级单位（一级预算单位）"), widget=Select2Widget(),
            query_func=lambda: registration.first_level_units(db.session()),
            get_pk_func=lambda unit: unit.id,
            get_label=lambda unit: f"{unit.region.name} · {unit.name}",
            allow_blank=True, blank_text="（无，本单位为一级预算单位）",
            description=_l("二级预算单位须选择本区划已注册的一级预算单位；一级预算单位不选。")),
        "admin_name": StringField(_l("管理员姓名"), validators=[_required("管理员姓名")],
                                  widget=BS3TextFieldWidget()),
        "admin_phone": StringField(_l("管理员手机"), validators=[_required("管理员手机")],
                                   widget=BS3TextFieldWidget()),
    }
    search_columns = ["credit_code", "status"]
    order_columns = ["credit_code", "status", "created_on"]
    base_order = ("created_on", "desc")
    label_columns = {
        "unit": _l("采购人名称"), "credit_code": _l("统一社会信用代码"), "address": _l("单位地址"),
        "phone": _l("单位电话"), "admin": _l("管理员"), "status": _l("状态"),
        "created_on": _l("注册时间"), "completed_on": _l("审核通过时间"), "id": _l("操作"),
        "unit_name": _l("单位名称"), "unit_code": _l("预算单位编码"), "region": _l("所属区划"),
        "parent": _l("上级单位（一级预算单位）"), "admin_name": _l("管理员姓名"),
        "admin_phone": _l("管理员手机"),
    }
    formatters_columns = {"status": status_label}
    show_template = "workflow/record_show.html"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.formatters_columns["id"] = self._review_link

    def _may_review(self) -> bool:
        # Asked once per request, not once per row (each check is a query).
        if "may_review_registrations" not in g:
            g.may_review_registrations = self.appbuilder.sm.has_access(
                "can_review", self.class_permission_name)
        return bool(g.may_review_registrations)

    def _review_link(self, pk: Any) -> Markup:
        if not self._may_review():
            return Markup("")
        url = url_for(f"{self.endpoint}.review", pk=pk)
        return Markup('<a class="btn btn-xs btn-primary" href="{}">审核</a>').format(url)

    save_command = staticmethod(registration.save_registration)

    def prefill_form(self, form: Any, pk: Any) -> None:
        """The unit and its administrator as registered, for the correction."""
        item = self.datamodel.get(pk, self._base_filters)
        form.unit_name.data, form.unit_code.data = item.unit.name, item.unit.code
        form.region.data, form.parent.data = item.unit.region, item.unit.parent
        form.admin_name.data, form.admin_phone.data = item.admin.first_name, item.admin.phone

    @expose("/review/<int:pk>")
    @has_access
    def review(self, pk: int) -> Response:
        """审核: open the 市采购办's task for this registration."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        instance = flow.instance_of(self.db_session, self.record_type, pk)
        actor = current_operator()
        task = self.db_session.scalar(select(WorkflowTask).where(
            WorkflowTask.instance_id == (instance.id if instance else None),
            WorkflowTask.status == TaskStatus.open, WorkflowTask.post_code == actor.post_code,
            WorkflowTask.unit_id == actor.unit_id)) if actor else None
        if task is None:
            flash("该注册信息没有待您审核的任务。", "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        return redirect(url_for("TaskView.review", pk=task.id))
