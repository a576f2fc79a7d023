"""The whole 网上商城 journey through the pages only: 商品搜索 → 报价 → 购物车 → 下单 → the
suppliers' 供应商中心 (确认, two waybills, 送达) → 验收 with one refused unit → 付款 with a voucher
→ 评价 → 售后处理, with what each page shows and which buttons it offers."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.timezone import business_today
from models import Supplier
from models.mall import MallOrder
from tests.mall.acceptance_support import with_session
from tests.support.fake_supplier import HUAWEI, JINGCAI, SUCAI

JINGCAI_NAME, SUCAI_NAME = "河南京采电子商务有限公司", "郑州苏采商贸有限公司"
DELI = "P2500DNW"


def html(answer: Any) -> str:
    return answer.get_data(as_text=True)


def one(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.S)
    assert found, pattern
    return found.group(1)


def buy(web: Any, model: str, supplier: str, quantity: int) -> str:
    """商品搜索 by model → the product's offers → 加入购物车 the supplier's offer."""
    found = html(web.get(f"/mall/products/?model={model}"))
    assert "商品搜索" in found and "查看报价" in found and model in found
    product = one(r'<tr data-product="(\d+)"', found)
    path = f"/mall/products/{product}"
    page = html(web.get(path))
    assert "供应商报价" in page and "最低价" in page and "请选择采购计划" in page
    assert "办公设备及耗材网上商城采购项目" in page
    offer = one(r'<tr data-offer="(\d+)">\s*<td class="offer-supplier">' + supplier, page)
    item = one(r'<option value="(\d+)">[^<]*网上商城采购项目', page)
    added = web.submit(path, {"offer_id": offer, "plan_item_id": item,
                              "quantity": str(quantity)}, post_path="/mall/cart/add")
    assert added.status_code == 302 and added.headers["Location"].endswith("/mall/cart/")
    return path


def orders_of(app: Flask) -> dict[str, tuple[int, str]]:
    """{supplier credit code: (order id, order number)} of the journey's orders."""
    def work(session: Any) -> dict[str, tuple[int, str]]:
        rows = session.execute(select(Supplier.credit_code, MallOrder.id, MallOrder.order_no)
                               .join(Supplier, Supplier.id == MallOrder.supplier_id)
                               .order_by(MallOrder.id)).all()
        return {code: (pk, no) for code, pk, no in rows}
    return with_session(app, work)


def version(app: Flask, order_id: int) -> str:
    return str(with_session(app, lambda s: s.get(MallOrder, order_id).version))


def settlement_buttons(page: str) -> set[str]:
    """Which of 验收 / 付款 / 评价 / 打印合同 the order page offers."""
    block = re.search(r'<div class="btn-group" id="settlement-actions".*?</div>', page, re.S)
    return set(re.findall(r">(验收|付款|评价|打印合同)</a>", block.group(0))) if block else set()


def supplier_confirms(app: Flask, login_as: Any, account: str, order_id: int) -> Any:
    web = login_as(account)
    listed = html(web.get("/mall/supplier/orders/"))
    assert "待确认" in listed and f'data-order="{order_id}"' in listed
    show = f"/mall/supplier/orders/{order_id}"
    page = html(web.get(show))
    assert 'id="confirm-form"' in page and 'id="reject-form"' in page
    assert 'id="ship-form"' not in page and "按订单快照价格确认" in page
    done = web.submit(show, {"version": version(app, order_id)}, post_path=f"{show}/confirm",
                      follow=True)
    page = html(done)
    assert "订单已确认，合同已生成并提交备案。" in page and 'id="confirm-form"' not in page
    assert 'id="ship-form"' in page
    return web


