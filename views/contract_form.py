"""The 合同备案 form's funding lines: one 本合同拟使用计划金额 per 用款计划 of the clerk's unit."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from sqlalchemy import select
from wtforms import StringField

from app.scope import current_operator
from models import Contract, SpendingPlan

PREFIX = "funding_"
# Stands in the column lists where the per-用款计划 fields go.
FUNDINGS = "fundings"


def own_spending_plans() -> list[SpendingPlan]:
    """The signed-in clerk's 用款计划, by number (none outside a request)."""
    user = current_operator() if has_request_context() else None
    if user is None or user.unit_id is None:
        return []
    return list(current_app.appbuilder.session.scalars(select(SpendingPlan).where(
        SpendingPlan.unit_id == user.unit_id).order_by(SpendingPlan.external_no)))


class FundingFieldsMixin:
    """Adds a field per 用款计划 to the add and edit forms, built for each request."""

    add_columns: list[str]
    edit_columns: list[str]

    _add_form: Any = None
    _edit_form: Any = None

    @staticmethod
    def _with_fundings(base: Any) -> Any:
        if base is None:  # FAB asks before it builds the form
            return None
        fields = {
            f"{PREFIX}{plan.id}": StringField(
                f"本合同拟使用计划金额（元）：{plan.external_no} {plan.name}",
                description="只填写本合同使用的用款计划；累计不可大于该项目申请使用计划金额。",
                widget=BS3TextFieldWidget())
            for plan in own_spending_plans()
        }
        return type(base.__name__, (base,), fields) if fields else base

    @property
    def add_form(self) -> Any:
        return self._with_fundings(self._add_form)

    @add_form.setter
    def add_form(self, form: Any) -> None:
        self._add_form = form

    @property
    def edit_form(self) -> Any:
        return self._with_fundings(self._edit_form)

    @edit_form.setter
    def edit_form(self, form: Any) -> None:
        self._edit_form = form

    @staticmethod
    def _columns(columns: list[str], form: Any) -> list[str]:
        names = [field.name for field in form if field.name.startswith(PREFIX)]
        at = columns.index(FUNDINGS)
        return [*columns[:at], *names, *columns[at + 1:]]

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
