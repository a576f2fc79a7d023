"""After confirmation: shipments, acceptance with its after-sale cases, payments, evaluation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.mall.orders import MallOrder, MallOrderLine
from models.payments import PaymentApplication
from models.people import Operator
from models.plans import MONEY


class MallShipment(Model):
    """发货: one waybill with the quantities of each line it carries (split shipments)."""

    __tablename__ = "mall_shipment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    waybill: Mapped[str] = mapped_column(String(64), nullable=False)
    carrier: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    shipped_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    delivered_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    order: Mapped[MallOrder] = relationship()
    lines: Mapped[list[MallShipmentLine]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="MallShipmentLine.id")


class MallShipmentLine(Model):
    """How many of one order line a shipment carries."""

    __tablename__ = "mall_shipment_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("mall_shipment.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("mall_order_line.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)

    shipment: Mapped[MallShipment] = relationship(back_populates="lines")
    order_line: Mapped[MallOrderLine] = relationship()


class MallAcceptance(Model):
    """验收: one acceptance record of an order (method, note, attachment) with its lines."""

    __tablename__ = "mall_acceptance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(32), nullable=False)  # 验收方式
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    file_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    accepted_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    accepted_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    order: Mapped[MallOrder] = relationship()
    accepted_by: Mapped[Operator] = relationship()
    lines: Mapped[list[MallAcceptanceLine]] = relationship(
        back_populates="acceptance", cascade="all, delete-orphan",
        order_by="MallAcceptanceLine.id")


class MallAcceptanceLine(Model):
    """Accepted and rejected quantities of one order line in one acceptance."""

    __tablename__ = "mall_acceptance_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    acceptance_id: Mapped[int] = mapped_column(
        ForeignKey("mall_acceptance.id", ondelete="CASCADE"), nullable=False, index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("mall_order_line.id"), nullable=False)
    accepted_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    acceptance: Mapped[MallAcceptance] = relationship(back_populates="lines")
    order_line: Mapped[MallOrderLine] = relationship()


class AfterSaleCase(Model):
    """售后: a rejected quantity of one order line, until replaced, returned or settled."""

    __tablename__ = "mall_after_sale"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("mall_order_line.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    resolution: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    resolved_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    order: Mapped[MallOrder] = relationship()
    order_line: Mapped[MallOrderLine] = relationship()


class MallPayment(Model):
    """付款 of an order: by 公务卡, 转账 or 支票 recorded by the buyer, or a 资金支付申请."""

    __tablename__ = "mall_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # None: 支付申请 under way
    voucher_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    voucher_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payment_application_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_application.id"), nullable=True, unique=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    order: Mapped[MallOrder] = relationship()
    payment_application: Mapped[PaymentApplication | None] = relationship()
    recorded_by: Mapped[Operator] = relationship()


class MallEvaluation(Model):
    """评价 of an order by the buyer (scores 1–5), or the default mark when the window elapsed."""

    __tablename__ = "mall_evaluation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id", ondelete="CASCADE"),
                                          nullable=False, unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), nullable=False,
                                             index=True)
    quality: Mapped[int] = mapped_column(Integer, nullable=False)
    delivery: Mapped[int] = mapped_column(Integer, nullable=False)
    service: Mapped[int] = mapped_column(Integer, nullable=False)
    after_sale: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    by_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    order: Mapped[MallOrder] = relationship()
