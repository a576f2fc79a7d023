"""网上商城 → 我的订单: the unit's orders, an order's page, and 修改/提交/删除/取消."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.scope import current_operator
from app.services.base import page_number, paginate
from app.services.errors import ServiceError
from app.services.mall import acceptance, catalogue, order_checks, orders, states
from models.mall import (
    ACTOR_LABELS,
    ORDER_LABELS,
    MallAcceptance,
    MallEvaluation,
    MallOrder,
    MallPayment,
)
from views.base import attempt
from views.mall.cart import HELPERS
from views.mall.pages import buyer_order, version_of

PAGE_SIZE = 20



def order_input(form: Any, order: MallOrder) -> orders.OrderInput:
    """保存's input from the order form."""
    return orders.OrderInput(
        delivery_address=form.get("delivery_address", ""),
        contact_name=form.get("contact_name", ""), contact_phone=form.get("contact_phone", ""),
        invoice_title=form.get("invoice_title", ""), remark=form.get("remark", ""),
        reasons={line.id: (form.get(f"reason_code_{line.id}", ""),
                           form.get(f"reason_text_{line.id}", "")) for line in order.lines})


class MallOrderView(BaseView):
    """我的订单 of the signed-in clerk's unit."""

    route_base = "/mall/orders"
    default_view = "index"
    method_permission_name = {"index": "list", "show": "show", "edit": "edit",
                              "submit": "edit", "cancel": "edit", "remove": "delete"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        """我的订单, newest first, optionally of one status."""
        status = request.args.get("status", "")
        if status not in ORDER_LABELS:
            status = ""
        try:
            number = page_number(request.args.get("page"))
            query = orders.unit_orders(current_operator(), status or None)
        except ServiceError as exc:
            if exc.status == 403:
                abort(403)
            flash(exc.message, "warning")
            number, query = 1, orders.unit_orders(current_operator(), status or None)
        page = paginate(self.appbuilder.session, query, number, PAGE_SIZE)
        return self.render_template("mall/order_list.html", title="我的订单", page=page,
                                    status=status, statuses=ORDER_LABELS, **HELPERS)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        """订单详情: header, lines with snapshot, evidence and buckets, events, records."""
        order = buyer_order(pk)
        session = self.appbuilder.session
        moved = {line.id: line.offer.price for line in order.lines
                 if order.status == "draft" and line.offer.price != line.unit_price}
        return self.render_template(
            "mall/order_detail.html", title=f"订单 {order.order_no}", order=order,
            allowed=lambda kind: states.allowed(kind, order.status), moved=moved,
            event_labels=states.EVENT_LABELS, actor_labels=ACTOR_LABELS,
            reason_label=orders.reason_label, acceptance_methods=acceptance.METHODS,
            acceptances=list(session.scalars(select(MallAcceptance).where(
                MallAcceptance.order_id == order.id).order_by(MallAcceptance.id))),
            payments=list(session.scalars(select(MallPayment).where(
                MallPayment.order_id == order.id).order_by(MallPayment.id))),
            evaluation=session.scalar(select(MallEvaluation).where(
                MallEvaluation.order_id == order.id)), **HELPERS)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        """修改 a draft: delivery, contact, invoice, remark, non-lowest reasons; 保存 or 提交."""
        order = buyer_order(pk)
        if order.status != "draft":
            flash(states.refusal("save", order.status), "warning")
            return redirect(url_for(".show", pk=pk))
        form: Any = request.form if request.method == "POST" else None
        if form is not None:
            data, version = order_input(form, order), version_of(form)
            submitting = form.get("action") == "submit"

            def save(session: Any) -> None:
                saved = orders.save_order(session, current_operator(), pk, data, version)
                if submitting:
                    orders.submit_order(session, current_operator(), pk, saved.version,
                                        accept_price=form.get("accept_price") == "1")
            refused = attempt(save)
            if refused is None:
                flash("订单已提交。" if submitting else "订单已保存。", "success")
                return redirect(url_for(".show", pk=pk))
            flash(refused.message, "danger")
            order = buyer_order(pk)
        session = self.appbuilder.session
        lowest = {line.id: catalogue.price_evidence(session, line.offer.product_id).lowest
                  for line in order.lines}
        return self.render_template(
            "mall/order_edit.html", title=f"修改订单 {order.order_no}", order=order,
            form=form, lowest=lowest, reasons=order_checks.NON_LOWEST_REASONS, **HELPERS)

    def _act(self, pk: int, command: Any, done: str) -> Response:
        buyer_order(pk)
        refused = attempt(command)
        flash(refused.message if refused else done, "danger" if refused else "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/<int:pk>/submit", methods=["POST"])
    @has_access
    def submit(self, pk: int) -> Response:
        """提交 a draft at the version shown (同意新价格 when the form says so)."""
        form = request.form
        return self._act(pk, lambda session: orders.submit_order(
            session, current_operator(), pk, version_of(form),
            accept_price=form.get("accept_price") == "1"), "订单已提交，等待电商确认。")

    @expose("/<int:pk>/cancel", methods=["POST"])
    @has_access
    def cancel(self, pk: int) -> Response:
        """取消 before the supplier confirmed."""
        form = request.form
        return self._act(pk, lambda session: orders.cancel_order(
            session, current_operator(), pk, form.get("reason", ""), version_of(form)),
            "订单已取消。")

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def remove(self, pk: int) -> Response:
        """删除 a draft."""
        buyer_order(pk)
        refused = attempt(lambda session: orders.delete_draft(session, current_operator(), pk))
        if refused:
            flash(refused.message, "danger")
            return redirect(url_for(".show", pk=pk))
        flash("草稿订单已删除。", "success")
        return redirect(url_for(".index"))
