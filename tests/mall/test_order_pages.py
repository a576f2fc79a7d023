"""购物车, 下单, 我的订单 and 待采购/已完成 pages: the journey, refusals in Chinese, scope."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from models.mall import CartLine, MallOffer, MallOrder
from tests.support.mall import ADDRESS, cheapest_offer, mall_line, offers_of, order_draft

KEY = re.compile(r'name="key" value="([0-9a-f]{32})"')


def ids(app: Flask, code: str = "A02010104", which: int = 0) -> tuple[int, int, int]:
    """(offer id, its product id, the pds clerk's plan line id) of a 品目."""
    with app.app_context():
        offer = offers_of(db.session, code)[which]
        return offer.id, offer.product_id, mall_line(db.session, "pds_clerk", code).id


FORM_PAGE = "/messages/"  # a page with a form for everyone signed in (its CSRF token)


def add(web: Any, offer_id: Any, item_id: int, quantity: Any = 1) -> Any:
    return web.submit(FORM_PAGE, {"offer_id": offer_id, "plan_item_id": item_id,
                                  "quantity": quantity}, post_path="/mall/cart/add")


def cart_line_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(CartLine.id).order_by(CartLine.id)))


def test_menu_and_empty_pages(app: Flask, login_as: Any) -> None:
    web = login_as("pds_clerk")
    home = web.get("/").get_data(as_text=True)
    for label in ("购物车", "我的订单", "待采购/已完成"):
        assert label in home
    assert "购物车中还没有商品" in web.get("/mall/cart/").get_data(as_text=True)
    assert "暂无订单" in web.get("/mall/orders/").get_data(as_text=True)
    page = web.get("/mall/plan-lines/").get_data(as_text=True)
    assert "台式计算机" in page and "60,000.00 元" in page
    assert "还没有已完成" in web.get("/mall/plan-lines/?tab=done").get_data(as_text=True)


def test_add_refused_goes_back_to_the_product_with_the_reason(app: Flask,
                                                              login_as: Any) -> None:
    offer_id, product_id, item_id = ids(app)
    web = login_as("pds_clerk")
    answer = add(web, offer_id, item_id, 11)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/mall/products/{product_id}")
    page = web.get(f"/mall/products/{product_id}").get_data(as_text=True)
    assert "数量超过计划可采购数量" in page
    for bad in ("abc", "99999999999999999999", "-1"):
        assert add(web, offer_id, item_id, bad).status_code == 302
    assert add(web, "x", item_id).status_code == 302
    assert cart_line_ids(app) == []


def test_cart_to_orders_journey(app: Flask, login_as: Any) -> None:
    cheap, _, item_id = ids(app)
    dearer, _, _ = ids(app, which=1)  # another supplier, not the lowest
    web = login_as("pds_clerk")
    assert add(web, cheap, item_id, 2).headers["Location"].endswith("/mall/cart/")
    add(web, dearer, item_id, 1)
    page = web.get("/mall/cart/").get_data(as_text=True)
    assert page.count("cart-supplier") == 2 and "可下单" in page
    first, second = cart_line_ids(app)
    web.submit(FORM_PAGE, {"quantity": "3"}, post_path=f"/mall/cart/{first}/quantity")
    form = web.get(f"/mall/cart/checkout?line={first}&line={second}").get_data(as_text=True)
    found = KEY.search(form)
    assert found is not None
    key = found.group(1)
    assert f'name="reason_code_{second}"' in form and f'name="reason_code_{first}"' not in form
    data = {**ADDRESS, "key": key, "line": [first, second], "action": "submit"}
    refused = web.submit(FORM_PAGE, data, post_path="/mall/cart/checkout")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "请选择非最低价理由并填写说明" in text
    assert ADDRESS["delivery_address"] in text  # what was typed is kept
    data.update({f"reason_code_{second}": "delivery", f"reason_text_{second}": "次日送达"})
    done = web.submit(FORM_PAGE, data, post_path="/mall/cart/checkout")
    assert done.status_code == 302 and done.headers["Location"].endswith("/mall/orders/")
    again = web.submit(FORM_PAGE, data, post_path="/mall/cart/checkout")
    assert again.status_code == 302  # the same key: the same orders, nothing more
    with app.app_context():
        made = list(db.session.scalars(select(MallOrder).order_by(MallOrder.id)))
        assert [o.status for o in made] == ["awaiting_confirmation"] * 2
        order = made[0]
    listing = web.get("/mall/orders/?status=awaiting_confirmation").get_data(as_text=True)
    assert listing.count('data-order="') == 2 and "待电商确认" in listing
    detail = web.get(f"/mall/orders/{order.id}").get_data(as_text=True)
    for text in ("最低价", "中位价", "市场价", "提交订单", "采购人", "取消订单"):
        assert text in detail
    assert 'id="submit-form"' not in detail
    answer = web.submit(f"/mall/orders/{order.id}", {"reason": "需求变化",
                                                      "version": order.version},
                        post_path=f"/mall/orders/{order.id}/cancel", follow=True)
    assert "订单已取消" in answer.get_data(as_text=True)
    lines = web.get("/mall/plan-lines/").get_data(as_text=True)
    assert "占用中" in lines


