"""网上商城 catalogue commands: products, offers, price history, 上架审核, median, sync, idle."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select
from werkzeug.datastructures import FileStorage

from app.services.errors import (
    Conflict,
    InvalidAmount,
    NotFound,
    NotInScope,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from app.services.mall import catalogue, offers
from app.services.mall.core import DEFAULT_POLICY
from app.timezone import utcnow
from app.transaction import unit_of_work
from models import CatalogueItem, Operator
from models.mall import MallOffer, MallPolicy, MallProduct, OfferPriceHistory, OfferStatus

SUPPLIER_A = "91410100MA470A1B25"  # 河南京采电子商务有限公司 (JC-…)
SUPPLIER_B = "91410105MA480A1B20"  # 郑州苏采商贸有限公司 (SC-…)
SUPPLIER_C = "91410104MA490A1B24"  # 河南办公优选科技有限公司 (YX-…), no offer of 擎云B730E


@pytest.fixture
def work(app: Any) -> Iterator[Callable[..., Any]]:
    """``work(fn)`` runs ``fn(session)`` in its own unit of work and returns its result."""
    with app.test_request_context():
        session = app.appbuilder.session

        def run(fn: Callable[[Any], Any]) -> Any:
            with unit_of_work(session):
                return fn(session)
        yield run


def who(session: Any, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def item_id(session: Any, code: str) -> int:
    return session.scalar(select(CatalogueItem.id).where(CatalogueItem.code == code))


def product(session: Any, model: str) -> MallProduct:
    return session.scalar(select(MallProduct).where(MallProduct.model == model))


def offer(session: Any, sku: str) -> MallOffer:
    return session.scalar(select(MallOffer).where(MallOffer.supplier_sku == sku))


def history(session: Any, offer_id: int) -> list[OfferPriceHistory]:
    return list(session.scalars(select(OfferPriceHistory).where(
        OfferPriceHistory.offer_id == offer_id).order_by(OfferPriceHistory.id)))


def product_data(session: Any, **overrides: Any) -> dict[str, Any]:
    data = dict(catalogue_item_id=item_id(session, "A02021003"), brand="兄弟",
                model="HL-5595DN", name="黑白激光打印机", unit_name="台",
                configuration="打印速度:40页/分钟\n\n  双面打印 ： 自动 ", energy_saving=True,
                environmental=False, imported=False, active=True)
    data.update(overrides)
    return data


def offer_input(session: Any, **overrides: Any) -> offers.OfferInput:
    data: dict[str, Any] = dict(product_id=product(session, "擎云B730E").id,
                                supplier_sku="YX-9001", price="6950.00", stock="30",
                                lead_days="4", market_price="7299.00",
                                market_url="https://mall.example.com/item/1")
    data.update(overrides)
    return offers.OfferInput(**data)


def refused(work: Callable[..., Any], fn: Callable[[Any], Any]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        work(fn)
    return caught.value


def test_save_product_normalises_and_refuses(work: Callable[..., Any]) -> None:
    saved = work(lambda s: catalogue.save_product(s, who(s, "admin"), product_data(s)))
    assert saved.configuration == "打印速度：40页/分钟\n双面打印：自动"
    again = refused(work, lambda s: catalogue.save_product(s, who(s, "admin"), product_data(s)))
    assert isinstance(again, ValidationFailed) and "已有品牌“兄弟”、型号“HL-5595DN”" in again.message
    outside = refused(work, lambda s: catalogue.save_product(
        s, who(s, "admin"), product_data(s, catalogue_item_id=item_id(s, "A05010201"))))
    assert isinstance(outside, NotInScope) and outside.code == "mall_item_not_in_mall"
    for bad, expected in (({"brand": " "}, "请填写品牌"), ({"model": ""}, "请填写型号"),
                          ({"name": None}, "请填写商品名称"),
                          ({"configuration": "内存16GB"}, "第1行"),
                          ({"configuration": "内存：8G\n内存：16G"}, "重复"),
                          ({"catalogue_item_id": 2**40}, "网上商城目录")):
        def save(s: Any, bad: dict[str, Any] = bad) -> Any:
            return catalogue.save_product(
                s, who(s, "admin"), product_data(s, **{"model": "X-1", **bad}))
        error = refused(work, save)
        assert expected in error.message, (bad, error.message)
    clerk = refused(work, lambda s: catalogue.save_product(s, who(s, "pds_clerk"),
                                                           product_data(s, model="X-2")))
    assert isinstance(clerk, PermissionDenied)


def test_deactivated_product_leaves_search_and_live_offers(work: Callable[..., Any]) -> None:
    pk = work(lambda s: product(s, "启天M437").id)
    assert work(lambda s: catalogue.search(s, keyword="启天").total) == 1
    work(lambda s: catalogue.deactivate_product(s, who(s, "admin"), pk))
    assert work(lambda s: catalogue.search(s, keyword="启天").total) == 0
    assert work(lambda s: catalogue.live_offers(s, pk)) == []
    with_offers = refused(work, lambda s: catalogue.delete_product(s, who(s, "admin"),
                                                                    s.get(MallProduct, pk)))
    assert with_offers.code == "mall_product_has_offers"


def test_add_offer_is_pending_with_history(work: Callable[..., Any]) -> None:
    def add(s: Any) -> int:
        data = offer_input(s, evidence=FileStorage(io.BytesIO(b"%PDF-1.4 x"), "货源证明.pdf"))
        return offers.add_offer(s, who(s, SUPPLIER_C), data).id
    pk = work(add)
    made = work(lambda s: s.get(MallOffer, pk))
    assert made.status == OfferStatus.pending and made.price == Decimal("6950.00")
    assert made.evidence_name == "货源证明.pdf" and made.evidence_path
    rows = work(lambda s: history(s, pk))
    assert [(r.price, r.stock, r.source, r.valid_to) for r in rows] == [
        (Decimal("6950.00"), 30, "edit", None)]
    assert pk not in [o.id for o in work(lambda s: catalogue.live_offers(s, made.product_id))]


@pytest.mark.parametrize(("change", "field", "text"), [
    ({"price": "0"}, "price", "必须大于0"), ({"price": "1e5"}, "price", "金额数字"),
    ({"stock": "-1"}, "stock", "整数"), ({"stock": "1.5"}, "stock", "整数"),
    ({"stock": "9" * 40}, "stock", "0至10000000"), ({"stock": "１"}, "stock", "整数"),
    ({"lead_days": "0"}, "lead_days", "1至365"), ({"lead_days": "366"}, "lead_days", "1至365"),
    ({"market_url": "javascript:alert(1)"}, "market_url", "http"),
    ({"market_url": "ftp://x.example.com/"}, "market_url", "http"),
    ({"market_price": "-3"}, "market_price", "大于0"),
    ({"supplier_sku": "YX-2001"}, "supplier_sku", "已用于"),
    ({"supplier_sku": ""}, "supplier_sku", "请填写"),
    ({"product_id": 2**31}, "product_id", "在售"),
])
def test_offer_rules(work: Callable[..., Any], change: dict[str, Any], field: str,
                     text: str) -> None:
    error = refused(work, lambda s: offers.add_offer(s, who(s, SUPPLIER_C),
                                                     offer_input(s, **{"supplier_sku": "YX-9", **change})))
    assert error.field == field and text in error.message, error.message


def test_one_offer_per_product_and_only_suppliers(work: Callable[..., Any]) -> None:
    twice = refused(work, lambda s: offers.add_offer(
        s, who(s, SUPPLIER_A), offer_input(s, product_id=product(s, "启天M437").id)))
    assert twice.code == "mall_offer_exists"
    clerk = refused(work, lambda s: offers.add_offer(s, who(s, "pds_clerk"), offer_input(s)))
    assert isinstance(clerk, PermissionDenied)


def test_edit_keeps_status_and_writes_history(work: Callable[..., Any]) -> None:
    pk = work(lambda s: offer(s, "JC-100012").id)

    def edit(price: str, stock: str, lead: str = "3") -> None:
        work(lambda s: offers.edit_offer(s, who(s, SUPPLIER_A), pk, offer_input(
            s, supplier_sku="JC-100012", price=price, stock=stock, lead_days=lead)))
    edit("5199.00", "200", "5")  # price changes, stock stays
    edit("5199.00", "200", "6")  # neither changes: no new row
    edit("5199.00", "150")  # stock changes
    rows = work(lambda s: history(s, pk))
    assert [(r.price, r.stock) for r in rows] == [
        (Decimal("5299.00"), 200), (Decimal("5199.00"), 200), (Decimal("5199.00"), 150)]
    assert all(r.valid_to is not None for r in rows[:-1]) and rows[-1].valid_to is None
    assert rows[1].valid_from == rows[0].valid_to and rows[-1].actor_id is not None
    edited = work(lambda s: s.get(MallOffer, pk))
    assert edited.status == OfferStatus.listed and edited.lead_days == 3


def test_supplier_b_cannot_touch_supplier_a_offers(work: Callable[..., Any]) -> None:
    pk = work(lambda s: offer(s, "JC-100012").id)
    for fn in (lambda s: offers.edit_offer(s, who(s, SUPPLIER_B), pk, offer_input(s)),
               lambda s: offers.price_history(s, who(s, SUPPLIER_B), pk),
               lambda s: offers.supplier_move(s, who(s, SUPPLIER_B), pk, "withdraw"),
               lambda s: offers.edit_offer(s, who(s, SUPPLIER_B), "1", offer_input(s)),
               lambda s: offers.edit_offer(s, who(s, SUPPLIER_B), 2**40, offer_input(s))):
        error = refused(work, fn)
        assert isinstance(error, NotFound) and error.code == "mall_offer_not_found"
    assert work(lambda s: s.get(MallOffer, pk).price) == Decimal("5299.00")


def test_review_transitions(work: Callable[..., Any]) -> None:
    pk = work(lambda s: offers.add_offer(s, who(s, SUPPLIER_C), offer_input(s)).id)

    def review(kind: str, reason: str = "", user: str = "admin") -> Any:
        return work(lambda s: offers.review_offer(s, who(s, user), pk, kind, reason).status)
    with pytest.raises(PermissionDenied):
        review("approve", user=SUPPLIER_A)
    with pytest.raises(Conflict, match="待审核.*不能冻结"):
        review("freeze", "价格虚高")
    with pytest.raises(ValidationFailed, match="请填写驳回原因"):
        review("reject")
    assert review("reject", "缺少货源证明") == OfferStatus.rejected
    assert work(lambda s: s.get(MallOffer, pk).status_reason) == "缺少货源证明"
    assert work(lambda s: offers.supplier_move(s, who(s, SUPPLIER_C), pk,
                                               "resubmit").status) == OfferStatus.pending
    assert review("approve") == OfferStatus.listed
    assert work(lambda s: s.get(MallOffer, pk).reviewed_by_id) == work(
        lambda s: who(s, "admin").id)
    with pytest.raises(Conflict, match="不能审核通过"):
        review("approve")
    with pytest.raises(ValidationFailed, match="请填写冻结原因"):
        review("freeze")
    assert review("freeze", "巡检价格高于市场价") == OfferStatus.frozen
    # A frozen offer stays under its sanction: the supplier cannot take it down and resubmit.
    with pytest.raises(Conflict):
        work(lambda s: offers.supplier_move(s, who(s, SUPPLIER_C), pk, "withdraw"))
    assert review("unfreeze", "已整改") == OfferStatus.listed
    assert review("delist", "违规") == OfferStatus.delisted
    with pytest.raises(NotFound):
        review("nonsense", "x")


def test_supplier_withdraw_and_resubmit(work: Callable[..., Any]) -> None:
    pk = work(lambda s: offer(s, "JC-100012").id)
    move = lambda kind: work(lambda s: offers.supplier_move(  # noqa: E731
        s, who(s, SUPPLIER_A), pk, kind).status)
    with pytest.raises(Conflict):
        move("resubmit")
    assert move("withdraw") == OfferStatus.delisted
    product_id = work(lambda s: s.get(MallOffer, pk).product_id)
    assert pk not in [o.id for o in work(lambda s: catalogue.live_offers(s, product_id))]
    assert move("resubmit") == OfferStatus.pending


def test_live_offers_evidence_and_median(work: Callable[..., Any]) -> None:
    pk = work(lambda s: product(s, "启天M437").id)
    live = work(lambda s: catalogue.live_offers(s, pk))
    assert [o.price for o in live] == [Decimal("5199.00"), Decimal("5299.00"), Decimal("5399.00")]
    evidence = work(lambda s: catalogue.price_evidence(s, pk))
    assert evidence == catalogue.Evidence(Decimal("5199.00"), Decimal("5299.00"), 3, live[0].id)
    jc = work(lambda s: offer(s, "JC-100012").id)

    def reprice(price: str) -> None:
        work(lambda s: offers.edit_offer(s, who(s, SUPPLIER_A), jc, offer_input(
            s, supplier_sku="JC-100012", price=price, stock="200", lead_days="3")))
    reprice("9000.00")  # median of 5199, 5399, 9000 is 5399; 120 % of it is 6478.80
    policy = DEFAULT_POLICY
    assert work(lambda s: catalogue.check_median(s, s.get(MallOffer, jc), policy)) is True
    assert work(lambda s: catalogue.check_median(s, offer(s, "SC-88001"), policy)) is False
    generous = MallPolicy(median_margin_percent=100)
    assert work(lambda s: catalogue.check_median(s, s.get(MallOffer, jc), generous)) is False
    reprice("6478.80")  # exactly at the bound is not above it
    assert work(lambda s: catalogue.check_median(s, s.get(MallOffer, jc), policy)) is False
    two = work(lambda s: catalogue.price_evidence(s, product(s, "擎云B730E").id))
    assert two.median == Decimal("6949.00") and two.count == 2


def test_sync_answers_each_item(work: Callable[..., Any]) -> None:
    supplier_id = work(lambda s: who(s, SUPPLIER_A).supplier_id)
    items: list[Any] = [{"supplier_sku": "JC-100012", "price": "5100.00", "stock": 150},
             {"supplier_sku": "NO-SUCH", "price": "1.00"},
             {"supplier_sku": "JC-100013", "price": "-1"},
             {"supplier_sku": "SC-88001", "price": "1.00"},  # supplier B's SKU
             {"supplier_sku": "JC-200021", "stock": 0},
             {"price": "3"}, "junk"]
    results = work(lambda s: offers.sync_offers(s, supplier_id, items))
    assert [(r["ok"], r["code"]) for r in results] == [
        (True, "ok"), (False, "mall_offer_unknown_sku"), (False, "invalid"),
        (False, "mall_offer_unknown_sku"), (True, "ok"), (False, "invalid"),
        (False, "invalid")]
    assert results[1]["message"] == "没有该供应商商品编号的报价。"
    synced = work(lambda s: history(s, offer(s, "JC-100012").id))
    assert [(r.price, r.stock, r.source) for r in synced][-1] == (Decimal("5100.00"), 150, "sync")
    assert synced[0].valid_to is not None
    assert work(lambda s: offer(s, "JC-200021").stock) == 0
    assert work(lambda s: offer(s, "JC-100013").price) == Decimal("6899.00")
    assert work(lambda s: offer(s, "SC-88001").price) == Decimal("5199.00")
    with pytest.raises(ValidationFailed):
        work(lambda s: offers.sync_offers(s, supplier_id, [{}] * 501))
    assert catalogue.sync_offers is offers.sync_offers


def test_delist_idle(work: Callable[..., Any]) -> None:
    listed = work(lambda s: len(s.scalars(select(MallOffer).where(
        MallOffer.status == OfferStatus.listed)).all()))
    now = utcnow()
    assert work(lambda s: catalogue.delist_idle(s, now)) == 0  # demo offers are 30 days old
    sold = work(lambda s: offer(s, "JC-100012").id)

    def sell(s: Any) -> None:
        s.get(MallOffer, sold).last_sold_on = now + timedelta(days=100)
    work(sell)
    later = now + timedelta(days=200)
    assert work(lambda s: catalogue.delist_idle(s, later)) == listed - 1
    assert work(lambda s: s.get(MallOffer, sold).status) == OfferStatus.listed
    idle = work(lambda s: offer(s, "SC-88001"))
    assert idle.status == OfferStatus.delisted and "180天" in idle.status_reason
    assert work(lambda s: catalogue.search(s).total) == 1


def test_delist_idle_never_when_zero(work: Callable[..., Any]) -> None:
    def never(s: Any) -> None:
        s.scalar(select(MallPolicy).where(MallPolicy.region_id.is_(None))).idle_delist_days = 0
    work(never)
    assert work(lambda s: catalogue.delist_idle(s, utcnow() + timedelta(days=9999))) == 0


def test_search_filters_and_pages(work: Callable[..., Any]) -> None:
    everything = work(lambda s: catalogue.search(s))
    assert everything.total == 6 and everything.pages == 1
    lenovo = next(hit for hit in everything.rows if hit.product.model == "启天M437")
    assert (lenovo.lowest, lenovo.offers) == (Decimal("5199.00"), 3)
    printers = work(lambda s: catalogue.search(s, catalogue_item_id=str(item_id(s, "A02021003"))))
    assert {h.product.model for h in printers.rows} == {"LaserJet Pro 4104dw", "P2500DNW"}
    assert {h.product.model for h in work(lambda s: catalogue.search(s, brand="得力")).rows} == {
        "P2500DNW", "A4 70g 复印纸"}
    assert [h.product.model for h in work(lambda s: catalogue.search(s, keyword="i7")).rows] == [
        "擎云B730E"]
    assert work(lambda s: catalogue.search(s, model="%")).total == 0
    assert work(lambda s: catalogue.search(s, page="9")).rows == []
    assert work(lambda s: catalogue.search(s, page="9")).total == 6
    for bad in ({"page": "-1"}, {"page": "x"}, {"catalogue_item_id": "abc"},
                {"catalogue_item_id": "99999999999"}, {"keyword": "a\x00b"},
                {"brand": "长" * 101}):
        with pytest.raises(ValidationFailed):
            work(lambda s, bad=bad: catalogue.search(s, **bad))


def test_price_must_be_text_or_decimal(work: Callable[..., Any]) -> None:
    error = refused(work, lambda s: offers.add_offer(s, who(s, SUPPLIER_C),
                                                     offer_input(s, price=1.5)))
    assert isinstance(error, InvalidAmount)


def test_search_is_one_query(app: Any, work: Callable[..., Any]) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)
    work(lambda s: s.scalar(select(MallProduct.id)))  # a connection is open already
    engine = app.extensions["sqlalchemy"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        found = work(lambda s: [(h.product.brand, h.product.catalogue_item.name, h.lowest)
                                for h in catalogue.search(s, brand="得力").rows])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(found) == 2
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 1


def test_inspection_corrects_price_with_its_source(work: Callable[..., Any]) -> None:
    pk = work(lambda s: offer(s, "YX-2001").id)
    with pytest.raises(PermissionDenied):
        work(lambda s: offers.inspect_price(s, who(s, SUPPLIER_C), pk, "5000.00"))
    work(lambda s: offers.inspect_price(s, who(s, "admin"), pk, "5350.00"))
    rows = work(lambda s: history(s, pk))
    assert [(r.price, r.stock, r.source) for r in rows][-1] == (Decimal("5350.00"), 50,
                                                               "inspection")
    assert work(lambda s: s.get(MallOffer, pk).status) == OfferStatus.listed
