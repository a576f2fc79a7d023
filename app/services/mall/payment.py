"""付款 of accepted goods: recorded by the buyer (公务卡, 转账, 支票) or through a 资金支付申请,
the payment due date's reminders, and the overdue orders the supervision digest lists.

What may be paid is what was accepted: Σ accepted × unit price, less what was paid and what a
支付申请 under way holds. Rejected quantities (after-sale) never hold up the accepted part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.services import payments
from app.services.errors import AmountTooLarge, Conflict, ValidationFailed
from app.services.files import store_upload
from app.services.mall import core, states
from app.services.money import CENT, ZERO, format_money, parse_money
from app.services.notifications import QUIET, SMS_PREFIX, holders, notify
from app.services.sms import queue_sms
from app.timezone import business_today, to_business, utcnow
from models import Operator, PaymentApplication, Unit
from models.mall import (
    ActorKind,
    AfterSaleCase,
    MallAcceptance,
    MallOrder,
    MallPayment,
    OrderStatus,
)
from models.values import id_in_text, valid_id

METHODS = {"公务卡": "公务卡", "转账": "转账", "支票": "支票"}
BUDGET_METHOD = "资金支付申请"
VOUCHER = "付款凭证"
CLERK = "clerk"
# Orders that may be paid: accepted in full, or partly accepted while the rest is on its way.
PAYABLE = frozenset({OrderStatus.accepted, OrderStatus.awaiting_acceptance,
                     OrderStatus.shipping})
# The reminders of one due date, in the order they come (order.payment_reminded keeps them).
STAGES = ("before", "due", "overdue")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class PaymentInput:
    """付款 as typed: method (公务卡/转账/支票), amount, date paid (YYYY-MM-DD), voucher."""

    method: str
    amount: Any
    paid_on: Any
    voucher: FileStorage | None = None
    version: int | None = None


def accepted_amount(order: MallOrder) -> Decimal:
    """验收合格金额: Σ accepted quantity × unit price."""
    return sum((line.unit_price * line.accepted_qty for line in order.lines), ZERO).quantize(CENT)


def paid_amount(session: Session, order: MallOrder) -> Decimal:
    """已付款金额: payments with a date paid (a 支付申请 under way has none)."""
    total = session.scalar(select(func.coalesce(func.sum(MallPayment.amount), 0)).where(
        MallPayment.order_id == order.id, MallPayment.paid_on.is_not(None)))
    return Decimal(str(total or 0)).quantize(CENT)


def pending_amount(session: Session, order: MallOrder) -> Decimal:
    """支付中金额: 资金支付申请 sent and not yet reported paid."""
    total = session.scalar(select(func.coalesce(func.sum(MallPayment.amount), 0)).where(
        MallPayment.order_id == order.id, MallPayment.paid_on.is_(None)))
    return Decimal(str(total or 0)).quantize(CENT)


def payable(session: Session, order: MallOrder) -> Decimal:
    """可付款金额 = 验收合格金额 − 已付款 − 支付中 (never below zero)."""
    left = accepted_amount(order) - paid_amount(session, order) - pending_amount(session, order)
    return max(left, ZERO)


def order_payments(session: Session, order: MallOrder) -> list[MallPayment]:
    """The order's payments, oldest first."""
    return list(session.scalars(select(MallPayment).where(MallPayment.order_id == order.id)
                                .order_by(MallPayment.id)))


def can_pay(session: Session, order: MallOrder) -> bool:
    """Whether 付款 applies now: a payable status and something accepted left to pay."""
    return order.status in PAYABLE and payable(session, order) > ZERO


def _payable_order(session: Session, actor: Operator | None, order_id: Any,
                   version: int | None) -> MallOrder:
    order = core.lock_order(session, core.buyer_order(session, actor, order_id))
    if version is not None and version != order.version:
        raise Conflict("订单已被他人处理或已变化，请刷新后重试。", code="mall_stale")
    if order.status not in PAYABLE:
        raise Conflict(states.refusal("pay", order.status), code="mall_state")
    if accepted_amount(order) <= ZERO:
        raise Conflict("订单尚无验收合格的货物，不能付款。", code="mall_nothing_accepted")
    return order


