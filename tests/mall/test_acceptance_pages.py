"""The 验收, 售后处理 and 评价 pages, and the settlement buttons of the order page."""

from __future__ import annotations

import io
from typing import Any, cast

from flask import Flask, g, render_template
from flask_login import login_user
from sqlalchemy import select

from app.services.mall.acceptance import AcceptanceInput, accept
from models.mall import AfterSaleCase, MallEvaluation, MallOrder, OrderStatus
from tests.mall.acceptance_support import delivered_order, paid_order, with_session
from tests.mall.settlement_support import confirmed_order, operator
from tests.support.english import english_words

# Product data of the demo (brands, models) and file formats are not interface text.
DATA = {"laserjet", "pro", "dw", "pdf", "jpg", "png", "sc"}  # SC…: the order number


def chinese(html: str) -> None:
    assert not english_words(html, DATA), sorted(english_words(html, DATA))


def order_of(app: Flask, order_id: int) -> tuple[str, int]:
    """(status, version) of the order now."""
    return with_session(app, lambda s: (s.get(MallOrder, order_id).status,
                                        s.get(MallOrder, order_id).version))


def lines_of(app: Flask, order_id: int) -> list[int]:
    return with_session(app, lambda s: [line.id for line in s.get(MallOrder, order_id).lines])


