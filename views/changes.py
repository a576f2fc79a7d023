"""计划管理 → 采购失败方式变更 and 用款计划调减."""

from __future__ import annotations

from flask import Response
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField

from app.scope import UNIT_SCOPE, own_unit_choices
from app.services import changes
from app.services.money import format_money as money
from app.services.records import status_label
from models import MethodChange, ProcurementPlan, SpendingPlan, SpendingReduction
from views.base import ServiceHooks, ServiceModelView
from views.bids import WorkflowActionsMixin
from workflow import Status

COMPLETED_PLANS = own_unit_choices(ProcurementPlan, ProcurementPlan.status == Status.completed,
                                   label="本单位已备案项目")


class MethodChangeRules(ServiceHooks):
    """采购失败方式变更 commands, shared by the page and the REST resource."""

    save_command = staticmethod(changes.save_method_change)
    delete_command = staticmethod(changes.delete_draft)
    file_fields = ("attachment",)


class ReductionRules(ServiceHooks):
    """用款计划调减 commands, shared by the page and the REST resource."""

    save_command = staticmethod(changes.save_reduction)
    delete_command = staticmethod(changes.delete_draft)


class MethodChangeView(MethodChangeRules, WorkflowActionsMixin, ServiceModelView):
    """采购失败方式变更."""

    record_type = changes.METHOD_CHANGE
    datamodel = SQLAInterface(MethodChange)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("采购失败方式变更")
    add_title = _l("增加采购方式变更")
    edit_title = _l("修改采购方式变更")
    list_columns = ["plan", "old_method", "new_method", "status", "created_on"]
    show_columns = ["unit", "plan", "old_method", "new_method", "reason", "attachment_name",
                    "status", "created_by", "created_on", "completed_on"]
    add_columns = edit_columns = ["plan", "new_method", "reason", "attachment"]
    search_columns = ["plan", "new_method"]
    base_order = ("created_on", "desc")
    label_columns = {
        "plan": _l("失败项目"), "old_method": _l("原采购方式"), "new_method": _l("变更后采购方式"),
        "reason": _l("变更原因"), "attachment": _l("变更相关附件"), "attachment_name": _l("附件"),
        "status": _l("状态"), "created_on": _l("填报时间"), "created_by": _l("经办人"),
        "unit": _l("申请单位"), "completed_on": _l("完成时间"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "attachment": FileField(_l("变更相关附件"), description=_l("PDF、JPG 或 PNG 文件。")),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "plan": COMPLETED_PLANS,
    }
    formatters_columns = {"status": status_label}
    show_template = "workflow/record_show.html"

    @expose("/download/<int:pk>")
    @has_access
    def download(self, pk: int) -> Response:
        """The attachment, for the unit and its reviewers."""
        return self.send_record_file(MethodChange, pk, "attachment")


class SpendingReductionView(ReductionRules, WorkflowActionsMixin, ServiceModelView):
    """用款计划调减."""

    record_type = changes.REDUCTION
    datamodel = SQLAInterface(SpendingReduction)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("用款计划调减")
    add_title = _l("增加用款计划调减")
    edit_title = _l("修改用款计划调减")
    list_columns = ["spending_plan", "kind", "amount", "status", "created_on"]
    show_columns = ["unit", "spending_plan", "kind", "amount", "reason", "status", "created_by",
                    "created_on", "completed_on"]
    add_columns = edit_columns = ["spending_plan", "kind", "amount", "reason"]
    search_columns = ["spending_plan", "kind"]
    base_order = ("created_on", "desc")
    label_columns = {
        "spending_plan": _l("用款计划"), "kind": _l("调减类型"), "amount": _l("调减金额（元）"),
        "reason": _l("调减原因"), "status": _l("状态"), "created_on": _l("填报时间"),
        "created_by": _l("经办人"), "unit": _l("申请单位"), "completed_on": _l("完成时间"),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "spending_plan": own_unit_choices(SpendingPlan, label="本单位用款计划"),
    }
    formatters_columns = {"status": status_label, "amount": money}
    show_template = "workflow/record_show.html"
