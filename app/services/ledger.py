"""The ledger of 用款计划: the amounts computed from the records that use them, read-only.

Only 计划金额 is stored. What filed plans requested (已申请使用金额), what contracts hold, what
was applied for (已申请支付金额) and what was paid (实际已支付) are always computed here, in
grouped queries, and the one loop that checks amounts drawn on 用款计划 (:func:`allocate`) lives
here too. This module imports no other service module than ``errors`` and ``money``, so every
service that needs an amount imports it and none of them imports another for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services.errors import AmountTooLarge, ValidationFailed
from app.services.money import CENT, ZERO, format_money, parse_money
from models import (
    Contract,
    ContractFunding,
    PaymentApplication,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
    PlanFunding,
    ProcurementPlan,
    SpendingPlan,
)
from workflow import Status

# A plan holds its 本次申请使用金额 from the moment it is filed (in review) and once completed.
FILED = (Status.in_review, Status.completed)
# Payment applications that count as 已申请支付金额.
COUNTED = (PaymentStatus.sent, PaymentStatus.paid)


class Payments(NamedTuple):
    """已申请支付金额 and 实际已支付 of one 用款计划."""

    requested: Decimal
    paid: Decimal


@dataclass(frozen=True)
class PlanAmounts:
    """The amounts a 用款计划 shows; only ``plan_amount`` is stored."""

    plan_amount: Decimal  # 计划金额
    requested: Decimal  # 已申请使用金额: fundings of filed plans
    payment_requested: Decimal  # 已申请支付金额
    paid: Decimal  # 实际已支付

    @property
    def available(self) -> Decimal:  # 拟可用金额
        """拟可用金额 = 计划金额 − 已申请使用金额."""
        return self.plan_amount - self.requested

    @property
    def actual_available(self) -> Decimal:  # 实际可用金额
        """实际可用金额 = 计划金额 − 实际已支付."""
        return self.plan_amount - self.paid


def _decimal(value: Any) -> Decimal:
    # SQLite may hand back floats for sums; str() keeps their shortest decimal form.
    return ZERO if value is None else Decimal(str(value)).quantize(CENT)


def _requested_query(ids: list[int]) -> Any:
    return (
        select(PlanFunding.spending_plan_id.label("plan_id"),
               func.sum(PlanFunding.amount).label("total"))
        .join(ProcurementPlan, ProcurementPlan.id == PlanFunding.plan_id)
        .where(ProcurementPlan.status.in_(FILED), PlanFunding.spending_plan_id.in_(ids))
        .group_by(PlanFunding.spending_plan_id)
    )


def requested_amounts(session: Session, ids: Iterable[int]) -> dict[int, Decimal]:
    """已申请使用金额 of the given 用款计划: what filed (in review or completed) plans requested.

    A 用款计划 no filed plan uses is absent from the result.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {pk: _decimal(total) for pk, total in session.execute(_requested_query(wanted))}


def paid_amounts(session: Session, ids: Iterable[int]) -> dict[int, Payments]:
    """已申请支付金额 (sent applications) and 实际已支付 (paid less refunded) per 用款计划.

    Two grouped queries whatever the number of ids; every id is in the result.
    """
    wanted = sorted(set(ids))
    requested: dict[int | None, Any] = {pk: total for pk, total in session.execute(
        select(PaymentApplication.spending_plan_id, func.sum(PaymentApplication.amount))
        .where(PaymentApplication.spending_plan_id.in_(wanted),
               PaymentApplication.status.in_(COUNTED))
        .group_by(PaymentApplication.spending_plan_id))}
    paid_rows = session.execute(
        select(PaymentApplication.spending_plan_id, PaymentEvent.kind,
               func.sum(PaymentEvent.amount))
        .join(PaymentEvent.application)
        .where(PaymentApplication.spending_plan_id.in_(wanted),
               PaymentEvent.kind.in_((PaymentEventKind.paid, PaymentEventKind.refunded)))
        .group_by(PaymentApplication.spending_plan_id, PaymentEvent.kind)).all()
    paid: dict[int, Decimal] = {}
    for pk, kind, total in paid_rows:
        value = Decimal(str(total))
        paid[pk] = paid.get(pk, ZERO) + (value if kind == PaymentEventKind.paid else -value)
    return {pk: Payments(_decimal(requested.get(pk)), paid.get(pk, ZERO).quantize(CENT))
            for pk in wanted}