def test_accept_form_and_submit(app: Flask, login_as: Any) -> None:
    order_id = delivered_order(app)
    first, second = lines_of(app, order_id)
    web = login_as("pds_clerk")
    path = f"/mall/orders/{order_id}/accept"
    page = web.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option value="">请选择</option>' in html and "第三方检测" in html
    assert f'name="accepted_{first}"' in html and f'name="reason_{second}"' in html
    assert 'enctype="multipart/form-data"' in html
    chinese(html)
    refused = web.submit(path, {"method": "onsite", "version": str(order_of(app, order_id)[1]),
                                f"accepted_{first}": "1",
                                f"rejected_{second}": "1", "note": "打印机有划痕"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "的不合格原因" in html
    assert "打印机有划痕" in html and f'name="accepted_{first}"' in html
    done = web.submit(path, {
        "method": "onsite", "version": str(order_of(app, order_id)[1]),
        f"accepted_{first}": "1", f"accepted_{second}": "1", f"rejected_{second}": "1",
        f"reason_{second}": "外壳破损", "note": "",
        "file": (io.BytesIO(b"%PDF-1.4 x"), "验收单.pdf")})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/mall/orders/{order_id}")
    assert order_of(app, order_id)[0] == OrderStatus.accepted
    again = web.get(path)
    assert again.status_code == 302  # nothing left to accept: back to the order


def test_accept_page_scope_and_bad_ids(app: Flask, login_as: Any) -> None:
    order_id = delivered_order(app)
    confirmed_id = confirmed_order(app)
    other = login_as("zz_clerk")
    assert other.get(f"/mall/orders/{order_id}/accept").status_code == 404
    assert other.get(f"/mall/orders/{order_id}/evaluate").status_code == 404
    web = login_as("pds_clerk")
    assert web.get("/mall/orders/99999999999/accept").status_code == 404
    assert web.get("/mall/orders/abc/accept").status_code == 404
    early = web.get(f"/mall/orders/{confirmed_id}/accept")
    assert early.status_code == 302
    stale = web.submit(f"/mall/orders/{order_id}/accept", {
        "method": "onsite", "version": "abc",
        f"accepted_{lines_of(app, order_id)[0]}": "1"})
    assert stale.status_code == 200 and "刷新后重试" in stale.get_data(as_text=True)
    nul = web.submit(f"/mall/orders/{order_id}/accept", {"method": "onsite", "note": "a\x00"})
    assert nul.status_code in (200, 400)
    supplier = login_as("91410100MA470A1B25")
    assert supplier.get(f"/mall/orders/{order_id}/accept").status_code in (302, 403, 404)
    assert supplier.get("/mall/after-sales/").status_code in (302, 403)


def test_after_sales_list_and_resolve(app: Flask, login_as: Any) -> None:
    order_id = delivered_order(app)

    def reject(s: Any) -> int:
        order = s.get(MallOrder, order_id)
        accept(s, operator(s, "pds_clerk"), order_id, AcceptanceInput("onsite", "", {
            order.lines[0].id: (1, 0, ""), order.lines[1].id: (0, 2, "型号不符")}))
        s.flush()
        return s.scalar(select(AfterSaleCase.id).where(AfterSaleCase.order_id == order_id))
    case_id = with_session(app, reject)
    web = login_as("pds_clerk")
    assert 'href="/mall/after-sales/"' in web.get("/").get_data(as_text=True)  # 网上商城·售后处理
    html = web.get("/mall/after-sales/").get_data(as_text=True)
    assert "型号不符" in html and "售后处理" in html
    assert f"/mall/after-sales/{case_id}/resolve" in html
    assert '<option value="">请选择</option>' in html
    chinese(html)
    assert "型号不符" not in login_as("zz_clerk").get("/mall/after-sales/").get_data(as_text=True)
    assert "型号不符" not in web.get("/mall/after-sales/?status=closed").get_data(as_text=True)
    assert web.get("/mall/after-sales/?status=x&page=abc").status_code == 200
    resolve = f"/mall/after-sales/{case_id}/resolve"
    blank = web.submit("/mall/after-sales/", {"resolution": "", "note": ""}, resolve,
                       follow=True)
    assert "请选择处理结果" in blank.get_data(as_text=True)
    theirs = f"/mall/orders/{delivered_order(app, 'zz_clerk')}/accept"  # a form to sign from
    assert login_as("zz_clerk").submit(theirs, {"resolution": "returned"},
                                       resolve).status_code == 404
    done = web.submit("/mall/after-sales/", {"resolution": "returned", "note": "已退回"},
                      resolve, follow=True)
    assert "售后已处理" in done.get_data(as_text=True)
    assert with_session(app, lambda s: s.get(AfterSaleCase, case_id).status) == "closed"
    closed = web.get("/mall/after-sales/?status=closed").get_data(as_text=True)
    assert "已退回" in closed
    signed = f"/mall/orders/{delivered_order(app)}/accept"
    assert web.submit(signed, {"resolution": "returned"},
                      "/mall/after-sales/99999999999/resolve").status_code == 404


def test_evaluate_form_and_submit(app: Flask, login_as: Any) -> None:
    order_id = paid_order(app)
    web = login_as("pds_clerk")
    path = f"/mall/orders/{order_id}/evaluate"
    html = web.get(path).get_data(as_text=True)
    assert html.count('<option value="">请选择</option>') == 4 and "售后服务" in html
    chinese(html)
    refused = web.submit(path, {"quality": "5", "delivery": "9", "comment": "尚可",
                                "version": str(order_of(app, order_id)[1])})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "配送速度" in text and "尚可" in text
    done = web.submit(path, {"quality": "5", "delivery": "4", "service": "5",
                             "after_sale": "5", "comment": "很好",
                             "version": str(order_of(app, order_id)[1])})
    assert done.status_code == 302
    row = with_session(app, lambda s: s.execute(select(
        MallEvaluation.delivery, MallEvaluation.comment).where(
        MallEvaluation.order_id == order_id)).one())
    assert tuple(row) == (4, "很好")
    assert web.get(path).status_code == 302  # completed: nothing to evaluate


def buttons(app: Flask, order_id: int, username: str = "pds_clerk") -> str:
    """The settlement partial as the order page includes it, for the signed-in ``username``."""
    with app.test_request_context():
        session = cast(Any, app).appbuilder.session
        user = operator(session, username)
        login_user(user)
        g.user = user
        return render_template("mall/order_actions_settlement.html",
                               order=session.get(MallOrder, order_id))


def test_settlement_buttons_follow_the_order(app: Flask) -> None:
    delivered, paid, confirmed = delivered_order(app), paid_order(app), confirmed_order(app)
    shown = buttons(app, delivered)
    assert f"/mall/orders/{delivered}/accept" in shown and "/pay" not in shown
    assert f"/mall/orders/{delivered}/contract" in shown and "/evaluate" not in shown
    shown = buttons(app, paid)
    assert f"/mall/orders/{paid}/evaluate" in shown
    assert "/accept" not in shown and "/pay" not in shown
    shown = buttons(app, confirmed)
    assert "/accept" not in shown and "/evaluate" not in shown and "打印合同" in shown

    def accept_part(s: Any) -> None:
        order = s.get(MallOrder, delivered)
        accept(s, operator(s, "pds_clerk"), delivered, AcceptanceInput(
            "onsite", "", {order.lines[0].id: (1, 0, "")}))
    with_session(app, accept_part)
    shown = buttons(app, delivered)
    assert f"/mall/orders/{delivered}/pay" in shown and "/accept" in shown
    assert "<script" not in shown


def test_order_page_shows_the_buttons_that_apply(app: Flask, login_as: Any) -> None:
    """Through the order page (H2's, including the settlement partial): 验收 until answered,
    then 付款 and 打印合同; another unit never sees the order."""
    order_id = delivered_order(app)
    web = login_as("pds_clerk")
    page = web.get(f"/mall/orders/{order_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/mall/orders/{order_id}/accept"' in html
    assert f'href="/mall/orders/{order_id}/pay"' not in html
    first, second = lines_of(app, order_id)
    web.submit(f"/mall/orders/{order_id}/accept", {
        "method": "third_party", "version": str(order_of(app, order_id)[1]),
        f"accepted_{first}": "1", f"accepted_{second}": "2"})
    html = web.get(f"/mall/orders/{order_id}").get_data(as_text=True)
    assert f'href="/mall/orders/{order_id}/accept"' not in html
    assert f'href="/mall/orders/{order_id}/pay"' in html
    assert f'href="/mall/orders/{order_id}/contract"' in html
    assert login_as("zz_clerk").get(f"/mall/orders/{order_id}").status_code == 404
