"""Supplier offers (商品与报价), 上架审核 and sanctions, price/stock sync and idle delisting.

Every price or stock an offer had is in :class:`~models.mall.OfferPriceHistory`: a change
closes the open row (``valid_to``) and opens the next one, naming its source (``edit`` by the
supplier's page, ``sync`` by its API, ``inspection`` by an administrator).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.permissions import SUPPLIER, SYS_ADMIN
from app.services import files
from app.services.errors import (
    Conflict,
    NotFound,
    NotInScope,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from app.services.mall.core import locked, policy_for
from app.services.money import optional_money, parse_money
from app.services.records import optional_text, required_text
from app.timezone import utcnow
from models import Operator
from models.mall import OFFER_LABELS, MallOffer, MallProduct, OfferPriceHistory, OfferStatus
from models.values import CONTROL_TEXT, bad_text, valid_id

S = OfferStatus
# 上架审核 and sanctions: action -> (statuses it applies to, status it leads to).
REVIEW_MOVES: dict[str, tuple[frozenset[OfferStatus], OfferStatus]] = {
    "approve": (frozenset({S.pending}), S.listed),
    "reject": (frozenset({S.pending}), S.rejected),
    "freeze": (frozenset({S.listed}), S.frozen),
    "unfreeze": (frozenset({S.frozen}), S.listed),
    "delist": (frozenset({S.pending, S.listed, S.frozen}), S.delisted),
}
REVIEW_LABELS = {"approve": "审核通过", "reject": "驳回", "freeze": "冻结", "unfreeze": "解冻",
                 "delist": "下架"}
REASON_REQUIRED = frozenset({"reject", "freeze", "unfreeze", "delist"})
# The supplier's own moves: 下架 while pending or listed (a frozen offer stays under its
# sanction), 重新提交审核 once delisted or rejected.
SUPPLIER_MOVES: dict[str, tuple[frozenset[OfferStatus], OfferStatus]] = {
    "withdraw": (frozenset({S.pending, S.listed}), S.delisted),
    "resubmit": (frozenset({S.delisted, S.rejected}), S.pending),
}
SUPPLIER_LABELS = {"withdraw": "下架", "resubmit": "重新提交审核"}
SOURCES = {"edit": "供应商修改", "sync": "接口同步", "inspection": "价格巡检"}
MAX_SYNC_ITEMS = 500
MAX_STOCK = 10_000_000


def review_allows(kind: str, status: str) -> bool:
    """Whether 上架审核 action ``kind`` applies to an offer in ``status`` (buttons follow)."""
    move = REVIEW_MOVES.get(kind)
    return move is not None and status in move[0]


def supplier_allows(kind: str, status: str) -> bool:
    """Whether the supplier's ``kind`` (withdraw, resubmit) applies to an offer in ``status``."""
    move = SUPPLIER_MOVES.get(kind)
    return move is not None and status in move[0]


def _refusal(label: str, status: str) -> Conflict:
    return Conflict(f"报价当前状态为“{OFFER_LABELS.get(S(status), status)}”，不能{label}。",
                    code="mall_offer_state")


def supplier_of(actor: Operator | None) -> int:
    """The supplier an operator acts for (the one guard of the supplier's offer pages).

    :raises PermissionDenied: the actor is not a supplier's account
    """
    if actor is None or actor.post_code != SUPPLIER or actor.supplier_id is None:
        raise PermissionDenied("只有供应商账号可以维护商品报价。")
    return actor.supplier_id


def own_offer(session: Session, actor: Operator | None, offer_id: Any) -> MallOffer:
    """An offer the actor may see: its supplier's, or any for the system administrator.

    :raises NotFound: no such offer of the actor's supplier
    """
    offer = session.get(MallOffer, offer_id) if valid_id(offer_id) else None
    admin = actor is not None and actor.post_code == SYS_ADMIN
    if offer is None or not (admin or (actor is not None and actor.supplier_id is not None
                                       and offer.supplier_id == actor.supplier_id)):
        raise NotFound("报价不存在或不属于本供应商。", code="mall_offer_not_found")
    return offer


@dataclass
class OfferInput:
    """A supplier's offer form (text as typed; files as uploaded)."""

    product_id: Any = None
    supplier_sku: Any = ""
    price: Any = ""
    stock: Any = ""
    lead_days: Any = ""
    market_price: Any = ""
    market_url: Any = ""
    evidence: FileStorage | None = None


