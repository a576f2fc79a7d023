"""验收 and 售后: quantities answered per line, the order's move, after-sale cases and their end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.services.errors import Conflict, NotFound, NotInScope, ServiceError, ValidationFailed
from app.services.mall import room
from app.services.mall.acceptance import (
    AcceptanceInput,
    accept,
    can_accept,
    resolve_after_sale,
    unit_cases,
)
from app.timezone import to_business
from models.mall import AfterSaleCase, MallAcceptance, MallOrder, MallOrderEvent, OrderStatus
from tests.mall.acceptance_support import SUCAI, delivered_order, pdf, with_session
from tests.mall.settlement_support import operator


def answer(order: MallOrder, *rows: tuple[int, int, str]) -> dict[int, tuple[Any, Any, str]]:
    """{line id: (accepted, rejected, reason)} for the order's lines in order."""
    return {line.id: row for line, row in zip(order.lines, rows, strict=False)}


def run(app: Flask, order_id: int, work: Any, username: str = "pds_clerk") -> Any:
    """``work(session, clerk, order)`` in one unit of work."""
    return with_session(app, lambda s: work(s, operator(s, username), s.get(MallOrder, order_id)))


def kinds(session: Any, order_id: int) -> list[str]:
    return list(session.scalars(select(MallOrderEvent.kind).where(
        MallOrderEvent.order_id == order_id).order_by(MallOrderEvent.id)))


def test_full_acceptance_sets_the_due_date_and_moves_to_accepted(app: Flask) -> None:
    """Everything accepted at once: 已验收, accepted_on, payment due (SME: 30 days of
    delivery is earlier than 45 of acceptance), one record with its lines and event."""
    order_id = delivered_order(app, supplier_code=SUCAI)

    def work(s: Any, clerk: Any, order: MallOrder) -> None:
        assert order.delivered_on is not None
        order.delivered_on = order.delivered_on - timedelta(days=20)
        record = accept(s, clerk, order.id, AcceptanceInput(
            "onsite", "外观完好，运行正常", answer(order, (1, 0, ""), (2, 0, "")),
            file=pdf(), version=order.version))
        s.flush()
        assert order.status == OrderStatus.accepted
        assert [(x.accepted_qty, x.rejected_qty) for x in record.lines] == [(1, 0), (2, 0)]
        assert record.file_name == "验收单.pdf" and record.file_path
        assert [(x.accepted_qty, x.rejected_qty) for x in order.lines] == [(1, 0), (2, 0)]
        assert order.delivered_on is not None
        delivered = to_business(order.delivered_on).date()
        assert order.payment_due_on == delivered + timedelta(days=30)
        assert order.accepted_on is not None
        assert kinds(s, order.id)[-1] == "accept"
        event = s.scalar(select(MallOrderEvent).where(MallOrderEvent.order_id == order.id)
                         .order_by(MallOrderEvent.id.desc()))
        assert event.note.startswith("现场验收：") and event.actor_id == clerk.id
        assert not can_accept(order)
    run(app, order_id, work)


def test_rejected_quantity_opens_an_after_sale_case_and_does_not_hold_up_acceptance(
        app: Flask) -> None:
    order_id = delivered_order(app)

    def work(s: Any, clerk: Any, order: MallOrder) -> None:
        accept(s, clerk, order.id, AcceptanceInput(
            "sampling", "", answer(order, (1, 0, ""), (1, 1, "硒鼓漏粉"))))
        s.flush()
        assert order.status == OrderStatus.accepted  # every delivered quantity answered
        assert order.payment_due_on is not None
        case = s.scalar(select(AfterSaleCase).where(AfterSaleCase.order_id == order.id))
        assert (case.quantity, case.reason, case.status) == (1, "硒鼓漏粉", "open")
        assert case.order_line_id == order.lines[1].id
        assert kinds(s, order.id)[-2:] == ["accept", "after_sale"]
        assert list(s.scalars(unit_cases(clerk, "open"))) == [case]
        assert list(s.scalars(unit_cases(operator(s, "zz_clerk")))) == []
    run(app, order_id, work)


