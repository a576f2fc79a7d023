"""网上商城 orders: one per supplier and plan, their lines' snapshot and quantity buckets, the
append-only order events, and what the supplier side sends (tokens, events, exceptions)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.contracts import Contract, Supplier
from models.mall.catalogue import MallOffer
from models.organisation import Unit
from models.people import Operator
from models.plans import MONEY, PlanItem, ProcurementPlan


class OrderStatus(StrEnum):
    """Where a 网上商城 order stands; the transitions are app.services.mall.states'."""

    draft = "draft"  # 草稿
    awaiting_confirmation = "awaiting_confirmation"  # 待电商确认: plan room and stock reserved
    confirmed = "confirmed"  # 已确认: bought; the contract is filed
    shipping = "shipping"  # 配送中
    awaiting_acceptance = "awaiting_acceptance"  # 待验收: everything confirmed was delivered
    accepted = "accepted"  # 已验收: payment due date set
    paid = "paid"  # 已付款
    completed = "completed"  # 已完成: evaluated or the window elapsed
    rejected = "rejected"  # 已拒单
    cancelled = "cancelled"  # 已取消
    timed_out = "timed_out"  # 已超时


ORDER_LABELS = {
    OrderStatus.draft: "草稿", OrderStatus.awaiting_confirmation: "待电商确认",
    OrderStatus.confirmed: "已确认", OrderStatus.shipping: "配送中",
    OrderStatus.awaiting_acceptance: "待验收", OrderStatus.accepted: "已验收",
    OrderStatus.paid: "已付款", OrderStatus.completed: "已完成",
    OrderStatus.rejected: "已拒单", OrderStatus.cancelled: "已取消",
    OrderStatus.timed_out: "已超时",
}


class ActorKind(StrEnum):
    """Who caused an order event."""

    buyer = "buyer"  # 采购人
    supplier = "supplier"  # 供应商（人工）
    supplier_api = "supplier_api"  # 供应商接口
    system = "system"  # 系统
    admin = "admin"  # 管理员


ACTOR_LABELS = {
    ActorKind.buyer: "采购人", ActorKind.supplier: "供应商（人工）",
    ActorKind.supplier_api: "供应商接口", ActorKind.system: "系统", ActorKind.admin: "管理员",
}


