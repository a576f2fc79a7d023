"""采购方式失败变更 and 用款计划调减: filings that change a plan or a spending plan."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.organisation import Unit
from models.people import Operator
from models.plans import MONEY, Method, ProcurementPlan, SpendingPlan


class MethodChange(Model):
    """采购方式失败变更: after a failed procurement, the plan continues with a new method."""

    __tablename__ = "method_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("procurement_plan.id"), nullable=False,
                                         index=True)
    old_method: Mapped[Method] = mapped_column(
        Enum(Method, name="method", native_enum=False, length=24), nullable=False)
    new_method: Mapped[Method] = mapped_column(
        Enum(Method, name="method", native_enum=False, length=24), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    attachment_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attachment_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Kept by the workflow adapter, as on every record with a chain.
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    completed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    unit: Mapped[Unit] = relationship()
    plan: Mapped[ProcurementPlan] = relationship()
    created_by: Mapped[Operator] = relationship()

    def __repr__(self) -> str:
        return f"采购方式变更 {self.id}"


class ReductionKind(enum.Enum):
    """Why a spending plan is reduced (the two cases of the 用款计划调减 slides)."""

    misflagged = "误选为政府采购"
    balance = "合同签订后结余资金"

    def __str__(self) -> str:
        return self.value


class SpendingReduction(Model):
    """用款计划调减: release part of a spending plan; applied when its chain completes."""

    __tablename__ = "spending_reduction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    spending_plan_id: Mapped[int] = mapped_column(ForeignKey("spending_plan.id"),
                                                  nullable=False, index=True)
    kind: Mapped[ReductionKind] = mapped_column(
        Enum(ReductionKind, name="reduction_kind", native_enum=False, length=16), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    completed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    unit: Mapped[Unit] = relationship()
    spending_plan: Mapped[SpendingPlan] = relationship()
    created_by: Mapped[Operator] = relationship()

    def __repr__(self) -> str:
        return f"用款计划调减 {self.id}"