def test_acceptance_in_steps_and_while_part_is_still_on_its_way(app: Flask) -> None:
    """Two printers delivered of two, no computer yet: 配送中 accepts what arrived."""
    order_id = delivered_order(app, delivered={1: 2})

    def step(s: Any, clerk: Any, order: MallOrder) -> None:
        assert order.status == OrderStatus.shipping and can_accept(order)
        accept(s, clerk, order.id, AcceptanceInput("receipt", "", answer(order, (0, 0, ""),
                                                                         (1, 0, ""))))
        assert order.status == OrderStatus.shipping
        with pytest.raises(ValidationFailed) as refused:
            accept(s, clerk, order.id, AcceptanceInput("receipt", "", answer(
                order, (1, 0, ""), (0, 0, ""))))
        assert refused.value.code == "mall_acceptance_too_many"
    run(app, order_id, step)

    def arrive(s: Any, clerk: Any, order: MallOrder) -> None:
        order.lines[0].delivered_qty = 1
        from app.services.mall import core
        from models.mall import ActorKind
        core.move(s, order, "deliver", ActorKind.supplier, None)
        accept(s, clerk, order.id, AcceptanceInput("onsite", "", answer(order, (1, 0, ""))))
        assert order.status == OrderStatus.awaiting_acceptance  # one printer unanswered
        accept(s, clerk, order.id, AcceptanceInput("onsite", "", answer(order, (0, 0, ""),
                                                                        (1, 0, ""))))
        assert order.status == OrderStatus.accepted
        assert kinds(s, order.id)[-4:] == ["accept_part", "deliver", "accept_part", "accept"]
        assert len(s.scalars(select(MallAcceptance).where(
            MallAcceptance.order_id == order.id)).all()) == 3
    run(app, order_id, arrive)


@pytest.mark.parametrize(("data", "code", "field"), [
    (dict(method=""), "mall_acceptance_method", "method"),
    (dict(method="burn"), "mall_acceptance_method", "method"),
    (dict(rows=((0, 0, ""), (0, 0, ""))), "mall_acceptance_empty", None),
    (dict(rows=((2, 0, ""),)), "mall_acceptance_too_many", "accepted_{0}"),
    (dict(rows=((1, 1, ""),)), "mall_acceptance_too_many", "accepted_{0}"),
    (dict(rows=((0, 1, " "),)), "mall_acceptance_reason", "reason_{0}"),
    (dict(rows=(("abc", 0, ""),)), "invalid", "accepted_{0}"),
    (dict(rows=((-1, 0, ""),)), "invalid", "accepted_{0}"),
    (dict(rows=(("99999999999999999999", 0, ""),)), "invalid", "accepted_{0}"),
    (dict(rows=((True, 0, ""),)), "invalid", "accepted_{0}"),
    (dict(rows=((0, 1, "坏\x00"),)), "invalid", "reason_{0}"),
    (dict(note="长" * 2001), "invalid", "note"),
])
def test_refusals_change_nothing(app: Flask, data: dict[str, Any], code: str,
                                 field: str | None) -> None:
    order_id = delivered_order(app)

    def work(s: Any, clerk: Any, order: MallOrder) -> None:
        rows = data.get("rows", ((1, 0, ""),))
        with pytest.raises(ValidationFailed) as refused:
            accept(s, clerk, order.id, AcceptanceInput(
                data.get("method", "onsite"), data.get("note", ""), answer(order, *rows)))
        assert refused.value.code == code
        assert refused.value.field == (field.format(order.lines[0].id) if field else None)
        assert order.status == OrderStatus.awaiting_acceptance
        assert [line.accepted_qty for line in order.lines] == [0, 0]
    run(app, order_id, work)


