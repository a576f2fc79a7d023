"""验收, 售后处理 and 评价 pages of the buyer, and the settlement buttons of the order page."""

from __future__ import annotations

from typing import Any, cast

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access, permission_name

from app.scope import current_operator
from app.services import files
from app.services.base import page_number, paginate
from app.services.errors import ServiceError
from app.services.mall import acceptance, evaluation, payment, states
from app.transaction import unit_of_work
from models.mall import MallOrder
from views.forms import file_input, kept_uploads
from views.mall.pages import buyer_order, version_of

PAGE_SIZE = 20
VIEW = "MallAcceptanceView"


def order_url(order_id: int) -> str:
    """The order detail page (H2's ``/mall/orders/<id>``)."""
    return f"/mall/orders/{order_id}"


def settlement_actions(order: MallOrder) -> dict[str, Any]:
    """Which of 验收 / 付款 / 评价 / 打印合同 apply to ``order`` now, with their URLs (the
    buttons of ``mall/order_actions_settlement.html``)."""
    appbuilder = cast(Any, current_app).appbuilder
    sm = appbuilder.sm
    return {
        "accept": (acceptance.can_accept(order) and sm.has_access("can_mall_accept", VIEW)),
        "accept_url": f"/mall/orders/{order.id}/accept",
        # Accepted quantity not yet paid (H4's rule, also before the order is 已验收).
        "pay": (payment.can_pay(appbuilder.session, order)
                and sm.has_access("can_mall_pay", "MallPaymentView")),
        "pay_url": f"/mall/orders/{order.id}/pay",
        "evaluate": (states.allowed("evaluate", order.status)
                     and sm.has_access("can_mall_evaluate", VIEW)),
        "evaluate_url": f"/mall/orders/{order.id}/evaluate",
        "contract": order.contract_id is not None,
        "contract_url": f"/mall/orders/{order.id}/contract",
    }


class MallAcceptanceView(BaseView):
    """验收 and 评价 of the unit's orders, and its 售后 list."""

    route_base = "/mall"
    default_view = "after_sales"

    @expose("/orders/<int:pk>/accept", methods=["GET", "POST"])
    @has_access
    @permission_name("mall_accept")
    def accept(self, pk: int) -> Any:
        """验收: per delivered line, the accepted and rejected quantities and a reason."""
        order = buyer_order(pk)
        if request.method == "GET" and not acceptance.can_accept(order):
            flash(states.refusal("accept", order.status)
                  if order.status not in acceptance.ACCEPTING else "该订单没有待验收的商品。",
                  "warning")
            return redirect(order_url(order.id))
        form, kept, error = request.form, None, None
        if request.method == "POST":
            actor = current_operator()
            kept = kept_uploads(["file"], actor.id if actor else 0)
            data = acceptance.AcceptanceInput(
                method=form.get("method", ""), note=form.get("note", ""),
                lines={line.id: (form.get(f"accepted_{line.id}", ""),
                                 form.get(f"rejected_{line.id}", ""),
                                 form.get(f"reason_{line.id}", "")) for line in order.lines},
                file=kept.get("file"), version=version_of(form))
            try:
                with unit_of_work() as session:
                    record = acceptance.accept(session, actor, pk, data)
                    done = ("验收完成，订单已验收，可以付款。" if record.order.status == "accepted"
                            else "已记录本次验收。")
            except ServiceError as exc:
                error = exc
                flash(exc.message, "danger")
            else:
                files.discard_pending(kept.tokens)
                flash(done, "success")
                return redirect(order_url(pk))
            order = buyer_order(pk)
        chosen = kept.kept.get("file") if kept else None
        return self.render_template(
            "mall/acceptance_form.html", title=f"验收：{order.order_no}", order=order,
            form=form, error=error, methods=acceptance.METHODS,
            unanswered=acceptance.unanswered, order_url=order_url(order.id),
            file_field=file_input("file", "file", chosen, 'accept=".pdf,.jpg,.jpeg,.png"'))

    @expose("/orders/<int:pk>/evaluate", methods=["GET", "POST"])
    @has_access
    @permission_name("mall_evaluate")
    def evaluate(self, pk: int) -> Any:
        """评价: four marks of 1–5 and a comment, on a paid order."""
        order = buyer_order(pk)
        if request.method == "GET" and not states.allowed("evaluate", order.status):
            flash(states.refusal("evaluate", order.status), "warning")
            return redirect(order_url(order.id))
        form, error = request.form, None
        if request.method == "POST":
            data = evaluation.EvaluationInput(
                quality=form.get("quality"), delivery=form.get("delivery"),
                service=form.get("service"), after_sale=form.get("after_sale"),
                comment=form.get("comment", ""), version=version_of(form))
            try:
                with unit_of_work() as session:
                    evaluation.evaluate(session, current_operator(), pk, data)
            except ServiceError as exc:
                error = exc
                flash(exc.message, "danger")
            else:
                flash("评价已提交，订单已完成。", "success")
                return redirect(order_url(pk))
            order = buyer_order(pk)
        return self.render_template(
            "mall/evaluation_form.html", title=f"评价：{order.order_no}", order=order, form=form,
            error=error, scores=evaluation.SCORES, choices=evaluation.SCORE_LABELS,
            limit=evaluation.COMMENT_LIMIT, order_url=order_url(order.id))

    @expose("/after-sales/")
    @has_access
    @permission_name("mall_after_sales")
    def after_sales(self) -> Any:
        """售后处理: the unit's after-sale cases, open ones with their 处理 form."""
        session, actor = self.appbuilder.session, current_operator()
        status = request.args.get("status", "open")
        status = status if status in acceptance.CASE_LABELS or status == "all" else "open"
        try:
            number = page_number(request.args.get("page"))
        except ServiceError as exc:
            flash(exc.message, "warning")
            number = 1
        page = paginate(session, acceptance.unit_cases(actor, None if status == "all"
                                                       else status), number, PAGE_SIZE)
        return self.render_template(
            "mall/acceptance_after_sales.html", title="售后处理", page=page, status=status,
            statuses=acceptance.CASE_LABELS, resolutions=acceptance.RESOLUTIONS,
            order_url=order_url)

    @expose("/after-sales/<int:pk>/resolve", methods=["POST"])
    @has_access
    @permission_name("mall_resolve")
    def resolve(self, pk: int) -> Any:
        """处理 one after-sale case (换货 / 退货 / 协商解决)."""
        form = request.form
        try:
            with unit_of_work() as session:
                acceptance.resolve_after_sale(session, current_operator(), pk,
                                              form.get("resolution", ""), form.get("note", ""))
        except ServiceError as exc:
            if exc.status == 404:
                abort(404)
            flash(exc.message, "danger")
        else:
            flash("售后已处理。", "success")
        return redirect(url_for(f"{VIEW}.after_sales"))

