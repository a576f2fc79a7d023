"""验收 and 售后: the buyer answers each delivered quantity (accepted or rejected), a rejected
quantity opens an after-sale case, and the case ends replaced, returned or settled.

Acceptance is allowed on 待验收 and also on 配送中 for what has already arrived of a split
delivery (move ``accept_part``): a unit need not wait for the last parcel to accept the first.
The order becomes 已验收 (``accept``) only on 待验收, once every delivered quantity is answered;
then ``accepted_on`` and the payment due date are set. Rejected quantities never hold up the
payment of the accepted ones: the payment follows ``accepted_qty``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.datastructures import FileStorage

from app.services import files
from app.services.errors import Conflict, NotFound, NotInScope, PermissionDenied, ValidationFailed
from app.services.mall import core, payment, states
from app.timezone import utcnow
from models import Operator
from models.mall import (
    ActorKind,
    AfterSaleCase,
    MallAcceptance,
    MallAcceptanceLine,
    MallOrder,
    MallOrderLine,
    OrderStatus,
)
from models.values import CONTROL_TEXT, bad_text, id_in_text, valid_id

# 验收方式 (stored code -> what a person reads).
METHODS = {
    "onsite": "现场验收",
    "sampling": "抽样验收",
    "third_party": "第三方检测",
    "receipt": "到货签收验收",
}
# How an after-sale case ends.
RESOLUTIONS = {
    "replaced": "换货（更换后验收合格）",
    "returned": "退货",
    "settled": "协商解决",
}
CASE_OPEN, CASE_CLOSED = "open", "closed"
CASE_LABELS = {CASE_OPEN: "处理中", CASE_CLOSED: "已处理"}
ACCEPTING = frozenset({OrderStatus.awaiting_acceptance, OrderStatus.shipping})
NOTE_LIMIT = 2000
REASON_LIMIT = 500
QTY_LIMIT = 1_000_000


@dataclass
class AcceptanceInput:
    """One 验收: method, note, per order line (accepted, rejected, reason), optional file."""

    method: str
    note: str = ""
    lines: dict[Any, tuple[Any, Any, str]] = field(default_factory=dict)
    file: FileStorage | None = None
    version: int | None = None


def unanswered(line: MallOrderLine) -> int:
    """Delivered but neither accepted nor rejected yet (what an acceptance may answer)."""
    return max(0, line.delivered_qty - line.accepted_qty - line.rejected_qty)


def can_accept(order: MallOrder) -> bool:
    """Whether the buyer may record an acceptance now (the 验收 button follows this)."""
    return (order.status in ACCEPTING and states.allowed("accept_part", order.status)
            and any(unanswered(line) for line in order.lines))


def _text(value: Any, label: str, name: str, limit: int) -> str:
    text = str(value or "").strip()
    if bad_text(text):
        raise ValidationFailed(f"{label}{CONTROL_TEXT}", field=name)
    if len(text) > limit:
        raise ValidationFailed(f"{label}最多{limit}个字。", field=name)
    return text


def _quantity(value: Any, label: str, name: str) -> int:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return 0
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}必须是不小于0的整数。", field=name)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            raise ValidationFailed(f"{label}必须是不小于0的整数。", field=name)
        number = int(text)
    if number < 0 or number > QTY_LIMIT:
        raise ValidationFailed(f"{label}必须是不小于0的整数。", field=name)
    return number


def locked_order(session: Session, order: MallOrder) -> MallOrder:
    """The order row again, locked for this transaction and read afresh."""
    return core.lock_order(session, order)


def _answers(order: MallOrder, data: AcceptanceInput
             ) -> list[tuple[MallOrderLine, int, int, str]]:
    """The answered lines of ``data``, checked against what each line has left to answer."""
    by_id = {line.id: line for line in order.lines}
    found = []
    for key, answer in data.lines.items():
        line_id = id_in_text(key) if isinstance(key, str) else key if valid_id(key) else None
        line = by_id.get(line_id) if line_id is not None else None
        if line is None:
            raise NotInScope("验收的商品不属于该订单。", code="mall_line_not_found")
        accepted_raw, rejected_raw, reason_raw = answer
        name = f"{line.product_name}（{line.brand} {line.model}）"
        accepted = _quantity(accepted_raw, f"{name}的验收合格数量", f"accepted_{line.id}")
        rejected = _quantity(rejected_raw, f"{name}的不合格数量", f"rejected_{line.id}")
        reason = _text(reason_raw, f"{name}的不合格原因", f"reason_{line.id}", REASON_LIMIT)
        left = unanswered(line)
        if accepted + rejected > left:
            raise ValidationFailed(
                f"{name}已送达未验收的数量为{left}{line.unit_name}，合格与不合格数量之和不能超过它。",
                field=f"accepted_{line.id}", code="mall_acceptance_too_many")
        if rejected and not reason:
            raise ValidationFailed(f"请填写{name}的不合格原因。", field=f"reason_{line.id}",
                                   code="mall_acceptance_reason")
        if accepted + rejected:
            found.append((line, accepted, rejected, reason))
    if not found:
        raise ValidationFailed("请至少填写一个商品的验收合格或不合格数量。",
                               code="mall_acceptance_empty")
    return sorted(found, key=lambda row: row[0].id)


def accept(session: Session, actor: Operator | None, order_id: Any,
           data: AcceptanceInput) -> MallAcceptance:
    """验收: record accepted and rejected quantities of delivered goods; rejected ones open an
    after-sale case each. Moves ``accept`` (→ 已验收) when every delivered quantity of a 待验收
    order is answered, else ``accept_part``.

    :raises PermissionDenied: the actor has no unit
    :raises NotFound: the order is not the actor's unit's
    :raises NotInScope: a line id is not of this order
    :raises Conflict: the order is not 待验收/配送中 (``mall_state``) or was changed meanwhile
        (``mall_stale``)
    :raises ValidationFailed: no method, bad quantities, too many, a rejection without reason,
        or a bad file
    """
    order = locked_order(session, core.buyer_order(session, actor, order_id))
    assert actor is not None  # buyer_order refuses an actor without a unit
    if data.version is not None and data.version != order.version:
        raise Conflict("订单已被他人处理或已变化，请刷新后重试。", code="mall_stale")
    if order.status not in ACCEPTING:
        raise Conflict(states.refusal("accept", order.status), code="mall_state")
    if data.method not in METHODS:
        raise ValidationFailed("请选择验收方式。", field="method", code="mall_acceptance_method")
    note = _text(data.note, "验收意见", "note", NOTE_LIMIT)
    answers = _answers(order, data)
    stored = (files.store_upload(data.file, "验收附件")
              if data.file is not None and data.file.filename else None)
    record = MallAcceptance(order=order, method=data.method, note=note, accepted_by_id=actor.id,
                            accepted_on=utcnow(),
                            file_path=stored.path if stored else None,
                            file_name=stored.name if stored else None)
    session.add(record)
    told = []
    for line, accepted, rejected, reason in answers:
        record.lines.append(MallAcceptanceLine(order_line=line, accepted_qty=accepted,
                                               rejected_qty=rejected, reason=reason))
        line.accepted_qty += accepted
        line.rejected_qty += rejected
        told.append(f"{line.product_name}合格{accepted}{line.unit_name}"
                    + (f"、不合格{rejected}{line.unit_name}（{reason}）" if rejected else ""))
        if rejected:
            session.add(AfterSaleCase(order=order, order_line=line, quantity=rejected,
                                      reason=reason, status=CASE_OPEN, created_on=utcnow()))
    summary = f"{METHODS[data.method]}：" + "；".join(told)
    complete = (order.status == OrderStatus.awaiting_acceptance
                and not any(unanswered(line) for line in order.lines))
    if complete:
        order.accepted_on = record.accepted_on
        order.payment_due_on = core.payment_due_on(order, core.policy_for(session,
                                                                          order.unit.region_id))
        core.move(session, order, "accept", ActorKind.buyer, actor, summary)
    else:
        core.move(session, order, "accept_part", ActorKind.buyer, actor, summary)
    for line, _accepted, rejected, reason in answers:
        if rejected:
            core.event(session, order, "after_sale", ActorKind.buyer, actor,
                       f"售后登记：{line.product_name}不合格{rejected}{line.unit_name}，{reason}")
    return record


def unit_cases(actor: Operator | None, status: str | None = None) -> Select[tuple[AfterSaleCase]]:
    """The after-sale cases of the actor's unit (newest first); none for an actor without one.

    :param status: ``open`` or ``closed`` to narrow the list
    """
    # The list shows each case's order, supplier and line: read with the page.
    query = (select(AfterSaleCase).join(MallOrder, MallOrder.id == AfterSaleCase.order_id)
             .where(MallOrder.unit_id == (actor.unit_id if actor and actor.unit_id else -1))
             .options(joinedload(AfterSaleCase.order).joinedload(MallOrder.supplier),
                      joinedload(AfterSaleCase.order_line)))
    if status in CASE_LABELS:
        query = query.where(AfterSaleCase.status == status)
    return query.order_by(AfterSaleCase.id.desc())


def unit_case(session: Session, actor: Operator | None, case_id: Any) -> AfterSaleCase:
    """An after-sale case of the actor's unit.

    :raises PermissionDenied: the actor has no unit
    :raises NotFound: no such case in the actor's unit
    """
    if actor is None or actor.unit_id is None:
        raise PermissionDenied("只有采购单位的经办人员可以办理售后。")
    case = session.get(AfterSaleCase, case_id) if valid_id(case_id) else None
    if case is None or case.order.unit_id != actor.unit_id:
        raise NotFound("售后记录不存在或不属于本单位。", code="mall_after_sale_not_found")
    return case


def resolve_after_sale(session: Session, actor: Operator | None, case_id: Any, resolution: str,
                       note: str = "") -> AfterSaleCase:
    """售后处理: ``replaced`` (the replacement passed: the quantity becomes accepted),
    ``returned`` (goods sent back: the plan line's room is released) or ``settled``
    (closed with the agreed note).

    :raises PermissionDenied: the actor has no unit
    :raises NotFound: the case is not the actor's unit's
    :raises Conflict: the case is already closed (``mall_after_sale_closed``)
    :raises ValidationFailed: no or unknown resolution, or ``settled`` without a note
    """
    case = unit_case(session, actor, case_id)
    order = locked_order(session, case.order)
    session.refresh(case)
    if case.status != CASE_OPEN:
        raise Conflict("该售后已处理，请刷新后查看。", code="mall_after_sale_closed")
    if resolution not in RESOLUTIONS:
        raise ValidationFailed("请选择处理结果。", field="resolution",
                               code="mall_after_sale_resolution")
    text = _text(note, "处理说明", "note", REASON_LIMIT)
    if resolution == "settled" and not text:
        raise ValidationFailed("协商解决须填写处理说明。", field="note",
                               code="mall_after_sale_note")
    line = session.get(MallOrderLine, case.order_line_id)
    assert line is not None  # a case's line is a foreign key of the same order
    if resolution == "replaced":
        line.accepted_qty += case.quantity
        line.rejected_qty -= case.quantity
    elif resolution == "returned":
        line.returned_qty += case.quantity
    case.status, case.resolution, case.note = CASE_CLOSED, resolution, text
    case.resolved_on = utcnow()
    core.event(session, order, "after_sale", ActorKind.buyer, actor,
               f"售后处理：{line.product_name}{case.quantity}{line.unit_name}"
               f"{RESOLUTIONS[resolution]}" + (f"，{text}" if text else ""))
    # The last open case held up 已付款 of an order paid for what was accepted.
    payment.close_if_paid(session, order, ActorKind.buyer, actor)
    return case


def acceptances(session: Session, order: MallOrder) -> list[MallAcceptance]:
    """The order's acceptance records, oldest first (for the order page)."""
    return list(session.scalars(select(MallAcceptance).where(MallAcceptance.order_id == order.id)
                                .order_by(MallAcceptance.id)))
