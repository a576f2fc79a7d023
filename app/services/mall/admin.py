"""商城规则 per region (the administrator's) and the supervision queries of 网上商城 orders:
which orders a person may oversee, overdue payments, and per-unit figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, select, true
from sqlalchemy.orm import Session, contains_eager

from app.permissions import SYS_ADMIN
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.mall import core, states
from app.services.mall.order_checks import NON_LOWEST_REASONS
from models import Operator, Region, Unit, UnitKind
from models.mall import MallOrder, MallOrderLine, MallPolicy, OrderStatus
from models.values import valid_id

# The posts that oversee the mall orders of their region's units (监管部门).
SUPERVISION_POSTS = frozenset({"supervision_first", "supervision_review"})

# (field, Chinese label, lowest, highest): the whole-number settings of a policy.
RANGES: tuple[tuple[str, str, int, int], ...] = (
    ("confirm_hours", "电商确认时限（小时）", 1, 720),
    ("acceptance_pay_days", "验收后付款期限（天）", 1, 90),
    # 《保障中小企业款项支付条例》: at most 60 days even when the contract agrees a term.
    ("sme_delivery_pay_days", "中小企业交付后付款期限（天）", 1, 60),
    ("remind_days_before", "付款到期前提醒（天）", 0, 30),
    ("evaluation_days", "评价期限（天）", 1, 90),
    ("median_margin_percent", "高于中位价幅度（%）", 0, 100),
    ("idle_delist_days", "无交易自动下架（天，0为不下架）", 0, 3650),
)
MEDIAN_ACTIONS = {"block": "禁止下单", "flag": "允许下单并提示监管"}
POLICY_FIELDS = (*(name for name, _, _, _ in RANGES), "median_action")


def is_admin(actor: Operator | None) -> bool:
    """Whether ``actor`` is the system administrator."""
    return actor is not None and actor.post_code == SYS_ADMIN


def _whole(name: str, label: str, low: int, high: int, value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}必须是整数。", field=name, code="mall_policy_invalid")
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text:
            raise ValidationFailed(f"请填写{label}。", field=name, code="mall_policy_invalid")
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise ValidationFailed(f"{label}必须是{low}到{high}之间的整数。", field=name,
                                   code="mall_policy_invalid")
        number = int(text)
    if not low <= number <= high:
        raise ValidationFailed(f"{label}必须是{low}到{high}之间的整数。", field=name,
                               code="mall_policy_range")
    return number


def policy_values(values: dict[str, Any]) -> dict[str, Any]:
    """The checked settings of a policy from plain input (form text or JSON numbers).

    :raises ValidationFailed: a value is missing, not a whole number or out of its range
        (``field`` names it)
    """
    checked: dict[str, Any] = {name: _whole(name, label, low, high, values.get(name))
                               for name, label, low, high in RANGES}
    action = str(values.get("median_action") or "").strip()
    if action not in MEDIAN_ACTIONS:
        raise ValidationFailed("请选择高于中位价时的处理方式。", field="median_action",
                               code="mall_policy_invalid")
    checked["median_action"] = action
    return checked


def save_policy(session: Session, actor: Operator | None, region_id: Any,
                values: dict[str, Any]) -> MallPolicy:
    """Create or change the mall policy of a region (``region_id`` None: the default row).

    :raises PermissionDenied: the actor is not the system administrator
    :raises NotFound: no such region (field ``region_id``)
    :raises ValidationFailed: a setting breaks its range (see :func:`policy_values`)
    """
    if not is_admin(actor):
        raise PermissionDenied("只有系统管理员可以设置商城规则。")
    if region_id is not None and (not valid_id(region_id)
                                  or session.get(Region, region_id) is None):
        raise NotFound("区划不存在。", field="region_id", code="mall_region_not_found")
    checked = policy_values(values)
    condition = (MallPolicy.region_id.is_(None) if region_id is None
                 else MallPolicy.region_id == region_id)
    row = session.scalar(select(MallPolicy).where(condition))
    if row is None:
        row = MallPolicy(region_id=region_id)
        session.add(row)
    for name, value in checked.items():
        setattr(row, name, value)
    return row


def policies(session: Session) -> list[MallPolicy]:
    """Every policy row: the default first, then by region order."""
    rows = session.scalars(select(MallPolicy).outerjoin(Region, MallPolicy.region_id == Region.id)
                           .options(contains_eager(MallPolicy.region))
                           .order_by(MallPolicy.region_id.is_not(None), Region.sort_order,
                                     Region.id)).all()
    return list(rows)


# --- supervision scope ------------------------------------------------------------------

def supervises(actor: Operator | None) -> bool:
    """Whether the actor oversees mall orders (the administrator, a 监管部门 post)."""
    return is_admin(actor) or (actor is not None and actor.post_code in SUPERVISION_POSTS
                               and actor.unit_id is not None)


def _region_of(actor: Operator) -> Any:
    me = select(Unit.region_id).where(Unit.id == actor.unit_id).scalar_subquery()
    return select(Unit.id).where(Unit.region_id == me)


def scope_condition(actor: Operator | None) -> ColumnElement[bool]:
    """The condition on :class:`MallOrder` of the orders the actor oversees: every order for
    the administrator; submitted orders of the region's units for a 监管部门 post; none else.

    Drafts stay with their unit: supervision sees what was sent to a supplier.
    """
    if is_admin(actor):
        return true()
    if actor is None or not supervises(actor):
        return false()
    return and_(MallOrder.unit_id.in_(_region_of(actor)), MallOrder.status != OrderStatus.draft)


def orders_in_scope(actor: Operator | None) -> Select[tuple[MallOrder]]:
    """The orders the actor oversees, newest first."""
    return (select(MallOrder).where(scope_condition(actor))
            .order_by(MallOrder.created_on.desc(), MallOrder.id.desc()))


def supervised_order(session: Session, actor: Operator | None, order_id: Any) -> MallOrder:
    """One order the actor oversees (the scope check of an order id on the supervision side).

    :raises PermissionDenied: the actor does not oversee mall orders
    :raises NotFound: no such order in the actor's scope
    """
    if not supervises(actor):
        raise PermissionDenied("只有监管部门和系统管理员可以查看商城订单监督。")
    order = (session.scalar(select(MallOrder).where(MallOrder.id == order_id,
                                                    scope_condition(actor)))
             if valid_id(order_id) else None)
    if order is None:
        raise NotFound("订单不存在或不在监管范围内。", code="mall_order_not_found")
    return order


def scope_units(session: Session, actor: Operator | None) -> list[Unit]:
    """The units whose orders the actor oversees (for a filter), by code."""
    if is_admin(actor):
        query = select(Unit)
    elif actor is not None and supervises(actor):
        query = select(Unit).where(Unit.id.in_(_region_of(actor)))
    else:
        return []
    return list(session.scalars(query.where(Unit.kind == UnitKind.purchaser).order_by(Unit.code)))


is_overdue = core.payment_overdue


def overdue_payments(actor: Operator | None, today: date) -> Select[tuple[MallOrder]]:
    """The overdue unpaid orders the actor oversees, the longest overdue first."""
    return (select(MallOrder).where(scope_condition(actor), is_overdue(today))
            .order_by(MallOrder.payment_due_on, MallOrder.id))


# --- per-unit figures -------------------------------------------------------------------

@dataclass
class UnitFigures:
    """One unit's mall figures for supervision."""

    unit_id: int
    unit_name: str
    orders: int = 0
    amount: Decimal = Decimal("0.00")  # of the orders bought (confirmed onwards)
    overdue: int = 0
    overdue_amount: Decimal = Decimal("0.00")
    non_lowest: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # non-lowest code -> lines
    above_median: int = 0