def test_scope_state_version_and_file_refusals(app: Flask) -> None:
    order_id = delivered_order(app)
    other_id = delivered_order(app, "zz_clerk")

    def work(s: Any, clerk: Any, order: MallOrder) -> None:
        other = s.get(MallOrder, other_id)
        ok = answer(order, (1, 0, ""))
        for refused_id in (other_id, 2**31, "1", None, True):
            with pytest.raises(NotFound):
                accept(s, clerk, refused_id, AcceptanceInput("onsite", "", ok))
        with pytest.raises(NotInScope):
            accept(s, clerk, order.id, AcceptanceInput("onsite", "", {other.lines[0].id: (
                1, 0, "")}))
        with pytest.raises(NotInScope):
            accept(s, clerk, order.id, AcceptanceInput("onsite", "", {"x": (1, 0, "")}))
        with pytest.raises(Conflict) as stale:
            accept(s, clerk, order.id, AcceptanceInput("onsite", "", ok, version=-1))
        assert stale.value.code == "mall_stale"
        with pytest.raises(ValidationFailed):
            accept(s, clerk, order.id, AcceptanceInput("onsite", "", ok, file=pdf("a.exe")))
        with pytest.raises(ServiceError):
            accept(s, operator(s, "91410100MA470A1B25"), order.id,
                   AcceptanceInput("onsite", "", ok))
        order.status = OrderStatus.confirmed
        with pytest.raises(Conflict) as state:
            accept(s, clerk, order.id, AcceptanceInput("onsite", "", ok))
        assert state.value.code == "mall_state" and "已确认" in state.value.message
        assert not can_accept(order)
    run(app, order_id, work)


def rejected_case(app: Flask, rejected: int = 1) -> tuple[int, int]:
    """An accepted order with ``rejected`` printers rejected; (order id, case id)."""
    order_id = delivered_order(app)

    def work(s: Any, clerk: Any, order: MallOrder) -> int:
        accept(s, clerk, order.id, AcceptanceInput("onsite", "", answer(
            order, (1, 0, ""), (2 - rejected, rejected, "屏幕划伤"))))
        s.flush()
        return s.scalar(select(AfterSaleCase.id).where(AfterSaleCase.order_id == order.id))
    return order_id, run(app, order_id, work)


def test_replaced_goods_become_accepted(app: Flask) -> None:
    order_id, case_id = rejected_case(app)

    def work(s: Any, clerk: Any, order: MallOrder) -> None:
        case = resolve_after_sale(s, clerk, case_id, "replaced", "已换新机")
        line = order.lines[1]
        assert (line.accepted_qty, line.rejected_qty, line.returned_qty) == (2, 0, 0)
        assert (case.status, case.resolution, case.note) == ("closed", "replaced", "已换新机")
        assert case.resolved_on is not None
        assert kinds(s, order.id)[-1] == "after_sale"
        with pytest.raises(Conflict) as again:
            resolve_after_sale(s, clerk, case_id, "returned")
        assert again.value.code == "mall_after_sale_closed"
    run(app, order_id, work)


def test_returned_goods_release_the_plan_room(app: Flask) -> None:
    order_id, case_id = rejected_case(app, rejected=2)

    def work(s: Any, clerk: Any, order: MallOrder) -> None:
        line = order.lines[1]
        before = room.room_of(s, line.plan_item)
        resolve_after_sale(s, clerk, case_id, "returned", "")
        s.flush()
        after = room.room_of(s, line.plan_item)
        assert (line.accepted_qty, line.rejected_qty, line.returned_qty) == (0, 2, 2)
        assert after.bought_qty == before.bought_qty - 2
        assert after.bought_amount == before.bought_amount - 2 * line.unit_price
    run(app, order_id, work)


def test_settled_needs_a_note_and_scope_is_checked(app: Flask) -> None:
    order_id, case_id = rejected_case(app)

    def work(s: Any, clerk: Any, order: MallOrder) -> None:
        for resolution in ("", "burn"):
            with pytest.raises(ValidationFailed) as bad:
                resolve_after_sale(s, clerk, case_id, resolution, "x")
            assert bad.value.field == "resolution"
        with pytest.raises(ValidationFailed) as note:
            resolve_after_sale(s, clerk, case_id, "settled", "  ")
        assert note.value.code == "mall_after_sale_note"
        for wrong in (case_id + 1000, "1", None, 2**40):
            with pytest.raises(NotFound):
                resolve_after_sale(s, clerk, wrong, "settled", "x")
        with pytest.raises(NotFound):
            resolve_after_sale(s, operator(s, "zz_clerk"), case_id, "settled", "x")
        case = resolve_after_sale(s, clerk, case_id, "settled", "供应商补偿200元")
        line = order.lines[1]
        assert (line.accepted_qty, line.rejected_qty, line.returned_qty) == (1, 1, 0)
        assert case.status == "closed"
    run(app, order_id, work)
