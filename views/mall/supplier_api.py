"""The supplier API (``/api/v1/mall/supplier/``), authenticated only by a supplier's 接口令牌
(``Authorization: Bearer sk_…``): pull orders, look one up by the buyer's order number,
post events (confirm, reject, ship, deliver) and sync offer prices and stock."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from apispec import APISpec
from flask import Response, make_response, request
from flask_appbuilder.api import BaseApi, expose, safe
from sqlalchemy.orm import Session

from app.services.base import page_number, paginate
from app.services.errors import ServiceError, ValidationFailed
from app.services.mall import catalogue, inbound, tokens
from app.services.mall import supplier as moves
from app.timezone import to_business
from models.mall import MallOrder, MallShipment
from views.rest import ChineseApiErrors

T = TypeVar("T")
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
SECURITY_SCHEME = "supplier_token"
SCHEME: dict[str, Any] = {
    "type": "http", "scheme": "bearer", "bearerFormat": "sk_…",
    "description": "供应商接口令牌：在 供应商中心 → 接口令牌 签发（只显示一次），可随时吊销。",
}


def _time(value: Any) -> str | None:
    return to_business(value).isoformat() if value else None


def _money(value: Any) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def shipment_json(shipment: MallShipment) -> dict[str, Any]:
    """A shipment as the API shows it."""
    return {"id": shipment.id, "waybill": shipment.waybill, "carrier": shipment.carrier,
            "shipped_on": _time(shipment.shipped_on),
            "delivered_on": _time(shipment.delivered_on),
            "lines": [{"line_id": part.order_line_id, "quantity": part.quantity}
                      for part in shipment.lines]}


def order_json(order: MallOrder, shipments: list[MallShipment] | None = None
               ) -> dict[str, Any]:
    """An order as its supplier sees it: the snapshot, the buyer's delivery details, the
    deadlines and what happened to each line (never the buyer's internal records)."""
    data: dict[str, Any] = {
        "order_no": order.order_no, "status": order.status, "status_label": order.status_label,
        "version": order.version, "buyer": order.unit.name, "amount": _money(order.amount),
        "delivery_address": order.delivery_address, "contact_name": order.contact_name,
        "contact_phone": order.contact_phone, "invoice_title": order.invoice_title,
        "remark": order.remark, "submitted_on": _time(order.submitted_on),
        "confirm_by": _time(order.confirm_by), "confirmed_on": _time(order.confirmed_on),
        "delivered_on": _time(order.delivered_on), "close_reason": order.close_reason,
        "lines": [{
            "line_id": line.id, "supplier_sku": line.supplier_sku,
            "product_name": line.product_name, "brand": line.brand, "model": line.model,
            "configuration": line.configuration, "unit_name": line.unit_name,
            "unit_price": _money(line.unit_price), "quantity": line.quantity,
            "amount": _money(line.amount), "confirmed_qty": line.confirmed_qty,
            "shipped_qty": line.shipped_qty, "delivered_qty": line.delivered_qty,
        } for line in order.lines],
    }
    if shipments is not None:
        data["shipments"] = [shipment_json(s) for s in shipments]
    return data


def decimal_body() -> Any:
    """The JSON body with its numbers read as Decimal (an amount sent as a number is not a
    float here); ``None`` when the body is not JSON (the edge refused malformed JSON)."""
    if not request.is_json:
        return None
    try:
        return json.loads(request.get_data(cache=True) or b"null", parse_float=Decimal)
    except ValueError:
        return None


class MallSupplierApi(ChineseApiErrors, BaseApi):
    """网上商城供应商接口 (supplier token only; no JWT, no session)."""

    resource_name = "mall_supplier"
    route_base = "/api/v1/mall/supplier"
    openapi_spec_tag = "网上商城供应商接口"
    allow_browser_login = False

    def add_apispec_components(self, api_spec: APISpec) -> None:
        super().add_apispec_components(api_spec)
        if SECURITY_SCHEME not in api_spec.components.security_schemes:
            api_spec.components.security_scheme(SECURITY_SCHEME, SCHEME)

    def _as_supplier(self, command: Callable[[Session, int], T],
                     respond: Callable[[T], Response]) -> Response:
        """Run ``command(session, supplier_id)`` for the token's supplier, or answer 401."""
        def run(session: Session) -> T:
            token = tokens.caller(session, request.headers.get("Authorization"))
            return command(session, token.supplier_id)
        return self.run(run, respond)

    def refusal(self, error: ServiceError, **extra: Any) -> Response:
        answer = super().refusal(error, **extra)
        if error.status == 401:
            answer.headers["WWW-Authenticate"] = 'Bearer realm="mall-supplier"'
        return answer

    def response_401(self) -> Response:
        return self.refusal(tokens.Unauthorized(tokens.UNAUTHORIZED))

    def _json(self, status: int, body: dict[str, Any]) -> Response:
        answer = make_response(json.dumps(body, ensure_ascii=False), status)
        answer.headers["Content-Type"] = "application/json; charset=utf-8"
        return answer

    @expose("/orders/", methods=["GET"])
    @safe
    def list_orders(self) -> Response:
        """Orders of the token's supplier in one status (default: awaiting confirmation).
        ---
        get:
          summary: 拉取订单（默认待确认）
          security:
            - supplier_token: []
          parameters:
            - in: query
              name: status
              schema:
                type: string
                default: awaiting_confirmation
                enum: [awaiting_confirmation, confirmed, shipping, awaiting_acceptance,
                       accepted, paid, completed, rejected, cancelled, timed_out]
            - {in: query, name: page, schema: {type: integer, minimum: 1}}
            - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200:
              description: 订单（快照明细、金额、收货地址、联系人、确认期限），按确认期限先后
            401:
              description: 缺少有效的供应商接口令牌
        """
        status = request.args.get("status") or "awaiting_confirmation"

        def command(session: Session, supplier_id: int) -> Any:
            if status not in moves.VISIBLE:
                raise ValidationFailed("status 不是有效的订单状态。", field="status")
            number = page_number(request.args.get("page"))
            size = page_number(request.args.get("page_size", PAGE_SIZE), "每页条数")
            if size > MAX_PAGE_SIZE:
                raise ValidationFailed(f"每页条数不能超过{MAX_PAGE_SIZE}。", field="page_size")
            page = paginate(session, moves.supplier_orders(supplier_id, (status,)), number,
                            size)
            return {"result": [order_json(o) for o in page.rows], "count": page.total,
                    "page": page.number, "page_size": page.size}
        return self._as_supplier(command, lambda body: self._json(200, body))

    @expose("/orders/<order_no>", methods=["GET"])
    @safe
    def get_order(self, order_no: str) -> Response:
        """One order by the buyer's order number (e.g. after a timeout), with its shipments.
        ---
        get:
          summary: 按订单编号查询订单
          security:
            - supplier_token: []
          parameters:
            - {in: path, name: order_no, required: true, schema: {type: string, maxLength: 32}}
          responses:
            200:
              description: 订单及其发货记录
            404:
              description: 订单不存在或不属于本供应商
        """
        def command(session: Session, supplier_id: int) -> Any:
            order = moves.order_by_no(session, supplier_id, order_no)
            return {"result": order_json(order, moves.shipments_of(session, order))}
        return self._as_supplier(command, lambda body: self._json(200, body))

    @expose("/events/", methods=["POST"])
    @safe
    def post_event(self) -> Response:
        """One order event; a repeated event_id answers as the first and changes nothing.
        ---
        post:
          summary: 推送订单事件（确认、拒单、发货、送达）
          security:
            - supplier_token: []
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [event_id, kind, order_no]
                  properties:
                    event_id: {type: string, maxLength: 64, description: 事件编号（幂等键）}
                    kind: {type: string, enum: [confirm, reject, ship, deliver]}
                    order_no: {type: string, maxLength: 32, description: 采购人的订单编号}
                    amount: {type: string, description: confirm：确认的订单金额，须与订单快照一致}
                    reason: {type: string, description: reject：拒单原因}
                    waybill: {type: string, maxLength: 64, description: ship、deliver：运单号}
                    carrier: {type: string, maxLength: 100, description: ship：承运商}
                    lines:
                      type: array
                      description: ship：本次发货的订单行与数量（缺省为全部未发货数量）
                      items:
                        type: object
                        required: [line_id, quantity]
                        properties:
                          line_id: {type: integer}
                          quantity: {type: integer, minimum: 1}
          responses:
            200:
              description: 已处理（重复的 event_id 返回首次的答复）
            404:
              description: 订单不存在或不属于本供应商
            409:
              description: 订单当前状态不允许该事件（已记录为异常）
            422:
              description: 内容不正确，或确认金额与订单快照不一致（已记录为异常）
        """
        body = decimal_body()
        return self._as_supplier(
            lambda session, supplier_id: inbound.apply_event(session, supplier_id, body),
            lambda answer: self._json(*answer))

    @expose("/offers/sync", methods=["POST"])
    @safe
    def sync_offers(self) -> Response:
        """Price and stock of the supplier's offers, by its own SKU; each item on its own.
        ---
        post:
          summary: 同步商品价格与库存
          security:
            - supplier_token: []
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [items]
                  properties:
                    items:
                      type: array
                      maxItems: 500
                      items:
                        type: object
                        required: [supplier_sku]
                        properties:
                          supplier_sku: {type: string, maxLength: 64}
                          price: {type: string, description: 价格（元）}
                          stock: {type: integer, minimum: 0}
          responses:
            200:
              description: 每一项的结果（ok、code、message）
        """
        body = decimal_body()
        items: Any = body.get("items") if isinstance(body, dict) else None
        return self._as_supplier(
            lambda session, supplier_id: {"result": catalogue.sync_offers(
                session, supplier_id, items)},
            lambda answer: self._json(200, answer))
