"""用款计划调减: how much each 调减类型 may release, applying a completed one, and telling the
budget execution system through the outbox (like a 支付申请).

Two kinds (the 用款计划调减 slides): 误选为政府采购 releases what no filed plan requested;
合同签订后结余资金 releases the unspent balance after contracts, which also counts the surplus of
every project whose contracts are all filed: 申请使用计划金额 300,000.00, contracts 290,000.00,
so 10,000.00 more can go. Releasing a surplus lowers that project's 申请使用计划金额 on the
用款计划 to what its contracts hold, so that no later contract draws on the released money.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from app.services.errors import ValidationFailed
from app.services.ledger import amounts
from app.services.money import CENT, ZERO, format_money
from app.services.outbox import enqueue
from models import (
    Contract,
    ContractFunding,
    OutboxMessage,
    PlanFunding,
    ProcurementPlan,
    ReductionKind,
    SpendingPlan,
    SpendingReduction,
)
from models.payments import OUTBOX_LABELS
from workflow import Status

TOPIC = "spending_reduction"


def _decimal(value: Any) -> Decimal:
    # SQLite may hand back floats for sums; str() keeps their shortest decimal form.
    return ZERO if value is None else Decimal(str(value)).quantize(CENT)


def surpluses(session: Session, spending_plan_id: int) -> list[tuple[PlanFunding, Decimal]]:
    """结余 of each finished project on one 用款计划, oldest project first.

    A completed plan is finished when it has contracts, every one of them is completed (备案
    done) and they number at least its 项目总合同份数; its surplus is 申请使用计划金额 less what
    its contracts hold on this 用款计划. Projects without surplus are left out.
    """
    fundings = list(session.scalars(
        select(PlanFunding).join(ProcurementPlan, ProcurementPlan.id == PlanFunding.plan_id)
        .where(PlanFunding.spending_plan_id == spending_plan_id,
               ProcurementPlan.status == Status.completed)
        .order_by(PlanFunding.plan_id)))
    if not fundings:
        return []
    plan_ids = [f.plan_id for f in fundings]
    contracts: dict[int, list[tuple[str, int]]] = {}
    for plan_id, status, total in session.execute(
            select(Contract.plan_id, Contract.status, Contract.total_contracts)
            .where(Contract.plan_id.in_(plan_ids))):
        contracts.setdefault(plan_id, []).append((status, total))
    held = {plan_id: _decimal(total) for plan_id, total in session.execute(
        select(Contract.plan_id, func.sum(ContractFunding.amount))
        .join(Contract, Contract.id == ContractFunding.contract_id)
        .where(Contract.plan_id.in_(plan_ids),
               ContractFunding.spending_plan_id == spending_plan_id)
        .group_by(Contract.plan_id))}
    found = []
    for funding in fundings:
        rows = contracts.get(funding.plan_id, [])
        finished = bool(rows) and all(status == Status.completed for status, _ in rows) and (
            len(rows) >= max(total for _, total in rows))
        left = funding.amount - held.get(funding.plan_id, ZERO)
        if finished and left > 0:
            found.append((funding, left))
    return found


@dataclass(frozen=True)
class Room:
    """What a 用款计划 can release, with the figures a refusal names."""

    plan_amount: Decimal
    requested: Decimal  # 已申请使用金额
    paid: Decimal  # 实际已支付
    surplus: Decimal  # 合同签订后结余: counted for that kind only
    pending: Decimal  # other reductions in review

    def limit(self, kind: ReductionKind) -> Decimal:
        """可调减金额 of the kind: 计划金额 − max(what is held, what is paid) − 审核中的调减."""
        held = self.requested - (self.surplus if kind is ReductionKind.balance else ZERO)
        return self.plan_amount - max(held, self.paid) - self.pending


def room(session: Session, spending: SpendingPlan,
         pending_except: int | None = None) -> tuple[Room, list[tuple[PlanFunding, Decimal]]]:
    """The room of one 用款计划 and the surpluses it counts (:func:`surpluses`).

    :param pending_except: when given, reductions of this plan in review (other than this id)
        count against the room too, so two requests cannot both claim the same balance
    """
    row = amounts(session, [spending.id])[spending.id]
    found = surpluses(session, spending.id)
    pending = ZERO
    if pending_except is not None:
        pending = _decimal(session.scalar(
            select(func.sum(SpendingReduction.amount))
            .where(SpendingReduction.spending_plan_id == spending.id,
                   SpendingReduction.status == Status.in_review,
                   SpendingReduction.id != pending_except)))
    surplus = sum((left for _, left in found), ZERO)
    return Room(spending.plan_amount, row.requested, row.paid, surplus, pending), found


def check_reduction(session: Session, spending: SpendingPlan, kind: ReductionKind,
                    amount: Decimal, pending_except: int | None = None
                    ) -> list[tuple[PlanFunding, Decimal]]:
    """Refuse more than the kind can release (:meth:`Room.limit`); the surpluses counted.

    :raises ValidationFailed: with the limit and the figures it comes from, field ``amount``
    """
    figures, counted = room(session, spending, pending_except)
    limit = figures.limit(kind)
    if amount > limit:
        surplus = (f"，合同签订后结余{format_money(figures.surplus)}"
                   if kind is ReductionKind.balance and figures.surplus else "")
        in_review = f"，审核中的调减{format_money(figures.pending)}" if figures.pending else ""
        raise ValidationFailed(
            f"调减金额{format_money(amount)}超过可调减金额{format_money(limit)}"
            f"（计划金额{format_money(spending.plan_amount)}，"
            f"已申请使用{format_money(figures.requested)}，"
            f"已支付{format_money(figures.paid)}{surplus}{in_review}）。", "amount")
    return counted


def reduction_no(reduction: SpendingReduction) -> str:
    """The business number the budget execution system knows a reduction by."""
    return f"TJ{reduction.id:06d}"


def sent_state(reduction: SpendingReduction) -> str:
    """发送预算执行系统: the outbox message's state once completed (待发送 / 发送失败 / 已送达)."""
    session = object_session(reduction)
    if session is None or reduction.id is None:
        return "完成后发送"
    status = session.scalar(select(OutboxMessage.status).where(
        OutboxMessage.topic == TOPIC, OutboxMessage.key == reduction_no(reduction)))
    return OUTBOX_LABELS.get(status, status) if status else "完成后发送"


