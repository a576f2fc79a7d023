"""Suppliers, 农民工工资专用账户 and 合同备案 with its funding per 用款计划."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.organisation import Unit
from models.people import Operator
from models.plans import MONEY, PlanItem, ProcurementPlan, SpendingPlan


class Supplier(Model):
    """供应商, identified by its 统一社会信用代码 (check digit verified by the service)."""

    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    contact_name: Mapped[str] = mapped_column(String(50), nullable=False)
    contact_phone: Mapped[str] = mapped_column(String(20), nullable=False)
    legal_name: Mapped[str] = mapped_column(String(50), nullable=False)
    legal_phone: Mapped[str] = mapped_column(String(20), nullable=False)
    bank_account_name: Mapped[str] = mapped_column(String(200), nullable=False)
    bank_account_no: Mapped[str] = mapped_column(String(40), nullable=False)
    bank_name: Mapped[str] = mapped_column(String(200), nullable=False)
    # 中小企业 as the supplier declares it; a 网上商城 order fixes it when confirmed.
    sme: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                      server_default=false())
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"{self.name}（{self.credit_code}）"


class MigrantAccount(Model):
    """农民工工资专用账户 of an engineering project, opened by its general contractor."""

    __tablename__ = "migrant_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("procurement_plan.id"), unique=True,
                                         nullable=False)
    account_name: Mapped[str] = mapped_column(String(200), nullable=False)
    account_no: Mapped[str] = mapped_column(String(40), nullable=False)
    bank_name: Mapped[str] = mapped_column(String(200), nullable=False)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), nullable=False)

    plan: Mapped[ProcurementPlan] = relationship()
    contractor: Mapped[Supplier] = relationship()

    def __repr__(self) -> str:
        return f"{self.account_name} {self.bank_name} {self.account_no}"


contract_item = Table(
    "contract_item",
    Model.metadata,
    Column("contract_id", ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True),
    Column("plan_item_id", ForeignKey("plan_item.id"), primary_key=True),
)


class Contract(Model):
    """合同备案及公告: a contract of a completed plan, reviewed by the supervision department."""

    __tablename__ = "contract"
    __table_args__ = (UniqueConstraint("unit_id", "code", name="uq_contract_unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("procurement_plan.id"), nullable=False,
                                         index=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    total_contracts: Mapped[int] = mapped_column(Integer, nullable=False)  # 项目总合同份数
    total_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)  # 合同总金额
    file_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    announced_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    completed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    unit: Mapped[Unit] = relationship()
    plan: Mapped[ProcurementPlan] = relationship()
    supplier: Mapped[Supplier] = relationship()
    created_by: Mapped[Operator] = relationship()
    items: Mapped[list[PlanItem]] = relationship(secondary=contract_item)
    fundings: Mapped[list[ContractFunding]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractFunding.id")
    notices: Mapped[list[ContractNotice]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractNotice.id")
    # The plan's 农民工工资专用账户 (engineering projects), read with the contract.
    migrant_account: Mapped[MigrantAccount | None] = relationship(
        primaryjoin="Contract.plan_id == foreign(MigrantAccount.plan_id)", viewonly=True,
        uselist=False)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class ContractFunding(Model):
    """本合同拟使用计划金额 of one 用款计划."""

    __tablename__ = "contract_funding"
    __table_args__ = (UniqueConstraint("contract_id", "spending_plan_id",
                                       name="uq_contract_funding"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"),
                                             nullable=False)
    spending_plan_id: Mapped[int] = mapped_column(ForeignKey("spending_plan.id"),
                                                  nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)

    contract: Mapped[Contract] = relationship(back_populates="fundings")
    spending_plan: Mapped[SpendingPlan] = relationship()


class ContractNotice(Model):
    """合同公告 as published: the first 公告 or an 更正公告, with the public fields of that time.

    A notice is never changed once published; a correction is a new notice with its own time.
    """

    __tablename__ = "contract_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # announcement / correction
    published_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    unit_name: Mapped[str] = mapped_column(String(200), nullable=False)
    plan_number: Mapped[str] = mapped_column(String(64), nullable=False)
    project_name: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    supplier_name: Mapped[str] = mapped_column(String(200), nullable=False)
    supplier_credit_code: Mapped[str] = mapped_column(String(18), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    total_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    total_contracts: Mapped[int] = mapped_column(Integer, nullable=False)
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    # 更正事项 of a correction, one "label：由 old 更正为 new" per line.
    corrections: Mapped[str] = mapped_column(Text, nullable=False, default="")

    contract: Mapped[Contract] = relationship(back_populates="notices")
