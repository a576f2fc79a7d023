"""REST for 合同管理, 支付管理, 采购方式变更 and 用款计划调减 (JWT, scoped like the pages)."""

from __future__ import annotations

from flask import Response
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from app.scope import UNIT_SCOPE, current_operator
from app.services import changes, contracts, payments
from app.services.errors import ServiceError
from models import Contract, MethodChange, PaymentApplication, SpendingReduction
from views.base import ServiceRestApi
from views.workflow_api import WorkflowRecordApi

READ_AND_FLOW = ["can_get", "can_submit", "can_withdraw", "can_history"]


class ContractApi(WorkflowRecordApi):
    """合同备案: read; 提交 is 备案及公告 (the contract file is uploaded in the panel)."""

    resource_name = "contract"
    record_type = contracts.RECORD
    submit_with = staticmethod(contracts.file_and_announce)
    datamodel = SQLAInterface(Contract)
    base_filters = UNIT_SCOPE
    base_permissions = READ_AND_FLOW
    list_columns = show_columns = [
        "id", "code", "name", "plan.plan_number", "supplier.name", "supplier.credit_code",
        "amount", "signed_on", "total_contracts", "total_amount", "status", "announced_on",
    ]
    list_title = show_title = _l("合同备案")
    openapi_spec_tag = "合同备案"


class MethodChangeApi(WorkflowRecordApi):
    """采购方式失败变更: read, submit, withdraw, history (attachments through the panel)."""

    resource_name = "method_change"
    record_type = changes.METHOD_CHANGE
    datamodel = SQLAInterface(MethodChange)
    base_filters = UNIT_SCOPE
    base_permissions = READ_AND_FLOW
    list_columns = show_columns = ["id", "plan.plan_number", "old_method", "new_method",
                                   "reason", "status", "created_on", "completed_on"]
    list_title = show_title = _l("采购失败方式变更")
    openapi_spec_tag = "采购失败方式变更"


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
