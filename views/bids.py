"""监督管理: 中标结果变更备案 (with 提交/撤回) and 中标结果变更公告 (with its gate)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField

from app.scope import UNIT_SCOPE, current_operator, own_unit_choices
from app.services import bids
from app.services import workflow as flow
from app.services.errors import ServiceError
from app.services.files import stored_path
from app.services.money import format_money as money
from app.services.records import status_label
from models import BidChangeAnnouncement, BidChangeFiling, Project
from views.base import FILING_RULES, ServiceHooks, ServiceModelView, attempt

FILING_LABELS = {
    "project": _l("项目"),
    "change_content": _l("变更事项"),
    "change_reason": _l("变更原因"),
    "new_supplier": _l("变更后中标供应商"),
    "new_amount": _l("变更后中标金额（元）"),
    "explanation": _l("加盖单位公章的情况说明材料"),
    "explanation_name": _l("情况说明材料"),
    "status": _l("状态"),
    "created_by": _l("经办人"),
    "created_on": _l("填报时间"),
    "completed_on": _l("完成时间"),
    "unit": _l("申请单位"),
}


OWN_PROJECTS = {"project": own_unit_choices(Project, label="本单位项目")}


class ProjectView(ServiceModelView):
    """项目信息: a unit's projects with their winning-bid results (read-only here)."""

    datamodel = SQLAInterface(Project)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("项目信息")
    list_columns = ["code", "name", "winning_supplier", "winning_amount", "result_date"]
    show_columns = list_columns
    search_columns = ["code", "name", "winning_supplier"]
    base_order = ("code", "asc")
    label_columns = {
        "code": _l("项目编号"), "name": _l("项目名称"), "winning_supplier": _l("中标供应商"),
        "winning_amount": _l("中标金额"), "result_date": _l("中标日期"),
    }
    formatters_columns = {"winning_amount": money}


class WorkflowActionsMixin:
    """提交 and 撤回 on a record list, through the workflow adapter."""

    record_type: str
    state_rules = FILING_RULES

    def _flow(self, items: Any, call: Any, done: str) -> Response:
        # Offered both on a record's page and, as on the old system, on the list.
        for item in items if isinstance(items, list) else [items]:
            refused = attempt(
                lambda session, item=item: call(session, self.record_type, item, self.actor))
            if refused:
                flash(f"{item}：{refused.message}", "danger")
            else:
                flash(f"{item}：{done}", "success")
        return redirect(url_for(f"{self.endpoint}.list"))

    def send_record_file(self, model: type, pk: int, file: str) -> Response:
        """Send the record's ``<file>_path`` as ``<file>_name`` to its unit and its reviewers."""
        item = self.db_session.get(model, pk)
        actor = current_operator()
        instance = flow.instance_of(self.db_session, self.record_type, pk) if item else None
        allowed = item is not None and (
            item.unit_id == actor.unit_id
            or (instance is not None and flow.may_view(self.db_session, actor, instance))
        )
        if not allowed:
            abort(404)
        try:
            path = stored_path(getattr(item, f"{file}_path"))
        except ServiceError:
            abort(404)
        return send_file(path, download_name=getattr(item, f"{file}_name"), as_attachment=True)

    @action("submit", _l("提交"), _l("确定提交审核吗？"), "fa-paper-plane")
    def submit(self, items: Any) -> Response:
        return self._flow(items, flow.submit_record, "已提交，等待审核。")

    @action("withdraw", _l("撤回"), _l("确定撤回吗？"), "fa-undo")
    def withdraw(self, items: Any) -> Response:
        return self._flow(items, flow.withdraw_record, "已撤回，可修改后重新提交。")


class BidChangeFilingView(WorkflowActionsMixin, ServiceModelView):
    """中标结果变更备案."""

    save_command = staticmethod(bids.save_filing)
    delete_command = staticmethod(bids.delete_filing)
    file_fields = ("explanation",)
    record_type = bids.RECORD
    datamodel = SQLAInterface(BidChangeFiling)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("中标结果变更备案")
    add_title = _l("增加中标结果变更备案")
    edit_title = _l("修改中标结果变更备案")
    list_columns = ["project", "change_content", "status", "created_by", "created_on"]
    # The content is the record partial above these (the review page's rows).
    show_columns = ["status", "completed_on"]
    add_columns = edit_columns = [
        "project", "change_content", "change_reason", "new_supplier", "new_amount", "explanation",
    ]
    search_columns = ["project", "change_content"]
    base_order = ("created_on", "desc")
    label_columns = FILING_LABELS
    add_form_extra_fields = edit_form_extra_fields = {
        "explanation": FileField(_l("加盖单位公章的情况说明材料"),
                                 description=_l("PDF、JPG 或 PNG 文件，加盖单位公章。")),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = OWN_PROJECTS
    formatters_columns = {"status": status_label, "new_amount": money}
    show_template = "workflow/record_show.html"

    @expose("/download/<int:pk>")
    @has_access
    def download(self, pk: int) -> Response:
        """The explanation file, for the filing's unit and its reviewers."""
        return self.send_record_file(BidChangeFiling, pk, "explanation")


class AnnouncementRules(ServiceHooks):
    """The announcement gate, shared by the page and the REST resource."""

    save_command = staticmethod(bids.save_announcement)
    delete_command = staticmethod(bids.delete_announcement)
    # A published announcement stays as published (app.services.bids).
    state_rules = dict.fromkeys(("edit", "delete", "publish"), lambda item: not item.published)


class BidChangeAnnouncementView(AnnouncementRules, ServiceModelView):
    """中标结果变更公告: gated by the completed filing of its project."""

    datamodel = SQLAInterface(BidChangeAnnouncement)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("中标结果变更公告")
    add_title = _l("增加中标结果变更公告")
    edit_title = _l("修改中标结果变更公告")
    list_columns = ["project", "title", "published", "published_on"]
    show_columns = ["project", "title", "content", "published", "published_on"]
    add_columns = edit_columns = ["project", "title", "content"]
    # Not FAB's default of every column: that offers the unit (labelled "Unit") as a filter.
    search_columns = ["project", "title", "published", "published_on"]
    base_order = ("id", "desc")
    label_columns = {"project": _l("项目"), "title": _l("公告标题"), "content": _l("公告内容"),
                     "published": _l("已发布"), "published_on": _l("发布时间")}
    add_form_query_rel_fields = edit_form_query_rel_fields = OWN_PROJECTS

    @action("publish", _l("发布"), _l("确定发布该公告吗？"), "fa-bullhorn", multiple=False)
    def publish(self, item: BidChangeAnnouncement) -> Response:
        refused = attempt(lambda session: bids.publish_announcement(session, item, self.actor))
        if refused:
            flash(refused.message, "danger")
        else:
            flash("公告已发布。", "success")
        return redirect(url_for(f"{self.endpoint}.list"))
