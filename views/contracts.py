"""合同管理: 合同备案 (备案及公告), 农民工工资专用账户, suppliers and the public announcements."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy.orm import Session, contains_eager, joinedload

from app.scope import UNIT_SCOPE, current_operator, own_unit_choices
from app.services import contracts
from app.services.money import format_money as money
from app.services.records import status_label
from models import Contract, MigrantAccount, PlanItem, ProcurementPlan, Supplier
from views.base import ServiceHooks, ServiceModelView
from views.bids import WorkflowActionsMixin
from views.changes import COMPLETED_PLANS
from views.contract_form import (
    FUNDINGS,
    WAGE_ACCOUNT,
    PlanFormMixin,
    WageAccountField,
    plan_lines_only,
)
from workflow import Status

SUPPLIER_LABELS = {
    "name": _l("供应商名称"), "credit_code": _l("统一社会信用代码"), "contact_name": _l("联系人"),
    "contact_phone": _l("联系人手机"), "legal_name": _l("法定代表人"),
    "legal_phone": _l("法定代表人手机"), "bank_account_name": _l("收款账户名称"),
    "bank_account_no": _l("收款账号"), "bank_name": _l("开户银行"), "created_on": _l("登记时间"),
    "sme": _l("中小企业"),
}
# The 中小企业 declaration decides a 网上商城 order's payment term (fixed when it is confirmed).
SUPPLIER_DESCRIPTIONS = {
    "sme": _l("按《中小企业划型标准规定》自行声明；网上商城订单确认时固定，"
              "中小企业的货款自交付之日起30日内支付。"),
}


class SupplierView(ServiceModelView):
    """供应商 (maintained by the administrator until suppliers register themselves)."""

    datamodel = SQLAInterface(Supplier)
    list_title = show_title = _l("供应商")
    add_title = _l("增加供应商")
    edit_title = _l("修改供应商")
    list_columns = ["name", "credit_code", "contact_name", "contact_phone"]
    show_columns = add_columns = edit_columns = [
        "name", "credit_code", "contact_name", "contact_phone", "legal_name", "legal_phone",
        "bank_account_name", "bank_account_no", "bank_name", "sme",
    ]
    search_columns = ["name", "credit_code"]
    base_order = ("name", "asc")
    label_columns = SUPPLIER_LABELS
    description_columns = SUPPLIER_DESCRIPTIONS

    save_command = staticmethod(contracts.save_supplier)


# Offered as a contract's project: completed, its procurement not failed.
CONTRACT_PLANS = own_unit_choices(ProcurementPlan, contracts.open_to_contracts(),
                                  label="本单位可备案合同的项目")


class FilterOwnPlanItems(BaseFilter):
    """采购内容 lines of the chosen plan of the unit (a line has no unit of its own)."""

    name = "本单位备案明细"

    def apply(self, query: Any, value: Any) -> Any:
        user = current_operator()
        # A line reads as "<plan>：<品目> <amount>": its plan and 品目 come with the lines.
        return query.join(PlanItem.plan).filter(
            ProcurementPlan.unit_id == (user.unit_id if user else None),
            ProcurementPlan.status == Status.completed,
            plan_lines_only(),
        ).options(contains_eager(PlanItem.plan), joinedload(PlanItem.catalogue_item))


class MigrantAccountView(ServiceModelView):
    """农民工工资专用账户 of the unit's engineering projects."""

    datamodel = SQLAInterface(MigrantAccount)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("农民工工资专用账户")
    add_title = _l("登记农民工工资专用账户")
    edit_title = _l("修改农民工工资专用账户")
    list_columns = ["plan", "account_name", "account_no", "bank_name", "contractor"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["account_name"]
    label_columns = {"plan": _l("工程项目"), "account_name": _l("户名"), "account_no": _l("账号"),
                     "bank_name": _l("开户行"), "contractor": _l("施工总承包单位")}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "plan": COMPLETED_PLANS,
    }

    save_command = staticmethod(contracts.save_migrant_account)


class ContractRules(ServiceHooks):
    """合同备案 commands, shared by the page and the REST resource."""

    save_command = staticmethod(contracts.save_contract)
    file_fields = ("contract_file",)


class ContractView(ContractRules, PlanFormMixin, WorkflowActionsMixin, ServiceModelView):
    """合同备案: 新增 → 保存 → 备案及公告 (publishes the announcement and starts the review)."""

    record_type = contracts.RECORD
    datamodel = SQLAInterface(Contract)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("合同备案")
    add_title = _l("新增合同备案")
    edit_title = _l("修改合同备案")
    list_columns = ["code", "name", "supplier", "amount", "status", "announced_on"]
    # The content is the record partial above these (the review page's rows and tables).
    show_columns = ["status"]
    add_columns = edit_columns = [
        "plan", WAGE_ACCOUNT, "items", "code", "name", "supplier", "amount", "signed_on",
        "total_contracts", "total_amount", FUNDINGS, "contract_file",
    ]
    search_columns = ["code", "name", "supplier"]
    base_order = ("created_on", "desc")
    label_columns = {
        "plan": _l("采购项目"), "items": _l("备案明细"), "code": _l("合同编号"),
        "name": _l("合同名称"), "supplier": _l("供应商"), "amount": _l("合同金额（元）"),
        "signed_on": _l("签订日期"), "total_contracts": _l("项目总合同份数"),
        "total_amount": _l("合同总金额（元）"), "contract_file": _l("签订的合同文本"),
        "file_name": _l("合同文本"), "status": _l("状态"), "announced_on": _l("公告时间"),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "contract_file": FileField(_l("签订的合同文本"), description=_l("PDF、JPG 或 PNG 文件。")),
        WAGE_ACCOUNT: WageAccountField(_l("农民工工资专用账户"),
                                       description=_l("工程类项目的账户，在“农民工工资专用账户”登记。")),
    }
    description_columns = {"plan": _l("选择采购项目后，下方只列出该项目的备案明细和用款计划。"),
                           "items": _l("该采购项目的采购内容。")}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "plan": CONTRACT_PLANS,
        "items": [["id", FilterOwnPlanItems, None]],
    }
    formatters_columns = {"status": status_label, "amount": money, "total_amount": money}
    show_template = "workflow/record_show.html"
    add_template = "contracts/add.html"
    edit_template = "contracts/edit.html"

    def save(self, session: Session, actor: Any, data: dict[str, Any],
             item: Contract | None) -> Contract:
        # The 本合同拟使用计划金额 fields are built per request (PlanFormMixin).
        return super().save(session, actor, {**data, "fundings": self.posted_fundings()}, item)

    @action("submit", _l("备案及公告"), _l("确定备案并发布合同公告吗？"), "fa-bullhorn")
    def submit(self, items: Any) -> Response:
        return self._flow(items, contracts.file_and_announce, "已备案，合同公告已发布。")

    @expose("/download/<int:pk>")
    @has_access
    def download(self, pk: int) -> Response:
        """The signed contract, for the unit and its reviewers."""
        return self.send_record_file(Contract, pk, "file")
