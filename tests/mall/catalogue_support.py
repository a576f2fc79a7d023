"""Seeders of the catalogue pages' query budgets (tests/test_query_budget.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from models import CatalogueItem, Operator
from models.mall import MallOffer, MallProduct, OfferPriceHistory, OfferStatus

SUPPLIER_A = "91410100MA470A1B25"  # 河南京采电子商务有限公司
SUPPLIER_B = "91410105MA480A1B20"  # 郑州苏采商贸有限公司


def _supplier_id(session: Any, username: str) -> int:
    return session.scalar(select(Operator.supplier_id).where(Operator.username == username))


def mall_products(session: Any, user: Operator, start: int, count: int) -> None:
    """Products of 激光打印机, each with a listed offer of two suppliers and its history."""
    item = session.scalar(select(CatalogueItem).where(CatalogueItem.code == "A02021003"))
    suppliers = [_supplier_id(session, name) for name in (SUPPLIER_A, SUPPLIER_B)]
    for n in range(start, start + count):
        product = MallProduct(catalogue_item=item, brand="量测", model=f"LT-{n:04d}",
                              name="黑白激光打印机", unit_name="台",
                              configuration="打印速度：30页/分钟")
        session.add(product)
        for number, supplier_id in enumerate(suppliers):
            offer = MallOffer(product=product, supplier_id=supplier_id,
                              supplier_sku=f"LT-{number}-{n:04d}", status=OfferStatus.listed,
                              price=Decimal("1000.00") + n, stock=10, lead_days=3)
            session.add(offer)
            session.add(OfferPriceHistory(offer=offer, price=offer.price, stock=10,
                                          source="edit"))


def mall_pending_offers(session: Any, user: Operator, start: int, count: int) -> None:
    """Products each offered by supplier A and waiting for 上架审核."""
    item = session.scalar(select(CatalogueItem).where(CatalogueItem.code == "A05040101"))
    supplier_id = _supplier_id(session, SUPPLIER_A)
    for n in range(start, start + count):
        product = MallProduct(catalogue_item=item, brand="量测纸业", model=f"PP-{n:04d}",
                              name="复印纸", unit_name="箱")
        session.add(product)
        session.add(MallOffer(product=product, supplier_id=supplier_id,
                              supplier_sku=f"PP-{n:04d}", status=OfferStatus.pending,
                              price=Decimal("100.00"), stock=5, lead_days=2,
                              market_price=Decimal("120.00")))
