"""What each 网上商城 plan line has left: 已采购, 占用中 and 可采购, by quantity and amount.

已采购 = confirmed − cancelled − returned on orders past confirmation; 占用中 = ordered on
orders awaiting the supplier's confirmation; 可采购 = planned − 已采购 − 占用中. A line with
nothing left (by quantity or amount) is 已完成, any other is 待采购.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from app.services.contracts import open_to_contracts
from app.services.mall.states import BOUGHT, RESERVING
from models import Method, PlanItem, ProcurementPlan
from models.mall import MallOrder, MallOrderLine

ZERO = Decimal("0")


@dataclass(frozen=True)
class Room:
    """One plan line's quantities and amounts (quantities as whole units)."""

    plan_item_id: int
    planned_qty: Decimal
    planned_amount: Decimal
    bought_qty: int
    bought_amount: Decimal
    reserved_qty: int
    reserved_amount: Decimal

    @property
    def left_qty(self) -> Decimal:
        """可采购数量."""
        return self.planned_qty - self.bought_qty - self.reserved_qty

    @property
    def left_amount(self) -> Decimal:
        """可采购金额."""
        return self.planned_amount - self.bought_amount - self.reserved_amount

    @property
    def done(self) -> bool:
        """已完成: nothing more can be bought against the line."""
        return self.left_qty <= 0 or self.left_amount <= 0


def _used() -> Select[tuple[int, int, Decimal, int, Decimal]]:
    line, order = MallOrderLine, MallOrder
    kept = line.confirmed_qty - line.cancelled_qty - line.returned_qty
    bought = order.status.in_([s.value for s in BOUGHT])
    reserving = order.status.in_([s.value for s in RESERVING])
    return (select(
        line.plan_item_id,
        func.coalesce(func.sum(case((bought, kept), else_=0)), 0),
        func.coalesce(func.sum(case((bought, kept * line.unit_price), else_=0)), 0),
        func.coalesce(func.sum(case((reserving, line.quantity), else_=0)), 0),
        func.coalesce(func.sum(case((reserving, line.amount), else_=0)), 0),
    ).join(order, order.id == line.order_id).group_by(line.plan_item_id))


def rooms(session: Session, items: Iterable[PlanItem]) -> dict[int, Room]:
    """The room of each plan line given, in one query.

    :param items: plan lines (any method; only 网上商城 lines are bought in the mall)
    """
    wanted = {item.id: item for item in items}
    if not wanted:
        return {}
    used = {row[0]: row[1:] for row in session.execute(
        _used().where(MallOrderLine.plan_item_id.in_(wanted)))}
    found = {}
    for pk, item in wanted.items():
        bq, ba, rq, ra = used.get(pk, (0, ZERO, 0, ZERO))
        found[pk] = Room(pk, Decimal(item.quantity), Decimal(item.amount), int(bq),
                         Decimal(ba).quantize(Decimal("0.01")), int(rq),
                         Decimal(ra).quantize(Decimal("0.01")))
    return found


def room_of(session: Session, item: PlanItem) -> Room:
    """The room of one plan line."""
    return rooms(session, [item])[item.id]


def mall_lines(unit_id: int) -> Select[tuple[PlanItem]]:
    """The 网上商城采购 lines of the unit's completed plans without an open 采购失败登记: what
    its buyers may buy against."""
    return (select(PlanItem).join(ProcurementPlan, ProcurementPlan.id == PlanItem.plan_id)
            .where(ProcurementPlan.unit_id == unit_id, open_to_contracts(),
                   PlanItem.method == Method.online_mall)
            .order_by(ProcurementPlan.completed_on.desc(), PlanItem.id))
