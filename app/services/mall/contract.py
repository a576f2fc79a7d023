"""The contract of a confirmed order: generated from its snapshot, filed and announced."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.permissions import CLERK, SYS_ADMIN
from app.services import contracts
from app.services.errors import NotFound, ValidationFailed
from app.services.ledger import contract_holdings
from app.services.mall import core
from app.services.money import ZERO
from app.services.notifications import holders
from app.timezone import business_today
from models import Contract, MallPolicy, Operator, PlanFunding, PlanItem, UnitKind
from models.mall import ActorKind, MallOrder, OrderStatus
from models.values import valid_id

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _fiscal_part(session: Session, order: MallOrder, amount: Decimal) -> dict[int, str]:
    """本合同拟使用计划金额: the plan's 用款计划 in order, each up to what other contracts leave.

    The plan's funding is drawn on first come: what no 用款计划 covers any more is the unit's
    own money, which a contract may hold without funding lines.
    """
    limits = session.scalars(select(PlanFunding).where(PlanFunding.plan_id == order.plan_id)
                             .order_by(PlanFunding.id)).all()
    held = contract_holdings(session, order.plan_id, None)
    wanted: dict[int, str] = {}
    left = amount
    for funding in limits:
        room = funding.amount - held.get(funding.spending_plan_id, ZERO)
        take = min(room, left)
        if take > ZERO:
            wanted[funding.spending_plan_id] = str(take)
            left -= take
        if left <= ZERO:
            break
    return wanted


def generate_contract(session: Session, order: MallOrder) -> Contract:
    """Generate the order's contract and file it through the contract chain (same transaction).

    The contract follows the order's snapshot: its unit, plan, supplier and amount, the plan
    lines bought, code = order number. The buyer clerk who made the order files it; the
    supervision department reviews it like any contract and the public 合同公告 shows it.

    :raises ServiceError: from the contract rules or the chain; the confirmation is refused
    """
    plan = order.plan
    item_ids = sorted({line.plan_item_id for line in order.lines})
    items = list(session.scalars(select(PlanItem).where(PlanItem.id.in_(item_ids))
                                 .order_by(PlanItem.id)))
    earlier = session.execute(
        select(func.count(Contract.id), func.coalesce(func.sum(Contract.amount), 0))
        .where(Contract.plan_id == order.plan_id)).one()
    amount = Decimal(order.amount).quantize(Decimal("0.01"))
    total_amount = (Decimal(str(earlier[1])) + amount).quantize(Decimal("0.01"))
    contract = Contract(
        plan_id=order.plan_id, supplier_id=order.supplier_id, code=order.order_no,
        name=f"{plan.project_name}（网上商城订单{order.order_no}）", amount=amount,
        signed_on=business_today(), total_contracts=int(earlier[0]) + 1,
        total_amount=total_amount, items=items)
    filer = _filer(session, order)
    contracts.prepare_contract(session, contract, filer, None,
                               _fiscal_part(session, order, amount), True, generated=True)
    session.add(contract)
    session.flush()
    order.contract_id = contract.id
    order.contract = contract
    contracts.file_and_announce(session, contracts.RECORD, contract, filer)
    core.event(session, order, "contract", ActorKind.system, None, "已生成合同并提交备案")
    return contract


def _filer(session: Session, order: MallOrder) -> Operator:
    """Who files the generated contract for the unit: the order's buyer while a clerk of the
    unit, else another active clerk of it (a supplier's confirmation must not fail because the
    buyer left or changed post).

    :raises ValidationFailed: the unit has no active clerk (code ``mall_no_filer``)
    """
    buyer = order.created_by
    if buyer.active and buyer.unit_id == order.unit_id and buyer.post_code == CLERK:
        return buyer
    others = holders(session, order.unit_id, CLERK)
    if not others:
        raise ValidationFailed("采购单位暂无可用的经办人，合同无法提交备案，请联系采购单位。",
                               code="mall_no_filer")
    return others[0]


def _group_words(value: int) -> str:
    """One group of four digits (1–9999) in capitals, inner zeros read once."""
    words, zero = "", False
    for place in range(3, -1, -1):
        digit = value // 10 ** place % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += DIGITS[digit] + PLACES[place]
    return words


def amount_in_words(amount: Decimal) -> str:
    """人民币大写 of an amount (《支付结算办法》): ``11097.00`` → 壹万壹仟零玖拾柒元整,
    ``10.05`` → 壹拾元零伍分, ``0.50`` → 伍角.

    :raises ValueError: for a negative amount or one of 10^16 or more
    """
    cents = int((Decimal(amount) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if cents < 0 or cents >= 10 ** 18:
        raise ValueError("amount out of range")
    whole, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if whole == 0 and cents == 0:
        return "零元整"
    words, need_zero = "", False
    groups = [whole // 10 ** (4 * i) % 10000 for i in range(len(GROUPS))]
    for index in range(len(GROUPS) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = need_zero or bool(words)
            continue
        if words and (need_zero or group < 1000):
            words += "零"
        # 万亿 reads 万 when the 亿 group follows with its own 亿 (玖万玖仟亿, 壹万亿).
        unit = "万" if index == 3 and groups[2] else GROUPS[index]
        words += _group_words(group) + unit
        need_zero = False
    if whole:
        words += "元"
        if not jiao and not fen:
            return words + "整"
        if not jiao:
            return words + "零" + DIGITS[fen] + "分"
    words += (DIGITS[jiao] + "角") if jiao else ""
    return words + ((DIGITS[fen] + "分") if fen else "")


def payment_terms(order: MallOrder, policy: MallPolicy) -> str:
    """The contract's 付款方式 in words: the region's due-date rule as it applies to the order."""
    base = (f"采购人在货物验收合格之日起{policy.acceptance_pay_days}日内，以公务卡、转账、支票或"
            "资金支付申请方式，按验收合格的数量和合同单价支付货款；不合格部分不影响合格部分的支付")
    if order.supplier_sme:
        return (f"{base}。供应商为中小企业（订单确认时确定），依据《保障中小企业款项支付条例》，"
                f"采购人自货物交付之日起{policy.sme_delivery_pay_days}日内支付，"
                "以上两个期限以先到者为准。")
    return base + "。"


def readable_order(session: Session, actor: Operator | None, order_id: Any) -> MallOrder:
    """An order whose contract the actor may read: its unit's people, its supplier, the
    supervision department of its region, the administrator. Only orders with a contract.

    :raises NotFound: otherwise (nothing tells an order of another scope from none)
    """
    order = session.get(MallOrder, order_id) if valid_id(order_id) else None
    if order is None or order.contract_id is None or actor is None or not _reads(actor, order):
        raise NotFound("订单合同不存在。", code="mall_contract_not_found")
    return order


def _reads(actor: Operator, order: MallOrder) -> bool:
    if actor.post_code == SYS_ADMIN:
        return True
    if actor.supplier_id is not None:
        return actor.supplier_id == order.supplier_id and order.status != OrderStatus.draft
    if actor.unit_id is None:
        return False
    if actor.unit_id == order.unit_id:
        return True
    unit = actor.unit
    return unit.kind is UnitKind.supervision and unit.region_id == order.unit.region_id
