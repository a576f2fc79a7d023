"""The panel under its strict CSP in Chromium: nothing blocked, and the widgets still work.

The ``page`` fixture fails any test whose pages had something blocked; the tests here open
the main pages of a clerk and a reviewer and use what runs JavaScript: the confirm dialogs of
list actions and deletes, the Select2 picker, the datepicker, the 审核 page, the print button.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.browser.conftest import sign_in, switch_to
from tests.support.plans import filed_plan
from tests.test_intentions import _seeded, clerk, draft  # noqa: F401 (fixtures)
from tests.test_payments import application, filed_contract  # noqa: F401 (a fixture)

expect = pytest.importorskip("playwright.sync_api").expect


def settle(page, csp_violations: list[str], where: str) -> None:
    """Wait for the page's scripts to have run, then require that the CSP blocked nothing."""
    page.wait_for_load_state("networkidle")
    assert not csp_violations, f"{where}: blocked by the CSP: {csp_violations}"


def open_profile(page) -> None:
    """The signed-in user's menu → 个人信息."""
    page.click("li.dropdown:has(a:has-text('个人信息')) > a.dropdown-toggle")
    page.click("ul.dropdown-menu a:has-text('个人信息')")
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("个人信息")


def test_the_watch_sees_a_blocked_script(page, csp_violations: list[str]) -> None:
    """A script without this response's nonce is refused, and the fixture hears of it."""
    sign_in(page, "zz_clerk")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true;";
        document.body.appendChild(script);
    }""")
    for _ in range(50):
        if any("script-src" in text for text in csp_violations):
            break
        page.wait_for_timeout(100)
    assert any("script-src" in text for text in csp_violations), csp_violations
    assert page.evaluate("() => window.injected === undefined")
    page.wait_for_timeout(300)  # the browser's own report and the event's, both in
    csp_violations.clear()


def test_clerk_pages_and_list_confirmations(page, csp_violations: list[str],
                                            draft: int) -> None:  # noqa: F811
    """Delete and 公开 apply to a draft intention only: the clerk has one."""
    sign_in(page, "zz_clerk")
    expect(page.locator("body")).to_contain_text("欢迎您，郑州市经办人")
    settle(page, csp_violations, "首页")
    open_profile(page)
    settle(page, csp_violations, "个人信息")

    page.goto("/intentionview/list/")
    settle(page, csp_violations, "采购意向列表")
    confirm = page.locator("#modal-confirm")
    rows = page.locator("table tbody tr:has(input.action_check)")
    count = rows.count()
    assert count > 0
    rows.first.locator("a.confirm").click()  # 删除
    expect(confirm).to_be_visible()
    expect(confirm.locator(".modal-body")).to_have_text("确定要删除这条记录吗？")
    confirm.locator("button:has-text('取消')").click()
    expect(confirm).to_be_hidden()
    expect(rows).to_have_count(count)

    # FAB's delete confirmation overwrites the dialog's text holder (ab_actions.js): the action
    # confirmation starts from a fresh page.
    page.reload()
    rows.first.locator("input.action_check").check()
    page.click("button.dropdown-toggle:has-text('操作')")
    page.click("a.publish_menu_item")
    expect(confirm).to_be_visible()
    expect(confirm.locator(".modal-body")).to_contain_text("确定公开所选采购意向吗？")
    confirm.locator("#modal-confirm-ok").click()
    page.wait_for_load_state()
    # The draft is published: the action answers with what it did.
    expect(page.locator("div.alert").first).to_be_visible()
    settle(page, csp_violations, "公开之后")


def test_pickers_on_the_add_forms(page, csp_violations: list[str]) -> None:
    sign_in(page, "zz_clerk")
    page.goto("/contractview/add")
    settle(page, csp_violations, "合同备案表单")

    page.click("#supplier + .select2-container .select2-selection")
    options = page.locator(".select2-results__option", has_text="郑州智联科技有限公司")
    expect(options).to_have_count(1)
    options.click()
    assert page.input_value("#supplier") == "2"

    page.click("#signed_on")
    picker = page.locator(".datepicker-dropdown")
    expect(picker).to_be_visible()
    expect(picker.locator("th.dow").first).to_have_text("一")  # zh.js: weeks start on Monday
    picker.locator("td.day:not(.old):not(.new)", has_text="15").first.click()
    assert page.input_value("#signed_on").endswith("-15")

    page.goto("/procurementplanview/add")
    settle(page, csp_violations, "采购计划备案表单")
    items = page.locator("#items tbody tr.item-row")
    before = items.count()
    page.click("#add-item")  # plan_form.js
    expect(items).to_have_count(before + 1)
    assert not csp_violations


def test_reviewer_pages_and_the_review(app: Flask, page, csp_violations: list[str]) -> None:
    filed_plan(app, "zz_clerk")
    sign_in(page, "zz_competent")
    settle(page, csp_violations, "审核人首页")
    todo = page.locator("#todo tr", has_text="采购计划备案")
    expect(todo).to_have_count(1)
    todo.locator("a:has-text('进入审批')").click()
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_contain_text("主管单位审核")
    expect(page.locator("#workflow-chart svg")).to_have_count(1)
    settle(page, csp_violations, "审核页")
    page.check("input[name=action][value=approve]")
    page.fill("#opinion", "同意。")
    page.click("button[type=submit]:has-text('审核')")
    expect(page.locator("div.alert", has_text="审核完成。")).to_be_visible()
    settle(page, csp_violations, "审核之后")
    open_profile(page)
    settle(page, csp_violations, "审核人个人信息")
    switch_to(page, "zz_clerk")
    settle(page, csp_violations, "换回经办人")


def test_print_button(page, csp_violations: list[str], app: Flask,
                      filed_contract: int) -> None:  # noqa: F811 (the imported fixture)
    pk = application(app, filed_contract, "100000.00")
    # Headless Chromium has no print dialog: count the calls instead.
    page.context.add_init_script("window.print = function () { window.printed = true; };")
    sign_in(page, "pds_clerk")
    page.goto(f"/paymentview/print/{pk}")
    expect(page.locator("h1")).to_have_text("政府采购资金支付申请表")
    page.click("button:has-text('打印')")
    assert page.evaluate("() => window.printed === true")
    settle(page, csp_violations, "打印支付申请表")
