"""计划管理 → 采购失败登记, 采购失败方式变更 and 用款计划调减."""

from __future__ import annotations

from flask import Response
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField

from app.scope import UNIT_SCOPE, own_unit_choices
from app.services import changes, failures
from app.services.money import format_money as money
from app.services.records import status_label
from models import (
    MethodChange,
    ProcurementFailure,
    ProcurementPlan,
    SpendingPlan,
    SpendingReduction,
)
from views.base import ServiceHooks, ServiceModelView
from views.bids import WorkflowActionsMixin
from workflow import Status

# The unit's completed plans (合同备案 offers these).
COMPLETED_PLANS = own_unit_choices(ProcurementPlan, ProcurementPlan.status == Status.completed,
                                   label="本单位已备案项目")
# Offered for a failure: completed, no contract, no failure waiting for its change.
FAILABLE_PLANS = own_unit_choices(
    ProcurementPlan, ProcurementPlan.status == Status.completed, ~failures.plan_has_contract(),
    ~failures.plan_has_open_failure(), label="本单位已备案项目")
# Offered for a change: the plans whose recorded failure awaits a new method.
FAILED_PLANS = own_unit_choices(
    ProcurementPlan, ProcurementPlan.status == Status.completed, ~failures.plan_has_contract(),
    failures.plan_has_open_failure(), label="本单位采购失败项目")


class FailureRules(ServiceHooks):
    """采购失败登记 commands, shared by the page and the REST resource."""

    save_command = staticmethod(failures.save_failure)
    delete_command = staticmethod(failures.delete_failure)


class ProcurementFailureView(FailureRules, ServiceModelView):
    """采购失败登记: the unit's completed plans whose procurement failed, with date and reason."""

    datamodel = SQLAInterface(ProcurementFailure)
    base_filters = UNIT_SCOPE
    # A failure recorded by mistake is deleted (while no change names it) and recorded anew.
    base_permissions = ["can_list", "can_show", "can_add", "can_delete"]
    list_title = show_title = _l("采购失败登记")
    add_title = _l("增加采购失败登记")
    list_columns = ["plan", "method", "failed_on", "created_by", "created_on"]
    show_columns = ["unit", "plan", "method", "failed_on", "reason", "created_by", "created_on"]
    add_columns = ["plan", "failed_on", "reason"]
    search_columns = ["plan", "failed_on"]
    base_order = ("created_on", "desc")
    label_columns = {
        "unit": _l("申请单位"), "plan": _l("失败项目"), "method": _l("失败的采购方式"),
        "failed_on": _l("失败日期"), "reason": _l("失败原因"), "created_by": _l("经办人"),
        "created_on": _l("登记时间"),
    }
    description_columns = {
        "plan": _l("只列出本单位已完成备案、尚无合同且未登记失败的项目。"),
        "failed_on": _l("如因投标供应商不足三家而终止采购的日期，不能早于项目备案完成日期。"),
        "reason": _l("登记后即可办理采购失败方式变更。"),
    }
    add_form_query_rel_fields = {"plan": FAILABLE_PLANS}


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
    add_title = _l("增加采购失败方式变更")
    edit_title = _l("修改采购失败方式变更")
    list_columns = ["plan", "old_method", "new_method", "status", "created_on"]
    show_columns = ["unit", "plan", "failure", "old_method", "new_method", "reason",
                    "attachment_name", "old_plan_number", "new_plan_number", "status",
                    "created_by", "created_on", "completed_on"]
    add_columns = edit_columns = ["plan", "new_method", "reason", "attachment"]
    search_columns = ["plan", "new_method"]
    base_order = ("created_on", "desc")
    label_columns = {
        "plan": _l("失败项目"), "old_method": _l("原采购方式"), "new_method": _l("变更后采购方式"),
        "reason": _l("变更原因"), "attachment": _l("变更相关附件"), "attachment_name": _l("附件"),
        "status": _l("状态"), "created_on": _l("填报时间"), "created_by": _l("经办人"),
        "unit": _l("申请单位"), "completed_on": _l("完成时间"), "failure": _l("采购失败登记"),
        "old_plan_number": _l("原政府采购计划编号"),
        "new_plan_number": _l("变更后政府采购计划编号"),
    }
    description_columns = {
        "plan": _l("只列出已在“采购失败登记”中登记失败、尚无合同的本单位项目。"),
        "new_method": changes.NUMBERING,
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "attachment": FileField(_l("变更相关附件"), description=_l("PDF、JPG 或 PNG 文件。")),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "plan": FAILED_PLANS,
    }
    formatters_columns = {
        "status": status_label,
        "old_plan_number": lambda number: number or "（变更完成时记录）",
        "new_plan_number": lambda number: number or changes.NUMBERING,
    }
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
    # The content is the record partial above these (the review page's rows).
    show_columns = ["status", "created_on", "completed_on"]
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
