"""评价: the buyer marks a paid order (quality, delivery, service, after-sale, 1–5 each); an
order left unmarked past the region's evaluation window gets the default mark.

The default mark is 5 分好评 in every score (``by_default`` set, no author), as the common
e-malls do when a buyer stays silent; :func:`supplier_score` reports how many marks were
defaults so that a reader can weigh them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.services.errors import Conflict, ValidationFailed
from app.services.mall import core, states
from app.services.mall.acceptance import locked_order
from app.timezone import to_business, utcnow
from models import Operator
from models.mall import ActorKind, MallEvaluation, MallOrder, OrderStatus
from models.values import CONTROL_TEXT, bad_text

SCORES = {"quality": "商品质量", "delivery": "配送速度", "service": "服务态度",
          "after_sale": "售后服务"}
# The choices of each score, best first (the form starts blank: 请选择).
SCORE_LABELS = {5: "5分（很好）", 4: "4分（好）", 3: "3分（一般）", 2: "2分（差）",
                1: "1分（很差）"}
COMMENT_LIMIT = 500
DEFAULT_SCORE = 5
DEFAULT_COMMENT = "采购人未在评价期内评价，系统默认好评（各项5分）。"


@dataclass
class EvaluationInput:
    """The buyer's marks (1–5 each, as typed) and comment."""

    quality: Any = None
    delivery: Any = None
    service: Any = None
    after_sale: Any = None
    comment: str = ""
    version: int | None = None


@dataclass(frozen=True)
class SupplierScore:
    """A supplier's average marks over its evaluated orders (``None`` without any)."""

    count: int
    defaults: int
    quality: Decimal | None
    delivery: Decimal | None
    service: Decimal | None
    after_sale: Decimal | None

    @property
    def overall(self) -> Decimal | None:
        """The mean of the four averages."""
        parts = [p for p in (self.quality, self.delivery, self.service, self.after_sale)
                 if p is not None]
        if len(parts) < len(SCORES):
            return None
        return (sum(parts, Decimal("0")) / len(parts)).quantize(Decimal("0.01"))


def _score(value: Any, name: str) -> int:
    text = str(value if value is not None else "").strip()
    if isinstance(value, bool) or text not in {"1", "2", "3", "4", "5"}:
        raise ValidationFailed(f"请为“{SCORES[name]}”选择1至5分。", field=name,
                               code="mall_evaluation_score")
    return int(text)


def evaluate(session: Session, actor: Operator | None, order_id: Any,
             data: EvaluationInput) -> MallEvaluation:
    """评价 a paid order of the actor's unit; moves ``evaluate`` (→ 已完成).

    :raises PermissionDenied: the actor has no unit
    :raises NotFound: the order is not the actor's unit's
    :raises Conflict: the order is not 已付款 (``mall_state``) or changed meanwhile
        (``mall_stale``)
    :raises ValidationFailed: a score missing or outside 1–5, or the comment too long
    """
    order = locked_order(session, core.buyer_order(session, actor, order_id))
    assert actor is not None  # buyer_order refuses an actor without a unit
    if data.version is not None and data.version != order.version:
        raise Conflict("订单已被他人处理或已变化，请刷新后重试。", code="mall_stale")
    if not states.allowed("evaluate", order.status):
        raise Conflict(states.refusal("evaluate", order.status), code="mall_state")
    marks = {name: _score(getattr(data, name), name) for name in SCORES}
    comment = str(data.comment or "").strip()
    if bad_text(comment):
        raise ValidationFailed(f"评价内容{CONTROL_TEXT}", field="comment")
    if len(comment) > COMMENT_LIMIT:
        raise ValidationFailed(f"评价内容最多{COMMENT_LIMIT}个字。", field="comment")
    row = MallEvaluation(order=order, supplier_id=order.supplier_id, comment=comment,
                         by_default=False, created_by_id=actor.id, created_on=utcnow(), **marks)
    session.add(row)
    core.move(session, order, "evaluate", ActorKind.buyer, actor,
              "评价：" + "、".join(f"{SCORES[n]}{v}分" for n, v in marks.items()))
    return row


def set_evaluation_window(session: Session, order: MallOrder) -> date | None:
    """Set (once) the last day to evaluate a paid order: the paid date + the region's
    ``evaluation_days``. Returns the due date (``None`` for an order not paid yet)."""
    if order.evaluation_due_on is not None:
        return order.evaluation_due_on
    if order.status != OrderStatus.paid and order.paid_on is None:
        return None
    # A paid order without its date (an older record) starts its window now.
    paid = to_business(order.paid_on or utcnow()).date()
    days = core.policy_for(session, order.unit.region_id).evaluation_days
    order.evaluation_due_on = paid + timedelta(days=days)
    return order.evaluation_due_on


def default_evaluations(session: Session, today: date) -> int:
    """默认评价: each 已付款 order whose evaluation window ended before ``today`` gets the
    default mark and moves ``evaluate_default`` (→ 已完成); returns how many.

    The windows of paid orders not yet given one are set here first.
    """
    marked = 0
    # Only orders without a window yet or past it are locked: a buyer evaluating an order
    # still in its window never waits for the job.
    due_or_new = MallOrder.evaluation_due_on.is_(None) | (MallOrder.evaluation_due_on < today)
    for order in core.locked(session, select(MallOrder).where(
            MallOrder.status == OrderStatus.paid, due_or_new).order_by(MallOrder.id)
            .execution_options(populate_existing=True)):
        due = set_evaluation_window(session, order)
        if due is None or due >= today:
            continue
        session.add(MallEvaluation(
            order=order, supplier_id=order.supplier_id, quality=DEFAULT_SCORE,
            delivery=DEFAULT_SCORE, service=DEFAULT_SCORE, after_sale=DEFAULT_SCORE,
            comment=DEFAULT_COMMENT, by_default=True, created_by_id=None, created_on=utcnow()))
        core.move(session, order, "evaluate_default", ActorKind.system, None,
                  f"评价期已于{due:%Y-%m-%d}届满，{DEFAULT_COMMENT}")
        marked += 1
    return marked


def _mean(total: Any, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(int(total or 0)) / Decimal(count)).quantize(Decimal("0.01"))


def supplier_score(session: Session, supplier_id: int) -> SupplierScore:
    """The supplier's average marks and how many orders were marked (and by default)."""
    e = MallEvaluation
    row = session.execute(select(
        func.count(e.id), func.coalesce(func.sum(case((e.by_default.is_(True), 1), else_=0)), 0),
        func.sum(e.quality), func.sum(e.delivery), func.sum(e.service), func.sum(e.after_sale),
    ).where(e.supplier_id == supplier_id)).one()
    count = int(row[0] or 0)
    return SupplierScore(count, int(row[1] or 0), *(_mean(total, count) for total in row[2:]))


def evaluation_of(session: Session, order: MallOrder) -> MallEvaluation | None:
    """The order's evaluation, if it has one."""
    return session.scalar(select(MallEvaluation).where(MallEvaluation.order_id == order.id))
