"""采购意向, 用款计划, 品目 and 采购计划备案 with its items, funding and numbering."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.clock import utcnow
from models.organisation import Region, Unit
from models.people import Operator

MONEY = Numeric(18, 2)


class Category(enum.Enum):
    """项目分类 of a 品目."""

    goods = "货物"
    works = "工程"
    services = "服务"

    def __str__(self) -> str:
        return self.value


class Method(enum.Enum):
    """采购方式, with the short name used in plan numbers (豫财招标采购-2020-1289)."""

    open_tender = "公开招标"
    invited_tender = "邀请招标"
    negotiation = "竞争性谈判"
    consultation = "竞争性磋商"
    inquiry = "询价"
    single_source = "单一来源"
    online_mall = "网上商城采购"
    agreement = "协议供货"
    framework = "框架协议采购"

    def __str__(self) -> str:
        return self.value


METHOD_SHORT = {
    Method.open_tender: "招标", Method.invited_tender: "邀标", Method.negotiation: "谈判",
    Method.consultation: "磋商", Method.inquiry: "询价", Method.single_source: "单一来源",
    Method.online_mall: "商城", Method.agreement: "协议", Method.framework: "框架",
}


class Organisation(enum.Enum):
    """组织形式."""

    central_agency = "集中采购机构采购"
    department = "部门集中采购"
    decentralised = "分散采购"

    def __str__(self) -> str:
        return self.value


class FundSource(enum.Enum):
    """资金来源."""

    spending_plan = "用款计划"
    public_funds = "公用经费"
    other = "其它资金"

    def __str__(self) -> str:
        return self.value


class CatalogueItem(Model):
    """品目: admin data with the 网上商城 and 集中采购目录 flags and their amount limits."""

    __tablename__ = "catalogue_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    category: Mapped[Category] = mapped_column(
        Enum(Category, name="category", native_enum=False, length=16), nullable=False)
    in_mall: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    mall_limit: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    centralised: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    centralised_limit: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class IntentionStatus(enum.StrEnum):
    """Where a 采购意向 stands (draft → 公开 → 撤回); the stored value is the member's value."""

    draft = "draft"
    published = "published"
    withdrawn = "withdrawn"


class Intention(Model):
    """采购意向: published by a unit before it files a plan (郑州: 30 to 90 days before)."""

    __tablename__ = "intention"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    project_name: Mapped[str] = mapped_column(String(200), nullable=False)
    demand_summary: Mapped[str] = mapped_column(Text, nullable=False)
    budget_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    expected_month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    remark: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False,
                                        default=IntentionStatus.draft)
    published_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    withdrawn_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    withdraw_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[Operator] = relationship()

    def __repr__(self) -> str:
        return self.project_name


class SpendingPlan(Model):
    """用款计划 from the budget execution system; requested and paid amounts are derived."""

    __tablename__ = "spending_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_no: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    plan_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    imported_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    unit: Mapped[Unit] = relationship()

    def __repr__(self) -> str:
        return f"{self.external_no} {self.name}"


class ProcurementPlan(Model):
    """采购计划备案: the filing; its number is generated when its chain completes."""

    __tablename__ = "procurement_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    project_name: Mapped[str] = mapped_column(String(200), nullable=False)
    fund_source: Mapped[FundSource] = mapped_column(
        Enum(FundSource, name="fund_source", native_enum=False, length=16), nullable=False)
    # The method carrying the largest share of the items' amount: it names the plan number and
    # is what 计划查询 filters on; kept in line with the items by the plan service.
    method: Mapped[Method] = mapped_column(
        Enum(Method, name="method", native_enum=False, length=24), nullable=False)
    fiscal_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    own_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    has_imports: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    import_proof_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    import_proof_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # 审核流程 ticked: the competent department reviews (outside 郑州).
    competent_review: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # 郑州市 only: 是否关联采购意向.
    linked: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    intention_id: Mapped[int | None] = mapped_column(ForeignKey("intention.id"), nullable=True)
    unlinked_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    unlinked_proof_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    unlinked_proof_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    plan_number: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 index=True)
    completed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    unit: Mapped[Unit] = relationship()
    intention: Mapped[Intention | None] = relationship()
    created_by: Mapped[Operator] = relationship()
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.id")
    fundings: Mapped[list[PlanFunding]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanFunding.id")

    @property
    def total_amount(self) -> Decimal:
        """本次采购总金额 = 财政资金 + 自有资金."""
        return (self.fiscal_amount or Decimal("0")) + (self.own_amount or Decimal("0"))

    @property
    def is_engineering(self) -> bool:
        """工程类 project: at least one 采购内容 line is 工程."""
        return any(line.catalogue_item.category is Category.works for line in self.items)

    def __repr__(self) -> str:
        return self.project_name


class PlanItem(Model):
    """采购内容: one line of a plan."""

    __tablename__ = "plan_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("procurement_plan.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    catalogue_item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item.id"),
                                                   nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    method: Mapped[Method] = mapped_column(
        Enum(Method, name="method", native_enum=False, length=24), nullable=False)
    method_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    organisation: Mapped[Organisation] = mapped_column(
        Enum(Organisation, name="organisation", native_enum=False, length=24), nullable=False)
    procurement_form: Mapped[str] = mapped_column(String(50), nullable=False, default="")

    plan: Mapped[ProcurementPlan] = relationship(back_populates="items")
    catalogue_item: Mapped[CatalogueItem] = relationship()

    def __repr__(self) -> str:
        return f"{self.plan.project_name}：{self.catalogue_item.name} {self.amount:,.2f} 元"


class PlanFunding(Model):
    """本次申请使用金额 of one 用款计划 by one plan."""

    __tablename__ = "plan_funding"
    __table_args__ = (UniqueConstraint("plan_id", "spending_plan_id", name="uq_plan_funding"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("procurement_plan.id", ondelete="CASCADE"),
                                         nullable=False)
    spending_plan_id: Mapped[int] = mapped_column(ForeignKey("spending_plan.id"),
                                                  nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)

    plan: Mapped[ProcurementPlan] = relationship(back_populates="fundings")
    spending_plan: Mapped[SpendingPlan] = relationship()


class PlanNumberSequence(Model):
    """The last plan number given per region, method and year (gapless: same transaction)."""

    __tablename__ = "plan_number_sequence"

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True)
    method_short: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    region: Mapped[Region] = relationship()
