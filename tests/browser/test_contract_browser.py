"""合同备案及公告 and 资金支付申请 to the 农民工工资专用账户 in a real Chromium (平顶山市)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from app.timezone import business_today
from models import Contract, PaymentApplication, PlanItem, ProcurementPlan
from tests.browser.axe import assert_accessible
from tests.browser.conftest import open_menu, sign_in
from tests.support.english import latin_words

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

expect = pytest.importorskip("playwright.sync_api").expect

PROJECT = "平顶山市第一中学教学楼维修改造工程"  # completed, 1,280,000.00, 工程, wage account
CODE = "PDSYZ-HT-2026-001"
NAME = f"{PROJECT}施工合同"
CREDIT_CODE = "91410100MA440A1B2D"
SUPPLIER = f"河南中原建设工程有限公司（{CREDIT_CODE}）"
WAGE = ("河南中原建设工程有限公司农民工工资专户", "4100100201000888888", "中国银行平顶山分行")
FILE_NAME = "施工合同.pdf"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def english(page: Page, *allowed: str) -> set[str]:
    """Latin words a person would read (contract number, credit code and ``allowed`` aside)."""
    return latin_words(page.inner_text("body"), CODE, CREDIT_CODE, *allowed)


def flashed(page: Page, message: str | re.Pattern[str]) -> None:
    """The page, once the request is done, shows ``message`` as a flash."""
    expect(page.locator("div.alert", has_text=message)).to_be_visible()


def choose(page: Page, select: str, text: str) -> None:
    """Pick the option showing ``text`` in a select2 widget (through the <select> it decorates)."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value=value)


def confirm(page: Page, question: str) -> None:
    """The confirm dialog asks ``question``; 确定."""
    dialog = page.locator("#modal-confirm:visible")
    expect(dialog).to_contain_text(question)
    dialog.locator("#modal-confirm-ok:has-text('确定')").click()  # posts by script: no wait


def row(page: Page) -> Locator:
    """The list row of the contract, or of its payment application."""
    return page.locator("table tbody tr", has_text=CODE).first


def plan_item(db_session: Any) -> str:
    """The project's only 采购内容 line (the widget labels it with a Python repr, see report)."""
    return str(db_session.scalar(select(PlanItem.id).join(PlanItem.plan).where(
        ProcurementPlan.project_name == PROJECT)))


def choose_plan(page: Page, project: str) -> None:
    """Choose the 采购项目: the form reloads for it (?plan=)."""
    value = page.locator("#plan option", has_text=project).first.get_attribute("value")
    choose(page, "#plan", project)
    page.wait_for_url(re.compile(rf"[?&]plan={value}(&|$)"))
    page.wait_for_load_state()
    expect(page.locator("#plan option:checked")).to_have_text(project)


def file_contract(page: Page, db_session: Any) -> str:
    """合同管理 → 合同备案 → 增加: the whole project in one contract; returns the 用款计划 no."""
    open_menu(page, "合同管理", "合同备案")
    page.click("a[href*='/contractview/add']")
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_have_text("新增合同备案")
    page.fill("#code", CODE)  # typed before the project: kept when the form reloads for it
    page.fill("#name", NAME)
    choose_plan(page, PROJECT)
    expect(page.locator("#code")).to_have_value(CODE)
    expect(page.locator("#name")).to_have_value(NAME)
    expect(page.locator("#items option")).to_have_count(1)  # this project's line only
    wage = page.locator("#wage_account")
    for text in (*WAGE, "施工总承包单位"):
        expect(wage).to_contain_text(text)
    page.select_option("#items", value=plan_item(db_session))
    choose(page, "#supplier", SUPPLIER)
    page.fill("#amount", "1280000.00")
    signed = page.locator("#signed_on")  # typed: the datepicker drops a value it did not see
    signed.press_sequentially(business_today().isoformat())
    signed.press("Tab")
    page.fill("#total_contracts", "1")
    page.fill("#total_amount", "1280000.00")
    funding = page.locator("label[for^='funding_']", has_text="-002")  # the demo plans' 用款计划
    expect(funding).to_have_count(1)
    spending_no = re.search(r"YK\S+-002", funding.inner_text()).group(0)
    page.fill(f"#{funding.get_attribute('for')}", "1280000.00")
    page.set_input_files("#contract_file", files=[
        {"name": FILE_NAME, "mimeType": "application/pdf", "buffer": PDF}])
    page.screenshot(path="test-results/contract_form.png", full_page=True)
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()
    return spending_no


