"""REST of the buyer's 网上商城 (JWT): the cart, 下单 with an Idempotency-Key, the unit's
orders, 提交 and 取消. The same commands as the pages; refusals as {"code","message","field"}."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.scope import current_operator
from app.services.base import page_number, paginate
from app.services.errors import ServiceError, ValidationFailed
from app.services.mall import cart, core, order_checks, orders
from app.timezone import to_business
from models.mall import ORDER_LABELS, MallCheckout, MallOrder
from views.rest import ChineseApiErrors
from views.schemas import identifier

PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
NO_KEY = "请在请求头 Idempotency-Key 中提供本次下单的幂等键（8至64位字母、数字或 _.:-）。"


class MissingKey(ValidationFailed):
    """下单 without its Idempotency-Key header: a malformed request (400)."""

    status = 400
    code = "mall_key_missing"


def _time(value: Any) -> str | None:
    return to_business(value).isoformat() if value else None


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


class CartAddSchema(Schema):
    """Body of ``POST /api/v1/mall/cart/``: the offer, the plan line bought against, how many."""

    offer_id = identifier(required=True)
    plan_item_id = identifier(required=True)
    quantity = fields.Integer(required=True, strict=True)


class CartQuantitySchema(Schema):
    """Body of ``PUT /api/v1/mall/cart/<id>``: the new quantity."""

    quantity = fields.Integer(required=True, strict=True)


class ReasonSchema(Schema):
    """非最低价理由 of one cart line: a code (delivery, after_sale, compatibility,
    configuration, other) and its text."""

    line_id = identifier(required=True)
    code = fields.String(required=True, validate=validate.OneOf(
        list(order_checks.NON_LOWEST_REASONS), error="请从列表中选择非最低价理由。"))
    text = fields.String(required=True)


class CheckoutSchema(Schema):
    """Body of ``POST /api/v1/mall/orders/`` (下单); the header Idempotency-Key is required."""

    line_ids = fields.List(identifier(), required=True)
    delivery_address = fields.String(required=True)
    contact_name = fields.String(required=True)
    contact_phone = fields.String(required=True)
    invoice_title = fields.String(load_default="")
    remark = fields.String(load_default="")
    submit = fields.Boolean(load_default=False)
    reasons = fields.List(fields.Nested(ReasonSchema), load_default=list)


class SubmitSchema(Schema):
    """Body of ``POST /api/v1/mall/orders/<id>/submit``."""

    version = fields.Integer(required=True, strict=True)
    accept_price = fields.Boolean(load_default=False)


class CancelSchema(Schema):
    """Body of ``POST /api/v1/mall/orders/<id>/cancel``."""

    reason = fields.String(required=True)
    version = fields.Integer(required=True, strict=True)


def cart_json(row: cart.CartRow) -> dict[str, Any]:
    """A cart line as the API shows it."""
    line, offer = row.line, row.line.offer
    return {
        "id": line.id, "offer_id": offer.id, "plan_item_id": line.plan_item_id,
        "plan": line.plan_item.plan.project_name, "supplier": offer.supplier.name,
        "product": f"{offer.product.brand} {offer.product.model} {offer.product.name}",
        "quantity": line.quantity, "seen_price": _money(line.seen_price),
        "price": _money(row.price), "amount": _money(row.amount),
        "lowest_price": _money(row.lowest), "is_lowest": row.is_lowest,
        "price_note": row.price_note, "needs_consent": row.needs_consent,
        "blocked": row.blocked, "orderable": row.orderable,
        "left_qty": format(row.room.left_qty.normalize(), "f"),
        "left_amount": _money(row.room.left_amount),
    }


def order_json(order: MallOrder, full: bool = False) -> dict[str, Any]:
    """An order as the API shows it (``full``: with its lines and events)."""
    found: dict[str, Any] = {
        "id": order.id, "order_no": order.order_no, "status": order.status,
        "status_label": order.status_label, "version": order.version,
        "plan_id": order.plan_id, "plan": order.plan.project_name,
        "supplier_id": order.supplier_id, "supplier": order.supplier.name,
        "amount": _money(order.amount), "submitted_on": _time(order.submitted_on),
        "confirm_by": _time(order.confirm_by), "contract_id": order.contract_id,
    }
    if not full:
        return found
    found.update(
        delivery_address=order.delivery_address, contact_name=order.contact_name,
        contact_phone=order.contact_phone, invoice_title=order.invoice_title,
        remark=order.remark, close_reason=order.close_reason,
        lines=[{
            "id": line.id, "plan_item_id": line.plan_item_id, "offer_id": line.offer_id,
            "product_name": line.product_name, "brand": line.brand, "model": line.model,
            "configuration": line.configuration, "unit": line.unit_name,
            "sku": line.supplier_sku, "unit_price": _money(line.unit_price),
            "quantity": line.quantity, "amount": _money(line.amount),
            "lowest_price": _money(line.lowest_price), "median_price": _money(line.median_price),
            "market_price": _money(line.market_price), "live_offers": line.live_offers,
            "above_median": line.above_median, "non_lowest_code": line.non_lowest_code,
            "non_lowest_reason": line.non_lowest_reason,
            "buckets": {name: getattr(line, f"{name}_qty") for name in (
                "confirmed", "shipped", "delivered", "accepted", "rejected", "returned",
                "cancelled")},
        } for line in order.lines],
        events=[{"at": _time(e.at), "kind": e.kind, "actor_kind": e.actor_kind,
                 "note": e.note} for e in order.events])
    return found


class MallBuyerApi(ChineseApiErrors, BaseApi):
    """What both buyer resources share: reading a body and answering a refusal."""

    allow_browser_login = False
    openapi_spec_tag = "网上商城（采购人）"
    openapi_spec_component_schemas = (CartAddSchema, CartQuantitySchema, ReasonSchema,
                                      CheckoutSchema, SubmitSchema, CancelSchema)


class MallCartApi(MallBuyerApi):
    """购物车 of the caller."""

    resource_name = "mall_cart"
    route_base = "/api/v1/mall/cart"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def list_lines(self) -> Response:
        """The caller's cart lines with prices, room and what blocks them.
        ---
        get:
          responses:
            200:
              description: 购物车
        """
        # The rows are read into JSON inside the unit of work: after its commit every line
        # would be read again, one query each.
        return self.run(
            lambda session: [cart_json(r) for r in cart.cart_view(session, current_operator())],
            lambda rows: self.response(200, result=rows))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def add(self) -> Response:
        """加入购物车 (the same offer and plan line again adds to the quantity).
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: CartAddSchema
          responses:
            201:
              description: 购物车行
        """
        return self.run_body(
            CartAddSchema,
            lambda session, data: cart.add_line(session, current_operator(), data["offer_id"],
                                                data["plan_item_id"], data["quantity"]),
            lambda line: self.response(201, id=line.id, quantity=line.quantity))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def change(self, pk: int) -> Response:
        """修改数量 of an own cart line.
        ---
        put:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: CartQuantitySchema
          responses:
            200:
              description: 已修改
        """
        return self.run_body(
            CartQuantitySchema,
            lambda session, data: cart.change_quantity(session, current_operator(), pk,
                                                       data["quantity"]),
            lambda line: self.response(200, id=line.id, quantity=line.quantity))

    @expose("/<int:pk>/accept_price", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    def accept(self, pk: int) -> Response:
        """同意新价格 of an own cart line.
        ---
        post:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: 已同意新价格
        """
        return self.run(lambda session: cart.accept_price(session, current_operator(), pk),
                        lambda line: self.response(200, id=line.id,
                                                   seen_price=_money(line.seen_price)))

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def remove(self, pk: int) -> Response:
        """删除 an own cart line.
        ---
        delete:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: 已删除
        """
        return self.run(lambda session: cart.remove_line(session, current_operator(), pk),
                        lambda _: self.response(200, message="已删除。"))


class MallOrderApi(MallBuyerApi):
    """我的订单: the orders of the caller's unit, 下单, 提交, 取消."""

    resource_name = "mall_orders"
    route_base = "/api/v1/mall/orders"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def list_orders(self) -> Response:
        """The unit's orders, newest first.
        ---
        get:
          parameters:
            - {in: query, name: status, schema: {type: string}}
            - {in: query, name: page, schema: {type: integer, minimum: 1}}
            - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200:
              description: 订单
        """
        status = request.args.get("status") or None
        try:
            if status is not None and status not in ORDER_LABELS:
                raise ValidationFailed("订单状态无效。", field="status")
            number = page_number(request.args.get("page"))
            size = page_number(request.args.get("page_size", PAGE_SIZE), "每页条数")
            if size > MAX_PAGE_SIZE:
                raise ValidationFailed(f"每页条数不能超过{MAX_PAGE_SIZE}。", field="page_size")
            query = orders.unit_orders(current_operator(), status)
        except ServiceError as exc:
            return self.refusal(exc)
        page = paginate(self.appbuilder.session, query, number, size)
        return self.response(200, result=[order_json(o) for o in page.rows], count=page.total,
                             page=page.number, page_size=page.size)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def place(self) -> Response:
        """下单: the chosen cart lines become one order per plan and supplier (drafts, or
        submitted with ``submit``). A repeated Idempotency-Key answers the same orders.
        ---
        post:
          parameters:
            - {in: header, name: Idempotency-Key, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema: CheckoutSchema
          responses:
            201:
              description: 新订单
            200:
              description: 该幂等键已下单，返回原订单
        """
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return self.refusal(MissingKey(NO_KEY, field="Idempotency-Key"))
        data = self.body(CheckoutSchema)
        if isinstance(data, Response):
            return data
        actor = current_operator()
        seen = actor is not None and self.appbuilder.session.scalar(
            select(MallCheckout.id).where(MallCheckout.operator_id == actor.id,
                                          MallCheckout.key == key)) is not None
        given = orders.CheckoutInput(
            key=key, line_ids=data["line_ids"], delivery_address=data["delivery_address"],
            contact_name=data["contact_name"], contact_phone=data["contact_phone"],
            invoice_title=data["invoice_title"], remark=data["remark"], submit=data["submit"],
            reasons={r["line_id"]: (r["code"], r["text"]) for r in data["reasons"]})
        return self.run(
            lambda session: [order_json(o, full=True)
                             for o in orders.checkout(session, actor, given)],
            lambda made: self.response(200 if seen else 201, result=made))

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def show(self, pk: int) -> Response:
        """One order of the unit with its lines, price evidence, quantities and events.
        ---
        get:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: 订单
        """
        try:
            order = core.buyer_order(self.appbuilder.session, cart.buyer(current_operator()),
                                     pk)
        except ServiceError as exc:
            return self.refusal(exc)
        return self.response(200, result=order_json(order, full=True))

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    @permission_name("submit")
    def submit(self, pk: int) -> Response:
        """提交 a draft at the version read (``accept_price``: agree to moved prices).
        ---
        post:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: SubmitSchema
          responses:
            200:
              description: 已提交（重复提交返回订单现状）
        """
        return self.run_body(
            SubmitSchema, lambda session, data: order_json(orders.submit_order(
                session, current_operator(), pk, data["version"],
                accept_price=data["accept_price"]), full=True),
            lambda found: self.response(200, result=found))

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @permission_name("cancel")
    def cancel(self, pk: int) -> Response:
        """取消 before the supplier confirmed.
        ---
        post:
          parameters:
            - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: CancelSchema
          responses:
            200:
              description: 已取消
        """
        return self.run_body(
            CancelSchema, lambda session, data: order_json(orders.cancel_order(
                session, current_operator(), pk, data["reason"], data["version"]), full=True),
            lambda found: self.response(200, result=found))
