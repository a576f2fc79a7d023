"""支付管理 → 资金支付申请 (支付申请, 支付申请表), the outbox and the budget system callback."""

from __future__ import annotations

import hmac
import json
from decimal import Decimal
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.api import BaseApi
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists

from app.scope import UNIT_SCOPE, own_unit_choices
from app.services import payments
from app.services.mall.payment import record_budget_event
from app.services.money import format_money as money
from models import Contract, OutboxMessage, PaymentApplication, PaymentStatus, SpendingPlan
from models.mall import MallOrder
from models.payments import OUTBOX_LABELS
from views.base import ServiceHooks, ServiceModelView, attempt, in_states
from views.rest import ChineseApiErrors
from workflow import Status


class PaymentRules(ServiceHooks):
    """资金支付申请 commands, shared by the page and the REST resource."""

    save_command = staticmethod(payments.save_payment)
    delete_command = staticmethod(payments.delete_payment)
    # A draft is changed, deleted or sent (app.services.payments); the 支付申请表 is printed
    # once it was sent.
    state_rules = {
        **dict.fromkeys(("edit", "delete", "send"), in_states(PaymentStatus.draft)),
        "print": lambda item: item.status != PaymentStatus.draft,
    }


class PaymentView(PaymentRules, ServiceModelView):
    """资金支付申请."""

    datamodel = SQLAInterface(PaymentApplication)
    base_filters = UNIT_SCOPE
    list_title = show_title = _l("资金支付申请")
    add_title = _l("提交支付")
    edit_title = _l("修改支付申请")
    # 状态 is the delivery state (待发送 / 已送达 / 已支付 / 已退回), not the stored status.
    list_columns = ["application_no", "contract", "amount", "pay_to_migrant", "delivery_state",
                    "sent_on"]
    show_columns = ["application_no", "contract", "spending_plan", "amount", "pay_to_migrant",
                    "payee_name", "payee_account", "payee_bank", "delivery_state", "sent_on"]
    add_columns = edit_columns = ["contract", "spending_plan", "amount", "pay_to_migrant"]
    search_columns = ["application_no", "contract"]
    base_order = ("created_on", "desc")
    label_columns = {
        "application_no": _l("支付申请编号"), "contract": _l("合同"),
        "spending_plan": _l("用款计划"),
        "amount": _l("本次申请支付金额（元）"), "pay_to_migrant": _l("是否支付农民工账户"),
        "payee_name": _l("收款户名"), "payee_account": _l("收款账号"), "payee_bank": _l("开户银行"),
        "delivery_state": _l("状态"), "sent_on": _l("申请时间"),
    }
    description_columns = {
        "pay_to_migrant": _l(
            "工程类项目：是，支付到农民工工资专用账户；否，支付到供应商备案账户。"),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "contract": own_unit_choices(
            # A 网上商城 order's contract is paid from the order's 付款 page.
            Contract, Contract.status.in_((Status.in_review, Status.completed))
            & ~exists().where(MallOrder.contract_id == Contract.id),
            label="本单位已备案合同"),
        "spending_plan": own_unit_choices(SpendingPlan, label="本单位用款计划"),
    }
    formatters_columns = {"amount": money}
    show_template = "payments/show.html"

    @action("send", _l("支付申请"), _l("确定发送到预算执行系统吗？"), "fa-paper-plane",
            multiple=False)
    def send(self, item: PaymentApplication) -> Response:
        refused = attempt(lambda session: payments.send_payment(session, item, self.actor))
        if refused:
            flash(refused.message, "danger")
        else:
            flash(f"支付申请{item.application_no}已提交，状态：{item.delivery_state}。", "success")
        return redirect(url_for(".show", pk=item.id))

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk: int) -> Any:
        """支付申请表: a print layout with the paying account and the amounts."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if not self.applies("print", item):
            flash("支付申请尚未发送，不能打印支付申请表。", "warning")
            return redirect(url_for(".show", pk=item.id))
        return self.render_template("payments/print.html", item=item, money=money)


class OutboxView(ServiceModelView):
    """发件箱: what was sent to outside systems, and what still waits (administrators)."""

    datamodel = SQLAInterface(OutboxMessage)
    base_permissions = ["can_list", "can_show"]
    list_title = show_title = _l("发件箱")
    list_columns = ["topic", "key", "status", "attempts", "next_attempt_on", "last_error"]
    show_columns = [*list_columns, "payload", "created_on", "delivered_on"]
    search_columns = ["topic", "key", "status"]
    base_order = ("id", "desc")
    label_columns = {
        "topic": _l("主题"), "key": _l("业务编号"), "status": _l("状态"),
        "attempts": _l("尝试次数"),
        "next_attempt_on": _l("下次发送时间"), "last_error": _l("最近错误"), "payload": _l("内容"),
        "created_on": _l("创建时间"), "delivered_on": _l("送达时间"),
    }
    choice_columns = {"status": OUTBOX_LABELS}
    formatters_columns = {"status": lambda s: OUTBOX_LABELS.get(s, s)}


def _json_numbers_as_decimal() -> dict[str, Any]:
    """The JSON object of the request with its numbers read as Decimal (money is never float).

    ``{}`` when the body is not a JSON object, as ``request.get_json(silent=True)`` would give.
    """
    if not request.is_json:
        return {}
    try:
        body = json.loads(request.get_data(cache=True), parse_float=Decimal)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class BudgetCallbackApi(ChineseApiErrors, BaseApi):
    """The budget execution system reports payments here (token in X-Budget-Token)."""

    resource_name = "budget_callback"
    openapi_spec_tag = "预算执行系统回调"

    @expose("/payment", methods=["POST"])
    def payment(self) -> Response:
        """A payment, return or refund; repeating an event_id changes nothing.
        ---
        post:
          parameters:
            - {in: header, name: X-Budget-Token, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [event_id, application_no, kind, amount, date]
                  properties:
                    event_id: {type: string, maxLength: 64}
                    application_no: {type: string}
                    kind: {type: string, enum: [paid, returned, refunded]}
                    amount: {oneOf: [{type: number}, {type: string}], description: 金额}
                    date: {type: string, format: date}
                    voucher: {type: string, maxLength: 64}
          responses:
            200:
              description: 已处理（重复的 event_id 返回 duplicate=true）
            401:
              description: 令牌无效
            422:
              description: 内容不正确
        """
        expected = current_app.config.get("BUDGET_CALLBACK_TOKEN", "")
        given = request.headers.get("X-Budget-Token", "")
        if not expected or not hmac.compare_digest(expected, given):
            return self.response_401()
        body = _json_numbers_as_decimal()
        return self.run(lambda session: record_budget_event(session, body),
                        lambda result: self.response(200, duplicate=result.duplicate,
                                                     status=result.status))
