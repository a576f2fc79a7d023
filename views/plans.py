"""计划管理 → 采购计划备案 (增加 / 保存 / 保存并提交) and 计划查询."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.scope import UNIT_SCOPE, current_operator
from app.services import catalogue, files, plans
from app.services import workflow as flow
from app.services.errors import ServiceError
from app.services.intentions import linkable_intentions
from app.services.ledger import amounts
from app.services.money import format_money as money
from app.services.records import clerk_of, status_label
from app.timezone import business_today
from models import (
    CatalogueItem,
    Category,
    FundSource,
    Method,
    Organisation,
    ProcurementPlan,
    SpendingPlan,
)
from views.base import ServiceModelView, attempt
from views.bids import WorkflowActionsMixin
from views.forms import Uploads, file_input, kept_uploads
from views.review_scope import REVIEW_SCOPE, REVIEW_UNIT_CHOICE

PLAN_LABELS = {
    "plan_number": _l("政府采购计划编号"), "project_name": _l("项目名称"),
    "fund_source": _l("资金来源"), "total_amount": _l("本次采购总金额"), "status": _l("状态"),
    "created_on": _l("填报时间"), "unit": _l("采购单位"), "completed_on": _l("备案完成时间"),
    "linked": _l("是否关联采购意向"),
}


PROOFS = ("import_proof", "unlinked_proof")


def _yes(name: str) -> bool:
    return request.form.get(name) in ("1", "y", "on", "true")


def form_input() -> plans.PlanInput:
    """Read the plan form (items as item-<n>-<field>, funding as funding-<spending plan id>)."""
    form = request.form
    rows = sorted({int(k.split("-")[1]) for k in form if k.startswith("item-")
                   and k.split("-")[1].isdigit()})
    items = []
    for n in rows:
        def value(key: str, n: int = n) -> str:
            return form.get(f"item-{n}-{key}", "").strip()
        if not any(value(k) for k in ("catalogue", "quantity", "amount")):
            continue  # an empty spare row
        catalogue = value("catalogue")
        items.append(plans.ItemInput(
            int(catalogue) if catalogue.isdigit() else None, value("quantity"), value("amount"),
            value("method"), value("method_reason"), value("organisation"), value("form")))
    fundings = {int(k.removeprefix("funding-")): v for k, v in form.items()
                if k.startswith("funding-") and k.removeprefix("funding-").isdigit()}
    linked = form.get("linked")
    intention = form.get("intention_id", "")
    return plans.PlanInput(
        project_name=form.get("project_name", ""), fund_source=form.get("fund_source", ""),
        fiscal_amount=form.get("fiscal_amount", "0"), own_amount=form.get("own_amount", "0"),
        has_imports=_yes("has_imports"), competent_review=_yes("competent_review"),
        linked=None if linked not in ("1", "0") else linked == "1",
        intention_id=int(intention) if intention.isdigit() else None,
        unlinked_reason=form.get("unlinked_reason", ""), items=items, fundings=fundings,
    )


class ProcurementPlanView(WorkflowActionsMixin, ServiceModelView):
    """采购计划备案: the unit's plans; 增加/修改 use the full form with items and funding."""

    record_type = plans.RECORD
    datamodel = SQLAInterface(ProcurementPlan)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("采购计划备案")
    list_columns = ["plan_number", "project_name", "fund_source", "total_amount", "status",
                    "created_on"]
    # The content is the record partial above these (the review page's rows and tables).
    show_columns = ["status", "completed_on"]
    search_columns = ["plan_number", "project_name", "created_on"]
    base_order = ("created_on", "desc")
    label_columns = PLAN_LABELS
    formatters_columns = {"status": status_label, "total_amount": money}
    show_template = "workflow/record_show.html"

    delete_command = staticmethod(plans.delete_plan)

    def _render_form(self, plan: ProcurementPlan | None, title: str,
                     kept: Uploads | None = None) -> str:
        session, actor = self.db_session, current_operator()
        spending = list(session.scalars(select(SpendingPlan).where(
            SpendingPlan.unit_id == actor.unit_id).order_by(SpendingPlan.external_no)))
        derived = amounts(session, [s.id for s in spending])
        return self.render_template(
            "plans/form.html", title=title, plan=plan, form=request.form,
            file_input=file_input, kept=(kept or Uploads()).kept,
            plain_number=plans.plain_number,
            catalogue=list(session.scalars(select(CatalogueItem).order_by(CatalogueItem.code))),
            methods=list(Method), organisations=list(Organisation), sources=list(FundSource),
            works=(Category.works, Category.services), money=money,
            spending=[(s, derived[s.id]) for s in spending],
            zhengzhou=actor.unit.region.code == plans.LINKED_REGION,
            intentions=linkable_intentions(session, actor.unit_id, business_today(),
                                           plan.id if plan is not None else None),
        )

    def _save(self, plan: ProcurementPlan | None) -> Response | Uploads:
        """保存 (and 保存并提交); a refusal answers the files kept for the re-rendered form."""
        actor = current_operator()
        kept = kept_uploads(PROOFS, actor.id)
        uploads = {key: kept.get(key) for key in PROOFS}
        then_submit = bool(request.form.get("submit_after_save"))

        def save(session: Session) -> None:
            saved = plans.save_plan(session, actor, form_input(), uploads, plan)
            if then_submit:
                # In the same unit of work: a refused submission saves nothing either.
                flow.submit_record(session, plans.RECORD, saved, actor)

        refused = attempt(save)
        if refused:
            flash(refused.message, "danger")
            return kept
        files.discard_pending(kept.tokens)
        submitted = request.form.get("submit_after_save")
        flash("已保存并提交。" if submitted else "已保存，可继续修改或提交。", "success")
        return redirect(url_for(".list"))

    def _refuse_non_clerks(self) -> Response | None:
        try:
            clerk_of(current_operator())
        except ServiceError as exc:
            flash(exc.message, "danger")
            return redirect(url_for(".list"))
        return None

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        refusal = self._refuse_non_clerks()
        if refusal is not None:
            return refusal
        outcome = self._save(None) if request.method == "POST" else None
        if isinstance(outcome, Response):
            return outcome
        return self._render_form(None, "增加采购计划备案", outcome)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: str) -> Any:
        plan = self.datamodel.get(pk, self._base_filters)
        if plan is None:
            abort(404)
        refusal = self._refuse_non_clerks() or self.refuse_edit(plan)
        if refusal is not None:
            return refusal
        outcome = self._save(plan) if request.method == "POST" else None
        if isinstance(outcome, Response):
            return outcome
        return self._render_form(plan, "修改采购计划备案", outcome)

    @expose("/download/<int:pk>/<kind>")
    @has_access
    def download(self, pk: int, kind: str) -> Response:
        """A proof of the plan, for its unit and its reviewers."""
        if kind not in ("import_proof", "unlinked_proof"):
            abort(404)
        return self.send_record_file(ProcurementPlan, pk, kind)


