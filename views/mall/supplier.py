"""供应商中心 → 订单 (待确认 / 已确认 / 配送中 / 待验收 / 已完成 / 已关闭, and 确认, 拒单, 发货,
送达 by hand) and → 接口令牌 (issue with the secret shown once, list, revoke)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access, permission_name
from sqlalchemy.orm import Session

from app.scope import current_operator
from app.services.base import page_number, paginate
from app.services.errors import ServiceError
from app.services.mall import core, states, tokens
from app.services.mall import supplier as moves
from app.services.money import format_money
from models.mall import ACTOR_LABELS, MallOrder
from views.base import attempt
from views.mall.pages import version_of

PAGE_SIZE = 20
DONE = {"confirm": "订单已确认，合同已生成并提交备案。", "reject": "已拒单。",
        "ship": "已登记发货。", "deliver": "已登记送达。"}


def _supplier_id() -> int | None:
    actor = current_operator()
    return actor.supplier_id if actor is not None else None



class SupplierOrderView(BaseView):
    """订单 of the signed-in supplier: lists by tab, the order page and its actions."""

    route_base = "/mall/supplier/orders"
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self) -> str:
        tab = request.args.get("tab", "awaiting")
        if tab not in moves.TABS:
            tab = "awaiting"
        try:
            number = page_number(request.args.get("page"))
        except ServiceError as exc:
            flash(exc.message, "warning")
            number = 1
        query = moves.supplier_orders(_supplier_id(), moves.TABS[tab][1])
        page = paginate(self.appbuilder.session, query, number, PAGE_SIZE)
        return self.render_template("mall/supplier_orders.html", tabs=moves.TABS, tab=tab,
                                    page=page, money=format_money,
                                    is_supplier=_supplier_id() is not None)

    def _page(self, order: MallOrder, typed: dict[str, Any] | None = None,
              refused: ServiceError | None = None) -> Any:
        session = self.appbuilder.session
        session.refresh(order)
        shipments = moves.shipments_of(session, order)
        can = {kind: states.allowed(kind, order.status) for kind in ("confirm", "reject")}
        can["ship"] = states.allowed("ship", order.status) and moves.unshipped(order) > 0
        can["deliver"] = states.allowed("deliver", order.status)
        body = self.render_template(
            "mall/supplier_order.html", order=order, shipments=shipments, can=can,
            typed=typed or {}, refused=refused, money=format_money, actors=ACTOR_LABELS,
            event_label=states.EVENT_LABELS,
            events=[row for row in order.events if row.kind in states.SUPPLIER_VISIBLE])
        return body

    def _order(self, pk: int) -> MallOrder:
        try:
            return core.supplier_order(self.appbuilder.session, _supplier_id(), pk)
        except ServiceError:
            abort(404)

    @expose("/<int:pk>")
    @has_access
    @permission_name("show")
    def show(self, pk: int) -> Any:
        return self._page(self._order(pk))

    def _act(self, pk: int, kind: str, command: Any) -> Any:
        """Run ``command(session)``; done: back to the order; refused: the page again, with
        the message and what was typed."""
        order = self._order(pk)
        refused = attempt(command)
        if refused is None:
            flash(DONE[kind], "success")
            return redirect(url_for("SupplierOrderView.show", pk=pk))
        if refused.status == 404 and refused.field is None:
            abort(404)
        flash(refused.message, "danger")
        return self._page(order, typed={"kind": kind, **request.form.to_dict()},
                          refused=refused)

    @expose("/<int:pk>/confirm", methods=["POST"])
    @has_access
    @permission_name("act")
    def confirm(self, pk: int) -> Any:
        """确认 at the version shown."""
        def run(session: Session) -> object:
            return moves.confirm(session, _supplier_id(), current_operator(), pk,
                                 version=version_of(request.form))
        return self._act(pk, "confirm", run)

    @expose("/<int:pk>/reject", methods=["POST"])
    @has_access
    @permission_name("act")
    def reject(self, pk: int) -> Any:
        """拒单 with the reason typed."""
        def run(session: Session) -> object:
            return moves.reject(session, _supplier_id(), current_operator(), pk,
                                request.form.get("reason", ""), version=version_of(request.form))
        return self._act(pk, "reject", run)

    @expose("/<int:pk>/ship", methods=["POST"])
    @has_access
    @permission_name("act")
    def ship(self, pk: int) -> Any:
        """发货: waybill, carrier and the quantity of each line (``qty_<line id>``)."""
        lines = {name[4:]: value for name, value in request.form.items()
                 if name.startswith("qty_")}

        def run(session: Session) -> object:
            return moves.ship(session, _supplier_id(), current_operator(), pk,
                              request.form.get("waybill", ""), request.form.get("carrier", ""),
                              lines, version=version_of(request.form))
        return self._act(pk, "ship", run)

    @expose("/<int:pk>/deliver", methods=["POST"])
    @has_access
    @permission_name("act")
    def deliver(self, pk: int) -> Any:
        """送达 of one shipment."""
        def run(session: Session) -> object:
            return moves.deliver(session, _supplier_id(), current_operator(), pk,
                                 shipment_id=request.form.get("shipment_id", "") or "0",
                                 version=version_of(request.form))
        return self._act(pk, "deliver", run)


class SupplierTokenView(BaseView):
    """接口令牌 of the signed-in supplier: 签发 (the secret shown once), list, 吊销."""

    route_base = "/mall/supplier/tokens"
    default_view = "list"

    def _page(self, secret: str = "", typed: str = "",
              refused: ServiceError | None = None) -> Response:
        actor = current_operator()
        rows = []
        if actor is not None and actor.supplier_id is not None:
            rows = tokens.own_tokens(self.appbuilder.session, actor)
        answer = make_response(self.render_template(
            "mall/supplier_tokens.html", rows=rows, secret=secret, typed=typed,
            refused=refused, is_supplier=bool(actor and actor.supplier_id)))
        # The page that shows a secret must not stay in any cache.
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self) -> Response:
        return self._page()

    @expose("/issue", methods=["POST"])
    @has_access
    @permission_name("issue")
    def issue(self) -> Response:
        """签发: the page answers with the secret, once; nothing shows it again."""
        name = request.form.get("name", "")
        made: dict[str, str] = {}

        def run(session: Session) -> None:
            made["secret"] = tokens.issue(session, current_operator(), name)[1]
        refused = attempt(run)
        if refused is not None:
            flash(refused.message, "danger")
            return self._page(typed=name, refused=refused)
        flash("接口令牌已签发。请立即复制保存：离开本页后将无法再次查看。", "success")
        return self._page(secret=made["secret"])

    @expose("/<int:pk>/revoke", methods=["POST"])
    @has_access
    @permission_name("revoke")
    def revoke(self, pk: int) -> Any:
        """吊销: calls with the token are refused from now on."""
        refused = attempt(lambda session: tokens.revoke(session, current_operator(), pk))
        if refused is not None:
            flash(refused.message, "danger")
        else:
            flash("接口令牌已吊销。", "success")
        return redirect(url_for("SupplierTokenView.list"))
