"""意向公开 → 采购意向: drafts, 公开 (publish) and 撤回 with a reason; a read-only REST resource."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from app.scope import UNIT_SCOPE
from app.services import intentions
from app.services.money import format_money as money
from app.services.records import status_label
from models import Intention, IntentionStatus
from views.base import ServiceModelView, act_on_chosen, attempt, in_states
from views.rest import ServiceRestApi

LABELS = {
    "unit": _l("采购单位"),
    "project_name": _l("采购项目名称"),
    "demand_summary": _l("采购需求概况"),
    "budget_amount": _l("预算金额（元）"),
    "expected_month": _l("预计采购时间"),
    "remark": _l("备注"),
    "status": _l("状态"),
    "published_on": _l("公开日期"),
    "withdrawn_on": _l("撤回时间"),
    "withdraw_reason": _l("撤回原因"),
    "created_by": _l("经办人"),
}

# Plain fields: every check (required, money, month) is the service's, with Chinese messages
# that name the field, and the same rules hold whichever way a record is written.
FORM_FIELDS = {
    "project_name": StringField(LABELS["project_name"], widget=BS3TextFieldWidget(),
                                render_kw={"maxlength": intentions.NAME_LIMIT}),
    "demand_summary": TextAreaField(LABELS["demand_summary"], widget=BS3TextAreaFieldWidget(),
                                    render_kw={"rows": 4}),
    "budget_amount": StringField(LABELS["budget_amount"], widget=BS3TextFieldWidget(),
                                 description=_l("大于0，最多两位小数，如 150000.00。"),
                                 render_kw={"inputmode": "decimal"}),
    "expected_month": StringField(LABELS["expected_month"], widget=BS3TextFieldWidget(),
                                  description=_l("精确到月，格式为“年-月”，如 2026-12。"),
                                  render_kw={"placeholder": "2026-12", "maxlength": 7}),
    "remark": TextAreaField(LABELS["remark"], widget=BS3TextAreaFieldWidget(),
                            render_kw={"rows": 2}),
}
FORM_COLUMNS = list(FORM_FIELDS)


class IntentionView(ServiceModelView):
    """采购意向: a clerk's drafts of the unit, 公开 and 撤回."""

    datamodel = SQLAInterface(Intention)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("采购意向")
    add_title = _l("增加采购意向")
    edit_title = _l("修改采购意向")
    list_columns = ["project_name", "budget_amount", "expected_month", "status", "published_on"]
    show_columns = [
        "unit", "project_name", "demand_summary", "budget_amount", "expected_month", "remark",
        "status", "published_on", "withdrawn_on", "withdraw_reason", "created_by",
    ]
    add_columns = edit_columns = FORM_COLUMNS
    add_form_extra_fields = edit_form_extra_fields = FORM_FIELDS
    search_columns = ["project_name", "expected_month"]
    base_order = ("id", "desc")
    label_columns = LABELS
    formatters_columns = {"status": status_label, "budget_amount": money}
    # The 撤回 button of the show page opens the reason form; both need only ``can_retract``.
    method_permission_name = {"retract_button": "retract"}

    save_command = staticmethod(intentions.save_intention)
    delete_command = staticmethod(intentions.delete_intention)
    # 修改/删除 unless the service's LOCKED names the status; 公开 a draft, 撤回 a published one.
    state_rules = {
        **dict.fromkeys(("edit", "delete"), lambda item: item.status not in intentions.LOCKED),
        "publish": in_states(IntentionStatus.draft),
        "retract": in_states(IntentionStatus.published),
    }

    @action("publish", _l("公开"), _l("确定公开所选采购意向吗？公开后不能修改，只能撤回。"),
            "fa-bullhorn")
    def publish(self, items: Any) -> Response:
        return act_on_chosen(
            self.endpoint, items,
            lambda session, item: intentions.publish_intention(session, item, self.actor),
            str, lambda item: f"{item}：已公开，公开日期 {item.published_on:%Y-%m-%d}。")

    @action("retract", _l("撤回"), "", "fa-undo", multiple=False)
    def retract_button(self, item: Intention) -> Response:
        return redirect(url_for(f"{self.endpoint}.retract", pk=item.id))

    @expose("/retract/<int:pk>", methods=["GET", "POST"])
    @has_access
    def retract(self, pk: int) -> Any:
        """撤回 form: a published intention of the unit is withdrawn with a reason."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        show = url_for(f"{self.endpoint}.show", pk=pk)
        if item.status != IntentionStatus.published:
            flash("只有已公开的采购意向可以撤回。", "danger")
            return redirect(show)
        reason, error = request.form.get("reason", ""), ""
        if request.method == "POST":
            refused = attempt(
                lambda session: intentions.retract_intention(session, item, self.actor, reason))
            if refused:
                error = refused.message
            else:
                flash(f"{item}：已撤回。", "success")
                return redirect(show)
        return self.render_template(
            "intentions/retract.html", title=f"撤回采购意向：{item.project_name}", item=item,
            reason=reason, error=error, show_url=show, money=money,
        )


class IntentionApi(ServiceRestApi):
    """采购意向 over REST (JWT): read-only, the caller's unit only."""

    resource_name = "intention"
    openapi_spec_tag = "采购意向"
    datamodel = SQLAInterface(Intention)
    base_filters = UNIT_SCOPE
    include_route_methods = {"get", "get_list", "info", "export"}
    base_permissions = ["can_get", "can_info"]
    list_columns = show_columns = [
        "id", "unit.name", "project_name", "demand_summary", "budget_amount", "expected_month",
        "remark", "status", "published_on", "withdrawn_on", "withdraw_reason",
    ]
    search_columns = ["project_name", "status", "expected_month"]
    label_columns = {**LABELS, "id": _l("编号"), "unit.name": _l("采购单位")}
    list_title = show_title = _l("采购意向")
    order_columns = ["id", "published_on", "expected_month"]
    base_order = ("id", "desc")
