"""付款 of a 网上商城 order (recorded, or through a 资金支付申请) and its vouchers."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, send_file
from flask_appbuilder import BaseView, expose, has_access, permission_name
from sqlalchemy import select

from app.scope import current_operator
from app.services import files
from app.services.errors import NotFound, ServiceError
from app.services.mall import payment
from app.services.money import format_money
from app.transaction import unit_of_work
from models.mall import MallPayment
from models.values import valid_id
from views.forms import file_input, kept_uploads
from views.mall.pages import buyer_order, version_of


def order_url(order_id: int) -> str:
    """The order detail page (``/mall/orders/<id>``)."""
    return f"/mall/orders/{order_id}"



class MallPaymentView(BaseView):
    """付款 of the unit's accepted orders and the payments made."""

    route_base = "/mall"
    default_view = "pay"

    @expose("/orders/<int:pk>/pay", methods=["GET", "POST"])
    @has_access
    @permission_name("mall_pay")
    def pay(self, pk: int) -> Any:
        """付款: 公务卡 / 转账 / 支票 with a voucher, or 通过资金支付申请; the payments table."""
        order = buyer_order(pk)
        form, kept, error = request.form, None, None
        mode = form.get("mode", "record") if request.method == "POST" else "record"
        if request.method == "POST":
            actor = current_operator()
            kept = kept_uploads(["voucher"], actor.id if actor else 0)
            try:
                with unit_of_work() as session:
                    if mode == "budget":
                        payment.send_through_budget(
                            session, actor, pk, form.get("budget_amount", ""),
                            form.get("spending_plan_id", ""), version_of(form))
                        done = "资金支付申请已提交，预算执行系统支付后订单自动更新。"
                    else:
                        payment.record_payment(session, actor, pk, payment.PaymentInput(
                            method=form.get("method", ""), amount=form.get("amount", ""),
                            paid_on=form.get("paid_on", ""), voucher=kept.get("voucher"),
                            version=version_of(form)))
                        done = "付款已记录。"
            except ServiceError as exc:
                error = exc
                flash(exc.message, "danger")
            else:
                files.discard_pending(kept.tokens)
                flash(done, "success")
                return redirect(order_url(pk))
            self.appbuilder.session.expire_all()
            order = buyer_order(pk)
        session = self.appbuilder.session
        left = payment.payable(session, order)
        chosen = kept.kept.get("voucher") if kept else None
        return self.render_template(
            "mall/payment_form.html", title=f"付款：{order.order_no}", order=order, form=form,
            error=error, mode=mode, methods=payment.METHODS, payable=left,
            can_pay=payment.can_pay(session, order), money=format_money,
            accepted=payment.accepted_amount(order), paid=payment.paid_amount(session, order),
            pending=payment.pending_amount(session, order), plain=lambda v: f"{v:.2f}",
            payments=payment.order_payments(session, order),
            plans=payment.budget_plans(order), order_url=order_url(order.id),
            voucher_field=file_input("voucher", "voucher", chosen,
                                     'accept=".pdf,.jpg,.jpeg,.png"'))

    @expose("/payments/<int:pk>/voucher")
    @has_access
    @permission_name("mall_voucher")
    def voucher(self, pk: int) -> Any:
        """付款凭证 of a payment of the unit's order."""
        session, actor = self.appbuilder.session, current_operator()
        row = session.scalar(select(MallPayment).where(MallPayment.id == pk)) \
            if valid_id(pk) else None
        if row is None or actor is None or actor.unit_id is None \
                or row.order.unit_id != actor.unit_id or not row.voucher_path:
            abort(404)
        try:
            path = files.stored_path(row.voucher_path)
        except NotFound:
            abort(404)
        return send_file(path, as_attachment=True, download_name=row.voucher_name or "付款凭证")
