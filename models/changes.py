"""采购失败登记, 采购失败方式变更 and 用款计划调减: records that change a plan or a spending
plan."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.organisation import Unit
from models.people import Operator
from models.plans import MONEY, Method, ProcurementPlan, SpendingPlan


class ProcurementFailure(Model):
    """采购失败登记: the clerk records that a completed plan's procurement failed, when and why.

    A failure is open until a completed 采购失败方式变更 names it; only a plan with an open
    failure may change its method.
    """

    __tablename__ = "procurement_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("procurement_plan.id"), nullable=False,
                                         index=True)
    # The method that failed: the plan's method when the failure was recorded.
    method: Mapped[Method] = mapped_column(
        Enum(Method, name="method", native_enum=False, length=24), nullable=False)
    failed_on: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    unit: Mapped[Unit] = relationship()
    plan: Mapped[ProcurementPlan] = relationship()
    created_by: Mapped[Operator] = relationship()

    def __repr__(self) -> str:
        return f"{self.plan.project_name}（{self.failed_on:%Y-%m-%d}{self.method.value}失败）"


class MethodChange(Model):
    """采购失败方式变更: after a failed procurement, the plan continues with a new method."""

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
    # The recorded failure this change answers (set by the service from the plan).
    failure_id: Mapped[int | None] = mapped_column(ForeignKey("procurement_failure.id"),
                                                   nullable=True, index=True)
    # On completion the plan takes a number of the new method; the old one is kept here.
    old_plan_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    new_plan_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attachment_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attachment_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Kept by the workflow adapter, as on every record with a chain.
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    completed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    unit: Mapped[Unit] = relationship()
    plan: Mapped[ProcurementPlan] = relationship()
    failure: Mapped[ProcurementFailure | None] = relationship()
    created_by: Mapped[Operator] = relationship()

    def __repr__(self) -> str:
        return f"采购失败方式变更：{self.plan.project_name}"


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
        return f"用款计划调减：{self.spending_plan.external_no} {self.spending_plan.name}"