def _whole(value: Any, label: str, field: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            raise ValidationFailed(f"请填写{label}。", field=field)
        digits = text.isascii() and text.isdigit()
        # A long run of digits is out of range, not "not a number" (and never parsed whole).
        number = (int(text) if len(text) < 10 else high + 1) if digits else None
    if number is None:
        raise ValidationFailed(f"{label}必须是整数。", field=field)
    if not low <= number <= high:
        raise ValidationFailed(f"{label}应在{low}至{high}之间。", field=field)
    return number


def _url(value: Any) -> str:
    text = optional_text(value if isinstance(value, str) else "", "参考链接", 500,
                         field="market_url")
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in text \
            or bad_text(text):
        raise ValidationFailed("参考链接必须是以 http:// 或 https:// 开头的网址。",
                               field="market_url")
    return text


def _sku(value: Any) -> str:
    sku = required_text(value if isinstance(value, str) else "", "供应商商品编号", 64,
                        field="supplier_sku")
    if bad_text(sku):
        raise ValidationFailed(CONTROL_TEXT, field="supplier_sku")
    return sku


def _record_price(session: Session, offer: MallOffer, price: Decimal, stock: int, source: str,
                  actor: Operator | None, now: datetime) -> None:
    """Set price and stock; a change closes the open history row and opens the next."""
    if offer.id is not None and price == offer.price and stock == offer.stock:
        return
    if offer.id is not None:
        for row in session.scalars(select(OfferPriceHistory).where(
                OfferPriceHistory.offer_id == offer.id, OfferPriceHistory.valid_to.is_(None))):
            row.valid_to = now
    offer.price, offer.stock = price, stock
    session.add(OfferPriceHistory(offer=offer, price=price, stock=stock, valid_from=now,
                                  source=source, actor_id=actor.id if actor else None))


def _apply(session: Session, actor: Operator, offer: MallOffer, data: OfferInput) -> None:
    sku = _sku(data.supplier_sku)
    price = parse_money(data.price, "报价", positive=True, field="price")
    stock = _whole(data.stock, "库存", "stock", 0, MAX_STOCK)
    lead = _whole(data.lead_days, "供货周期（天）", "lead_days", 1, 365)
    market = optional_money(data.market_price, "参考市场价", positive=True,
                            field="market_price")
    url = _url(data.market_url)
    taken = select(MallOffer.id).where(MallOffer.supplier_id == offer.supplier_id,
                                       MallOffer.supplier_sku == sku)
    clash = session.scalar(taken.where(MallOffer.id != offer.id) if offer.id else taken)
    if clash:
        raise ValidationFailed(f"供应商商品编号“{sku}”已用于本供应商的其他报价。",
                               field="supplier_sku", code="mall_sku_taken")
    if data.evidence is not None and data.evidence.filename:
        stored = files.store_upload(data.evidence, "上架证明")
        offer.evidence_path, offer.evidence_name = stored.path, stored.name
    now = utcnow()
    offer.supplier_sku, offer.lead_days = sku, lead
    offer.market_price, offer.market_url = market, url
    offer.updated_on = now
    _record_price(session, offer, price, stock, "edit", actor, now)


def add_offer(session: Session, actor: Operator | None, data: OfferInput) -> MallOffer:
    """增加报价: the supplier offers an active product; the offer waits for 上架审核.

    :raises PermissionDenied: the actor is not a supplier's account
    :raises NotInScope: the product is missing or no longer sold
    :raises ValidationFailed: a field breaks its rule, the SKU is taken, the product is
        already offered by this supplier
    :raises InvalidAmount: the price or market price is not a positive amount
    """
    supplier_id = supplier_of(actor)
    assert actor is not None
    product = session.get(MallProduct, data.product_id) if valid_id(data.product_id) else None
    if product is None or not product.active:
        raise NotInScope("请选择在售的商城商品。", field="product_id",
                         code="mall_product_not_found")
    if session.scalar(select(MallOffer.id).where(MallOffer.supplier_id == supplier_id,
                                                 MallOffer.product_id == product.id)):
        raise ValidationFailed("本供应商已报价该商品，请在原报价上修改。", field="product_id",
                               code="mall_offer_exists")
    offer = MallOffer(product=product, supplier_id=supplier_id, status=S.pending,
                      status_reason="", created_on=utcnow())
    with session.no_autoflush:
        _apply(session, actor, offer, data)
    session.add(offer)
    session.flush()  # the caller (a page, the API) names the new offer by its id
    return offer


def edit_offer(session: Session, actor: Operator | None, offer_id: Any,
               data: OfferInput) -> MallOffer:
    """修改报价: its status stays; a price or stock change is a new history row (``edit``).

    :raises PermissionDenied: the actor is not a supplier's account
    :raises NotFound: the offer is not this supplier's
    :raises ValidationFailed: as :func:`add_offer`
    """
    supplier_of(actor)
    assert actor is not None
    offer = own_offer(session, actor, offer_id)
    with session.no_autoflush:
        _apply(session, actor, offer, data)
    return offer


def _move(offer: MallOffer, moves: dict[str, tuple[frozenset[OfferStatus], OfferStatus]],
          kind: str, label: str, reason: str, actor: Operator | None) -> MallOffer:
    move = moves.get(kind)
    if move is None:
        raise NotFound("没有这项操作。", code="mall_offer_action")
    if offer.status not in move[0]:
        raise _refusal(label, offer.status)
    offer.status, offer.status_reason = move[1], reason
    if actor is not None and actor.post_code == SYS_ADMIN:
        offer.reviewed_by_id, offer.reviewed_on = actor.id, utcnow()
    return offer


def supplier_move(session: Session, actor: Operator | None, offer_id: Any,
                  kind: str) -> MallOffer:
    """The supplier's 下架 (``withdraw``) or 重新提交审核 (``resubmit``) of its own offer.

    :raises PermissionDenied: the actor is not a supplier's account
    :raises NotFound: the offer is not this supplier's, or no such action
    :raises Conflict: the action does not apply to the offer's status (``mall_offer_state``)
    """
    supplier_of(actor)
    offer = own_offer(session, actor, offer_id)
    reason = "供应商自行下架。" if kind == "withdraw" else ""
    return _move(offer, SUPPLIER_MOVES, kind, SUPPLIER_LABELS.get(kind, kind), reason, actor)


def review_offer(session: Session, actor: Operator | None, offer_id: Any, kind: str,
                 reason: Any = "") -> MallOffer:
    """上架审核 and sanctions (系统管理员): approve, reject, freeze, unfreeze, delist.

    :param reason: required for all but approve; kept as the offer's ``status_reason``
    :raises PermissionDenied: the actor is not the system administrator
    :raises NotFound: no such offer, or no such action
    :raises ValidationFailed: a required reason is missing (field ``reason``)
    :raises Conflict: the action does not apply to the offer's status (``mall_offer_state``)
    """
    if actor is None or actor.post_code != SYS_ADMIN:
        raise PermissionDenied("只有系统管理员可以办理上架审核。")
    offer = own_offer(session, actor, offer_id)
    label = REVIEW_LABELS.get(kind, kind)
    text = optional_text(reason if isinstance(reason, str) else "", "原因", 500, field="reason")
    if bad_text(text):
        raise ValidationFailed(CONTROL_TEXT, field="reason")
    if kind in REASON_REQUIRED and review_allows(kind, offer.status) and not text:
        raise ValidationFailed(f"请填写{label}原因。", field="reason")
    return _move(offer, REVIEW_MOVES, kind, label, text, actor)


def inspect_price(session: Session, actor: Operator | None, offer_id: Any, price: Any,
                  stock: Any = None) -> MallOffer:
    """价格巡检 (系统管理员): correct an offer's price (and stock); history source ``inspection``.

    :raises PermissionDenied: the actor is not the system administrator
    :raises NotFound: no such offer
    :raises InvalidAmount: the price is not a positive amount
    :raises ValidationFailed: the stock is not a whole number from 0
    """
    if actor is None or actor.post_code != SYS_ADMIN:
        raise PermissionDenied("只有系统管理员可以办理价格巡检。")
    offer = own_offer(session, actor, offer_id)
    amount = parse_money(price, "巡检价格", positive=True, field="price")
    count = offer.stock if stock in (None, "") else _whole(stock, "库存", "stock", 0, MAX_STOCK)
    _record_price(session, offer, amount, count, "inspection", actor, utcnow())
    return offer


def price_history(session: Session, actor: Operator | None,
                  offer_id: Any) -> list[OfferPriceHistory]:
    """价格历史 of an offer the actor may see, newest first.

    :raises NotFound: the offer is not the actor's supplier's
    """
    offer = own_offer(session, actor, offer_id)
    return list(session.scalars(select(OfferPriceHistory).where(
        OfferPriceHistory.offer_id == offer.id).order_by(OfferPriceHistory.valid_from.desc(),
                                                         OfferPriceHistory.id.desc())))


def _sync_one(session: Session, offer: MallOffer | None, item: dict[str, Any],
              now: datetime) -> None:
    if offer is None:
        raise NotFound("没有该供应商商品编号的报价。", field="supplier_sku",
                       code="mall_offer_unknown_sku")
    price = offer.price if item.get("price") is None else parse_money(
        item["price"], "价格", positive=True, field="price")
    stock = offer.stock if item.get("stock") is None else _whole(
        item["stock"], "库存", "stock", 0, MAX_STOCK)
    if price != offer.price or stock != offer.stock:
        offer.updated_on = now
    _record_price(session, offer, price, stock, "sync", None, now)


def sync_offers(session: Session, supplier_id: int, items: list[dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """价格与库存同步 from a supplier's API, by its ``supplier_sku``: each item applied or
    refused on its own (an unknown SKU or a bad price leaves the others applied).

    :param items: ``{"supplier_sku", "price"?, "stock"?}`` each; a price as text
    :returns: per item, in order, ``{"supplier_sku", "ok", "code", "message"}``
    :raises ValidationFailed: ``items`` is not a list of at most :data:`MAX_SYNC_ITEMS`
    """
    if not isinstance(items, list) or len(items) > MAX_SYNC_ITEMS:
        raise ValidationFailed(f"items 应为最多{MAX_SYNC_ITEMS}项的列表。", field="items",
                               code="mall_sync_items")
    skus = [i.get("supplier_sku") for i in items if isinstance(i, dict)]
    texts = [s for s in skus if isinstance(s, str) and len(s) <= 64 and not bad_text(s)]
    offers = {offer.supplier_sku: offer for offer in locked(session, select(MallOffer).where(
        MallOffer.supplier_id == supplier_id, MallOffer.supplier_sku.in_(texts))
        .order_by(MallOffer.id))} if texts else {}
    now, results = utcnow(), []
    for item in items:
        sku = item.get("supplier_sku") if isinstance(item, dict) else None
        answer: dict[str, Any] = {"supplier_sku": sku if isinstance(sku, str) else None,
                                  "ok": True, "code": "ok", "message": "已同步。"}
        try:
            if not isinstance(item, dict) or not isinstance(sku, str):
                raise ValidationFailed("缺少供应商商品编号。", field="supplier_sku")
            _sync_one(session, offers.get(sku), item, now)
        except ServiceError as exc:
            answer.update(ok=False, code=exc.code, message=exc.message, field=exc.field)
        results.append(answer)
    return results


def idle_since(offer: MallOffer) -> datetime:
    """The last sale, edit or review of an offer: the 180-day rule counts from it."""
    moments = [m for m in (offer.updated_on, offer.last_sold_on, offer.reviewed_on) if m]
    return max(moments) if moments else offer.created_on


def delist_idle(session: Session, now: datetime) -> int:
    """Delist every 已上架 offer without sale, edit or review for the default policy's
    ``idle_delist_days`` (0: never); returns how many were delisted."""
    days = policy_for(session, None).idle_delist_days
    if not days or days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    candidates = locked(session, select(MallOffer).where(
        MallOffer.status == S.listed, MallOffer.updated_on < cutoff,
        (MallOffer.last_sold_on.is_(None)) | (MallOffer.last_sold_on < cutoff),
        (MallOffer.reviewed_on.is_(None)) | (MallOffer.reviewed_on < cutoff))
        .order_by(MallOffer.id))
    for offer in candidates:
        offer.status = S.delisted
        offer.status_reason = f"连续{days}天无销售、无修改，系统自动下架。"
    return len(candidates)
