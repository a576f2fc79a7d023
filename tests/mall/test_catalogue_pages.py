"""网上商城 catalogue pages: 商品搜索, the product page, 商品与报价, 商城商品, 上架审核."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from models import CatalogueItem
from models.mall import MallOffer, MallProduct, OfferPriceHistory, OfferStatus

SUPPLIER_A = "91410100MA470A1B25"  # 河南京采电子商务有限公司
SUPPLIER_B = "91410105MA480A1B20"  # 郑州苏采商贸有限公司
SUPPLIER_C = "91410104MA490A1B24"  # 河南办公优选科技有限公司


def ids(app: Any, model: Any, column: Any, value: Any) -> int:
    with app.app_context():
        return app.appbuilder.session.scalar(select(model.id).where(column == value))


def offer_row(app: Any, sku: str) -> MallOffer:
    with app.app_context():
        row = app.appbuilder.session.scalar(select(MallOffer).where(MallOffer.supplier_sku == sku))
        app.appbuilder.session.expunge(row)
        return row


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def product_rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-product="\d+">\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*'
                      r'<td>([^<]*)</td>', page)


def test_search_lists_products_with_lowest_price(login_as: Callable[..., Any]) -> None:
    web = login_as("pds_clerk")
    page = text(web.get("/mall/products/"))
    assert len(product_rows(page)) == 6 and "共 6 个商品" in page
    lenovo = page.split('启天M437')[1].split("</tr>")[0]
    assert "5,199.00 元" in lenovo and '<td class="text-right product-offers">3</td>' in lenovo
    assert '<option value="">全部品目</option>' in page.split('id="catalogue_item_id"')[1][:200]


def test_search_filters(app: Any, login_as: Callable[..., Any]) -> None:
    web = login_as("pds_clerk")
    printers = ids(app, CatalogueItem, CatalogueItem.code, "A02021003")
    found = product_rows(text(web.get(f"/mall/products/?catalogue_item_id={printers}")))
    assert {model for _brand, model in found} == {"LaserJet Pro 4104dw", "P2500DNW"}
    found = product_rows(text(web.get("/mall/products/?brand=得力")))
    assert {model for _brand, model in found} == {"P2500DNW", "A4 70g 复印纸"}
    assert product_rows(text(web.get("/mall/products/?model=CM-1186"))) == [("震旦", "CM-1186")]
    assert product_rows(text(web.get("/mall/products/?keyword=i7"))) == [("华为", "擎云B730E")]
    empty = text(web.get("/mall/products/?keyword=不存在的商品"))
    assert "没有符合条件的在售商品" in empty


@pytest.mark.parametrize("query", [
    "catalogue_item_id=abc", "catalogue_item_id=99999999999999999999", "page=-1", "page=abc",
    "keyword=%00", "brand=" + "长" * 200, "page=99999999999999999999", "model=%ud800",
])
def test_search_hostile_params(login_as: Callable[..., Any], query: str) -> None:
    response = login_as("pds_clerk").get(f"/mall/products/?{query}")
    # NUL and the like are refused at the edge (app/edge.py) with a Chinese 400.
    assert response.status_code in (200, 400)
    assert re.search(r"不正确|不存在|控制字符|不能超过|没有符合", text(response))


@pytest.mark.parametrize("path", [
    "/mall/products/99999999999", "/mall/products/2147483648", "/mall/products/abc",
    "/mall/products/0", "/mall/offers/99999999999/edit", "/mall/offers/abc/history",
    "/mall/review/99999999999/approve", "/mall/review/1/nonsense",
])
def test_hostile_ids_are_404(login_as: Callable[..., Any], path: str) -> None:
    user = "admin" if path.startswith("/mall/review") else (
        SUPPLIER_A if path.startswith("/mall/offers") else "pds_clerk")
    assert login_as(user).get(path).status_code == 404


def test_product_page_lowest_first_with_cart_form(app: Any,
                                                  login_as: Callable[..., Any]) -> None:
    pk = ids(app, MallProduct, MallProduct.model, "启天M437")
    page = text(login_as("pds_clerk").get(f"/mall/products/{pk}"))
    suppliers = re.findall(r'<td class="offer-supplier">([^<]+)</td>', page)
    assert suppliers == ["郑州苏采商贸有限公司", "河南京采电子商务有限公司", "河南办公优选科技有限公司"]
    assert page.count("lowest-badge") == 1
    first = page.split('class="offer-supplier"')[1]
    assert "最低价" in first.split("</tr>")[0]
    assert "处理器" in page and "Intel Core i5-12500" in page and "节能" in page
    assert page.count('action="/mall/cart/add"') == 3
    form = page.split('action="/mall/cart/add"')[1].split("</form>")[0]
    assert 'name="offer_id"' in form and 'name="quantity"' in form and "csrf_token" in form
    options = re.findall(r'<option value="(\d*)">([^<]*)</option>', form)
    assert options[0] == ("", "请选择采购计划") and len(options) == 2
    assert "可采购 10台 / 60,000.00 元" in options[1][1]
    assert 'href="https://www.example.com/item/SC-88001"' in page


def test_product_page_without_cart_for_non_buyers(app: Any,
                                                  login_as: Callable[..., Any]) -> None:
    pk = ids(app, MallProduct, MallProduct.model, "启天M437")
    page = login_as("admin").get(f"/mall/products/{pk}")
    assert page.status_code == 200
    assert "加入购物车" not in text(page) and "/mall/cart/add" not in text(page)
    assert text(page).count('class="offer-supplier"') == 3
    supervision = login_as("pds_sup_first").get(f"/mall/products/{pk}")
    assert supervision.status_code == 200 and "加入购物车" not in text(supervision)
    assert text(supervision).count('class="offer-supplier"') == 3


def test_delisted_offers_hidden_from_buyers(app: Any, login_as: Callable[..., Any]) -> None:
    pk = ids(app, MallProduct, MallProduct.model, "擎云B730E")
    admin = login_as("admin")
    for sku in ("JC-100013", "SC-88002"):
        offer = offer_row(app, sku)
        path = f"/mall/review/{offer.id}/delist"
        assert admin.submit(path, {"reason": "巡检下架"}).status_code == 302
    clerk = login_as("pds_clerk")
    page = text(clerk.get(f"/mall/products/{pk}"))
    assert "该商品暂无在售报价" in page and 'class="offer-supplier"' not in page
    assert "擎云B730E" not in text(clerk.get("/mall/products/"))


def test_frozen_offer_hidden_and_review_actions_follow_status(
        app: Any, login_as: Callable[..., Any]) -> None:
    offer = offer_row(app, "SC-88001")
    admin = login_as("admin")
    listed = text(admin.get("/mall/review/?status=listed"))
    row = listed.split(f'data-offer="{offer.id}"')[1].split("</tr>")[0]
    assert "review-freeze" in row and "review-delist" in row and "review-approve" not in row
    asked = admin.submit(f"/mall/review/{offer.id}/freeze", {"reason": ""})
    assert asked.status_code == 200 and "请填写冻结原因" in text(asked)
    assert admin.submit(f"/mall/review/{offer.id}/freeze", {"reason": "价格异常"}).status_code == 302
    frozen = text(admin.get("/mall/review/?status=frozen"))
    row = frozen.split(f'data-offer="{offer.id}"')[1].split("</tr>")[0]
    assert "review-unfreeze" in row and "review-freeze" not in row and "价格异常" in row
    wrong = admin.get(f"/mall/review/{offer.id}/approve", follow_redirects=True)
    assert "不能审核通过" in text(wrong)
    page = text(login_as("pds_clerk").get(f"/mall/products/{offer.product_id}"))
    assert "郑州苏采商贸有限公司" not in page
    odd = admin.get("/mall/review/?status=bad")
    assert odd.status_code == 200 and "状态不正确" in text(odd)


def test_supplier_adds_edits_and_reads_history(app: Any,
                                               login_as: Callable[..., Any]) -> None:
    web = login_as(SUPPLIER_C)
    form = text(web.get("/mall/offers/add"))
    assert '<option value="">请选择</option>' in form
    huawei = ids(app, MallProduct, MallProduct.model, "擎云B730E")
    assert f'value="{huawei}"' in form
    lenovo = ids(app, MallProduct, MallProduct.model, "启天M437")
    assert f'value="{lenovo}"' not in form  # already offered by this supplier
    data: dict[str, Any] = {
        "product_id": str(huawei), "supplier_sku": "YX-7001", "price": "6890.00",
        "stock": "10", "lead_days": "5", "market_price": "", "market_url": "javascript:x"}
    refused = web.submit("/mall/offers/add", data)
    assert refused.status_code == 200 and "http://" in text(refused)
    assert 'value="YX-7001"' in text(refused) and 'value="6890.00"' in text(refused)
    data.update(market_url="https://www.example.com/huawei",
                evidence=(io.BytesIO(b"%PDF-1.4 proof"), "货源证明.pdf"))
    assert web.submit("/mall/offers/add", data).status_code == 302
    listing = text(web.get("/mall/offers/"))
    assert "YX-7001" in listing and "待审核" in listing
    new = offer_row(app, "YX-7001")
    assert new.status == OfferStatus.pending and new.evidence_name == "货源证明.pdf"
    assert web.get(f"/mall/offers/{new.id}/evidence").status_code == 200
    edit = {"supplier_sku": "YX-7001", "price": "6850.00", "stock": "8", "lead_days": "5",
            "market_price": "7299.00", "market_url": ""}
    assert web.submit(f"/mall/offers/{new.id}/edit", edit).status_code == 302
    history = text(web.get(f"/mall/offers/{new.id}/history"))
    assert history.count("data-history=") == 2 and "6,850.00 元" in history
    assert "当前" in history and "供应商修改" in history
    with app.app_context():
        rows = app.appbuilder.session.scalars(select(OfferPriceHistory).where(
            OfferPriceHistory.offer_id == new.id)).all()
        assert sorted(r.valid_to is None for r in rows) == [False, True]
    # 待审核: 下架 is offered, 重新提交审核 is not; after 下架 the other way round.
    row = listing.split(f'data-offer="{new.id}"')[1].split("</tr>")[0]
    assert "offer-withdraw" in row and "offer-resubmit" not in row
    assert web.submit("/mall/offers/", {}, post_path=f"/mall/offers/{new.id}/withdraw"
                      ).status_code == 302
    row = text(web.get("/mall/offers/")).split(f'data-offer="{new.id}"')[1].split("</tr>")[0]
    assert "已下架" in row and "offer-resubmit" in row and "offer-withdraw" not in row


def test_supplier_b_cannot_reach_supplier_a_offers(app: Any,
                                                   login_as: Callable[..., Any]) -> None:
    theirs = offer_row(app, "JC-100012")
    web = login_as(SUPPLIER_B)
    assert "JC-100012" not in text(web.get("/mall/offers/"))
    for path in (f"/mall/offers/{theirs.id}/edit", f"/mall/offers/{theirs.id}/history",
                 f"/mall/offers/{theirs.id}/evidence"):
        assert web.get(path).status_code == 404, path
    for action in ("withdraw", "resubmit"):
        answer = web.submit("/mall/offers/", {}, post_path=f"/mall/offers/{theirs.id}/{action}")
        assert answer.status_code == 404
    posted = web.submit("/mall/offers/", {"supplier_sku": "X", "price": "1", "stock": "1",
                                          "lead_days": "1"},
                        post_path=f"/mall/offers/{theirs.id}/edit")
    assert posted.status_code == 404
    assert offer_row(app, "JC-100012").price == theirs.price
    # The review pages are the administrator's.
    assert web.get("/mall/review/").status_code in (302, 403)


def test_admin_products_crud(app: Any, login_as: Callable[..., Any]) -> None:
    admin = login_as("admin")
    printers = ids(app, CatalogueItem, CatalogueItem.code, "A02021003")
    form = text(admin.get("/mallproductview/add"))
    assert "请选择" in form.split('name="catalogue_item"')[1][:300]
    data = {"catalogue_item": str(printers), "brand": "惠普", "model": "LaserJet Pro 4104dw",
            "name": "打印机", "unit_name": "台", "configuration": "速度:40页"}
    duplicate = admin.submit("/mallproductview/add", data)
    assert duplicate.status_code == 200 and "已有品牌“惠普”" in text(duplicate)
    data["model"] = "M208dw"
    assert admin.submit("/mallproductview/add", data).status_code == 302
    with app.app_context():
        made = app.appbuilder.session.scalar(select(MallProduct).where(
            MallProduct.model == "M208dw"))
        assert made.configuration == "速度：40页"
        hp = app.appbuilder.session.scalar(select(MallProduct.id).where(
            MallProduct.model == "LaserJet Pro 4104dw"))
    # 修改 without 启用: buyers no longer find it, its page is gone for them.
    data.update(model="LaserJet Pro 4104dw", configuration="打印速度：40页/分钟")
    assert admin.submit(f"/mallproductview/edit/{hp}", data).status_code == 302
    assert "LaserJet Pro 4104dw" not in text(login_as("pds_clerk").get("/mall/products/"))
    assert login_as("pds_clerk").get(f"/mall/products/{hp}").status_code == 404
    assert "该商品已停用" in text(admin.get(f"/mall/products/{hp}"))
    refused = admin.submit("/mallproductview/list/", {}, f"/mallproductview/delete/{hp}",
                           follow=True)
    assert "不能删除" in text(refused)
    clerk = login_as("pds_clerk")
    assert clerk.get("/mallproductview/list/").status_code in (302, 403)


def test_catalogue_pages_are_chinese(app: Any, login_as: Callable[..., Any]) -> None:
    from tests.support.english import english_words
    from tests.test_chinese import _data_words

    with app.app_context():
        allowed = _data_words(app.appbuilder.session)
    pk = ids(app, MallProduct, MallProduct.model, "启天M437")
    mine = offer_row(app, "JC-100012")
    pages = {"pds_clerk": ["/mall/products/", f"/mall/products/{pk}"],
             SUPPLIER_A: ["/mall/offers/", "/mall/offers/add", f"/mall/offers/{mine.id}/edit",
                          f"/mall/offers/{mine.id}/history"],
             "admin": ["/mall/review/", f"/mall/review/{mine.id}/freeze",
                       f"/mall/products/{pk}"]}
    for user, paths in pages.items():
        web = login_as(user)
        for path in paths:
            response = web.get(path)
            assert response.status_code == 200, path
            assert not english_words(text(response), allowed), (path, english_words(
                text(response), allowed))
    assert 'href="/mall/products/"' in text(login_as("pds_clerk").get("/"))
    assert 'href="/mall/offers/"' in text(login_as(SUPPLIER_A).get("/"))