def test_draft_edit_submit_and_delete(app: Flask, login_as: Any) -> None:
    order_id = order_draft(app)
    web = login_as("pds_clerk")
    detail = web.get(f"/mall/orders/{order_id}").get_data(as_text=True)
    assert all(f'id="{name}"' in detail for name in ("edit-order", "submit-form", "delete-form"))
    bad = web.submit(f"/mall/orders/{order_id}/edit", {
        **ADDRESS, "contact_phone": "123", "version": 0, "action": "save"})
    assert "联系电话应为" in bad.get_data(as_text=True) and 'value="123"' in bad.get_data(
        as_text=True)
    saved = web.submit(f"/mall/orders/{order_id}/edit", {
        **ADDRESS, "contact_phone": "0371-12345678", "version": 0, "action": "save"})
    assert saved.status_code == 302
    stale = web.submit(f"/mall/orders/{order_id}", {"version": 0},
                       post_path=f"/mall/orders/{order_id}/submit", follow=True)
    assert "请刷新后重试" in stale.get_data(as_text=True)
    done = web.submit(f"/mall/orders/{order_id}", {"version": 1},
                      post_path=f"/mall/orders/{order_id}/submit", follow=True)
    assert "订单已提交" in done.get_data(as_text=True)
    other = order_draft(app)
    gone = web.submit(f"/mall/orders/{other}", {}, post_path=f"/mall/orders/{other}/delete")
    assert gone.status_code == 302 and web.get(f"/mall/orders/{other}").status_code == 404


def test_moved_price_offers_consent_on_the_order_page(app: Flask, login_as: Any) -> None:
    order_id = order_draft(app)
    with app.app_context():
        offer = cheapest_offer(db.session, "A02010104")
        offer.price = offer.price + 100
        db.session.commit()
    web = login_as("pds_clerk")
    detail = web.get(f"/mall/orders/{order_id}").get_data(as_text=True)
    assert "价格已由 5,199.00 变为 5,299.00" in detail and 'name="accept_price"' in detail
    refused = web.submit(f"/mall/orders/{order_id}", {"version": 0},
                         post_path=f"/mall/orders/{order_id}/submit", follow=True)
    assert "请确认新价格后再提交" in refused.get_data(as_text=True)
    done = web.submit(f"/mall/orders/{order_id}", {"version": 0, "accept_price": "1"},
                      post_path=f"/mall/orders/{order_id}/submit", follow=True)
    assert "订单已提交" in done.get_data(as_text=True)


def test_another_units_records_are_not_found(app: Flask, login_as: Any) -> None:
    order_id = order_draft(app)
    web = login_as("zz_clerk")
    assert web.get(f"/mall/orders/{order_id}").status_code == 404
    assert web.get(f"/mall/orders/{order_id}/edit").status_code == 404
    for action in ("submit", "cancel", "delete"):
        answer = web.submit(FORM_PAGE, {"version": 0, "reason": "x"},
                            post_path=f"/mall/orders/{order_id}/{action}")
        assert answer.status_code == 404
    assert web.get("/mall/orders/99999999999").status_code == 404
    assert 'data-order="' not in web.get("/mall/orders/").get_data(as_text=True)
    with app.app_context():
        theirs = mall_line(db.session, "pds_clerk", "A02010104").id
        offer = db.session.scalar(select(MallOffer.id).order_by(MallOffer.id))
    add(web, offer, theirs)
    assert cart_line_ids(app) == []
    assert login_as("pds_internal").get("/mall/cart/").status_code in (302, 403)


def test_the_pages_speak_chinese(app: Flask, login_as: Any) -> None:
    from models import Operator, Supplier
    from models.mall import MallProduct
    from tests.support.english import english_words

    order_id = order_draft(app)
    with app.app_context():
        words = [*db.session.scalars(select(MallProduct.brand)),
                 *db.session.scalars(select(MallProduct.model)),
                 *db.session.scalars(select(MallProduct.configuration)),
                 *db.session.scalars(select(MallOffer.supplier_sku)),
                 *db.session.scalars(select(Supplier.credit_code)),
                 *db.session.scalars(select(Operator.username))]
        allowed = {w.lower() for v in words for w in re.findall(r"[A-Za-z]+", v)}
    offer_id, _, item_id = ids(app)
    web = login_as("pds_clerk")
    add(web, offer_id, item_id)
    (line_id,) = cart_line_ids(app)
    for page in ("/mall/cart/", f"/mall/cart/checkout?line={line_id}", "/mall/orders/",
                 f"/mall/orders/{order_id}", f"/mall/orders/{order_id}/edit",
                 "/mall/plan-lines/", "/mall/plan-lines/?tab=done", "/mall/orders/?page=x",
                 "/mall/cart/checkout"):
        answer = web.get(page, follow_redirects=True)
        assert answer.status_code == 200, page
        english = english_words(answer.get_data(as_text=True), allowed)
        assert not english, f"English on {page}: {sorted(english)}"


def test_a_line_with_nothing_left_moves_to_done(app: Flask, login_as: Any) -> None:
    from tests.support.mall import order_submitted

    order_submitted(app, code="A02021003", qty=5)  # every 激光打印机 of the plan
    web = login_as("pds_clerk")
    assert "激光打印机" not in web.get("/mall/plan-lines/").get_data(as_text=True)
    done = web.get("/mall/plan-lines/?tab=done").get_data(as_text=True)
    assert "激光打印机" in done and "6,995.00 元" in done
