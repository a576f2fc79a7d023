"""网上商城 → 购物车: lines by supplier, 修改数量, 删除, 同意新价格, and 下单 (保存 or 提交)."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from werkzeug.wrappers import Response

from app.scope import current_operator
from app.services.errors import ServiceError
from app.services.mall import cart, order_checks, orders
from app.services.money import format_money
from models.mall import MallOffer
from models.values import id_in_text
from views.base import attempt

PRODUCT_PAGE = "/mall/products/{}"


def quantity_text(value: Any) -> str:
    """A plan quantity without trailing zeros (10.000 → 10)."""
    return format(Decimal(value).normalize(), "f") if value is not None else ""


# What the mall's order pages format with.
HELPERS = {"money": format_money, "qty": quantity_text}


def chosen_ids(values: list[str]) -> list[int]:
    """The ids among the values sent (anything else is not a line of anyone's cart)."""
    return [pk for pk in (id_in_text(value) for value in values) if pk is not None]


def by_supplier(rows: list[cart.CartRow]) -> list[tuple[Any, list[cart.CartRow]]]:
    """Cart rows grouped by supplier, in the order they were added."""
    groups: OrderedDict[int, tuple[Any, list[cart.CartRow]]] = OrderedDict()
    for row in rows:
        supplier = row.line.offer.supplier
        groups.setdefault(supplier.id, (supplier, []))[1].append(row)
    return list(groups.values())


def reasons_from(form: Any, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each line's 非最低价理由 from fields ``reason_code_<id>`` and ``reason_text_<id>``."""
    return {pk: (form.get(f"reason_code_{pk}", ""), form.get(f"reason_text_{pk}", ""))
            for pk in ids}


class MallCartView(BaseView):
    """购物车 of the signed-in clerk, and 下单 from the lines chosen in it."""

    route_base = "/mall/cart"
    default_view = "index"
    method_permission_name = {"index": "list", "add": "edit", "quantity": "edit",
                              "remove": "edit", "accept": "edit", "checkout": "add"}

    def _rows(self, line_ids: list[Any] | None = None) -> list[cart.CartRow]:
        try:
            return cart.cart_view(self.appbuilder.session, current_operator(), line_ids)
        except ServiceError as exc:
            abort(exc.status)

    @expose("/")
    @has_access
    def index(self) -> Any:
        """购物车: the lines by supplier with price moves, room and what blocks them."""
        rows = self._rows()
        return self.render_template("mall/cart.html", title="购物车", groups=by_supplier(rows),
                                    count=len(rows), **HELPERS)

    @expose("/add", methods=["POST"])
    @has_access
    def add(self) -> Response:
        """加入购物车 from the product page; a refusal goes back there with the reason."""
        form = request.form
        offer_id = id_in_text(form.get("offer_id", ""))
        refused = attempt(lambda session: cart.add_line(
            session, current_operator(), offer_id, id_in_text(form.get("plan_item_id", "")),
            form.get("quantity", "")))
        if refused is None:
            flash("已加入购物车。", "success")
            return redirect(url_for(".index"))
        flash(refused.message, "danger")
        offer = self.appbuilder.session.get(MallOffer, offer_id) if offer_id else None
        if offer is None:
            return redirect("/mall/products/")
        return redirect(PRODUCT_PAGE.format(offer.product_id))

    def _line_action(self, pk: int, command: Any, done: str) -> Response:
        refused = attempt(lambda session: command(session, current_operator(), pk))
        flash(refused.message if refused else done, "danger" if refused else "success")
        return redirect(url_for(".index"))

    @expose("/<int:pk>/quantity", methods=["POST"])
    @has_access
    def quantity(self, pk: int) -> Response:
        """修改数量."""
        wanted = request.form.get("quantity", "")
        return self._line_action(
            pk, lambda session, actor, line: cart.change_quantity(session, actor, line, wanted),
            "数量已修改。")

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def remove(self, pk: int) -> Response:
        """删除 a line."""
        return self._line_action(pk, cart.remove_line, "已从购物车删除。")

    @expose("/<int:pk>/accept", methods=["POST"])
    @has_access
    def accept(self, pk: int) -> Response:
        """同意新价格."""
        return self._line_action(pk, cart.accept_price, "已同意新价格。")

    @expose("/checkout", methods=["GET", "POST"])
    @has_access
    def checkout(self) -> Any:
        """下单: delivery, contact, invoice and the reasons of lines not at the lowest price;
        保存 makes drafts, 提交 submits them. The hidden key makes a repeat the same 下单."""
        form = request.form if request.method == "POST" else request.args
        ids = chosen_ids(form.getlist("line"))
        if not ids:
            flash("请选择要下单的商品。", "warning")
            return redirect(url_for(".index"))
        if request.method == "POST":
            made: list[Any] = []
            data = orders.CheckoutInput(
                key=form.get("key", ""), line_ids=ids,
                delivery_address=form.get("delivery_address", ""),
                contact_name=form.get("contact_name", ""),
                contact_phone=form.get("contact_phone", ""),
                invoice_title=form.get("invoice_title", ""), remark=form.get("remark", ""),
                submit=form.get("action") == "submit", reasons=reasons_from(form, ids))
            refused = attempt(lambda session: made.extend(
                orders.checkout(session, current_operator(), data)))
            if refused is None:
                flash(f"已{'提交' if data.submit else '保存'}{len(made)}个订单。", "success")
                if len(made) == 1:
                    return redirect(url_for("MallOrderView.show", pk=made[0].id))
                return redirect(url_for("MallOrderView.index"))
            flash(refused.message, "danger")
        rows = self._rows(ids)
        if not rows:
            flash("购物车中没有所选的商品。", "warning")
            return redirect(url_for(".index"))
        return self.render_template(
            "mall/cart_checkout.html", title="下单", groups=by_supplier(rows), form=form,
            key=form.get("key") or uuid.uuid4().hex, reasons=order_checks.NON_LOWEST_REASONS,
            total=sum(row.amount for row in rows), **HELPERS)
