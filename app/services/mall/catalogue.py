"""网上商城 catalogue: products (商城商品), the buyers' search, live offers and price evidence.

A product is live for buyers while it is active and has at least one 已上架 offer; what a
supplier offers and the 上架审核 are :mod:`app.services.mall.offers` (re-exported here:
:func:`sync_offers`, :func:`delist_idle`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from app.permissions import SYS_ADMIN
from app.services.errors import NotFound, NotInScope, PermissionDenied, ValidationFailed
from app.services.mall.offers import delist_idle, sync_offers
from app.services.records import required_text, save_record
from models import CatalogueItem, Operator
from models.mall import MallOffer, MallPolicy, MallProduct, OfferStatus
from models.values import CONTROL_TEXT, bad_text, id_in_text, valid_id

__all__ = [
    "Evidence", "ProductHit", "SearchPage", "check_median", "deactivate_product",
    "delete_product", "delist_idle", "live_offers", "normalise_configuration",
    "parse_configuration", "price_evidence", "price_evidences", "save_product", "search",
    "sync_offers",
]

PAGE_SIZE = 20
MAX_PAGE = 10_000
CENT = Decimal("0.01")
FLAGS = ("energy_saving", "environmental", "imported")
FLAG_LABELS = {"energy_saving": "节能", "environmental": "环保", "imported": "进口"}
SEPARATORS = ("：", ":")


def _admin(actor: Operator | None) -> Operator:
    if actor is None or actor.post_code != SYS_ADMIN:
        raise PermissionDenied("只有系统管理员可以维护商城商品。")
    return actor


def parse_configuration(text: str | None) -> list[tuple[str, str]]:
    """The configuration as (参数, 值) pairs, in the order written (stored text is normalised)."""
    pairs = []
    for line in (text or "").splitlines():
        key, _, value = line.replace(":", "：", 1).partition("：")
        if key.strip():
            pairs.append((key.strip(), value.strip()))
    return pairs


def normalise_configuration(text: str | None) -> str:
    """配置 as stored: one ``参数：值`` per line, blank lines dropped, each 参数 once.

    :raises ValidationFailed: a line without ``：``, an empty 参数 or 值, a repeated 参数
    """
    seen: set[str] = set()
    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        at = min((line.find(sep) for sep in SEPARATORS if sep in line), default=-1)
        key, value = line[:at].strip(), line[at + 1:].strip()
        if at < 0 or not key or not value:
            raise ValidationFailed(f"配置第{number}行应为“参数：值”的形式，如“内存：16GB”。",
                                   field="configuration")
        if key in seen:
            raise ValidationFailed(f"配置参数“{key}”重复。", field="configuration")
        seen.add(key)
        lines.append(f"{key}：{value}")
    if len("\n".join(lines)) > 5000:
        raise ValidationFailed("配置不能超过5000个字。", field="configuration")
    return "\n".join(lines)


def _check_product(session: Session, product: MallProduct) -> None:
    item_id = product.catalogue_item_id
    item = session.get(CatalogueItem, item_id) if valid_id(item_id) else None
    if item is None or not item.in_mall:
        raise NotInScope("请选择网上商城目录内的品目。", field="catalogue_item",
                         code="mall_item_not_in_mall")
    product.brand = required_text(product.brand, "品牌", 100, field="brand")
    product.model = required_text(product.model, "型号", 100, field="model")
    product.name = required_text(product.name, "商品名称", 200, field="name")
    product.unit_name = required_text(product.unit_name or "台", "计量单位", 16,
                                      field="unit_name")
    for text in (product.brand, product.model, product.name, product.unit_name,
                 product.configuration or ""):
        if bad_text(text):
            raise ValidationFailed(CONTROL_TEXT)
    product.configuration = normalise_configuration(product.configuration)
    for flag in (*FLAGS, "active"):
        setattr(product, flag, bool(getattr(product, flag)))
    clash = session.scalar(select(MallProduct.id).where(
        MallProduct.catalogue_item_id == item_id, MallProduct.brand == product.brand,
        MallProduct.model == product.model, MallProduct.id != product.id))
    if clash:
        raise ValidationFailed(
            f"品目“{item.name}”下已有品牌“{product.brand}”、型号“{product.model}”的商品。",
            field="model", code="mall_product_duplicate")


def save_product(session: Session, actor: Operator | None, data: Mapping[str, Any],
                 item: MallProduct | None = None) -> MallProduct:
    """商城商品 保存 (系统管理员): a new product or a change of one.

    :param data: column values (``catalogue_item_id``, ``brand``, ``model``, ``name``,
        ``unit_name``, ``configuration``, the flags, ``active``)
    :raises PermissionDenied: the actor is not the system administrator
    :raises NotInScope: the 品目 is missing or not in the 网上商城目录
    :raises ValidationFailed: a missing text, a malformed configuration, a duplicate model
    """
    _admin(actor)
    allowed = {"catalogue_item_id", "brand", "model", "name", "unit_name", "configuration",
               "active", *FLAGS}
    values = {k: v for k, v in data.items() if k in allowed}
    return save_record(session, MallProduct, item, values,
                       lambda record, creating: _check_product(session, record))


def deactivate_product(session: Session, actor: Operator | None, product_id: Any) -> MallProduct:
    """停用 a product: buyers no longer find it; its offers and history stay.

    :raises PermissionDenied: the actor is not the system administrator
    :raises NotFound: no such product
    """
    _admin(actor)
    product = session.get(MallProduct, product_id) if valid_id(product_id) else None
    if product is None:
        raise NotFound("商品不存在。", code="mall_product_not_found")
    product.active = False
    return product


def delete_product(session: Session, actor: Operator | None, item: MallProduct) -> None:
    """删除 a product nobody has offered yet (one with offers is 停用 instead).

    :raises PermissionDenied: the actor is not the system administrator
    :raises ValidationFailed: the product has offers
    """
    _admin(actor)
    if session.scalar(select(MallOffer.id).where(MallOffer.product_id == item.id).limit(1)):
        raise ValidationFailed("该商品已有供应商报价，不能删除；如不再销售，请取消“启用”。",
                               code="mall_product_has_offers")
    session.delete(item)


@dataclass(frozen=True)
class ProductHit:
    """One search result: the product, its lowest live price and how many suppliers offer it."""

    product: MallProduct
    lowest: Decimal
    offers: int


@dataclass(frozen=True)
class SearchPage:
    """A page of search results."""

    rows: list[ProductHit]
    total: int
    number: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max(1, -(-self.total // PAGE_SIZE))


def _text_filter(value: Any, label: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if bad_text(text):
        raise ValidationFailed(CONTROL_TEXT, field=label)
    if len(text) > 100:
        raise ValidationFailed(f"{label}不能超过100个字。", field=label)
    return text


def _page_number(value: Any) -> int:
    if value in (None, ""):
        return 1
    number = value if isinstance(value, int) and not isinstance(value, bool) else (
        id_in_text(value) if isinstance(value, str) else None)
    if number is None or number < 1:
        raise ValidationFailed("页码不正确。", field="page")
    return min(number, MAX_PAGE)


def _item_filter(value: Any) -> int | None:
    if value in (None, ""):
        return None
    pk = value if valid_id(value) else id_in_text(value) if isinstance(value, str) else None
    if pk is None:
        raise NotInScope("所选品目不存在。", field="catalogue_item_id")
    return pk


def search(session: Session, keyword: Any = "", catalogue_item_id: Any = None,
           brand: Any = "", model: Any = "", page: Any = 1) -> SearchPage:
    """商品搜索: active products with at least one live offer, lowest price and offer count.

    Texts match anywhere, case-insensitively; the keyword also searches name, 品目 name and
    configuration. Results come in one query (the total by a window count), ordered by 品目,
    brand, model.

    :raises ValidationFailed: a filter with control characters, too long, a bad page number
    :raises NotInScope: a 品目 id that cannot be one
    """
    words, brand_text = _text_filter(keyword, "关键词"), _text_filter(brand, "品牌")
    model_text, item_id = _text_filter(model, "型号"), _item_filter(catalogue_item_id)
    number = _page_number(page)
    conditions: list[ColumnElement[bool]] = [MallProduct.active.is_(True)]
    if item_id is not None:
        conditions.append(MallProduct.catalogue_item_id == item_id)
    if brand_text:
        conditions.append(MallProduct.brand.icontains(brand_text, autoescape=True))
    if model_text:
        conditions.append(MallProduct.model.icontains(model_text, autoescape=True))
    if words:
        conditions.append(or_(*(column.icontains(words, autoescape=True) for column in (
            MallProduct.name, MallProduct.brand, MallProduct.model, MallProduct.configuration,
            CatalogueItem.name, CatalogueItem.code))))
    matching = (select(MallProduct.id)
                .join(MallProduct.catalogue_item)
                .join(MallOffer, (MallOffer.product_id == MallProduct.id)
                      & (MallOffer.status == OfferStatus.listed))
                .where(*conditions)
                .group_by(MallProduct.id, CatalogueItem.id))
    query = (matching.with_only_columns(MallProduct, func.min(MallOffer.price),
                                        func.count(MallOffer.id), func.count().over())
             .options(contains_eager(MallProduct.catalogue_item))
             .order_by(CatalogueItem.code, MallProduct.brand, MallProduct.model, MallProduct.id)
             .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    rows = session.execute(query).all()
    total = int(rows[0][3]) if rows else 0
    if not rows and number > 1:  # past the last page: the window count saw no row
        total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    return SearchPage([ProductHit(product, Decimal(lowest), int(count))
                       for product, lowest, count, _total in rows], total, number)


def live_product(session: Session, product_id: Any) -> MallProduct:
    """An active product by id (the buyers' product page).

    :raises NotFound: no such product, or it is no longer sold
    """
    product = session.get(MallProduct, product_id) if valid_id(product_id) else None
    if product is None or not product.active:
        raise NotFound("商品不存在或已停止销售。", code="mall_product_not_found")
    return product


def live_offers(session: Session, product_id: int) -> list[MallOffer]:
    """The 已上架 offers of an active product: price ascending, then shorter lead, then id."""
    return list(session.scalars(
        select(MallOffer).join(MallProduct, MallProduct.id == MallOffer.product_id)
        .where(MallOffer.product_id == product_id, MallOffer.status == OfferStatus.listed,
               MallProduct.active.is_(True))
        .options(joinedload(MallOffer.supplier))
        .order_by(MallOffer.price, MallOffer.lead_days, MallOffer.id)))


@dataclass(frozen=True)
class Evidence:
    """价格依据 of a product now: its lowest and median live price and how many offers."""

    lowest: Decimal | None
    median: Decimal | None
    count: int
    lowest_offer_id: int | None


def _evidence(offers: list[MallOffer]) -> Evidence:
    """The evidence of live offers in :func:`live_offers` order."""
    if not offers:
        return Evidence(None, None, 0, None)
    middle = Decimal(statistics.median([offer.price for offer in offers])).quantize(CENT)
    return Evidence(offers[0].price, middle, len(offers), offers[0].id)


def price_evidence(session: Session, product_id: int) -> Evidence:
    """The lowest and median price of the product's live offers (``None`` when it has none)."""
    return _evidence(live_offers(session, product_id))


def price_evidences(session: Session, product_ids: Iterable[int]) -> dict[int, Evidence]:
    """:func:`price_evidence` of each product given, in one query (a list of many products)."""
    wanted = set(product_ids)
    if not wanted:
        return {}
    offers: dict[int, list[MallOffer]] = {pk: [] for pk in wanted}
    for offer in session.scalars(
            select(MallOffer).join(MallProduct, MallProduct.id == MallOffer.product_id)
            .where(MallOffer.product_id.in_(wanted), MallOffer.status == OfferStatus.listed,
                   MallProduct.active.is_(True))
            .order_by(MallOffer.product_id, MallOffer.price, MallOffer.lead_days, MallOffer.id)):
        offers[offer.product_id].append(offer)
    return {pk: _evidence(found) for pk, found in offers.items()}


def check_median(session: Session, offer: MallOffer, policy: MallPolicy) -> bool:
    """Whether the offer's price is above the median of live prices by more than the region's
    ``median_margin_percent`` (True: the order line is blocked or flagged, per
    ``policy.median_action``)."""
    evidence = price_evidence(session, offer.product_id)
    if evidence.median is None:
        return False
    bound = evidence.median * (Decimal(100) + Decimal(policy.median_margin_percent)) / 100
    return Decimal(offer.price) > bound
