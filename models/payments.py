"""资金支付申请, the durable outbox to the budget execution system, and its callbacks."""

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
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from models.clock import utcnow
from models.contracts import Contract
from models.organisation import Unit
from models.people import Operator
from models.plans import MONEY, SpendingPlan


class PaymentStatus(StrEnum):
    """Where a 资金支付申请 stands; the stored value is the member's value."""

    draft = "draft"  # 草稿: editable, not yet sent
    sent = "sent"  # 支付申请: in the outbox or with the budget execution system
    paid = "paid"  # the budget system reported it paid
    returned = "returned"  # the budget system returned it


# The outbox topic of 支付申请; the message's key is the 支付申请编号.
PAYMENT_TOPIC = "payment_application"
# An outbox message's state as everyone reads it (发件箱 and a payment's 状态).
OUTBOX_LABELS = {"pending": "待发送", "delivered": "已送达", "failed": "发送失败"}


def delivery_state(status: str, outbox_status: str | None) -> str:
    """The one label of where a 资金支付申请 is: 草稿, then 待发送 / 发送失败 / 已送达 while
    its outbox message travels, then 已支付 / 已退回 as the budget execution system answers."""
    if status == PaymentStatus.paid:
        return "已支付"
    if status == PaymentStatus.returned:
        return "已退回"
    if status == PaymentStatus.sent:
        return OUTBOX_LABELS.get(outbox_status or "pending", OUTBOX_LABELS["pending"])
    return "草稿"


class PaymentEventKind(StrEnum):
    """What the budget execution system reports on a sent application."""

    paid = "paid"
    returned = "returned"
    refunded = "refunded"


class OutboxMessage(Model):
    """A message to an outside system, kept until delivered; administrators can read it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("topic", "key", name="uq_outbox_topic_key"),
        Index("ix_outbox_due", "status", "next_attempt_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    delivered_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class PaymentApplication(Model):
    """资金支付申请 of one contract against one 用款计划 (or none for own funds)."""

    __tablename__ = "payment_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), nullable=False,
                                             index=True)
    spending_plan_id: Mapped[int | None] = mapped_column(ForeignKey("spending_plan.id"),
                                                         nullable=True, index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    pay_to_migrant: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Snapshot of the paying account at 支付申请: later changes of the supplier don't rewrite it.
    payee_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    payee_account: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    payee_bank: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    application_no: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PaymentStatus.draft,
                                        index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    sent_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    unit: Mapped[Unit] = relationship()
    contract: Mapped[Contract] = relationship()
    spending_plan: Mapped[SpendingPlan | None] = relationship()
    created_by: Mapped[Operator] = relationship()
    events: Mapped[list[PaymentEvent]] = relationship(back_populates="application",
                                                      order_by="PaymentEvent.id")

    # Loaded with the application (a correlated subquery on the unique topic/key index), so a
    # list page reads every row's delivery state without a query per row.
    outbox_status: Mapped[str | None] = column_property(
        select(OutboxMessage.status)
        .where(OutboxMessage.topic == PAYMENT_TOPIC, OutboxMessage.key == application_no)
        .scalar_subquery())

    @property
    def delivery_state(self) -> str:
        """状态 as every page and the API show it (:func:`delivery_state`)."""
        return delivery_state(self.status, self.outbox_status)

    def __repr__(self) -> str:
        return self.application_no or f"支付申请（草稿）：{self.contract.name}"


class PaymentEvent(Model):
    """What the budget execution system reported: paid, returned or refunded (once per id)."""

    __tablename__ = "payment_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    application_id: Mapped[int] = mapped_column(ForeignKey("payment_application.id"),
                                                nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # a PaymentEventKind
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    event_date: Mapped[date] = mapped_column(Date, nullable=False)
    voucher: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    received_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    application: Mapped[PaymentApplication] = relationship(back_populates="events")
