"""网上商城 catalogue: products (型号/SKU), supplier offers with their price history, the
region policies and the buyers' carts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
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
from models.contracts import Supplier
from models.organisation import Region
from models.people import Operator
from models.plans import MONEY, CatalogueItem, PlanItem


class OfferStatus(StrEnum):
    """Where a supplier's offer stands (上架审核, sanctions)."""

    pending = "pending"  # 待审核
    listed = "listed"  # 已上架: the only live state, buyers see and buy it
    rejected = "rejected"  # 审核未通过
    frozen = "frozen"  # 冻结 (sanction, reversible)
    delisted = "delisted"  # 已下架


OFFER_LABELS = {
    OfferStatus.pending: "待审核", OfferStatus.listed: "已上架", OfferStatus.rejected: "审核未通过",
    OfferStatus.frozen: "已冻结", OfferStatus.delisted: "已下架",
}


class MallProduct(Model):
    """商品 (one 型号 / SKU of a 网上商城品目): brand, model, configuration and policy flags."""

    __tablename__ = "mall_product"
    __table_args__ = (UniqueConstraint("catalogue_item_id", "brand", "model",
                                       name="uq_mall_product_model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue_item_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item.id"),
                                                   nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    brand: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    model: Mapped[str] = mapped_column(String(100), nullable=False)
    unit_name: Mapped[str] = mapped_column(String(16), nullable=False, default="台")  # 计量单位
    # 配置: one "参数：值" per line, shown as a table; the service keeps it well-formed.
    configuration: Mapped[str] = mapped_column(Text, nullable=False, default="")
    energy_saving: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 节能
    environmental: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 环保
    imported: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 进口
    picture_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    picture_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    catalogue_item: Mapped[CatalogueItem] = relationship()
    offers: Mapped[list[MallOffer]] = relationship(back_populates="product",
                                                   order_by="MallOffer.price")

    def __repr__(self) -> str:
        return f"{self.brand} {self.model} {self.name}"


class MallOffer(Model):
    """A supplier's offer of one product: price, stock, lead time and the market reference."""

    __tablename__ = "mall_offer"
    __table_args__ = (
        UniqueConstraint("supplier_id", "product_id", name="uq_mall_offer_product"),
        UniqueConstraint("supplier_id", "supplier_sku", name="uq_mall_offer_sku"),
        Index("ix_mall_offer_live", "product_id", "status", "price"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("mall_product.id"), nullable=False)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), nullable=False,
                                             index=True)
    supplier_sku: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=OfferStatus.pending,
                                        index=True)
    status_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    stock: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lead_days: Mapped[int] = mapped_column(Integer, nullable=False, default=3)  # 供货周期（天）
    market_price: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)  # 参考市场价
    market_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    # 上架证明 (source of goods, SME declaration) for the listing review.
    evidence_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    evidence_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    reviewed_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    # When it last sold (the 180-day rule counts from the later of this and updated_on).
    last_sold_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    product: Mapped[MallProduct] = relationship(back_populates="offers")
    supplier: Mapped[Supplier] = relationship()
    reviewed_by: Mapped[Operator | None] = relationship()

    @property
    def live(self) -> bool:
        """Buyers may see and buy it."""
        return self.status == OfferStatus.listed

    @property
    def status_label(self) -> str:
        """状态 in Chinese."""
        return OFFER_LABELS.get(OfferStatus(self.status), self.status)

    def __repr__(self) -> str:
        return f"{self.supplier.name}：{self.product}"


class OfferPriceHistory(Model):
    """Append-only: each price (and stock) an offer had, from when to when, and from where."""

    __tablename__ = "mall_price_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("mall_offer.id"), nullable=False,
                                          index=True)
    price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    stock: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid_from: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # edit / sync / inspection
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)

    offer: Mapped[MallOffer] = relationship()


class MallPolicy(Model):
    """A region's mall rules (the row without a region is the default for every other)."""

    __tablename__ = "mall_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), unique=True,
                                                  nullable=True)
    confirm_hours: Mapped[int] = mapped_column(Integer, nullable=False, default=48)
    acceptance_pay_days: Mapped[int] = mapped_column(Integer, nullable=False, default=45)
    sme_delivery_pay_days: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    remind_days_before: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    evaluation_days: Mapped[int] = mapped_column(Integer, nullable=False, default=15)
    # An order line priced above the median of live offers by more than this share (percent)
    # is blocked (median_action "block") or flagged for supervision ("flag").
    median_margin_percent: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    median_action: Mapped[str] = mapped_column(String(8), nullable=False, default="block")
    # Offers without sale or edit for this many days are delisted (0: never).
    idle_delist_days: Mapped[int] = mapped_column(Integer, nullable=False, default=180)

    region: Mapped[Region | None] = relationship()


class CartLine(Model):
    """购物车 line of one operator: a plan line bought against, an offer, a quantity."""

    __tablename__ = "mall_cart_line"
    __table_args__ = (UniqueConstraint("operator_id", "plan_item_id", "offer_id",
                                       name="uq_mall_cart_line"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    plan_item_id: Mapped[int] = mapped_column(ForeignKey("plan_item.id"), nullable=False)
    offer_id: Mapped[int] = mapped_column(ForeignKey("mall_offer.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    seen_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)  # price when added
    added_on: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    operator: Mapped[Operator] = relationship()
    plan_item: Mapped[PlanItem] = relationship()
    offer: Mapped[MallOffer] = relationship()
