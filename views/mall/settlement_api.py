"""REST of the buyer's settlement (JWT): 验收, 付款 (recorded with a voucher, or through a
资金支付申请), the order's payments, 评价, and the unit's 售后 with their 处理. The same commands
as the pages; refusals as {"code","message","field"}."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.scope import current_operator
from app.services.base import page_number, paginate
from app.services.errors import PermissionDenied, ServiceError, ValidationFailed
from app.services.mall import acceptance, core, evaluation, payment
from app.timezone import to_business
from models.mall import AfterSaleCase, MallAcceptance, MallEvaluation, MallOrder, MallPayment
from models.values import id_in_text
from views.rest import ChineseApiErrors, request_body
from views.schemas import identifier

PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
LINES_LIMIT = 500
MONEY_TEXT = "金额应以文本填写（如 \"6899.00\"），不能用数字。"
DUPLICATE_LINE = "同一订单行在验收明细中只能出现一次。"
# The form fields of ``POST …/payments`` (multipart) besides the file.
PAYMENT_FIELDS = ("method", "amount", "paid_on", "version")


def _time(value: Any) -> str | None:
    return to_business(value).isoformat() if value else None


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def money_text(**kwargs: Any) -> fields.String:
    """An amount sent as text (a JSON number would be a float)."""
    return fields.String(error_messages={"invalid": MONEY_TEXT}, **kwargs)


def quantity_field() -> fields.Integer:
    """A whole quantity of 0 or more."""
    return fields.Integer(strict=True, load_default=0, validate=validate.Range(
        min=0, max=acceptance.QTY_LIMIT, error="数量必须是不小于0的整数。"))


class AcceptLineSchema(Schema):
    """One order line's answer: how many of its delivered units pass, how many do not, why."""

    line_id = identifier(required=True)
    accepted_qty = quantity_field()
    rejected_qty = quantity_field()
    reason = fields.String(load_default="")


class AcceptSchema(Schema):
    """Body of ``POST /api/v1/mall/orders/<id>/accept`` (验收)."""

    method = fields.String(required=True, metadata={
        "description": "验收方式：" + "、".join(f"{k}（{v}）"
                                           for k, v in acceptance.METHODS.items())})
    note = fields.String(load_default="")
    lines = fields.List(fields.Nested(AcceptLineSchema), required=True, validate=validate.Length(
        min=1, max=LINES_LIMIT, error=f"验收明细应有1至{LINES_LIMIT}行。"))
    version = fields.Integer(required=True, strict=True)


class PaymentSchema(Schema):
    """Form fields of ``POST /api/v1/mall/orders/<id>/payments`` (multipart, with ``voucher``)."""

    method = fields.String(required=True, metadata={
        "description": "付款方式：" + "、".join(payment.METHODS)})
    amount = money_text(required=True)
    paid_on = fields.String(required=True, metadata={"description": "付款日期 YYYY-MM-DD"})
    version = fields.Integer(load_default=None, allow_none=True)


class BudgetPaymentSchema(Schema):
    """Body of ``POST /api/v1/mall/orders/<id>/budget-payments`` (资金支付申请)."""

    amount = money_text(required=True)
    spending_plan_id = identifier(load_default=None, allow_none=True)
    version = fields.Integer(load_default=None, allow_none=True, strict=True)


class EvaluateSchema(Schema):
    """Body of ``POST /api/v1/mall/orders/<id>/evaluate`` (评价, each score 1–5)."""

    quality = fields.Integer(required=True, strict=True)
    delivery = fields.Integer(required=True, strict=True)
    service = fields.Integer(required=True, strict=True)
    after_sale = fields.Integer(required=True, strict=True)
    comment = fields.String(load_default="")
    version = fields.Integer(load_default=None, allow_none=True, strict=True)


class ResolveSchema(Schema):
    """Body of ``POST /api/v1/mall/after-sales/<id>/resolve`` (售后处理)."""

    resolution = fields.String(required=True, metadata={
        "description": "处理结果：" + "、".join(f"{k}（{v}）"
                                           for k, v in acceptance.RESOLUTIONS.items())})
    note = fields.String(load_default="")


