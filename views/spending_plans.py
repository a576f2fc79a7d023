"""计划管理 → 用款计划 (with the derived amounts), 用款计划导入, and the REST resource."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from flask import Response, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.scope import UNIT_SCOPE, current_operator
from app.services import ledger
from app.services import spending_plans as plans
from app.services.errors import ServiceError
from app.services.money import format_money as money
from app.transaction import unit_of_work
from models import SpendingPlan, Unit
from views.base import ServiceModelView
from views.rest import ServiceRestApi

AMOUNT_LABELS = {
    "plan_amount": _l("计划金额"),
    "requested_amount": _l("已申请使用金额"),
    "available_amount": _l("拟可用金额"),
    "payment_requested_amount": _l("已申请支付金额"),
    "paid_amount": _l("实际已支付"),
    "actual_available_amount": _l("实际可用金额"),
}
LABELS = {"external_no": _l("用款计划编号"), "unit": _l("预算单位"), "name": _l("用款计划名称"),
          "year": _l("年度"), "imported_on": _l("导入时间"), **AMOUNT_LABELS}


def derived(amounts: ledger.PlanAmounts) -> dict[str, Decimal]:
    """The computed columns of one plan, by column name."""
    return {
        "requested_amount": amounts.requested,
        "available_amount": amounts.available,
        "payment_requested_amount": amounts.payment_requested,
        "paid_amount": amounts.paid,
        "actual_available_amount": amounts.actual_available,
    }


class SpendingPlanInterface(SQLAInterface):
    """Adds the derived amounts and the unit's name to what FAB shows: a few queries per page."""

    # Not named ``_extra``: FAB reads that attribute from everything a view holds.
    def _computed(self, items: list[SpendingPlan]) -> dict[int, dict[str, Any]]:
        session = self.session
        found = ledger.amounts(session, [item.id for item in items])
        unit_ids = {item.unit_id for item in items}
        names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
                     .all()) if unit_ids else {}
        return {item.id: {"unit": names.get(item.unit_id, ""), **derived(found[item.id])}
                for item in items}

    def get_values(self, lst: Iterable[SpendingPlan],
                   list_columns: list[str]) -> Iterator[dict[str, Any]]:
        items = list(lst)
        extra = self._computed(items)
        for item in items:
            values = extra[item.id]
            yield {column: values[column] if column in values
                   else self._get_attr_value(item, column) for column in list_columns}

    def get_values_item(self, item: SpendingPlan, show_columns: list[str]) -> list[Any]:
        values = self._computed([item])[item.id]
        return [values[column] if column in values else self._get_attr_value(item, column)
                for column in show_columns]


class SpendingPlanView(ServiceModelView):
    """用款计划: read-only, the unit's own (the system administrator sees every unit's)."""

    datamodel = SpendingPlanInterface(SpendingPlan)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("用款计划")
    list_columns = ["external_no", "unit", "name", "year", *AMOUNT_LABELS]
    show_columns = [*list_columns, "imported_on"]
    search_columns = ["external_no", "name", "year"]
    # The amounts are derived per page, not columns the database can sort by.
    order_columns = ["external_no", "unit", "name", "year"]
    base_order = ("external_no", "asc")
    label_columns = LABELS
    formatters_columns = {column: money for column in AMOUNT_LABELS}


class SpendingPlanImportView(BaseView):
    """用款计划导入: the system administrator uploads a CSV or .xlsx file."""

    route_base = "/spendingplanimport"
    default_view = "upload"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def upload(self) -> str:
        result, errors = None, []
        if request.method == "POST":
            upload = request.files.get("file")
            try:
                if upload is None or not upload.filename:
                    raise plans.ImportFailed(["请选择要导入的文件。"])
                with unit_of_work() as session:
                    result = plans.import_file(session, current_operator(), upload.filename,
                                               upload.stream.read())
            except plans.ImportFailed as exc:
                errors = exc.errors
            except ServiceError as exc:
                errors = [exc.message]
        return self.render_template("spending_plans/import.html", title="用款计划导入",
                                    headers=list(plans.HEADERS), result=result, errors=errors,
                                    failed=plans.FAILED)


def amounts_json(amounts: ledger.PlanAmounts) -> dict[str, str]:
    """The derived amounts as the API gives them: strings with two decimals."""
    return {column: f"{value:.2f}" for column, value in derived(amounts).items()}


class SpendingPlanApi(ServiceRestApi):
    """用款计划 over REST: read with the derived amounts, and 导入 for the administrator."""

    resource_name = "spending_plan"
    datamodel = SQLAInterface(SpendingPlan)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_get", "can_info", "can_import"]
    list_columns = show_columns = ["id", "external_no", "unit.code", "unit.name", "name", "year",
                                   "plan_amount", "imported_on"]
    base_order = ("external_no", "asc")
    label_columns = {**LABELS, "id": _l("编号"), "unit.code": _l("预算单位编码"),
                     "unit.name": _l("预算单位")}
    list_title = show_title = _l("用款计划")
    openapi_spec_tag = "用款计划"

    def pre_get_list(self, data: dict[str, Any]) -> None:
        found = ledger.amounts(self.db_session, data["ids"])
        for pk, row in zip(data["ids"], data["result"], strict=True):
            row.update(amounts_json(found[pk]))

    def pre_get(self, data: dict[str, Any]) -> None:
        found = ledger.amounts(self.db_session, [data["id"]])
        data["result"].update(amounts_json(found[data["id"]]))

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    @permission_name("import")
    def import_plans(self) -> Response:
        """导入用款计划, all rows or none, idempotent by 用款计划编号.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    rows:
                      type: array
                      items:
                        type: object
                        properties:
                          external_no: {type: string}
                          unit_code: {type: string}
                          name: {type: string}
                          year: {type: integer}
                          plan_amount: {type: string}
          responses:
            200:
              description: 新增、更新、未变的条数；kept 列出保留了调减后计划金额的行（第N行：…）
            403:
              description: 只有系统管理员可以导入
            422:
              description: 出错的行及原因，未导入任何数据
        """
        payload = request.get_json(silent=True)
        return self.run(lambda session: plans.import_json(session, self.actor, payload),
                        lambda result: self.response(200, message=result.message,
                                                     result=result.as_dict()))
