"""资金支付申请: amount rules, 支付申请 through the outbox, and the budget system's callbacks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.base import without_autoflush
from app.services.errors import NotEditable, NotFound, ValidationFailed
from app.services.ledger import requested_for
from app.services.money import ZERO, format_money, parse_money
from app.services.outbox import enqueue
from app.services.records import (
    claim,
    clerk_of,
    delete_record,
    own_record,
    save_record,
)
from app.timezone import business_today, utcnow
from models import (
    Contract,
    MigrantAccount,
    Operator,
    PaymentApplication,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
)
from models.mall import MallOrder
from models.payments import PAYMENT_TOPIC
from workflow import Status

EVENT_KINDS = {PaymentEventKind.paid: "已支付", PaymentEventKind.returned: "退回",
               PaymentEventKind.refunded: "退款"}
# The status a reported event gives its application (a refund leaves it as it is).
STATUS_AFTER = {PaymentEventKind.paid: PaymentStatus.paid,
                PaymentEventKind.returned: PaymentStatus.returned}


@without_autoflush
def prepare_payment(session: Session, item: PaymentApplication, actor: Operator | None,
                    creating: bool, *, for_mall: bool = False) -> None:
    """本次申请支付金额 + 已申请支付金额 ≤ 本合同拟使用用款计划金额, per 用款计划.

    :param for_mall: the 网上商城 order's 付款 sends it (a mall contract is paid there only,
        where what was accepted and paid is known)
    :raises ValidationFailed: with both amounts and the bound in the message
    """
    clerk = claim(item, actor, creating)
    if item.status != PaymentStatus.draft:
        raise ValidationFailed("支付申请已发送，不能修改。")
    contract = own_record(session, Contract, item.contract_id, clerk.unit_id, "合同", "contract")
    if contract.status not in (Status.in_review, Status.completed):
        raise ValidationFailed("合同须先备案及公告，才能申请支付。")
    if not for_mall and session.scalar(select(MallOrder.id).where(
            MallOrder.contract_id == contract.id)) is not None:
        raise ValidationFailed("网上商城订单的合同请在该订单的付款页面申请支付。", field="contract")
    item.contract = contract
    item.amount = parse_money(item.amount, "本次申请支付金额", positive=True, field="amount")
    fundings = {f.spending_plan_id: f for f in contract.fundings}
    if fundings:
        named = item.spending_plan_id or (item.spending_plan.id if item.spending_plan else None)
        funding = fundings.get(named) if named is not None else None
        if funding is None:
            raise ValidationFailed("请选择本合同使用的用款计划。")
        item.spending_plan_id = funding.spending_plan_id
        done = requested_for(session, contract.id, funding.spending_plan_id, item.id)
        if done + item.amount > funding.amount:
            raise ValidationFailed(
                f"本次申请支付金额{format_money(item.amount)}加已申请支付金额{format_money(done)}超过"
                f"本合同拟使用用款计划金额{format_money(funding.amount)}。")
    else:
        item.spending_plan_id = None
        done = requested_for(session, contract.id, None, item.id)
        if done + item.amount > contract.amount:
            raise ValidationFailed(f"本次申请支付金额{format_money(item.amount)}加已申请支付金额"
                                   f"{format_money(done)}超过合同金额{format_money(contract.amount)}。")
    if item.pay_to_migrant and not contract.plan.is_engineering:
        raise ValidationFailed("只有工程类项目可以支付到农民工工资专用账户。")


def validate_payment_delete(item: PaymentApplication, actor: Operator | None) -> None:
    """Only the unit's own draft may be deleted.

    :raises ValidationFailed: once the application was sent
    """
    claim(item, actor, creating=False)
    if item.status != PaymentStatus.draft:
        raise NotEditable("已发送的支付申请不能删除。")


def save_payment(session: Session, actor: Operator | None, data: Mapping[str, Any],
                 payment: PaymentApplication | None = None, *,
                 for_mall: bool = False) -> PaymentApplication:
    """资金支付申请 保存 (a draft) from plain input.

    :param for_mall: sent by a 网上商城 order's 付款 (:func:`prepare_payment`)
    :raises NotInScope: the contract is another unit's
    :raises ValidationFailed: over the bound, or a 用款计划 the contract does not use
    """
    return save_record(session, PaymentApplication, payment, data, lambda item, creating:
                       prepare_payment(session, item, actor, creating, for_mall=for_mall))


def delete_payment(session: Session, actor: Operator | None,
                   payment: PaymentApplication) -> None:
    """删除 a draft payment application of the clerk's unit."""
    delete_record(session, payment, lambda item: validate_payment_delete(item, actor))