def test_the_whole_journey_through_the_pages(app: Flask, login_as: Any) -> None:
    buyer = login_as("pds_clerk")
    # A page with a form, for posts no page offers any more (the CSRF token is the session's).
    product_page = buy(buyer, HUAWEI, JINGCAI_NAME, 2)
    buy(buyer, DELI, SUCAI_NAME, 2)
    cart = html(buyer.get("/mall/cart/"))
    assert JINGCAI_NAME in cart and SUCAI_NAME in cart and cart.count("可下单") == 2
    lines = re.findall(r'<tr data-line="(\d+)"', cart)
    assert len(lines) == 2 and 'id="checkout"' in cart

    # 下单: one form, a hidden idempotency key; 提交 makes one order per supplier.
    form_path = "/mall/cart/checkout?" + "&".join(f"line={pk}" for pk in lines)
    checkout = html(buyer.get(form_path))
    assert "非最低价理由" in checkout and "收货地址" in checkout and ">提交</button>" in checkout
    key = one(r'name="key" value="([^"]+)"', checkout)
    data = {"key": key, "line": lines, "delivery_address": "平顶山市新华区建设路1号",
            "contact_name": "张经办", "contact_phone": "13800000001", "action": "submit"}
    placed = buyer.submit(form_path, data, post_path="/mall/cart/checkout", follow=True)
    assert "已提交2个订单。" in html(placed)
    made = orders_of(app)
    assert set(made) == {JINGCAI, SUCAI}
    order_id, order_no = made[JINGCAI]
    show = f"/mall/orders/{order_id}"
    # The same key again (a double click; the cart lines are gone): no new order.
    buyer.submit(show, data, post_path="/mall/cart/checkout")
    assert orders_of(app) == made
    listed = html(buyer.get("/mall/orders/"))
    assert order_no in listed and made[SUCAI][1] in listed
    page = html(buyer.get(show))
    assert "待电商确认" in page and 'id="cancel-form"' in page and 'id="submit-form"' not in page
    assert settlement_buttons(page) == set()

    # 供应商中心: each supplier confirms its own order; the contract is filed and announced.
    jingcai = supplier_confirms(app, login_as, JINGCAI, order_id)
    supplier_confirms(app, login_as, SUCAI, made[SUCAI][0])
    page = html(buyer.get(show))
    assert "已确认" in page and 'id="contract-link"' in page and 'id="cancel-form"' not in page
    assert settlement_buttons(page) == {"打印合同"}
    contract = html(buyer.get(f"{show}/contract"))
    assert order_no in contract and "壹万叁仟柒佰玖拾捌元整" in contract
    assert order_no in html(buyer.get("/public/contracts/"))
    refused = buyer.submit(product_page, {"reason": "不需要了", "version": version(app, order_id)},
                           post_path=f"{show}/cancel", follow=True)
    assert "电商已确认订单，不能取消" in html(refused)

    # Two waybills of one unit each, then each delivered.
    supplier_page = f"/mall/supplier/orders/{order_id}"
    line_id = one(r'<tr data-line="(\d+)"', html(jingcai.get(supplier_page)))
    for waybill in ("SF0001", "SF0002"):
        shipped = jingcai.submit(supplier_page, {
            "version": version(app, order_id), "waybill": waybill, "carrier": "顺丰速运",
            f"qty_{line_id}": "1"}, post_path=f"{supplier_page}/ship", follow=True)
        assert "已登记发货。" in html(shipped)
    page = html(jingcai.get(supplier_page))
    assert 'id="ship-form"' not in page and page.count("登记送达</button>") == 2
    for shipment in re.findall(r'<tr data-shipment="(\d+)"', page):
        delivered = jingcai.submit(supplier_page, {
            "version": version(app, order_id), "shipment_id": shipment},
            post_path=f"{supplier_page}/deliver", follow=True)
        assert "已登记送达。" in html(delivered)
    assert "待验收" in html(jingcai.get(supplier_page))

    # 验收: one unit refused with its reason.
    page = html(buyer.get(show))
    assert "待验收" in page and settlement_buttons(page) == {"验收", "打印合同"}
    form = html(buyer.get(f"{show}/accept"))
    assert "提交验收" in form and "请选择" in form and "不合格原因" in form
    accepted = buyer.submit(f"{show}/accept", {
        "version": version(app, order_id), "method": "onsite", "note": "到货验收",
        f"accepted_{line_id}": "1", f"rejected_{line_id}": "1",
        f"reason_{line_id}": "屏幕损坏"}, follow=True)
    page = html(accepted)
    assert "验收完成，订单已验收，可以付款。" in page and "已验收" in page
    assert settlement_buttons(page) == {"付款", "打印合同"} and "付款期限" in page
    cases = html(buyer.get("/mall/after-sales/"))
    assert order_no in cases and "屏幕损坏" in cases and "处理中" in cases
    case_id = one(r'/mall/after-sales/(\d+)/resolve', cases)

    # 付款 of the accepted unit with a PDF voucher.
    form = html(buyer.get(f"{show}/pay"))
    assert "6,899.00 元" in one(r'<td id="payable">(.*?)</td>', form)
    assert "确认付款" in form and "提交资金支付申请" in form
    paid = buyer.submit(f"{show}/pay", {
        "version": version(app, order_id), "mode": "record", "method": "转账",
        "amount": "6899.00", "paid_on": business_today().isoformat(),
        "voucher": (io.BytesIO(b"%PDF-1.4\n% voucher\n"), "转账凭证.pdf")}, follow=True)
    page = html(paid)
    # Paid for the accepted unit; 已付款 waits for the 售后 case of the refused one.
    assert "付款已记录。" in page and "已验收" in page and 'id="order-payments"' in page
    assert settlement_buttons(page) == {"打印合同"}
    assert "当前没有可付款的金额。" in html(buyer.get(f"{show}/pay"))

    # 售后处理: the refused unit is returned; the plan line counts one bought.
    resolved = buyer.submit("/mall/after-sales/", {"resolution": "returned",
                                                   "note": "已退回供应商"},
                            post_path=f"/mall/after-sales/{case_id}/resolve", follow=True)
    assert "售后已处理。" in html(resolved)
    page = html(buyer.get(show))
    assert "已付款" in page and settlement_buttons(page) == {"评价", "打印合同"}
    closed = html(buyer.get("/mall/after-sales/?status=closed"))
    assert "退货" in closed and "已退回供应商" in closed
    lines_page = html(buyer.get("/mall/plan-lines/"))
    computers = one(r'(<tr data-plan-item="\d+">(?:(?!</tr>).)*台式计算机.*?</tr>)', lines_page)
    cells = re.findall(r'<td class="text-right[^"]*">([^<]*)</td>', computers)
    assert cells[:4] == ["10", "1", "0", "9"], cells
    assert cells[5] == "6,899.00 元" and cells[7] == "53,101.00 元", cells

    # 评价: the order is 已完成 and offers nothing but its contract.
    form = html(buyer.get(f"{show}/evaluate"))
    assert "商品质量" in form and "售后服务" in form and "提交评价" in form
    done = buyer.submit(f"{show}/evaluate", {
        "version": version(app, order_id), "quality": "4", "delivery": "5", "service": "5",
        "after_sale": "4", "comment": "整体满意"}, follow=True)
    page = html(done)
    assert "评价已提交，订单已完成。" in page and "已完成" in page
    assert "质量 4，配送 5，服务 5，售后 4" in page and settlement_buttons(page) == {"打印合同"}
    assert "订单当前状态为“已完成”，不能验收。" in html(
        buyer.get(f"{show}/accept", follow_redirects=True))

    # The order's history on its page, every step in order.
    events = one(r'<table[^>]*id="order-events">(.*?)</table>', html(buyer.get(show)))
    kinds = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td>", events)
    assert kinds == ["生成订单", "提交订单", "电商确认", "生成合同", "发货", "发货", "部分送达",
                     "送达", "验收", "售后", "部分付款", "售后", "付款", "评价"]
    assert "供应商（人工）" in events and "屏幕损坏" in events