class PlanQueryView(ServiceModelView):
    """计划查询: filter the unit's plans by status, unit, date, method and number."""

    datamodel = SQLAInterface(ProcurementPlan)
    # The clerk's own unit; a reviewer's post also the units it reviews (views.review_scope).
    base_filters = REVIEW_SCOPE
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("计划查询")
    list_columns = ["plan_number", "unit", "project_name", "method", "total_amount", "status",
                    "created_on", "completed_on"]
    show_columns = ProcurementPlanView.show_columns
    search_columns = ["plan_number", "project_name", "unit", "status", "method", "fund_source",
                      "created_on", "completed_on"]
    base_order = ("created_on", "desc")
    label_columns = {**PLAN_LABELS, "method": _l("采购方式")}
    formatters_columns = {"status": status_label, "total_amount": money}
    search_form_query_rel_fields = {"unit": REVIEW_UNIT_CHOICE}
    record_type = plans.RECORD  # its 查看 shows the plan as 采购计划备案 does
    show_template = "workflow/record_show.html"


class CatalogueItemView(ServiceModelView):
    """品目管理: the catalogue with its 网上商城 and 集中采购目录 flags and amount limits."""

    datamodel = SQLAInterface(CatalogueItem)
    list_title = show_title = _l("品目管理")
    add_title = _l("增加品目")
    edit_title = _l("修改品目")
    list_columns = ["code", "name", "category", "in_mall", "mall_limit", "centralised",
                    "centralised_limit"]
    show_columns = list_columns
    add_columns = edit_columns = list_columns
    search_columns = ["code", "name", "category", "in_mall", "centralised"]
    base_order = ("code", "asc")
    label_columns = {
        "code": _l("品目编码"), "name": _l("品目名称"), "category": _l("项目分类"),
        "in_mall": _l("网上商城目录"), "mall_limit": _l("网上商城数额上限（元）"),
        "centralised": _l("集中采购目录"), "centralised_limit": _l("集中采购数额标准（元）"),
    }
    description_columns = {
        "mall_limit": _l("网上商城目录内且金额不超过此数的品目只能网上商城采购；留空表示不限。"),
        "centralised_limit": _l(
            "集中采购目录内且金额不超过此数的品目组织形式为集中采购机构采购；留空表示不限。"),
    }
    formatters_columns = {"mall_limit": money, "centralised_limit": money}

    save_command = staticmethod(catalogue.save_catalogue_item)
