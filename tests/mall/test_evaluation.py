"""评价: the buyer's marks on a paid order, the default mark after the window, supplier scores."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.mall.evaluation import (
    DEFAULT_COMMENT,
    EvaluationInput,
    default_evaluations,
    evaluate,
    set_evaluation_window,
    supplier_score,
)
from app.timezone import business_today, to_business, utcnow
from models.mall import MallEvaluation, MallOrder, MallOrderEvent, OrderStatus
from tests.mall.acceptance_support import delivered_order, paid_order, with_session
from tests.mall.settlement_support import operator

MARKS: dict[str, Any] = dict(quality="5", delivery="4", service=3, after_sale="2")


def test_evaluate_a_paid_order_completes_it(app: Flask) -> None:
    order_id = paid_order(app)

    def work(s: Any) -> None:
        clerk, order = operator(s, "pds_clerk"), s.get(MallOrder, order_id)
        row = evaluate(s, clerk, order_id, EvaluationInput(**MARKS, comment=" 送货及时 ",
                                                           version=order.version))
        s.flush()
        assert order.status == OrderStatus.completed and order.closed_on is not None
        assert (row.quality, row.delivery, row.service, row.after_sale) == (5, 4, 3, 2)
        assert (row.comment, row.by_default, row.created_by_id) == ("送货及时", False, clerk.id)
        assert row.supplier_id == order.supplier_id
        event = s.scalar(select(MallOrderEvent).where(MallOrderEvent.order_id == order_id)
                         .order_by(MallOrderEvent.id.desc()))
        assert (event.kind, event.to_status) == ("evaluate", "completed")
        assert "商品质量5分" in event.note
        with pytest.raises(Conflict) as twice:
            evaluate(s, clerk, order_id, EvaluationInput(**MARKS))
        assert twice.value.code == "mall_state"
    with_session(app, work)


@pytest.mark.parametrize(("change", "field"), [
    (dict(quality=None), "quality"), (dict(delivery=""), "delivery"), (dict(service="0"), "service"),
    (dict(after_sale="6"), "after_sale"), (dict(quality="abc"), "quality"),
    (dict(quality=True), "quality"), (dict(quality="4.5"), "quality"),
    (dict(comment="好" * 501), "comment"), (dict(comment="a\x00"), "comment"),
])
def test_marks_are_required_and_within_range(app: Flask, change: dict[str, Any],
                                             field: str) -> None:
    order_id = paid_order(app)

    def work(s: Any) -> None:
        with pytest.raises(ValidationFailed) as refused:
            evaluate(s, operator(s, "pds_clerk"), order_id, EvaluationInput(**{**MARKS,
                                                                                **change}))
        assert refused.value.field == field
        assert s.get(MallOrder, order_id).status == OrderStatus.paid
    with_session(app, work)


def test_only_paid_orders_of_the_unit(app: Flask) -> None:
    paid_id, delivered_id = paid_order(app), delivered_order(app)

    def work(s: Any) -> None:
        with pytest.raises(NotFound):
            evaluate(s, operator(s, "zz_clerk"), paid_id, EvaluationInput(**MARKS))
        with pytest.raises(Conflict) as early:
            evaluate(s, operator(s, "pds_clerk"), delivered_id, EvaluationInput(**MARKS))
        assert early.value.code == "mall_state" and "待验收" in early.value.message
        with pytest.raises(Conflict) as stale:
            evaluate(s, operator(s, "pds_clerk"), paid_id, EvaluationInput(**MARKS, version=-1))
        assert stale.value.code == "mall_stale"
    with_session(app, work)


def test_window_is_set_from_the_paid_date(app: Flask) -> None:
    paid = utcnow() - timedelta(days=3)
    order_id = paid_order(app, paid_on=paid)

    def work(s: Any) -> None:
        order = s.get(MallOrder, order_id)
        assert order.evaluation_due_on is None
        due = to_business(paid).date() + timedelta(days=15)
        assert set_evaluation_window(s, order) == due == order.evaluation_due_on
        assert set_evaluation_window(s, s.get(MallOrder, delivered_order_in(s))) is None
    with_session(app, work)


def delivered_order_in(s: Any) -> int:
    """An order of the demo not paid: one made here."""
    from tests.mall.settlement_support import build_order
    return build_order(s).id


def test_default_mark_after_the_window(app: Flask) -> None:
    late = paid_order(app, paid_on=utcnow() - timedelta(days=20))
    recent = paid_order(app, paid_on=utcnow() - timedelta(days=3))
    marked = paid_order(app, "zz_clerk", paid_on=utcnow() - timedelta(days=30))

    def first(s: Any) -> None:
        evaluate(s, operator(s, "zz_clerk"), marked, EvaluationInput(**MARKS))
        assert default_evaluations(s, business_today()) == 1
        s.flush()
        order = s.get(MallOrder, late)
        assert order.status == OrderStatus.completed
        row = s.scalar(select(MallEvaluation).where(MallEvaluation.order_id == late))
        assert (row.quality, row.delivery, row.service, row.after_sale) == (5, 5, 5, 5)
        assert (row.by_default, row.created_by_id, row.comment) == (True, None, DEFAULT_COMMENT)
        event = s.scalar(select(MallOrderEvent).where(MallOrderEvent.order_id == late)
                         .order_by(MallOrderEvent.id.desc()))
        assert (event.kind, event.actor_kind, event.actor_id) == ("evaluate_default", "system",
                                                                  None)
        waiting = s.get(MallOrder, recent)
        assert waiting.status == OrderStatus.paid and waiting.evaluation_due_on is not None
        assert default_evaluations(s, business_today()) == 0
        # The last day of the window is still the buyer's; the day after, the default.
        assert default_evaluations(s, waiting.evaluation_due_on) == 0
        assert default_evaluations(s, waiting.evaluation_due_on + timedelta(days=1)) == 1
    with_session(app, first)


def test_supplier_score_averages_every_mark(app: Flask) -> None:
    first, second = paid_order(app), paid_order(app, "zz_clerk")

    def work(s: Any) -> None:
        supplier_id = s.get(MallOrder, first).supplier_id
        empty = supplier_score(s, supplier_id)
        assert (empty.count, empty.quality, empty.overall) == (0, None, None)
        evaluate(s, operator(s, "pds_clerk"), first, EvaluationInput(**MARKS))
        evaluate(s, operator(s, "zz_clerk"), second, EvaluationInput(
            quality=4, delivery=4, service=4, after_sale=5))
        s.flush()
        score = supplier_score(s, supplier_id)
        assert (score.count, score.defaults) == (2, 0)
        assert (score.quality, score.delivery, score.service, score.after_sale) == (
            Decimal("4.50"), Decimal("4.00"), Decimal("3.50"), Decimal("3.50"))
        assert score.overall == Decimal("3.88")
        assert supplier_score(s, supplier_id + 1000).count == 0
    with_session(app, work)