def _amount(session: Session, order: MallOrder, value: Any) -> Decimal:
    amount = parse_money(value, "付款金额", positive=True, field="amount")
    left = payable(session, order)
    if amount > left:
        raise AmountTooLarge(f"付款金额{format_money(amount)}超过可付款金额{format_money(left)}"
                             "（验收合格金额减已付款和支付中金额）。", field="amount",
                             code="mall_pay_too_much")
    return amount


def _first_acceptance(session: Session, order: MallOrder) -> date | None:
    first = session.scalar(select(func.min(MallAcceptance.accepted_on))
                           .where(MallAcceptance.order_id == order.id))
    times = [t for t in (first, order.accepted_on) if t is not None]
    return to_business(min(times)).date() if times else None


def _paid_on(session: Session, order: MallOrder, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    else:
        text = str(value or "").strip()
        if not text:
            raise ValidationFailed("请填写付款日期。", field="paid_on", code="mall_pay_date")
        try:
            if not ISO_DATE.match(text):
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise ValidationFailed("付款日期格式应为 YYYY-MM-DD。", field="paid_on",
                                   code="mall_pay_date") from exc
    if day > business_today():
        raise ValidationFailed("付款日期不能晚于今天。", field="paid_on", code="mall_pay_date")
    accepted = _first_acceptance(session, order)
    if accepted is not None and day < accepted:
        raise ValidationFailed(f"付款日期不能早于验收日期{accepted.isoformat()}。",
                               field="paid_on", code="mall_pay_date")
    return day


def fully_paid(session: Session, order: MallOrder) -> bool:
    """已付款 applies: an accepted order whose accepted amount (something was accepted) is paid,
    with no 支付申请 under way and no 售后 case open (a 换货 would add to what is payable)."""
    accepted = accepted_amount(order)
    return (order.status == OrderStatus.accepted and accepted > ZERO
            and pending_amount(session, order) == ZERO
            and paid_amount(session, order) >= accepted
            and session.scalar(select(func.count(AfterSaleCase.id)).where(
                AfterSaleCase.order_id == order.id, AfterSaleCase.status == "open")) == 0)


def close_if_paid(session: Session, order: MallOrder, actor_kind: ActorKind,
                  actor: Operator | None) -> bool:
    """Move an accepted order paid in full to 已付款 (after a 售后 case closes, or by the job).

    :returns: whether it moved
    """
    if not fully_paid(session, order):
        return False
    order.paid_on = utcnow()
    core.move(session, order, "pay", actor_kind, actor, "验收合格金额已全部付清")
    return True


def settle(session: Session, order: MallOrder, actor_kind: ActorKind,
           actor: Operator | None, note: str) -> None:
    """After a payment: 已付款 (``pay``) when :func:`fully_paid`, else ``pay_part`` (the
    status stays)."""
    done = fully_paid(session, order)
    if done:
        order.paid_on = utcnow()
    core.move(session, order, "pay" if done else "pay_part", actor_kind, actor, note)


def record_payment(session: Session, actor: Operator | None, order_id: Any,
                   data: PaymentInput) -> MallPayment:
    """付款: the buyer records a payment made by 公务卡, 转账 or 支票, with its voucher.

    :raises NotFound: the order is not the actor's unit's
    :raises Conflict: the order may not be paid now (``mall_state``), nothing was accepted, or
        it changed meanwhile (``mall_stale``)
    :raises ValidationFailed: no method, a bad date (future, before acceptance), no voucher
    :raises AmountTooLarge: the amount is over what is payable (``mall_pay_too_much``)
    """
    order = _payable_order(session, actor, order_id, data.version)
    assert actor is not None  # buyer_order refuses an actor without a unit
    method = str(data.method or "").strip()
    if method not in METHODS:
        raise ValidationFailed("请选择付款方式。", field="method", code="mall_pay_method")
    amount = _amount(session, order, data.amount)
    paid_on = _paid_on(session, order, data.paid_on)
    if data.voucher is None or not data.voucher.filename:
        raise ValidationFailed(f"请上传{VOUCHER}。", field="voucher", code="mall_pay_voucher")
    saved = store_upload(data.voucher, VOUCHER)
    row = MallPayment(order=order, method=method, amount=amount, paid_on=paid_on,
                      voucher_path=saved.path, voucher_name=saved.name,
                      recorded_by_id=actor.id, created_on=utcnow())
    session.add(row)
    session.flush()
    settle(session, order, ActorKind.buyer, actor,
           f"{method}付款{format_money(amount)}（{paid_on.isoformat()}）")
    return row


def budget_plans(order: MallOrder) -> list[Any]:
    """The 用款计划 a 资金支付申请 of the order may use: its contract's (none: own funds)."""
    if order.contract is None:
        return []
    return [funding.spending_plan for funding in order.contract.fundings]


def send_through_budget(session: Session, actor: Operator | None, order_id: Any, amount: Any,
                        spending_plan_id: Any, version: int | None = None) -> MallPayment:
    """通过资金支付申请付款: a 支付申请 of the order's contract sent to the budget system (the
    existing outbox path); the payment counts as 支付中 until the budget system reports it.

    :raises NotFound: the order is not the actor's unit's
    :raises Conflict: as :func:`record_payment`, or the order has no contract
    :raises AmountTooLarge: over what is payable
    :raises ValidationFailed: from the 支付申请's rules (用款计划, its bound)
    """
    order = _payable_order(session, actor, order_id, version)
    assert actor is not None
    if order.contract_id is None:
        raise Conflict("订单尚无合同，不能申请支付。", code="mall_no_contract")
    value = _amount(session, order, amount)
    plans = {plan.id for plan in budget_plans(order)}
    chosen = (spending_plan_id if valid_id(spending_plan_id)
              else id_in_text(str(spending_plan_id or "").strip()))
    if plans and chosen not in plans:
        raise ValidationFailed("请选择本合同使用的用款计划。", field="spending_plan_id",
                               code="mall_pay_spending_plan")
    application = payments.save_payment(session, actor, {
        "contract_id": order.contract_id, "spending_plan_id": chosen if plans else None,
        "amount": str(value), "pay_to_migrant": False}, for_mall=True)
    payments.send_payment(session, application, actor, for_mall=True)
    row = MallPayment(order=order, method=BUDGET_METHOD, amount=value, paid_on=None,
                      payment_application=application, recorded_by_id=actor.id,
                      created_on=utcnow())
    session.add(row)
    core.event(session, order, "pay_request", ActorKind.buyer, actor,
               f"提交资金支付申请{application.application_no}，金额{format_money(value)}")
    return row


def budget_reported(session: Session, application: PaymentApplication, kind: str,
                    on: date) -> None:
    """The budget system reported a 支付申请 of a mall order: paid → the payment is dated and
    the order moves; returned → the payment is voided, its amount payable again."""
    row = session.scalar(select(MallPayment).where(
        MallPayment.payment_application_id == application.id))
    if row is None:
        return
    order = row.order
    core.lock_order(session, order)
    if kind == "paid" and row.paid_on is None:
        row.paid_on = on
        note = f"资金支付申请{application.application_no}已支付{format_money(row.amount)}"
        if states.allowed("pay_part", order.status):
            settle(session, order, ActorKind.system, None, note)
        else:
            core.event(session, order, "pay_part", ActorKind.system, None, note)
    elif kind == "returned" and row.paid_on is None:
        core.event(session, order, "pay_returned", ActorKind.system, None,
                   f"资金支付申请{application.application_no}被退回，"
                   f"{format_money(row.amount)}恢复为可付款")
        session.delete(row)


# --- due dates -----------------------------------------------------------------------------

def _stage(today: date, due: date, before_days: int) -> str | None:
    if today > due:
        return "overdue"
    if today == due:
        return "due"
    if today >= due - timedelta(days=before_days):
        return "before"
    return None


def _reminded(order: MallOrder) -> set[str]:
    """The stages already sent for the order's current due date."""
    stamp, _, sent = (order.payment_reminded or "").partition(":")
    if order.payment_due_on is None or stamp != order.payment_due_on.isoformat():
        return set()
    return {s for s in sent.split(",") if s in STAGES}


def _title(order: MallOrder, stage: str, due: date, today: date) -> str:
    what = f"网上商城订单{order.order_no}"
    if stage == "before":
        return f"付款提醒：{what}应于{due.isoformat()}前付款，还有{(due - today).days}天"
    if stage == "due":
        return f"付款提醒：{what}今天（{due.isoformat()}）到期，请及时付款"
    return f"付款逾期：{what}已超过付款期限{due.isoformat()}，请尽快付款"


def remind_payments(session: Session, now: datetime | None = None) -> int:
    """付款提醒: for accepted unpaid orders, before the due date (the region's
    ``remind_days_before``), on the day and once overdue; each once per due date.

    The creator and the unit's clerks get a 消息中心 message (and an SMS when
    MALL_PAYMENT_SMS is on). An accepted order already paid in full is moved to 已付款.
    Returns the orders reminded. The caller commits.
    """
    today = to_business(now or utcnow()).date()
    orders = core.locked(session, select(MallOrder).where(
        MallOrder.status == OrderStatus.accepted, MallOrder.payment_due_on.is_not(None))
        .order_by(MallOrder.id))
    by_sms = bool(current_app.config.get("MALL_PAYMENT_SMS", True)) \
        and not current_app.extensions.get(QUIET)
    sent = 0
    for order in orders:
        if payable(session, order) == ZERO:
            close_if_paid(session, order, ActorKind.system, None)
            continue
        due = order.payment_due_on
        assert due is not None
        stage = _stage(today, due, core.policy_for(session, order.unit.region_id)
                       .remind_days_before)
        done = _reminded(order)
        if stage is None or stage in done:
            continue
        title = _title(order, stage, due, today)
        people = {order.created_by_id: order.created_by}
        people.update({p.id: p for p in holders(session, order.unit_id, CLERK)})
        for person in people.values():
            notify(session, person, f"mall_payment_{stage}", title, f"/mall/orders/{order.id}")
            if by_sms and person.phone:
                queue_sms(session, person.phone, "mall_payment",
                          f"{SMS_PREFIX}{person.first_name}，{title}。请登录系统查看。")
        # Earlier stages missed (the job was down) are not sent late in a burst.
        done |= set(STAGES[:STAGES.index(stage) + 1])
        order.payment_reminded = (f"{due.isoformat()}:"
                                  + ",".join(s for s in STAGES if s in done))
        core.event(session, order, "reminder", ActorKind.system, None, title)
        sent += 1
    return sent


def overdue_by_unit(session: Session, region_id: int, today: date) -> list[tuple[str, int]]:
    """(unit name, orders) of the region's accepted orders past their payment due date."""
    rows = session.execute(
        select(Unit.name, func.count(MallOrder.id)).join(Unit, MallOrder.unit_id == Unit.id)
        .where(Unit.region_id == region_id, core.payment_overdue(today))
        .group_by(Unit.name).order_by(Unit.name)).all()
    return [(name, int(count)) for name, count in rows]


def record_budget_event(session: Session, data: dict[str, Any]) -> payments.CallbackResult:
    """The budget system's callback: the event applied to its 支付申请, and to the mall order
    it pays, if any (:func:`budget_reported`).

    :raises ValidationFailed: as :func:`app.services.payments.record_event`
    """
    return payments.record_event(session, data, budget_reported)
