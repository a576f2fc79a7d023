"""The mall's deadlines, scanned by one periodic job (``mall_deadlines`` in app.scheduler):
supplier confirmation (then 已超时), payment reminders, the evaluation window, idle offers.

Each deadline lives on its rows (``confirm_by``, ``payment_due_on``, ``evaluation_due_on``,
the offers' dates), so a job that missed a run catches up on the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.mall import core
from app.services.mall.catalogue import delist_idle
from app.services.mall.evaluation import default_evaluations
from app.services.mall.orders import release
from app.services.mall.payment import remind_payments
from app.services.notifications import notify
from app.timezone import to_business
from models.mall import ActorKind, MallOrder, OrderStatus


@dataclass(frozen=True)
class DeadlineRun:
    """What one run of the deadlines did."""

    timed_out: int
    reminded: int
    defaulted: int
    delisted: int

    @property
    def summary(self) -> str:
        """The scheduler's line for the run, in Chinese."""
        return (f"确认超时订单{self.timed_out}个，付款提醒{self.reminded}条，"
                f"默认评价{self.defaulted}个，闲置下架{self.delisted}个")


def _stored(now: datetime) -> datetime:
    """``now`` as stored timestamps are: naive UTC."""
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo is not None else now


def timeout_confirmations(session: Session, now: datetime) -> int:
    """确认超时: each 待电商确认 order past its ``confirm_by`` moves ``timeout`` (system), its
    stock reservation is released (its plan room follows its status), and the buyer who placed
    it is told. Returns how many orders timed out."""
    late = core.locked(session, select(MallOrder).where(
        MallOrder.status == OrderStatus.awaiting_confirmation,
        MallOrder.confirm_by.is_not(None), MallOrder.confirm_by < _stored(now))
        .order_by(MallOrder.id).execution_options(populate_existing=True))
    for order in late:
        assert order.confirm_by is not None  # the query's condition
        deadline = to_business(order.confirm_by).strftime("%Y-%m-%d %H:%M")
        core.move(session, order, "timeout", ActorKind.system, None,
                  f"供应商未在{deadline}前确认，订单已超时关闭，占用的计划数量和库存已释放。")
        release(session, order)
        notify(session, order.created_by, "mall_timeout",
               f"网上商城订单{order.order_no}已超时关闭",
               f"/mall/orders/{order.id}",
               f"{order.supplier.name}未在{deadline}前确认订单{order.order_no}，订单已超时关闭，"
               "占用的计划数量已释放，可重新选购。")
    return len(late)


def run_deadlines(session: Session, now: datetime) -> DeadlineRun:
    """Every mall deadline at ``now``, in one transaction (the job's unit of work)."""
    return DeadlineRun(
        timed_out=timeout_confirmations(session, now),
        reminded=remind_payments(session, now),
        defaulted=default_evaluations(session, to_business(now).date()),
        delisted=delist_idle(session, now),
    )