def amounts(session: Session, plan_ids: Iterable[int]) -> dict[int, PlanAmounts]:
    """The amounts of the given 用款计划, in one grouped query (and two for payments)."""
    ids = sorted(set(plan_ids))
    if not ids:
        return {}
    requested = _requested_query(ids).subquery()
    rows = session.execute(
        select(SpendingPlan.id, SpendingPlan.plan_amount, requested.c.total)
        .outerjoin(requested, requested.c.plan_id == SpendingPlan.id)
        .where(SpendingPlan.id.in_(ids))
    ).all()
    payments = paid_amounts(session, [pk for pk, _, _ in rows])
    return {pk: PlanAmounts(_decimal(amount), _decimal(total), *payments[pk])
            for pk, amount, total in rows}


def requested_for(session: Session, contract_id: int, spending_plan_id: int | None,
                  exclude: int | None = None) -> Decimal:
    """已申请支付金额 of a contract on one 用款计划 (sent or paid applications).

    :param spending_plan_id: ``None`` for the applications of a contract without 用款计划
    :param exclude: an application not to count (the one being checked)
    """
    query = select(func.coalesce(func.sum(PaymentApplication.amount), 0)).where(
        PaymentApplication.contract_id == contract_id,
        PaymentApplication.spending_plan_id == spending_plan_id,
        PaymentApplication.status.in_(COUNTED))
    if exclude is not None:
        query = query.where(PaymentApplication.id != exclude)
    return _decimal(session.scalar(query) or 0)


def contract_holdings(session: Session, plan_id: int, exclude: int | None) -> dict[int, Decimal]:
    """本合同拟使用计划金额 the plan's contracts (but ``exclude``) hold, per 用款计划."""
    rows = session.execute(
        select(ContractFunding.spending_plan_id, func.sum(ContractFunding.amount))
        .join(Contract)
        .where(Contract.plan_id == plan_id, Contract.id != exclude)
        .group_by(ContractFunding.spending_plan_id))
    return {pk: _decimal(total) for pk, total in rows}


@dataclass(frozen=True)
class Room:
    """What one 用款计划 leaves to draw on: its number for messages, the limit, what is held."""

    external_no: str
    limit: Decimal
    held: Decimal = ZERO


def chosen(wanted: Mapping[int, Any]) -> dict[int, Any]:
    """The entries of ``wanted`` that ask for an amount: blank and ``"0"`` ask for none."""
    return {pk: text for pk, text in wanted.items() if str(text).strip() not in ("", "0")}


def allocate(wanted: Mapping[int, Any], rooms: Mapping[int, Room], purpose: str, bound: str,
             outside: ValidationFailed, *, cumulative: bool = False) -> dict[int, Decimal]:
    """Check the amounts asked of each 用款计划 against what it leaves: the one allocation loop.

    A plan's 本次申请使用金额 and a contract's 本合同拟使用计划金额 both go through it.

    :param wanted: {用款计划 id: amount as typed}; blank or ``"0"`` entries ask for nothing
    :param rooms: the 用款计划 that may be drawn on, by id (those asked for suffice)
    :param purpose: what the amount is; messages name it 用款计划“<external_no>”的<purpose>
    :param bound: the name of the limit in a refusal, e.g. 拟可用金额
    :param outside: raised for an asked id that is not in ``rooms``
    :param cumulative: a refusal shows what is held plus this amount against the limit
        (…累计<sum>超过<bound><limit>); otherwise this amount against what is left
        (…<amount>超过<bound><limit − held>)
    :returns: {用款计划 id: amount}, in the order asked; empty when nothing is asked
    :raises InvalidAmount: for an amount that is not one or is 0
    :raises AmountTooLarge: for an amount over what its 用款计划 leaves
    """
    result: dict[int, Decimal] = {}
    for pk, text in chosen(wanted).items():
        room = rooms.get(pk)
        if room is None:
            raise outside
        label = f"用款计划“{room.external_no}”的{purpose}"
        amount = parse_money(text, label, positive=True)
        if room.held + amount > room.limit:
            if cumulative:
                shown, limit = f"累计{format_money(room.held + amount)}", room.limit
            else:
                shown, limit = format_money(amount), room.limit - room.held
            raise AmountTooLarge(f"{label}{shown}超过{bound}{format_money(limit)}。")
        result[pk] = amount
    return result
