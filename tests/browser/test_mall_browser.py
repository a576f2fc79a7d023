"""网上商城 in a real Chromium: 平顶山市经办人 buys 台式计算机 from search to evaluation, the
e-commerce supplier confirms, ships and delivers; a non-lowest offer needs a reason."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from app.timezone import business_today
from models.mall import MallEvaluation, MallOrder, MallPayment
from tests.browser.axe import assert_accessible
from tests.browser.conftest import open_menu, sign_in
from tests.support.english import latin_words

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = pytest.importorskip("playwright.sync_api").expect

CLERK = "pds_clerk"
ITEM = "台式计算机"
PRODUCT = "联想 启天M437"
PLAN = "办公设备及耗材网上商城采购项目"
# The offers of 联想 启天M437, lowest first: (supplier, 统一社会信用代码, price).
CHEAPEST = ("郑州苏采商贸有限公司", "91410105MA480A1B20", "5,199.00 元")
DEARER = ("河南京采电子商务有限公司", "91410100MA470A1B25", "5,299.00 元")
PRICES = ["5,199.00 元", "5,299.00 元", "5,399.00 元"]
DELIVERY = {"#delivery_address": "平顶山市新华区建设路1号", "#contact_name": "张老师",
            "#contact_phone": "13912345670", "#invoice_title": "平顶山市第一中学"}
WAYBILL = "SF1234567890"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# Latin a person reads on these pages as data: the product, SKUs, waybill, credit codes.
DATA = ("LaserJet", "Pro", "dw", "DNW", "Intel", "Core", "GB", "DDR", "SSD", "JC", "SC", "YX",
        "SF", "MA", "A4")


def english(page: Page, *allowed: str) -> set[str]:
    """Latin words on the page a person would read, data aside."""
    return latin_words(page.inner_text("body"), *allowed) - set(DATA)


def flashed(page: Page, message: str | re.Pattern[str]) -> None:
    """The page shows ``message`` as a flash."""
    expect(page.locator("div.alert", has_text=message).first).to_be_visible()


def supplier_sign_in(page: Page, credit_code: str) -> None:
    """Sign out, then sign in on the 供应商 tab with the 统一社会信用代码."""
    page.goto("/logout/")
    page.goto("/login/")
    page.click("#login-tabs a:has-text('供应商')")
    page.wait_for_load_state()
    expect(page.locator(".panel-title")).to_have_text("供应商登录")
    page.fill("#username", credit_code)
    page.fill("#password", "Demo@2026")
    page.click("input[type=submit]")
    page.wait_for_load_state()


def find_product(page: Page) -> None:
    """网上商城 → 商品搜索, 品目 台式计算机, then 查看报价 of 联想 启天M437."""
    open_menu(page, "网上商城", "商品搜索")
    value = page.locator("#catalogue_item_id option", has_text=ITEM).first.get_attribute("value")
    page.select_option("#catalogue_item_id", value=value)
    page.click("#product-search button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("#product-table tbody tr")
    expect(rows).to_have_count(2)
    assert all(ITEM in text for text in rows.all_inner_texts())
    assert_accessible(page, "商品搜索（台式计算机）")
    row = page.locator("#product-table tbody tr", has_text="启天M437")
    expect(row.locator(".product-lowest")).to_have_text(CHEAPEST[2])
    row.locator("a:has-text('查看报价')").click()
    page.wait_for_load_state()
    expect(page.locator(".panel-title")).to_contain_text(PRODUCT)
    assert_accessible(page, "商品详情")


def add_to_cart(page: Page, supplier: str, quantity: str) -> None:
    """加入购物车 the offer of ``supplier`` against the 台式计算机 line of the mall plan."""
    offer = page.locator("#offer-table tbody tr", has_text=supplier)
    plan = offer.locator("select[name=plan_item_id] option", has_text=PLAN).first
    offer.locator("select[name=plan_item_id]").select_option(value=plan.get_attribute("value"))
    offer.locator("input[name=quantity]").fill(quantity)
    offer.locator("button:has-text('加入购物车')").click()
    page.wait_for_load_state()
    flashed(page, "已加入购物车。")


def fill_delivery(page: Page) -> None:
    """下单: 收货地址, 联系人, 联系电话, 发票抬头."""
    for field, value in DELIVERY.items():
        page.fill(field, value)


def order_row(page: Page, order_no: str) -> Any:
    return page.locator("table tbody tr", has_text=order_no)


def test_clerk_buys_from_search_to_evaluation(page: Page, db_session: Any,
                                              tmp_path: Path) -> None:
    """Search → cart → 下单 → supplier 确认/发货/送达 → 验收 → 付款 → 评价 → 打印合同."""
    sign_in(page, CLERK)
    find_product(page)
    prices = page.locator("#offer-table .offer-price").all_inner_texts()
    assert [p.split()[0] + " 元" for p in prices] == PRICES, prices  # lowest first
    first = page.locator("#offer-table tbody tr").first
    expect(first.locator(".offer-supplier")).to_have_text(CHEAPEST[0])
    expect(first.locator(".lowest-badge")).to_have_text("最低价")
    expect(page.locator(".lowest-badge")).to_have_count(1)
    assert not english(page), f"English on the product page: {english(page)}"
    add_to_cart(page, CHEAPEST[0], "2")

    open_menu(page, "网上商城", "购物车")
    line = page.locator(".cart-table tbody tr", has_text=PRODUCT)
    line.locator("input[name=quantity]").fill("3")
    line.locator("button:has-text('修改')").click()
    page.wait_for_load_state()
    flashed(page, "数量已修改。")
    expect(line.locator("input[name=quantity]")).to_have_value("3")
    expect(line).to_contain_text("15,597.00 元")
    assert not english(page), f"English in the cart: {english(page)}"
    line.locator("input[name=line]").check()
    page.click("#checkout")
    page.wait_for_load_state()
    expect(page.locator(".panel-title")).to_have_text("下单")
    assert_accessible(page, "下单")
    fill_delivery(page)
    page.click("#order-form button[value=submit]")
    page.wait_for_load_state()
    flashed(page, "已提交1个订单。")
    expect(page.locator("#order-status")).to_have_text("待电商确认")
    order_no = page.locator("#order-header td").first.inner_text()

    open_menu(page, "网上商城", "我的订单")
    expect(order_row(page, order_no)).to_contain_text("待电商确认")
    expect(order_row(page, order_no)).to_contain_text("15,597.00 元")

    supplier_sign_in(page, CHEAPEST[1])
    open_menu(page, "供应商中心", "订单")
    order_row(page, order_no).locator("a:has-text('办理')").click()
    page.wait_for_load_state()
    assert_accessible(page, "供应商订单（待确认）")
    page.click("#confirm-form button:has-text('确认订单')")
    page.wait_for_load_state()
    flashed(page, "订单已确认，合同已生成并提交备案。")
    expect(page.locator("#order-status")).to_have_text("已确认")
    assert_accessible(page, "供应商订单（发货）")
    page.fill("#waybill", WAYBILL)
    page.fill("#carrier", "顺丰速运")
    page.click("#ship-form button:has-text('登记发货')")
    page.wait_for_load_state()
    flashed(page, "已登记发货。")
    expect(page.locator("#shipments")).to_contain_text(WAYBILL)
    page.click(".deliver-form button:has-text('登记送达')")
    page.wait_for_load_state()
    flashed(page, "已登记送达。")
    expect(page.locator("#order-status")).to_have_text("待验收")
    assert not english(page, order_no, WAYBILL, CHEAPEST[1]), english(page, order_no, WAYBILL)

    page.goto("/logout/")
    sign_in(page, CLERK)
    open_menu(page, "网上商城", "我的订单")
    order_row(page, order_no).locator("a", has_text=order_no).click()
    page.wait_for_load_state()
    expect(page.locator("#order-status")).to_have_text("待验收")
    page.click("#settlement-actions a:has-text('验收')")
    page.wait_for_load_state()
    assert_accessible(page, "验收")
    order = db_session.scalar(select(MallOrder).where(MallOrder.order_no == order_no))
    line_id = order.lines[0].id
    page.fill(f"#accepted_{line_id}", "3")
    page.fill(f"#rejected_{line_id}", "0")
    page.select_option("#method", label="现场验收")
    page.fill("#note", "数量、型号、配置与合同一致，验收合格。")
    page.click("#acceptance-form button:has-text('提交验收')")
    page.wait_for_load_state()
    flashed(page, "验收完成，订单已验收，可以付款。")
    expect(page.locator("#order-status")).to_have_text("已验收")

    page.click("#settlement-actions a:has-text('付款')")
    page.wait_for_load_state()
    assert_accessible(page, "付款")
    expect(page.locator("#payable")).to_have_text("15,597.00 元")
    voucher = tmp_path / "公务卡付款凭证.pdf"
    voucher.write_bytes(PDF)
    page.select_option("#method", label="公务卡")
    page.fill("#amount", "15597.00")
    page.fill("#paid_on", business_today().isoformat())
    page.set_input_files("#voucher", str(voucher))
    page.click("#payment-form button:has-text('确认付款')")
    page.wait_for_load_state()
    flashed(page, "付款已记录。")
    expect(page.locator("#order-status")).to_have_text("已付款")

    page.click("#settlement-actions a:has-text('评价')")
    page.wait_for_load_state()
    assert_accessible(page, "评价")
    for name, score in (("quality", "5"), ("delivery", "4"), ("service", "5"),
                        ("after_sale", "4")):
        page.select_option(f"#{name}", value=score)
    page.fill("#comment", "送货及时，安装调试到位。")
    page.click("#evaluation-form button:has-text('提交评价')")
    page.wait_for_load_state()
    flashed(page, "评价已提交，订单已完成。")
    expect(page.locator("#order-status")).to_have_text("已完成")
    expect(page.locator("#order-evaluation")).to_contain_text("质量 5，配送 4，服务 5，售后 4")
    assert_accessible(page, "订单详情（已完成）")
    assert not english(page, order_no, WAYBILL, voucher.name), english(page, order_no)
    page.screenshot(path="test-results/mall_order_completed.png", full_page=True)

    db_session.expire_all()
    order = db_session.scalar(select(MallOrder).where(MallOrder.order_no == order_no))
    paid = db_session.scalars(select(MallPayment).where(MallPayment.order_id == order.id)).all()
    assert [(p.method, p.amount, p.voucher_name) for p in paid] == [
        ("公务卡", Decimal("15597.00"), voucher.name)]
    rated = db_session.scalar(select(MallEvaluation).where(MallEvaluation.order_id == order.id))
    assert (rated.quality, rated.delivery, rated.service, rated.after_sale) == (5, 4, 5, 4)

    with page.context.expect_page() as opened:
        page.click("#settlement-actions a:has-text('打印合同')")
    contract = opened.value
    contract.wait_for_load_state()
    signatures = contract.locator("#contract-signatures .signature")
    expect(signatures).to_have_count(2)
    expect(signatures.nth(0)).to_contain_text("采购人（盖章）：平顶山市第一中学")
    expect(signatures.nth(1)).to_contain_text(f"供应商（盖章）：{CHEAPEST[0]}")
    for block in (signatures.nth(0), signatures.nth(1)):
        expect(block).to_contain_text("法定代表人或授权代表（签字）")
        expect(block).to_contain_text("日期")
    expect(contract.locator("#total-figures")).to_have_text("15,597.00 元")
    assert_accessible(contract, "网上商城采购合同")
    assert not english(contract, order_no, CHEAPEST[1]), english(contract, order_no)
    contract.screenshot(path="test-results/mall_contract.png", full_page=True)


def test_a_dearer_offer_needs_a_reason(page: Page) -> None:
    """下单 of a non-lowest offer: refused without a reason, what was typed kept; then it goes."""
    sign_in(page, CLERK)
    find_product(page)
    add_to_cart(page, DEARER[0], "1")
    line = page.locator(".cart-table tbody tr", has_text=PRODUCT)
    line.locator("input[name=line]").check()
    page.click("#checkout")
    page.wait_for_load_state()
    fill_delivery(page)
    reason = page.locator("input[name^=reason_text_]")
    reason.fill("与现有设备同一供应商，便于统一维护。")
    page.click("#order-form button[value=submit]")
    page.wait_for_load_state()
    flashed(page, re.compile("不是最低价.*请选择非最低价理由并填写说明"))
    for field, value in DELIVERY.items():
        expect(page.locator(field)).to_have_value(value)
    expect(reason).to_have_value("与现有设备同一供应商，便于统一维护。")
    assert_accessible(page, "下单（缺少非最低价理由）")
    page.select_option("select[name^=reason_code_]", label="售后服务更好")
    page.click("#order-form button[value=submit]")
    page.wait_for_load_state()
    flashed(page, "已提交1个订单。")
    expect(page.locator("#order-status")).to_have_text("待电商确认")
    expect(page.locator("#order-lines")).to_contain_text("售后服务更好：与现有设备同一供应商")
