"""The 合同备案 form for the chosen plan: its 采购内容 lines, one 本合同拟使用计划金额 per 用款计划
the plan uses, and (engineering projects) its 农民工工资专用账户, shown read-only.

The plan is the posted one, the one asked for by ``?plan=`` (the form reloads on a plan choice,
static/js/contract_form.js) or the edited contract's. Nothing of another plan is offered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request, session, url_for
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.urltools import Stack
from markupsafe import Markup, escape
from sqlalchemy import false, select
from sqlalchemy.orm import selectinload
from wtforms import Field, StringField

from app.scope import current_operator
from app.services import contracts
from app.services.money import format_money
from models import Contract, PlanFunding, PlanItem, ProcurementPlan
from models.values import id_in_text

PREFIX = "funding_"
# Stand in the column lists where the per-用款计划 fields and the wage account go.
FUNDINGS = "fundings"
WAGE_ACCOUNT = "wage_account"


def _session() -> Any:
    return current_app.appbuilder.session  # type: ignore[attr-defined]


def _plan_id_asked() -> int | None:
    if request.method == "POST":
        return id_in_text(request.form.get("plan", ""))
    asked = id_in_text(request.args.get("plan", ""))
    pk = (request.view_args or {}).get("pk")
    if asked is None and request.endpoint and request.endpoint.endswith(".edit") and pk:
        user = current_operator()
        return _session().scalar(select(Contract.plan_id).where(
            Contract.id == id_in_text(str(pk)),
            Contract.unit_id == (user.unit_id if user else None)))
    return asked


def chosen_plan() -> ProcurementPlan | None:
    """The plan the form is for, if it is one of the clerk's plans open to contracts."""
    if not has_request_context():
        return None
    if "contract_plan" not in g:
        user, pk = current_operator(), _plan_id_asked()
        g.contract_plan = None if user is None or pk is None else \
            _session().scalar(select(ProcurementPlan).where(
                ProcurementPlan.id == pk, ProcurementPlan.unit_id == user.unit_id,
                contracts.open_to_contracts())
                .options(selectinload(ProcurementPlan.fundings)
                         .joinedload(PlanFunding.spending_plan),
                         selectinload(ProcurementPlan.items)
                         .joinedload(PlanItem.catalogue_item)))
    plan: ProcurementPlan | None = g.contract_plan
    return plan


def plan_lines_only() -> Any:
    """Condition on :class:`PlanItem`: a line of the chosen plan (none before a plan is chosen)."""
    plan = chosen_plan()
    return false() if plan is None else PlanItem.plan_id == plan.id


class WageAccountWidget:
    """The chosen engineering project's 农民工工资专用账户, read-only (or where to register it)."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        plan = chosen_plan()
        account = contracts.migrant_account_of(_session(),
                                               plan.id if plan else None)
        if account is None:
            link = url_for("MigrantAccountView.add")
            return Markup('<p class="form-control-static text-danger" id="wage_account">'
                          '该工程项目尚未登记农民工工资专用账户，请先<a href="{}">登记</a>。'
                          '</p>').format(link)
        lines = (f"户名：{account.account_name}", f"账号：{account.account_no}",
                 f"开户行：{account.bank_name}", f"施工总承包单位：{account.contractor.name}")
        return Markup('<p class="form-control-static" id="wage_account">{}</p>').format(
            Markup("<br>").join(escape(line) for line in lines))


class WageAccountField(Field):
    """Shown, never posted: the account belongs to the project, not to the contract."""

    widget = WageAccountWidget()

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None


class PlanFormMixin:
    """The add and edit forms of the chosen plan, built for each request."""

    add_columns: list[str]
    edit_columns: list[str]

    _add_form: Any = None
    _edit_form: Any = None

    @staticmethod
    def _for_plan(base: Any) -> Any:
        if base is None:  # FAB asks before it builds the form
            return None
        plan = chosen_plan()
        fields: dict[str, Any] = {
            f"{PREFIX}{funding.spending_plan_id}": StringField(
                f"本合同拟使用计划金额（元）：{funding.spending_plan.external_no} "
                f"{funding.spending_plan.name}",
                description=f"该项目申请使用{format_money(funding.amount)}；累计不可大于申请使用"
                            "计划金额。",
                widget=BS3TextFieldWidget())
            for funding in (plan.fundings if plan is not None else [])
        }

        class ForPlan(base):
            @classmethod
            def refresh(cls, obj: Any = None) -> Any:
                form = super().refresh(obj)
                # The project is chosen, never preselected: the form follows the choice.
                form.plan.allow_blank, form.plan.blank_text = True, "请选择采购项目"
                if request.method == "GET" and plan is not None:
                    form.plan.data = plan  # asked for by ?plan=, or the edited contract's
                return form

        for name, unbound in fields.items():
            setattr(ForPlan, name, unbound)
        ForPlan.__name__ = base.__name__
        return ForPlan

    @property
    def add_form(self) -> Any:
        return self._for_plan(self._add_form)

    @add_form.setter
    def add_form(self, form: Any) -> None:
        self._add_form = form

    @property
    def edit_form(self) -> Any:
        return self._for_plan(self._edit_form)

    @edit_form.setter
    def edit_form(self, form: Any) -> None:
        self._edit_form = form

    @staticmethod
    def _columns(columns: list[str], form: Any) -> list[str]:
        names = [field.name for field in form if field.name.startswith(PREFIX)]
        at = columns.index(FUNDINGS)
        shown = [*columns[:at], *names, *columns[at + 1:]]
        plan = chosen_plan()
        engineering = plan is not None and plan.is_engineering
        return shown if engineering else [c for c in shown if c != WAGE_ACCOUNT]

    def _get_add_widget(self, form: Any, exclude_cols: Any = None, widgets: Any = None) -> Any:
        widgets = widgets or {}
        widgets["add"] = self.add_widget(  # type: ignore[attr-defined]
            form=form, include_cols=self._columns(self.add_columns, form),
            exclude_cols=exclude_cols or [], fieldsets=None)
        return widgets

    def _get_edit_widget(self, form: Any, exclude_cols: Any = None, widgets: Any = None) -> Any:
        widgets = widgets or {}
        widgets["edit"] = self.edit_widget(  # type: ignore[attr-defined]
            form=form, include_cols=self._columns(self.edit_columns, form),
            exclude_cols=exclude_cols or [], fieldsets=None)
        return widgets

    def update_redirect(self) -> None:
        """The form reloaded for another plan replaces its entry in FAB's back history, so
        that 保存 still returns to the list."""
        history = Stack(session.get("page_history", []))
        top = history.pop()
        if top is not None and ("plan" not in request.args
                                or urlsplit(top).path != request.path):
            history.push(top)
        history.push(request.url)
        session["page_history"] = history.to_json()

    @staticmethod
    def posted_fundings() -> dict[int, str]:
        """{用款计划 id: amount} for every funding field the clerk filled in."""
        found = {}
        for key, value in request.form.items():
            if key.startswith(PREFIX) and key[len(PREFIX):].isdigit() and value.strip():
                found[int(key[len(PREFIX):])] = value
        return found

    def prefill_form(self, form: Any, pk: Any) -> None:
        item: Contract | None = self.datamodel.get(pk, self._base_filters)  # type: ignore
        for funding in item.fundings if item is not None else []:
            field = getattr(form, f"{PREFIX}{funding.spending_plan_id}", None)
            if field is not None:
                field.data = str(funding.amount)
