"""REST for 合同管理, 支付管理, 采购方式变更 and 用款计划调减 (JWT, scoped like the pages)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.scope import UNIT_SCOPE, current_operator
from app.services import changes, contracts, payments
from app.services.errors import ServiceError, ValidationFailed
from models import (
    Contract,
    Method,
    MethodChange,
    PaymentApplication,
    PlanItem,
    SpendingReduction,
    Supplier,
)
from views.base import ServiceRestApi
from views.upload_api import UploadRecordApi
from views.workflow_api import WorkflowRecordApi

READ_AND_FLOW = ["can_get", "can_submit", "can_withdraw", "can_history"]


class FundingSchema(Schema):
    """本合同拟使用计划金额 for one 用款计划."""

    spending_plan_id = fields.Integer(required=True)
    amount = fields.String(required=True)


class ContractBodySchema(Schema):
    """Body of ``POST``/``PUT /api/v1/contract/``; amounts are strings (Decimal)."""

    plan_id = fields.Integer(required=True)
    item_ids = fields.List(fields.Integer(), required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    supplier_id = fields.Integer(required=True)
    amount = fields.String(required=True)
    signed_on = fields.Date(required=True)
    total_contracts = fields.Integer(required=True)
    total_amount = fields.String(required=True)
    fundings = fields.List(fields.Nested(FundingSchema), load_default=list)


class MethodChangeBodySchema(Schema):
    """Body of ``POST``/``PUT /api/v1/method_change/``."""

    plan_id = fields.Integer(required=True)
    new_method = fields.String(required=True)
    reason = fields.String(required=True)


def method_of(value: str) -> Method:
    """A 采购方式 by its code (``consultation``) or its Chinese name (竞争性磋商).

    :raises ValidationFailed: naming the valid choices
    """
    for method in Method:
        if value in (method.name, method.value):
            return method
    raise ValidationFailed(f"采购方式无效，可选：{'、'.join(m.value for m in Method)}。")


class ContractApi(UploadRecordApi):
    """合同备案: create and change drafts (file part ``contract_file``); 提交 is 备案及公告."""

    resource_name = "contract"
    record_type = contracts.RECORD
    submit_with = staticmethod(contracts.file_and_announce)
    datamodel = SQLAInterface(Contract)
    base_filters = UNIT_SCOPE
    base_permissions = [*READ_AND_FLOW, "can_post", "can_put"]
    body_schema = ContractBodySchema
    file_part = "contract_file"
    list_columns = show_columns = [
        "id", "code", "name", "plan.plan_number", "supplier.name", "supplier.credit_code",
        "amount", "signed_on", "total_contracts", "total_amount", "status", "announced_on",
    ]
    list_title = show_title = _l("合同备案")
    openapi_spec_tag = "合同备案"

    def fill(self, item: Contract, data: dict[str, Any]) -> None:
        lines = list(self.db_session.scalars(
            select(PlanItem).where(PlanItem.id.in_(data["item_ids"]))))
        if not lines or len(lines) != len(set(data["item_ids"])):
            raise ValidationFailed("请选择该采购计划的备案明细（采购内容）。")
        supplier = self.db_session.get(Supplier, data["supplier_id"])
        if supplier is None:
            raise ValidationFailed("请选择供应商。")
        item.plan_id, item.items, item.supplier = data["plan_id"], lines, supplier
        for key in ("code", "name", "amount", "signed_on", "total_contracts", "total_amount"):
            setattr(item, key, data[key])

    def prepare(self, item: Contract, upload: FileStorage | None, data: dict[str, Any],
                creating: bool) -> None:
        fundings = {f["spending_plan_id"]: f["amount"] for f in data["fundings"]}
        contracts.prepare_contract(self.db_session, item, self.actor, upload, fundings, creating)


class MethodChangeApi(UploadRecordApi):
    """采购方式失败变更: create and change drafts (file part ``attachment``), submit, history."""

    resource_name = "method_change"
    record_type = changes.METHOD_CHANGE
    datamodel = SQLAInterface(MethodChange)
    base_filters = UNIT_SCOPE
    base_permissions = [*READ_AND_FLOW, "can_post", "can_put"]
    body_schema = MethodChangeBodySchema
    file_part = "attachment"
    list_columns = show_columns = ["id", "plan.plan_number", "old_method", "new_method",
                                   "reason", "status", "created_on", "completed_on"]
    list_title = show_title = _l("采购失败方式变更")
    openapi_spec_tag = "采购失败方式变更"

    def fill(self, item: MethodChange, data: dict[str, Any]) -> None:
        item.plan_id, item.reason = data["plan_id"], data["reason"]
        item.new_method = method_of(data["new_method"])

    def prepare(self, item: MethodChange, upload: FileStorage | None, data: dict[str, Any],
                creating: bool) -> None:
        changes.prepare_method_change(self.db_session, item, self.actor, upload, creating)


class SpendingReductionApi(WorkflowRecordApi):
    """用款计划调减: create, change, submit, withdraw, history."""

    resource_name = "spending_reduction"
    record_type = changes.REDUCTION
    datamodel = SQLAInterface(SpendingReduction)
    base_filters = UNIT_SCOPE
    base_permissions = [*READ_AND_FLOW, "can_post", "can_put"]
    list_columns = show_columns = ["id", "spending_plan.external_no", "kind", "amount",
                                   "reason", "status", "created_on", "completed_on"]
    add_columns = edit_columns = ["spending_plan", "kind", "amount", "reason"]
    list_title = show_title = _l("用款计划调减")
    openapi_spec_tag = "用款计划调减"

    def check_add(self, item: SpendingReduction) -> None:
        changes.prepare_reduction(self.db_session, item, self.actor, creating=True)

    def check_update(self, item: SpendingReduction) -> None:
        changes.prepare_reduction(self.db_session, item, self.actor, creating=False)


class PaymentApi(ServiceRestApi):
    """资金支付申请: create and change drafts, then 支付申请 (POST /<id>/send)."""

    resource_name = "payment"
    datamodel = SQLAInterface(PaymentApplication)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_get", "can_post", "can_put", "can_send"]
    list_columns = show_columns = [
        "id", "application_no", "contract.code", "spending_plan.external_no", "amount",
        "pay_to_migrant", "payee_name", "payee_account", "payee_bank", "status", "sent_on",
    ]
    add_columns = edit_columns = ["contract", "spending_plan", "amount", "pay_to_migrant"]
    list_title = show_title = _l("资金支付申请")
    openapi_spec_tag = "资金支付申请"

    def check_add(self, item: PaymentApplication) -> None:
        payments.prepare_payment(self.db_session, item, self.actor, creating=True)

    def check_update(self, item: PaymentApplication) -> None:
        payments.prepare_payment(self.db_session, item, self.actor, creating=False)

    @expose("/<int:pk>/send", methods=["POST"])
    @protect()
    @safe
    @permission_name("send")
    def send(self, pk: int) -> Response:
        """支付申请: send to the budget execution system through the outbox.
        ---
        post:
          responses:
            200:
              description: 已发送
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        try:
            payments.send_payment(self.db_session, item, current_operator())
        except ServiceError as exc:
            self.db_session.rollback()
            return self.response(exc.status, message=exc.message)
        return self.response(200, result={"application_no": item.application_no,
                                          "status": item.status})