def unit_summary(session: Session, actor: Operator | None, today: date) -> list[UnitFigures]:
    """Per unit in the actor's scope with orders: orders, amount bought, overdue unpaid orders,
    lines not at the lowest price with their reasons by code, lines above the median price.

    Two queries whatever the number of units and orders.
    """
    scope = scope_condition(actor)
    bought = [status.value for status in states.BOUGHT]
    late = is_overdue(today)
    rows = session.execute(
        select(MallOrder.unit_id, Unit.name, func.count(MallOrder.id),
               func.sum(case((MallOrder.status.in_(bought), MallOrder.amount), else_=0)),
               func.sum(case((late, 1), else_=0)),
               func.sum(case((late, MallOrder.amount), else_=0)))
        .join(Unit, Unit.id == MallOrder.unit_id)
        .where(scope, MallOrder.status != OrderStatus.draft)
        .group_by(MallOrder.unit_id, Unit.name)).all()
    found = {unit_id: UnitFigures(unit_id, name, int(count), _money(amount), int(overdue or 0),
                                  _money(overdue_amount))
             for unit_id, name, count, amount, overdue, overdue_amount in rows}
    lines = session.execute(
        select(MallOrder.unit_id, MallOrderLine.non_lowest_code,
               func.sum(case((MallOrderLine.non_lowest_code != "", 1), else_=0)),
               func.sum(case((MallOrderLine.above_median.is_(True), 1), else_=0)))
        .join(MallOrder, MallOrder.id == MallOrderLine.order_id)
        .where(scope, MallOrder.status != OrderStatus.draft)
        .group_by(MallOrder.unit_id, MallOrderLine.non_lowest_code)).all()
    reasons: dict[int, dict[str, int]] = defaultdict(dict)
    for unit_id, code, non_lowest, above in lines:
        figures = found.get(unit_id)
        if figures is None:
            continue
        figures.above_median += int(above or 0)
        if code and non_lowest:
            figures.non_lowest += int(non_lowest)
            reasons[unit_id][code] = int(non_lowest)
    for unit_id, by_code in reasons.items():
        found[unit_id].reasons = dict(sorted(by_code.items()))
    return sorted(found.values(), key=lambda f: (-f.overdue, f.unit_name, f.unit_id))


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def reason_labels() -> dict[str, str]:
    """The Chinese names of the non-lowest-price reason codes."""
    return dict(NON_LOWEST_REASONS)