def apply_reduction(session: Session, reduction: SpendingReduction) -> None:
    """On completion: check again, release the amount and queue it for the budget system.

    A 合同签订后结余资金 reduction takes the finished projects' surplus first (oldest project
    first), lowering their 申请使用计划金额, then what no plan requested.

    :raises ValidationFailed: when plans or contracts filed meanwhile used the amount
    """
    spending = reduction.spending_plan
    # Locked (as an import locks it) so that two completions cannot both take one balance.
    session.refresh(spending, with_for_update=True)
    found = check_reduction(session, spending, reduction.kind, reduction.amount)
    released: list[dict[str, str | None]] = []
    if reduction.kind is ReductionKind.balance:
        rest = reduction.amount
        for funding, left in found:
            taken = min(rest, left)
            if taken <= 0:
                break
            funding.amount -= taken
            rest -= taken
            released.append({"plan_number": funding.plan.plan_number, "amount": str(taken)})
    spending.plan_amount -= reduction.amount
    enqueue(session, TOPIC, reduction_no(reduction), {
        "reduction_no": reduction_no(reduction), "unit_code": reduction.unit.code,
        "spending_plan_no": spending.external_no, "year": spending.year,
        "kind": reduction.kind.name, "kind_label": reduction.kind.value,
        "amount": str(reduction.amount), "plan_amount": str(spending.plan_amount),
        "reason": reduction.reason, "released_from": released,
    })


def unconfirmed(session: Session, plans: Iterable[SpendingPlan]) -> dict[int, Decimal]:
    """Completed reductions the budget system's figures have not shown yet, per 用款计划.

    A reduction completed after the plan's last import is unconfirmed until an import brings a
    计划金额 at or below what the reductions left. Plans without any are absent.
    """
    ids = [plan.id for plan in plans]
    if not ids:
        return {}
    rows = session.execute(
        select(SpendingReduction.spending_plan_id, func.sum(SpendingReduction.amount))
        .join(SpendingPlan, SpendingPlan.id == SpendingReduction.spending_plan_id)
        .where(SpendingReduction.spending_plan_id.in_(ids),
               SpendingReduction.status == Status.completed,
               SpendingReduction.completed_on > SpendingPlan.imported_on)
        .group_by(SpendingReduction.spending_plan_id))
    return {pk: _decimal(total) for pk, total in rows}