def order_state(order: MallOrder) -> dict[str, Any]:
    """Where an order stands after a settlement step."""
    return {"id": order.id, "order_no": order.order_no, "status": order.status,
            "status_label": order.status_label, "version": order.version,
            "payment_due_on": order.payment_due_on.isoformat() if order.payment_due_on
            else None}


def case_json(case: AfterSaleCase) -> dict[str, Any]:
    """An after-sale case as the API shows it."""
    line = case.order_line
    return {"id": case.id, "order_id": case.order_id, "order_no": case.order.order_no,
            "line_id": case.order_line_id, "product_name": line.product_name,
            "brand": line.brand, "model": line.model, "unit": line.unit_name,
            "quantity": case.quantity, "reason": case.reason, "status": case.status,
            "status_label": acceptance.CASE_LABELS.get(case.status, case.status),
            "resolution": case.resolution or None,
            "resolution_label": acceptance.RESOLUTIONS.get(case.resolution),
            "note": case.note, "created_on": _time(case.created_on),
            "resolved_on": _time(case.resolved_on)}


def acceptance_json(session: Session, record: MallAcceptance) -> dict[str, Any]:
    """An acceptance record with the order it moved and the cases it opened."""
    order = record.order
    # The cases this acceptance opened: its rejected lines', registered with it (the order row
    # is locked by the acceptance, so no other one interleaves).
    rejected = [part.order_line_id for part in record.lines if part.rejected_qty]
    opened = session.scalars(select(AfterSaleCase.id).where(
        AfterSaleCase.order_id == order.id, AfterSaleCase.order_line_id.in_(rejected),
        AfterSaleCase.created_on >= record.accepted_on).order_by(AfterSaleCase.id)).all()
    return {"id": record.id, "method": record.method,
            "method_label": acceptance.METHODS.get(record.method), "note": record.note,
            "accepted_on": _time(record.accepted_on),
            "lines": [{"line_id": part.order_line_id, "accepted_qty": part.accepted_qty,
                       "rejected_qty": part.rejected_qty, "reason": part.reason}
                      for part in record.lines],
            "after_sales": list(opened), "order": order_state(order)}


def payment_json(row: MallPayment) -> dict[str, Any]:
    """A payment as the API shows it (支付中 while its 支付申请 is under way)."""
    application = row.payment_application
    return {"id": row.id, "method": row.method, "amount": _money(row.amount),
            "paid_on": row.paid_on.isoformat() if row.paid_on else None,
            "status": "paid" if row.paid_on else "pending",
            "status_label": "已付款" if row.paid_on else "支付中",
            "voucher_name": row.voucher_name,
            "voucher_url": f"/mall/payments/{row.id}/voucher" if row.voucher_path else None,
            "payment_application_no": application.application_no if application else None,
            "created_on": _time(row.created_on)}


def payments_json(session: Session, order: MallOrder) -> dict[str, Any]:
    """The order's payments and its sums (可付款 = 验收合格 − 已付款 − 支付中)."""
    return {"order": order_state(order),
            "accepted_amount": _money(payment.accepted_amount(order)),
            "paid_amount": _money(payment.paid_amount(session, order)),
            "pending_amount": _money(payment.pending_amount(session, order)),
            "payable": _money(payment.payable(session, order)),
            "result": [payment_json(row) for row in payment.order_payments(session, order)]}


def evaluation_json(row: MallEvaluation) -> dict[str, Any]:
    """An evaluation with the order it completed."""
    return {"id": row.id, **{name: getattr(row, name) for name in evaluation.SCORES},
            "comment": row.comment, "by_default": row.by_default,
            "created_on": _time(row.created_on), "order": order_state(row.order)}


