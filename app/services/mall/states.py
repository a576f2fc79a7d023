"""The order state machine as data: which event moves an order from which status to which.

Pure (no session): the commands ask :func:`target` and write the move with
:func:`app.services.mall.core.move`, so a refused move has one wording everywhere.
"""

from __future__ import annotations

from models.mall import ORDER_LABELS, OrderStatus

S = OrderStatus

# event kind -> {from status: to status}. Events that keep the status (a partial shipment,
# a partial payment) name the same status on both sides.
TRANSITIONS: dict[str, dict[OrderStatus, OrderStatus]] = {
    "submit": {S.draft: S.awaiting_confirmation},
    "cancel": {S.draft: S.cancelled, S.awaiting_confirmation: S.cancelled},
    "confirm": {S.awaiting_confirmation: S.confirmed},
    "reject": {S.awaiting_confirmation: S.rejected},
    "timeout": {S.awaiting_confirmation: S.timed_out},
    "ship": {S.confirmed: S.shipping, S.shipping: S.shipping},
    # The last delivery of everything confirmed moves to 待验收; an earlier one stays 配送中.
    "deliver": {S.shipping: S.awaiting_acceptance},
    "deliver_part": {S.shipping: S.shipping},
    # Acceptance of part of the delivered quantity keeps 待验收 until every line is answered.
    "accept": {S.awaiting_acceptance: S.accepted},
    # What arrived of a split delivery may be accepted while the rest is still 配送中.
    "accept_part": {S.awaiting_acceptance: S.awaiting_acceptance, S.shipping: S.shipping},
    "pay": {S.accepted: S.paid},
    # The accepted part is paid without waiting for the rest (or for after-sale of rejected
    # quantities): a payment before the order is 已验收 keeps its status.
    "pay_part": {S.accepted: S.accepted, S.awaiting_acceptance: S.awaiting_acceptance,
                 S.shipping: S.shipping},
    "evaluate": {S.paid: S.completed},
    "evaluate_default": {S.paid: S.completed},
}

# The statuses that hold plan room as reserved (占用中) and as bought (已采购).
RESERVING = frozenset({S.awaiting_confirmation})
BOUGHT = frozenset({S.confirmed, S.shipping, S.awaiting_acceptance, S.accepted, S.paid,
                    S.completed})
TERMINAL = frozenset({S.completed, S.rejected, S.cancelled, S.timed_out})
# A draft is the buyer's to change (保存, delete); anything later is a fact.
EDITABLE = frozenset({S.draft})

EVENT_LABELS = {
    "create": "生成订单", "save": "保存订单", "submit": "提交订单", "cancel": "取消订单",
    "confirm": "电商确认", "reject": "电商拒单", "timeout": "确认超时", "ship": "发货",
    "deliver": "送达", "deliver_part": "部分送达", "accept": "验收", "accept_part": "部分验收",
    "pay": "付款", "pay_part": "部分付款", "evaluate": "评价", "evaluate_default": "默认评价",
    "after_sale": "售后", "exception": "异常", "reminder": "提醒", "contract": "生成合同",
    "pay_request": "资金支付申请", "pay_returned": "支付申请退回",
}

# What the supplier sees of an order's history: the moves it takes part in, not the buyer's
# drafts, reminders, exceptions or 支付申请.
SUPPLIER_VISIBLE = frozenset({
    "submit", "cancel", "confirm", "reject", "timeout", "ship", "deliver", "deliver_part",
    "accept", "accept_part", "pay", "pay_part", "evaluate", "evaluate_default", "after_sale",
    "contract",
})


def target(kind: str, status: str) -> OrderStatus | None:
    """Where event ``kind`` takes an order in ``status``; ``None`` when it may not happen.

    :param kind: a key of :data:`TRANSITIONS`
    :param status: the order's stored status
    """
    moves = TRANSITIONS.get(kind)
    if moves is None:
        return None
    return moves.get(OrderStatus(status))


def allowed(kind: str, status: str) -> bool:
    """Whether event ``kind`` may happen to an order in ``status`` (buttons follow this)."""
    return target(kind, status) is not None


def label(status: str) -> str:
    """The Chinese name of a status."""
    return ORDER_LABELS.get(OrderStatus(status), status)


def refusal(kind: str, status: str) -> str:
    """The one sentence that refuses event ``kind`` on an order in ``status``."""
    return f"订单当前状态为“{label(status)}”，不能{EVENT_LABELS.get(kind, kind)}。"
