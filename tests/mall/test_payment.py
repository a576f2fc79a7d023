"""付款 of accepted goods, the 资金支付申请 path, due dates, reminders and the digest."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.services import reminders
from app.services.errors import AmountTooLarge, Conflict, NotFound, ValidationFailed
from app.services.mall import core, payment
from app.timezone import business_today, utcnow
from app.transaction import unit_of_work
from models import Notification, OutboxMessage, PaymentApplication, SmsMessage
from models.mall import MallOrder, MallPayment
from tests.mall.settlement_support import (
    SUCAI,
    accepted_order,
    build_order,
    confirm,
    deliver_and_accept,
    operator,
)

TOTAL = Decimal("11097.00")  # one 启天M437 (5,299.00) and two LaserJet (2,899.00 each)


def voucher(name: str = "凭证.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4 voucher"), filename=name)


def pay(app: Any, order_id: int, amount: str, username: str = "pds_clerk",
        method: str = "转账", paid_on: Any = None, file: FileStorage | None = None,
        **kwargs: Any) -> MallOrder:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            payment.record_payment(session, operator(session, username), order_id,
                                   payment.PaymentInput(method, amount, paid_on or business_today(),
                                                        file if file is not None else voucher(),
                                                        **kwargs))
        return session.get(MallOrder, order_id)


def state(app: Any, order_id: int) -> tuple[str, Decimal, list[str]]:
    with app.test_request_context():
        session = app.appbuilder.session
        order = session.get(MallOrder, order_id)
        return (order.status, payment.payable(session, order), [e.kind for e in order.events])


def test_partial_then_complete_payment(app: Any) -> None:
    order_id = accepted_order(app)
    assert state(app, order_id)[:2] == ("accepted", TOTAL)
    pay(app, order_id, "5000.00", method="公务卡")
    status, left, kinds = state(app, order_id)
    assert (status, left, kinds[-1]) == ("accepted", Decimal("6097.00"), "pay_part")
    with pytest.raises(AmountTooLarge, match="超过可付款金额6,097.00"):
        pay(app, order_id, "6097.01")
    pay(app, order_id, "6097.00", method="支票")
    status, left, kinds = state(app, order_id)
    assert (status, left, kinds[-1]) == ("paid", Decimal("0.00"), "pay")
    with app.test_request_context():
        assert app.appbuilder.session.get(MallOrder, order_id).paid_on is not None
    with pytest.raises(Conflict):
        pay(app, order_id, "1.00")


def test_rejected_quantity_does_not_hold_up_the_accepted_part(app: Any) -> None:
    order_id = accepted_order(app, accepted={0: 1, 1: 1})  # one printer rejected
    status, left, _ = state(app, order_id)
    assert (status, left) == ("accepted", Decimal("8198.00"))
    pay(app, order_id, "8198.00")
    assert state(app, order_id)[0] == "paid"


def test_accepted_part_is_payable_before_the_order_is_accepted(app: Any) -> None:
    order_id = accepted_order(app, accepted={0: 1}, final=False)
    status, left, _ = state(app, order_id)
    assert (status, left) == ("awaiting_acceptance", Decimal("5299.00"))
    pay(app, order_id, "5299.00")
    status, left, kinds = state(app, order_id)
    assert (status, left, kinds[-1]) == ("awaiting_acceptance", Decimal("0.00"), "pay_part")


def test_nothing_accepted_is_not_payable(app: Any) -> None:
    order_id = accepted_order(app, accepted={}, final=False)
    with pytest.raises(Conflict, match="尚无验收合格"):
        pay(app, order_id, "1.00")


@pytest.mark.parametrize(("field", "overrides", "message"), [
    ("method", {"method": ""}, "请选择付款方式"),
    ("method", {"method": "现金"}, "请选择付款方式"),
    ("amount", {"amount": "0"}, "付款金额"),
    ("amount", {"amount": "abc"}, "付款金额"),
    ("paid_on", {"paid_on": "2026/12/01"}, "YYYY-MM-DD"),
    ("paid_on", {"paid_on": "tomorrow"}, "YYYY-MM-DD"),
    ("voucher", {"file": FileStorage(io.BytesIO(b""), filename="")}, "请上传付款凭证"),
    ("voucher", {"file": FileStorage(io.BytesIO(b"MZ"), filename="a.pdf")}, "内容"),
])
def test_payment_input_is_checked(app: Any, field: str, overrides: dict[str, Any],
                                  message: str) -> None:
    order_id = accepted_order(app)
    args: dict[str, Any] = {"amount": "100.00", **overrides}
    with pytest.raises(ValidationFailed, match=message):
        pay(app, order_id, **args)
    assert state(app, order_id)[1] == TOTAL


def test_payment_dates(app: Any) -> None:
    order_id = accepted_order(app)
    with pytest.raises(ValidationFailed, match="不能晚于今天"):
        pay(app, order_id, "1.00", paid_on=business_today() + timedelta(days=1))
    with pytest.raises(ValidationFailed, match="不能早于验收日期"):
        pay(app, order_id, "1.00", paid_on=business_today() - timedelta(days=1))


def test_another_units_order_is_not_found(app: Any) -> None:
    order_id = accepted_order(app)
    with pytest.raises(NotFound):
        pay(app, order_id, "1.00", username="zz_clerk")


def _send(app: Any, order_id: int, amount: str) -> str:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            order = session.get(MallOrder, order_id)
            plan_id = payment.budget_plans(order)[0].id
            row = payment.send_through_budget(session, operator(session, "pds_clerk"), order_id,
                                              amount, plan_id)
            assert row.payment_application is not None
            number = row.payment_application.application_no
        return str(number)


def _report(app: Any, number: str, kind: str, amount: str, event: str) -> None:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            payment.record_budget_event(session, {
                "event_id": event, "application_no": number, "kind": kind, "amount": amount,
                "date": business_today().isoformat()})


def test_budget_path_paid(app: Any) -> None:
    order_id = accepted_order(app)
    number = _send(app, order_id, str(TOTAL))
    status, left, kinds = state(app, order_id)
    assert (status, left, kinds[-1]) == ("accepted", Decimal("0.00"), "pay_request")
    with app.test_request_context():
        session = app.appbuilder.session
        application = session.scalar(select(PaymentApplication)
                                     .where(PaymentApplication.application_no == number))
        assert application.status == "sent" and application.amount == TOTAL
        assert session.scalar(select(OutboxMessage).where(OutboxMessage.key == number))
    with pytest.raises(AmountTooLarge, match="可付款金额0.00"):
        pay(app, order_id, "1.00")  # nothing is payable while the application is under way
    _report(app, number, "paid", str(TOTAL), "evt-paid-1")
    status, left, kinds = state(app, order_id)
    assert (status, left, kinds[-1]) == ("paid", Decimal("0.00"), "pay")
    with app.test_request_context():
        row = app.appbuilder.session.scalar(select(MallPayment)
                                            .where(MallPayment.order_id == order_id))
        assert row.paid_on == business_today() and row.method == "资金支付申请"
    _report(app, number, "paid", str(TOTAL), "evt-paid-1")  # a repeat changes nothing
    assert state(app, order_id)[0] == "paid"


def test_budget_path_returned(app: Any) -> None:
    order_id = accepted_order(app)
    number = _send(app, order_id, "3000.00")
    assert state(app, order_id)[1] == Decimal("8097.00")
    _report(app, number, "returned", "3000.00", "evt-returned-1")
    status, left, kinds = state(app, order_id)
    assert (status, left, kinds[-1]) == ("accepted", TOTAL, "pay_returned")
    with app.test_request_context():
        count = app.appbuilder.session.scalar(select(func.count(MallPayment.id))
                                              .where(MallPayment.order_id == order_id))
        assert count == 0


def test_budget_path_over_payable(app: Any) -> None:
    order_id = accepted_order(app)
    with pytest.raises(AmountTooLarge):
        _send(app, order_id, "11097.01")


def _order_with(app: Any, supplier: str, delivered_ago: int, accepted_ago: int) -> date:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            order = build_order(session, supplier_code=supplier)
            confirm(session, order)
            now = utcnow()
            deliver_and_accept(session, order, delivered_on=now - timedelta(days=delivered_ago),
                               accepted_on=now - timedelta(days=accepted_ago))
        assert order.payment_due_on is not None
        return order.payment_due_on


def test_due_date_takes_the_earliest_rule(app: Any) -> None:
    today = business_today()
    # SME: 30 days from delivery (20 days before acceptance) is earlier than 45 from acceptance.
    assert _order_with(app, SUCAI, 20, 0) == today + timedelta(days=10)
    # SME delivered on acceptance day: 30 days from delivery still earlier.
    assert _order_with(app, SUCAI, 0, 0) == today + timedelta(days=30)
    # Not an SME: 45 days from acceptance.
    assert _order_with(app, "91410100MA470A1B25", 20, 0) == today + timedelta(days=45)


def _remind(app: Any, day: date) -> int:
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            return payment.remind_payments(session, datetime.combine(day, time(1, 0)))


def _messages(app: Any, order_no: str) -> list[str]:
    with app.test_request_context():
        session = app.appbuilder.session
        return list(session.scalars(select(Notification.kind).where(
            Notification.title.contains(order_no), Notification.kind.like("mall_payment%"))
            .order_by(Notification.id)))


def test_reminders_before_on_and_overdue_exactly_once(app: Any) -> None:
    order_id = accepted_order(app)
    with app.test_request_context():
        order = app.appbuilder.session.get(MallOrder, order_id)
        due, number = order.payment_due_on, order.order_no
    assert due == business_today() + timedelta(days=45)
    assert _remind(app, due - timedelta(days=6)) == 0
    assert _remind(app, due - timedelta(days=5)) == 1
    assert _remind(app, due - timedelta(days=5)) == 0
    assert _remind(app, due - timedelta(days=2)) == 0
    assert _remind(app, due) == 1
    assert _remind(app, due) == 0
    assert _remind(app, due + timedelta(days=1)) == 1
    assert _remind(app, due + timedelta(days=9)) == 0
    kinds = _messages(app, number)
    # The creator is one of the unit's clerks: one message per stage.
    assert kinds == ["mall_payment_before", "mall_payment_due", "mall_payment_overdue"]
    status, _, events = state(app, order_id)
    assert events.count("reminder") == 3
    with app.test_request_context():
        session = app.appbuilder.session
        sms = session.scalars(select(SmsMessage.body).where(SmsMessage.purpose == "mall_payment"))
        assert len([b for b in sms if number in b]) == 3


def test_a_late_scan_sends_only_the_current_reminder(app: Any) -> None:
    order_id = accepted_order(app)
    with app.test_request_context():
        order = app.appbuilder.session.get(MallOrder, order_id)
        due, number = order.payment_due_on, order.order_no
    assert _remind(app, due + timedelta(days=3)) == 1
    assert _remind(app, due + timedelta(days=4)) == 0
    assert _messages(app, number) == ["mall_payment_overdue"]


def test_paid_orders_are_not_reminded(app: Any) -> None:
    order_id = accepted_order(app)
    pay(app, order_id, str(TOTAL))
    with app.test_request_context():
        due = app.appbuilder.session.get(MallOrder, order_id).payment_due_on
    assert _remind(app, due) == 0


def test_overdue_orders_in_the_supervision_digest(app: Any) -> None:
    order_id = accepted_order(app)
    with app.test_request_context():
        session = app.appbuilder.session
        order = session.get(MallOrder, order_id)
        due, unit_name = order.payment_due_on, order.unit.name
    later = datetime.combine(due + timedelta(days=2), time(1, 0))
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            assert reminders.overdue_digest(session, later, extra=payment.overdue_by_unit) >= 1
        sup = operator(session, "pds_sup_first")
        note = session.scalar(select(Notification).where(
            Notification.recipient_id == sup.id, Notification.kind.like("digest:%")))
        assert "1笔网上商城订单逾期未付款" in note.title
        assert f"{unit_name}·网上商城订单逾期未付款：1笔" in note.body
        other = operator(session, "zz_sup_first")
        assert session.scalar(select(Notification).where(
            Notification.recipient_id == other.id, Notification.kind.like("digest:%"),
            Notification.title.contains("网上商城"))) is None


def test_pay_page(app: Any, login_as: Callable[..., Any]) -> None:
    order_id = accepted_order(app)
    web = login_as("pds_clerk")
    page = web.get(f"/mall/orders/{order_id}/pay")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="11097.00"' in text and '<option value="">请选择</option>' in text
    assert "通过资金支付申请付款" in text
    refused = web.submit(f"/mall/orders/{order_id}/pay", {
        "mode": "record", "method": "转账", "amount": "99999", "paid_on":
            business_today().isoformat(), "version": str(state_version(app, order_id)),
        "voucher": (io.BytesIO(b"%PDF-1.4 v"), "凭证.pdf")})
    assert refused.status_code == 200 and "超过可付款金额" in refused.get_data(as_text=True)
    done = web.submit(f"/mall/orders/{order_id}/pay", {
        "mode": "record", "method": "转账", "amount": "11097.00", "paid_on":
            business_today().isoformat(), "version": str(state_version(app, order_id)),
        "voucher": (io.BytesIO(b"%PDF-1.4 v"), "凭证.pdf")})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/mall/orders/{order_id}")
    assert state(app, order_id)[0] == "paid"
    with app.test_request_context():
        row_id = app.appbuilder.session.scalar(select(MallPayment.id)
                                               .where(MallPayment.order_id == order_id))
    assert web.get(f"/mall/payments/{row_id}/voucher").status_code == 200
    assert login_as("zz_clerk").get(f"/mall/payments/{row_id}/voucher").status_code == 404
    assert login_as("zz_clerk").get(f"/mall/orders/{order_id}/pay").status_code == 404
    assert web.get("/mall/orders/99999999999/pay").status_code == 404


def test_pay_page_budget_form(app: Any, login_as: Callable[..., Any]) -> None:
    order_id = accepted_order(app)
    web = login_as("pds_clerk")
    blank = web.submit(f"/mall/orders/{order_id}/pay", {
        "mode": "budget", "budget_amount": "100.00", "spending_plan_id": "",
        "version": str(state_version(app, order_id))})
    assert blank.status_code == 200 and "请选择本合同使用的用款计划" in blank.get_data(as_text=True)
    with app.test_request_context():
        order = app.appbuilder.session.get(MallOrder, order_id)
        plan_id = payment.budget_plans(order)[0].id
    sent = web.submit(f"/mall/orders/{order_id}/pay", {
        "mode": "budget", "budget_amount": "100.00", "spending_plan_id": str(plan_id),
        "version": str(state_version(app, order_id))})
    assert sent.status_code == 302
    assert state(app, order_id)[1] == TOTAL - Decimal("100.00")


def state_version(app: Any, order_id: int) -> int:
    with app.test_request_context():
        return int(app.appbuilder.session.get(MallOrder, order_id).version)


def test_due_date_of_the_core_rule_without_acceptance(app: Any) -> None:
    with app.test_request_context():
        session = app.appbuilder.session
        order = MallOrder(accepted_on=None)
        assert core.payment_due_on(order, core.policy_for(session, None)) is None