def _accept_input(data: dict[str, Any]) -> acceptance.AcceptanceInput:
    lines: dict[Any, tuple[Any, Any, str]] = {}
    for index, line in enumerate(data["lines"]):
        if line["line_id"] in lines:
            raise ValidationFailed(DUPLICATE_LINE, field=f"lines.{index}.line_id",
                                   code="mall_line_duplicate")
        lines[line["line_id"]] = (line["accepted_qty"], line["rejected_qty"], line["reason"])
    return acceptance.AcceptanceInput(method=data["method"], note=data["note"], lines=lines,
                                      version=data["version"])


class MallSettlementApi(ChineseApiErrors, BaseApi):
    """验收、付款、评价、售后 of the caller's unit's orders."""

    resource_name = "mall_settlement"
    # Its own blueprint beside MallOrderApi's ``/api/v1/mall/orders``: only the sub-paths
    # below are this resource's.
    route_base = "/api/v1/mall"
    allow_browser_login = False
    openapi_spec_tag = "网上商城（验收付款评价）"
    openapi_spec_component_schemas = (AcceptLineSchema, AcceptSchema, PaymentSchema,
                                      BudgetPaymentSchema, EvaluateSchema, ResolveSchema)

    def form_body(self) -> dict[str, Any] | Response:
        """The payment's form fields (multipart; a JSON ``data`` part or a JSON body also do)."""
        try:
            if "data" in request.form or not request.form:
                return request_body(PaymentSchema())
            given = {name: request.form[name] for name in request.form}
            return PaymentSchema().load(given)
        except ValidationError as err:
            return self.invalid_body(err)

    @expose("/orders/<int:pk>/accept", methods=["POST"])
    @protect()
    @safe
    @permission_name("accept")
    def accept(self, pk: int) -> Response:
        """验收: per delivered line, the accepted and rejected quantities (a rejection needs a
        reason and opens a 售后). The order becomes 已验收 once every delivered unit is answered.
        ---
        post:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: AcceptSchema
          responses:
            201:
              description: 验收记录、订单状态和新登记的售后
        """
        def command(session: Session, data: dict[str, Any]) -> dict[str, Any]:
            record = acceptance.accept(session, current_operator(), pk, _accept_input(data))
            session.flush()
            return acceptance_json(session, record)
        return self.run_body(AcceptSchema, command, lambda found: self.response(201, result=found))

    @expose("/orders/<int:pk>/payments", methods=["POST"])
    @protect()
    @safe
    @permission_name("pay")
    def pay(self, pk: int) -> Response:
        """付款 by 公务卡, 转账 or 支票, with its voucher (PDF, JPG or PNG), at most what is
        payable (验收合格金额 less paid and under way).
        ---
        post:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [method, amount, paid_on, voucher]
                  properties:
                    method: {type: string, enum: [公务卡, 转账, 支票]}
                    amount: {type: string, description: 付款金额（元），如 6899.00}
                    paid_on: {type: string, format: date, description: 付款日期 YYYY-MM-DD}
                    version: {type: integer, description: 读取时的订单版本（可选）}
                    voucher: {type: string, format: binary, description: 付款凭证}
          responses:
            201:
              description: 付款记录和订单状态
        """
        data = self.form_body()
        if isinstance(data, Response):
            return data
        given = payment.PaymentInput(method=data["method"], amount=data["amount"],
                                     paid_on=data["paid_on"],
                                     voucher=request.files.get("voucher"),
                                     version=data["version"])

        def command(session: Session) -> dict[str, Any]:
            row = payment.record_payment(session, current_operator(), pk, given)
            return {**payment_json(row), "order": order_state(row.order)}
        return self.run(command, lambda found: self.response(201, result=found))

    @expose("/orders/<int:pk>/budget-payments", methods=["POST"])
    @protect()
    @safe
    @permission_name("pay")
    def pay_through_budget(self, pk: int) -> Response:
        """通过资金支付申请付款: a 支付申请 of the order's contract is sent to the budget system;
        the payment is 支付中 until it reports it paid.
        ---
        post:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: BudgetPaymentSchema
          responses:
            201:
              description: 支付中的付款记录（含支付申请编号）
        """
        def command(session: Session, data: dict[str, Any]) -> dict[str, Any]:
            row = payment.send_through_budget(session, current_operator(), pk, data["amount"],
                                              data["spending_plan_id"], data["version"])
            session.flush()
            return {**payment_json(row), "order": order_state(row.order)}
        return self.run_body(BudgetPaymentSchema, command,
                             lambda found: self.response(201, result=found))

    @expose("/orders/<int:pk>/payments", methods=["GET"])
    @protect()
    @safe
    @permission_name("payments")
    def list_payments(self, pk: int) -> Response:
        """The order's payments, oldest first, with 验收合格、已付款、支付中 and 可付款 amounts.
        ---
        get:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: 付款记录
        """
        session = self.appbuilder.session
        try:
            order = core.buyer_order(session, current_operator(), pk)
        except ServiceError as exc:
            return self.refusal(exc)
        return self.response(200, **payments_json(session, order))

    @expose("/orders/<int:pk>/evaluate", methods=["POST"])
    @protect()
    @safe
    @permission_name("evaluate")
    def evaluate(self, pk: int) -> Response:
        """评价 a paid order (商品质量、配送速度、服务态度、售后服务, 1–5 each); it becomes 已完成.
        ---
        post:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: EvaluateSchema
          responses:
            201:
              description: 评价和订单状态
        """
        return self.run_body(
            EvaluateSchema,
            lambda session, data: evaluation_json(evaluation.evaluate(
                session, current_operator(), pk, evaluation.EvaluationInput(**data))),
            lambda found: self.response(201, result=found))

    @expose("/after-sales/", methods=["GET"])
    @protect()
    @safe
    @permission_name("after_sales")
    def list_after_sales(self) -> Response:
        """The unit's after-sale cases, newest first.
        ---
        get:
          parameters:
            - {in: query, name: status, schema: {type: string, enum: [open, closed]}}
            - {in: query, name: order_id, schema: {type: integer}}
            - {in: query, name: page, schema: {type: integer, minimum: 1}}
            - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200:
              description: 售后记录
        """
        status = request.args.get("status") or None
        order_text = request.args.get("order_id") or None
        try:
            actor = current_operator()
            if actor is None or actor.unit_id is None:
                raise PermissionDenied("只有采购单位的经办人员可以办理售后。")
            if status is not None and status not in acceptance.CASE_LABELS:
                raise ValidationFailed("售后状态无效，可选：open、closed。", field="status")
            order_id = id_in_text(order_text) if order_text is not None else None
            if order_text is not None and order_id is None:
                raise ValidationFailed("订单编号无效。", field="order_id")
            number = page_number(request.args.get("page"))
            size = page_number(request.args.get("page_size", PAGE_SIZE), "每页条数")
            if size > MAX_PAGE_SIZE:
                raise ValidationFailed(f"每页条数不能超过{MAX_PAGE_SIZE}。", field="page_size")
        except ServiceError as exc:
            return self.refusal(exc)
        query = acceptance.unit_cases(actor, status).options(
            joinedload(AfterSaleCase.order), joinedload(AfterSaleCase.order_line))
        if order_id is not None:
            query = query.where(AfterSaleCase.order_id == order_id)
        page = paginate(self.appbuilder.session, query, number, size)
        return self.response(200, result=[case_json(c) for c in page.rows], count=page.total,
                             page=page.number, page_size=page.size)

    @expose("/after-sales/<int:pk>/resolve", methods=["POST"])
    @protect()
    @safe
    @permission_name("resolve")
    def resolve(self, pk: int) -> Response:
        """售后处理: replaced (换货后合格), returned (退货: the plan line's room comes back) or
        settled (协商解决, with a note).
        ---
        post:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: ResolveSchema
          responses:
            200:
              description: 已处理的售后记录和订单状态
        """
        def command(session: Session, data: dict[str, Any]) -> dict[str, Any]:
            case = acceptance.resolve_after_sale(session, current_operator(), pk,
                                                 data["resolution"], data["note"])
            return {**case_json(case), "order": order_state(case.order)}
        return self.run_body(ResolveSchema, command, lambda found: self.response(200, result=found))
