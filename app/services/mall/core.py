"""What every mall command shares: the policy of a region, order numbers, row locks, and the
one way an order moves (status, version and its append-only event in one step)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.services.errors import Conflict, NotFound, PermissionDenied
from app.services.mall import states
from app.timezone import business_today, to_business, utcnow
from models import Operator
from models.mall import (
    ActorKind,
    MallOrder,
    MallOrderEvent,
    MallOrderSequence,
    MallPolicy,
    OrderStatus,
)
from models.values import valid_id

T = TypeVar("T")

# The policy a region without its own row follows (the Henan manual, 《保障中小企业款项支付条例》).
DEFAULT_POLICY = MallPolicy(
    region_id=None, confirm_hours=48, acceptance_pay_days=45, sme_delivery_pay_days=30,
    remind_days_before=5, evaluation_days=15, median_margin_percent=20, median_action="block",
    idle_delist_days=180)


def policy_for(session: Session, region_id: int | None) -> MallPolicy:
    """The mall policy of a region: its own row, else the default row, else the built-in one.

    :param region_id: the region of the buying unit
    """
    rows = session.scalars(select(MallPolicy).where(
        (MallPolicy.region_id == region_id) | MallPolicy.region_id.is_(None))).all()
    own = [row for row in rows if row.region_id is not None and row.region_id == region_id]
    default = [row for row in rows if row.region_id is None]
    return (own or default or [DEFAULT_POLICY])[0]


def next_order_no(session: Session) -> str:
    """The next order number of the business day, ``SC20261202000001`` (gapless, same
    transaction: the sequence row is locked by its update until commit)."""
    today = business_today()
    done = session.execute(update(MallOrderSequence).where(MallOrderSequence.day == today)
                           .values(last_value=MallOrderSequence.last_value + 1))
    if not getattr(done, "rowcount", 0):
        session.add(MallOrderSequence(day=today, last_value=1))
        session.flush()
        value = 1
    else:
        value = session.scalar(select(MallOrderSequence.last_value)
                               .where(MallOrderSequence.day == today)) or 1
    return f"SC{today:%Y%m%d}{value:06d}"


BUSY = "系统繁忙，订单未处理，请稍后重试。"


def write_lock(session: Session) -> None:
    """SQLite: take the database's write lock now, then read everything afresh.

    Python's sqlite3 opens a transaction only at the first write, so what a command reads
    before it writes may be overwritten by a concurrent command before it commits. A no-op
    write takes the lock (others wait up to the busy timeout); PostgreSQL locks rows instead.

    :raises Conflict: another writer held the lock too long (code ``mall_busy``)
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    session.flush()
    try:
        session.execute(update(MallOrderSequence).where(false())
                        .values(last_value=MallOrderSequence.last_value))
    except OperationalError as exc:
        raise Conflict(BUSY, code="mall_busy") from exc
    session.expire_all()


def locked(session: Session, query: Select[tuple[T]]) -> Sequence[T]:
    """The rows of ``query`` locked for this transaction and read afresh (``FOR UPDATE`` on
    PostgreSQL; SQLite's write lock, :func:`write_lock`). Order ``query`` by id: locks taken
    in one order cannot deadlock."""
    write_lock(session)
    return session.scalars(query.with_for_update()
                           .execution_options(populate_existing=True)).all()


def lock_order(session: Session, order: MallOrder) -> MallOrder:
    """``order`` locked for this transaction and read afresh: what a move checks is what
    commits.

    :raises Conflict: the lock could not be taken in time (code ``mall_busy``)
    """
    locked(session, select(MallOrder).where(MallOrder.id == order.id))
    return order


def event(session: Session, order: MallOrder, kind: str, actor_kind: ActorKind,
          actor: Operator | None, note: str = "", *, from_status: str = "",
          to_status: str = "") -> MallOrderEvent:
    """Append one order event (a fact that may not move the status, e.g. 生成合同, 提醒).

    :param note: what happened, in Chinese, as the order page shows it
    """
    row = MallOrderEvent(order=order, kind=kind, from_status=from_status, to_status=to_status,
                         actor_kind=actor_kind, actor_id=actor.id if actor else None, note=note,
                         at=utcnow())
    session.add(row)
    return row


def move(session: Session, order: MallOrder, kind: str, actor_kind: ActorKind,
         actor: Operator | None, note: str = "", *, version: int | None = None) -> OrderStatus:
    """Move ``order`` by event ``kind``: the status, the version and its event, together.

    :param version: the version the actor saw; a different one is a concurrent change
    :raises Conflict: the move does not apply to the order's status (code ``mall_state``),
        or ``version`` is stale (code ``mall_stale``)
    """
    if version is not None and version != order.version:
        raise Conflict("订单已被他人处理或已变化，请刷新后重试。", code="mall_stale")
    to = states.target(kind, order.status)
    if to is None:
        raise Conflict(states.refusal(kind, order.status), code="mall_state")
    before = order.status
    order.status = to
    order.version = (order.version or 0) + 1
    event(session, order, kind, actor_kind, actor, note, from_status=before, to_status=to)
    if to in states.TERMINAL:
        order.closed_on = order.closed_on or utcnow()
    return to


def buyer_order(session: Session, actor: Operator | None, order_id: Any) -> MallOrder:
    """An order of the actor's unit (the buyer's one scope check of an order id).

    :raises PermissionDenied: the actor has no unit
    :raises NotFound: no such order in the actor's unit
    """
    if actor is None or actor.unit_id is None:
        raise PermissionDenied("只有采购单位的经办人员可以办理网上商城订单。")
    order = session.get(MallOrder, order_id) if valid_id(order_id) else None
    if order is None or order.unit_id != actor.unit_id:
        raise NotFound("订单不存在或不属于本单位。", code="mall_order_not_found")
    return order


def supplier_order(session: Session, supplier_id: int | None, order_id: Any) -> MallOrder:
    """An order addressed to the supplier (drafts are the buyer's and never shown to it).

    :raises NotFound: no such order of this supplier
    """
    order = session.get(MallOrder, order_id) if valid_id(order_id) else None
    if (order is None or supplier_id is None or order.supplier_id != supplier_id
            or order.status == OrderStatus.draft):
        raise NotFound("订单不存在或不属于本供应商。", code="mall_order_not_found")
    return order


def payment_overdue(today: date) -> ColumnElement[bool]:
    """逾期未付款: accepted, not (fully) paid, and past its payment due date."""
    return and_(MallOrder.status == OrderStatus.accepted, MallOrder.paid_on.is_(None),
                MallOrder.payment_due_on.is_not(None), MallOrder.payment_due_on < today)


def payment_due_on(order: MallOrder, policy: MallPolicy) -> date | None:
    """The payment due date: the earliest applicable of the region's rules.

    The Henan manual: ``acceptance_pay_days`` after acceptance; 《保障中小企业款项支付条例》: an
    SME supplier (as fixed at confirmation) within ``sme_delivery_pay_days`` of delivery.
    Calendar days in business time. ``None`` until the order is accepted.
    """
    if order.accepted_on is None:
        return None
    due = to_business(order.accepted_on).date() + timedelta(days=policy.acceptance_pay_days)
    if order.supplier_sme and order.delivered_on is not None:
        sme_due = (to_business(order.delivered_on).date()
                   + timedelta(days=policy.sme_delivery_pay_days))
        due = min(due, sme_due)
    return due
