"""REST for 合同管理, 支付管理, 采购失败方式变更 and 用款计划调减 (JWT, scoped like the pages)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from sqlalchemy.orm import Session

from app.scope import UNIT_SCOPE
from app.services import changes, contracts, payments
from models import (
    Contract,
    Method,
    MethodChange,
    PaymentApplication,
    SpendingReduction,
)
from views.changes import MethodChangeRules, ReductionRules
from views.contracts import ContractRules
from views.payments import PaymentRules
from views.rest import ServiceRestApi
from views.schemas import Choice, PaymentBody, SpendingReductionBody, identifier
from views.workflow_api import WorkflowRecordApi

READ_AND_FLOW = ["can_get", "can_submit", "can_withdraw", "can_history"]


class FundingSchema(Schema):
    """本合同拟使用计划金额 for one 用款计划."""

    spending_plan_id = identifier(required=True)
    amount = fields.String(required=True)


class ContractBodySchema(Schema):
    """Body of ``POST``/``PUT /api/v1/contract/``; amounts are strings (Decimal)."""

    plan_id = identifier(required=True)
    items = fields.List(identifier(), required=True, data_key="item_ids")
    code = fields.String(required=True)
    name = fields.String(required=True)
    supplier_id = identifier(required=True)
    amount = fields.String(required=True)
    signed_on = fields.Date(required=True)
    total_contracts = fields.Integer(required=True)
    total_amount = fields.String(required=True)
    fundings = fields.List(fields.Nested(FundingSchema), load_default=list)


class MethodChangeBodySchema(Schema):
    """Body of ``POST``/``PUT /api/v1/method_change/``."""

    plan_id = identifier(required=True)
    new_method = Choice(Method, label="采购方式", required=True)
    reason = fields.String(required=True)


class ContractApi(ContractRules, WorkflowRecordApi):
    """合同备案: create and change drafts (file part ``contract_file``); 提交 is 备案及公告."""

    resource_name = "contract"
    record_type = contracts.RECORD
    submit_with = staticmethod(contracts.file_and_announce)
    datamodel = SQLAInterface(Contract)
    base_filters = UNIT_SCOPE
    base_permissions = [*READ_AND_FLOW, "can_post", "can_put"]
    body_schema = ContractBodySchema
    partial_put = False
    list_columns = show_columns = [
        "id", "code", "name", "plan.plan_number", "supplier.name", "supplier.credit_code",
        "amount", "signed_on", "total_contracts", "total_amount", "status", "announced_on",
    ]
    list_title = show_title = _l("合同备案")
    openapi_spec_tag = "合同备案"

    def save(self, session: Session, actor: Any, data: dict[str, Any],
             item: Contract | None) -> Contract:
        fundings = {f["spending_plan_id"]: f["amount"] for f in data["fundings"]}
        return super().save(session, actor, {**data, "fundings": fundings}, item)


class MethodChangeApi(MethodChangeRules, WorkflowRecordApi):
    """采购失败方式变更: create and change drafts (file part ``attachment``), submit, history."""

    resource_name = "method_change"
    record_type = changes.METHOD_CHANGE
    datamodel = SQLAInterface(MethodChange)
    base_filters = UNIT_SCOPE
    base_permissions = [*READ_AND_FLOW, "can_post", "can_put"]
    body_schema = MethodChangeBodySchema
    partial_put = False
    list_columns = show_columns = ["id", "plan.plan_number", "old_method", "new_method",
                                   "reason", "old_plan_number", "new_plan_number", "status",
                                   "created_on", "completed_on"]
    list_title = show_title = _l("采购失败方式变更")
    openapi_spec_tag = "采购失败方式变更"


class SpendingReductionApi(ReductionRules, WorkflowRecordApi):
    """用款计划调减: create, change, submit, withdraw, history."""

    body_schema = SpendingReductionBody
    resource_name = "spending_reduction"
    record_type = changes.REDUCTION
    datamodel = SQLAInterface(SpendingReduction)
    base_filters = UNIT_SCOPE
    base_permissions = [*READ_AND_FLOW, "can_post", "can_put"]
    list_columns = show_columns = ["id", "spending_plan.external_no", "kind", "amount",
                                   "reason", "status", "created_on", "completed_on"]
    list_title = show_title = _l("用款计划调减")
    openapi_spec_tag = "用款计划调减"


class PaymentApi(PaymentRules, ServiceRestApi):
    """资金支付申请: create and change drafts, then 支付申请 (POST /<id>/send)."""

    resource_name = "payment"
    datamodel = SQLAInterface(PaymentApplication)
    base_filters = UNIT_SCOPE
    base_permissions = ["can_get", "can_post", "can_put", "can_send"]
    list_columns = show_columns = [
        "id", "application_no", "contract.code", "spending_plan.external_no", "amount",
        "pay_to_migrant", "payee_name", "payee_account", "payee_bank", "status",
        "delivery_state", "sent_on",
    ]
    # delivery_state reads outbox_status: selected with the row, not one query per row.
    list_select_columns = show_select_columns = [
        *(c for c in list_columns if c != "delivery_state"), "outbox_status"]
    body_schema = PaymentBody
    list_title = show_title = _l("资金支付申请")
    openapi_spec_tag = "资金支付申请"

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
        return self.run(
            lambda session: payments.send_payment(session, item, self.actor),
            lambda _: self.response(200, result={"application_no": item.application_no,
                                                 "status": item.status,
                                                 "delivery_state": item.delivery_state}))