class MallCheckout(Model):
    """One 下单 request: its idempotency key makes a retried or double-clicked one the same."""

    __tablename__ = "mall_checkout"
    __table_args__ = (UniqueConstraint("operator_id", "key", name="uq_mall_checkout_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    orders: Mapped[list[MallOrder]] = relationship(back_populates="checkout",
                                                   order_by="MallOrder.id")


class MallOrder(Model):
    """订单: one supplier, one plan; what it costs is the sum of its lines' snapshots."""

    __tablename__ = "mall_order"
    __table_args__ = (Index("ix_mall_order_unit_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    checkout_id: Mapped[int | None] = mapped_column(ForeignKey("mall_checkout.id"),
                                                    nullable=True, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("procurement_plan.id"), nullable=False,
                                         index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), nullable=False,
                                             index=True)
    status: Mapped[str] = mapped_column(String(24), nullable=False, default=OrderStatus.draft,
                                        index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    delivery_address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    contact_name: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    contact_phone: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    invoice_title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    remark: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The supplier's 中小企业 status, fixed when the order is confirmed (the payment term).
    supplier_sme: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    submitted_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    confirm_by: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    confirmed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    delivered_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    accepted_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    payment_due_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    # The reminders already sent for the current due date (before, on the day, overdue).
    payment_reminded: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    paid_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    evaluation_due_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    closed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    close_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 拒单/取消原因
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), nullable=True,
                                                    unique=True)
    # Raised on every transition: a page acting on an older view of the order is refused.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    checkout: Mapped[MallCheckout | None] = relationship(back_populates="orders")
    unit: Mapped[Unit] = relationship()
    plan: Mapped[ProcurementPlan] = relationship()
    supplier: Mapped[Supplier] = relationship()
    created_by: Mapped[Operator] = relationship()
    contract: Mapped[Contract | None] = relationship()
    lines: Mapped[list[MallOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="MallOrderLine.id")
    events: Mapped[list[MallOrderEvent]] = relationship(
        back_populates="order", order_by="MallOrderEvent.id")

    @property
    def status_label(self) -> str:
        """状态 in Chinese."""
        return ORDER_LABELS.get(OrderStatus(self.status), self.status)

    def __repr__(self) -> str:
        return self.order_no


class MallOrderLine(Model):
    """An order line: the snapshot of what was bought, its price evidence, its quantities."""

    __tablename__ = "mall_order_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    plan_item_id: Mapped[int] = mapped_column(ForeignKey("plan_item.id"), nullable=False,
                                              index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("mall_offer.id"), nullable=False)
    # Snapshot (taken on 提交, never changed after): what the supplier confirms against.
    product_name: Mapped[str] = mapped_column(String(200), nullable=False)
    brand: Mapped[str] = mapped_column(String(100), nullable=False)
    model: Mapped[str] = mapped_column(String(100), nullable=False)
    configuration: Mapped[str] = mapped_column(Text, nullable=False, default="")
    unit_name: Mapped[str] = mapped_column(String(16), nullable=False)
    supplier_sku: Mapped[str] = mapped_column(String(64), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)  # ordered
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)  # unit_price × quantity
    # Price evidence at submission.
    lowest_price: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    median_price: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    market_price: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    live_offers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    above_median: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    non_lowest_code: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    non_lowest_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Quantity buckets.
    confirmed_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    shipped_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    delivered_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    accepted_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    returned_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    cancelled_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    order: Mapped[MallOrder] = relationship(back_populates="lines")
    plan_item: Mapped[PlanItem] = relationship()
    offer: Mapped[MallOffer] = relationship()


class MallOrderEvent(Model):
    """Append-only: one row per order transition or fact, written in the same transaction."""

    __tablename__ = "mall_order_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    from_status: Mapped[str] = mapped_column(String(24), nullable=False, default="")
    to_status: Mapped[str] = mapped_column(String(24), nullable=False, default="")
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    # What happened, in Chinese, as the order page shows it.
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    order: Mapped[MallOrder] = relationship(back_populates="events")
    actor: Mapped[Operator | None] = relationship()


class SupplierToken(Model):
    """接口令牌 of a supplier: only its SHA-256 is kept; the token is shown once when issued."""

    __tablename__ = "mall_supplier_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), nullable=False,
                                             index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)  # shown to tell tokens apart
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_used_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    supplier: Mapped[Supplier] = relationship()


class SupplierEvent(Model):
    """An event a supplier posted, stored first and applied once per (supplier, event id).

    A repeated event id answers with the first answer stored here and changes nothing.
    """

    __tablename__ = "mall_supplier_event"
    __table_args__ = (UniqueConstraint("supplier_id", "event_id", name="uq_mall_supplier_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), nullable=False)
    event_id: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("mall_order.id"), nullable=True,
                                                 index=True)
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # the JSON as received
    received_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    answer_status: Mapped[int] = mapped_column(Integer, nullable=False)  # HTTP status answered
    answer: Mapped[str] = mapped_column(Text, nullable=False)  # JSON body answered


class MallException(Model):
    """异常: a supplier event that could not be applied, or a deadline missed; a person's task.

    The buyer's unit sees it in 工作台 and on the order until someone 处理 it.
    """

    __tablename__ = "mall_exception"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("mall_order.id"), nullable=True,
                                                 index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), nullable=True,
                                                index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # a stable code
    message: Mapped[str] = mapped_column(Text, nullable=False)  # Chinese, as answered
    payload: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    resolved_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    resolution: Mapped[str] = mapped_column(Text, nullable=False, default="")

    order: Mapped[MallOrder | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    resolved_by: Mapped[Operator | None] = relationship()


class MallOrderSequence(Model):
    """The last order number given per business day (gapless: same transaction)."""

    __tablename__ = "mall_order_sequence"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
