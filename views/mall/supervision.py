"""商城订单监督 and 商城统计 (监督管理): the orders of the units a 监管部门 oversees (its region's;
the system administrator every unit), read-only, and per-unit figures."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request
from flask_appbuilder import BaseView, expose, has_access, permission_name
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.scope import current_operator
from app.services.base import page_number, paginate
from app.services.errors import ServiceError
from app.services.mall import admin, exceptions, states
from app.services.money import format_money
from app.timezone import business_today
from models.mall import (
    ACTOR_LABELS,
    ORDER_LABELS,
    MallException,
    MallOrder,
    MallOrderEvent,
    OrderStatus,
)
from models.values import id_in_text

PAGE_SIZE = 50
# Supervision sees what was sent to a supplier: every status but 草稿.
SHOWN_STATUSES = {status.value: label for status, label in ORDER_LABELS.items()
                  if status != OrderStatus.draft}


class MallSupervisionView(BaseView):
    """商城订单监督: orders in scope with filters (status, unit, overdue) and a read-only page."""

    route_base = "/mall/supervision/orders"
    default_view = "index"

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self) -> str:
        session, actor, today = self.appbuilder.session, current_operator(), business_today()
        units = admin.scope_units(session, actor)
        status = request.args.get("status", "")
        unit_text = request.args.get("unit", "")
        overdue = request.args.get("overdue", "") == "1"
        query = admin.orders_in_scope(actor)
        if status:
            if status in SHOWN_STATUSES:
                query = query.where(MallOrder.status == status)
            else:
                flash("订单状态不存在，已显示全部状态。", "warning")
                status = ""
        if unit_text:
            unit_id = id_in_text(unit_text)
            if unit_id is not None and unit_id in {unit.id for unit in units}:
                query = query.where(MallOrder.unit_id == unit_id)
            else:
                flash("采购单位不存在或不在监管范围内，已显示全部单位。", "warning")
                unit_text = ""
        if overdue:
            query = query.where(admin.is_overdue(today))
        try:
            number = page_number(request.args.get("page"))
        except ServiceError as exc:
            flash(exc.message, "warning")
            number = 1
        query = query.options(joinedload(MallOrder.unit), joinedload(MallOrder.supplier))
        page = paginate(session, query, number, PAGE_SIZE)
        late = {order.id for order in page.rows
                if order.status == OrderStatus.accepted and order.paid_on is None
                and order.payment_due_on is not None and order.payment_due_on < today}
        return self.render_template(
            "mall/supervision_orders.html", title="商城订单监督", page=page, units=units,
            statuses=SHOWN_STATUSES, status=status, unit=unit_text, overdue=overdue,
            late=late, money=format_money, today=today)

    @expose("/<int:pk>")
    @has_access
    @permission_name("show")
    def show(self, pk: int) -> str:
        """One order read-only: lines with their price evidence, events, exceptions."""
        session, actor = self.appbuilder.session, current_operator()
        try:
            order = admin.supervised_order(session, actor, pk)
        except ServiceError as exc:
            abort(exc.status)
        order = session.scalar(
            select(MallOrder).where(MallOrder.id == order.id)
            .options(joinedload(MallOrder.unit), joinedload(MallOrder.supplier),
                     joinedload(MallOrder.plan), joinedload(MallOrder.contract),
                     selectinload(MallOrder.lines),
                     selectinload(MallOrder.events).joinedload(MallOrderEvent.actor)))
        found = session.scalars(
            select(MallException).where(MallException.order_id == order.id)
            .order_by(MallException.id)).all()
        return self.render_template(
            "mall/supervision_order.html", title=f"商城订单：{order.order_no}", order=order,
            exceptions=found, money=format_money, events=states.EVENT_LABELS,
            actors=ACTOR_LABELS, statuses={s.value: label for s, label in ORDER_LABELS.items()},
            reasons=admin.reason_labels(), kind=exceptions.kind_label,
            today=business_today())


class MallStatsView(BaseView):
    """商城统计: per unit in scope, orders, amount, overdue payments, non-lowest reasons."""

    route_base = "/mall/supervision/stats"
    default_view = "index"

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self) -> Any:
        session, actor, today = self.appbuilder.session, current_operator(), business_today()
        rows = admin.unit_summary(session, actor, today)
        return self.render_template(
            "mall/supervision_stats.html", title="商城统计", rows=rows, money=format_money,
            reasons=admin.reason_labels(), today=today)