def _payee(session: Session, item: PaymentApplication) -> tuple[str, str, str]:
    if item.pay_to_migrant:
        account = session.scalar(select(MigrantAccount).where(
            MigrantAccount.plan_id == item.contract.plan_id))
        if account is None:
            raise ValidationFailed("该工程项目尚未登记农民工工资专用账户。")
        return account.account_name, account.account_no, account.bank_name
    supplier = item.contract.supplier
    return supplier.bank_account_name, supplier.bank_account_no, supplier.bank_name


def send_payment(session: Session, item: PaymentApplication, actor: Operator | None, *,
                 for_mall: bool = False) -> None:
    """支付申请: freeze the paying account, number it and queue it for the budget system.

    The outbox message is written in the same transaction, so a sent application is never lost.
    """
    clerk = clerk_of(actor)
    if item.unit_id != clerk.unit_id:
        raise NotFound("支付申请不存在。")
    if item.status != PaymentStatus.draft:
        raise ValidationFailed("该支付申请已发送。")
    prepare_payment(session, item, actor, creating=False, for_mall=for_mall)
    item.payee_name, item.payee_account, item.payee_bank = _payee(session, item)
    item.status, item.sent_on = PaymentStatus.sent, utcnow()
    item.application_no = f"ZF{business_today():%Y%m%d}{item.id:06d}"
    enqueue(session, PAYMENT_TOPIC, item.application_no, payment_message(item))


def payment_message(item: PaymentApplication) -> dict[str, Any]:
    """What the budget execution system receives."""
    contract = item.contract
    return {
        "application_no": item.application_no, "unit_code": item.unit.code,
        "contract_code": contract.code, "plan_number": contract.plan.plan_number,
        "spending_plan_no": item.spending_plan.external_no if item.spending_plan else None,
        "amount": str(item.amount), "payee_name": item.payee_name,
        "payee_account": item.payee_account, "payee_bank": item.payee_bank,
        "pay_to_migrant": item.pay_to_migrant,
    }


@dataclass(frozen=True)
class CallbackResult:
    """What a callback did: recorded it, or saw it before."""

    duplicate: bool
    status: str


# Told of each new (not repeated) event: (session, application, kind, event date).
EventListener = Callable[[Session, PaymentApplication, str, date], None]


def record_event(session: Session, data: dict[str, Any],
                 listener: EventListener | None = None) -> CallbackResult:
    """A payment, return or refund from the budget system, applied exactly once per event id.

    :param listener: told of the event once applied (the 网上商城 settles its order by it)

    :raises ValidationFailed: on an unknown application, kind, amount or date
    """
    event_id = str(data.get("event_id") or "").strip()
    if not event_id or len(event_id) > 64:
        raise ValidationFailed("缺少有效的 event_id。")
    seen = session.scalar(select(PaymentEvent).where(PaymentEvent.event_id == event_id))
    if seen is not None:
        return CallbackResult(True, seen.application.status)
    item = session.scalar(select(PaymentApplication).where(
        PaymentApplication.application_no == str(data.get("application_no") or "")))
    if item is None or item.status == PaymentStatus.draft:
        raise ValidationFailed("支付申请编号不存在。")
    kind = str(data.get("kind") or "")
    if kind not in EVENT_KINDS:
        raise ValidationFailed("kind 只能是 paid、returned 或 refunded。")
    amount = parse_money(data.get("amount"), "金额", positive=True, field="amount")
    paid = sum((e.amount for e in item.events if e.kind == PaymentEventKind.paid), ZERO)
    refunded = sum((e.amount for e in item.events if e.kind == PaymentEventKind.refunded), ZERO)
    if kind == PaymentEventKind.paid and paid - refunded + amount > item.amount:
        raise ValidationFailed("支付金额超过申请金额。")
    if kind == PaymentEventKind.refunded and amount > paid - refunded:
        raise ValidationFailed("退款金额超过已支付金额。")
    try:
        event_date = date.fromisoformat(str(data.get("date") or ""))
    except ValueError as exc:
        raise ValidationFailed("日期格式应为 YYYY-MM-DD。") from exc
    session.add(PaymentEvent(event_id=event_id, application=item, kind=kind, amount=amount,
                             event_date=event_date, voucher=str(data.get("voucher") or "")[:64]))
    item.status = STATUS_AFTER.get(PaymentEventKind(kind), item.status)
    if listener is not None:
        listener(session, item, kind, event_date)
    return CallbackResult(False, item.status)