def test_contract_is_announced_and_paid_to_the_wage_account(
        page: Page, browser: Browser, live_server: str, db_session: Any) -> None:
    """合同备案 → 备案及公告 (public) → 支付申请 to the wage account → 支付申请表."""
    sign_in(page, "pds_clerk")
    spending_no = file_contract(page, db_session)
    flashed(page, "增加成功")
    listed = row(page).inner_text()
    for text in (NAME, "河南中原建设工程有限公司", "1,280,000.00 元", "草稿"):
        assert text in listed, f"{text!r} missing from the contract row: {listed}"
    contract = db_session.scalar(select(Contract).where(Contract.code == CODE))
    assert contract.file_name == FILE_NAME
    assert [(f.spending_plan.external_no, f.amount) for f in contract.fundings] == [
        (spending_no, Decimal("1280000.00"))]

    row(page).locator("input.action_check").check()
    page.click("button.dropdown-toggle:has-text('操作')")
    page.click("a.submit_menu_item:has-text('备案及公告')")
    confirm(page, "确定备案并发布合同公告吗？")
    flashed(page, "已备案，合同公告已发布。")
    assert "审核中" in row(page).inner_text()
    assert not english(page), f"English on the contract list: {english(page)}"
    page.screenshot(path="test-results/contract_announced.png", full_page=True)

    public = browser.new_context(base_url=live_server, locale="zh-CN")
    try:  # anybody, signed in or not
        visitor = public.new_page()
        visitor.goto("/public/")
        assert_accessible(visitor, "公告公示")
        visitor.click("a[href='/public/contracts/']")
        visitor.wait_for_load_state()
        announced = visitor.locator("table tbody tr", has_text=NAME)
        expect(announced).to_have_count(1)
        for text in ("平顶山市第一中学", "河南中原建设工程有限公司", "1,280,000.00 元"):
            expect(announced).to_contain_text(text)
        assert "/login" not in visitor.url
        assert_accessible(visitor, "合同公告列表")
        announced.locator("a").first.click()
        visitor.wait_for_load_state()
        expect(visitor.locator("#announcement")).to_contain_text(CODE)
        expect(visitor.locator("#notices")).to_contain_text("合同公告")
        assert_accessible(visitor, "合同公告")
    finally:
        public.close()

    open_menu(page, "支付管理", "资金支付申请")
    page.click("a[href*='/paymentview/add']")
    page.wait_for_load_state()
    choose(page, "#contract", CODE)
    choose(page, "#spending_plan", spending_no)
    page.fill("#amount", "300000.00")
    page.check("#pay_to_migrant")  # 是否支付农民工账户：是
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()
    flashed(page, "增加成功")
    assert "草稿" in row(page).inner_text()
    row(page).locator("a[href*='/paymentview/show/']").click()
    page.wait_for_url(re.compile(r"/paymentview/show/\d+"))
    pk = re.search(r"/paymentview/show/(\d+)", page.url).group(1)

    page.click("a.btn:has-text('支付申请')")
    confirm(page, "确定发送到预算执行系统吗？")
    flashed(page, re.compile(r"支付申请ZF\d{14}已提交，状态：待发送。"))
    db_session.expire_all()
    payment = db_session.scalar(select(PaymentApplication).where(
        PaymentApplication.id == int(pk)))
    assert (payment.pay_to_migrant, payment.payee_account) == (True, WAGE[1])
    assert (payment.status, payment.amount) == ("sent", Decimal("300000.00"))
    number = payment.application_no
    assert re.fullmatch(rf"ZF{business_today():%Y%m%d}\d{{6}}", number), number
    flashed(page, f"支付申请{number}已提交，状态：待发送。")
    shown = page.inner_text("body")
    for text in ("待发送", "300,000.00 元", *WAGE):
        assert text in shown, f"{text!r} missing on the application page"
    assert not english(page, number, spending_no), "English on the application page"

    link = page.locator(f"a[href*='/paymentview/print/{pk}']")  # none yet: see the report
    page.goto(link.first.get_attribute("href") if link.count() else f"/paymentview/print/{pk}")
    form = page.inner_text("body")
    assert "支付申请表" in form and number in form and "300,000.00 元" in form
    for text in (*WAGE, "农民工工资专用账户", CODE, PROJECT, spending_no):
        assert text in form, f"{text!r} missing on the 支付申请表"
    assert not english(page, number, spending_no), "English on the 支付申请表"
    page.screenshot(path="test-results/payment_print.png", full_page=True)


FURNITURE = "平顶山市第一中学办公家具采购项目"  # goods: no wage account
FAILED = "平顶山市第一中学校医室医疗设备采购项目（公开招标失败）"


def test_contract_form_shows_only_what_the_chosen_project_has(page: Page,
                                                              db_session: Any) -> None:
    """新增合同备案: nothing before a project; a goods project without, an engineering project
    with its 农民工工资专用账户; failed projects are not offered."""
    sign_in(page, "pds_clerk")
    open_menu(page, "合同管理", "合同备案")
    page.click("a[href*='/contractview/add']")
    page.wait_for_load_state()
    offered = page.locator("#plan option").all_inner_texts()
    assert PROJECT in offered and FURNITURE in offered, offered
    assert FAILED not in offered and not any("失败" in o for o in offered), offered
    expect(page.locator("#items option")).to_have_count(0)
    expect(page.locator("label[for^='funding_']")).to_have_count(0)
    expect(page.locator("#wage_account")).to_have_count(0)

    page.fill("#amount", "300000.00")
    choose_plan(page, FURNITURE)
    expect(page.locator("#amount")).to_have_value("300000.00")
    lines = page.locator("#items option").all_inner_texts()
    assert lines and all(o.startswith(FURNITURE) for o in lines), lines
    expect(page.locator("label[for^='funding_']")).to_have_count(1)
    expect(page.locator("#wage_account")).to_have_count(0)
    page.screenshot(path="test-results/contract_form_goods.png", full_page=True)

    choose_plan(page, PROJECT)
    lines = page.locator("#items option").all_inner_texts()
    assert lines and all(o.startswith(PROJECT) for o in lines), lines
    expect(page.locator("#wage_account")).to_contain_text(WAGE[1])
    assert page.locator("#wage_account").is_visible()
    assert_accessible(page, "新增合同备案（工程类项目）")
