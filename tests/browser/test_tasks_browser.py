"""Task lists that tell records apart, 已办任务 and 计划查询 for a reviewer, the clerk's 工作台,
in a real Chromium (issue 15, items 10 and 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Flask

from tests.browser.axe import assert_accessible
from tests.browser.conftest import open_menu, sign_in, switch_to
from tests.test_task_pages import small_plan

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def two_plans(app: Flask) -> tuple[int, int]:
    """Two plans of 郑州市第一中学 waiting at 监管单位初审, alike but for name and amount."""
    return (small_plan(app, "图书馆书架采购", "12000.00"),
            small_plan(app, "食堂桌椅采购", "8000.00"))


def test_reviewer_tells_plans_apart_returns_one_and_the_clerk_sees_why(
        app: Flask, page: Page, two_plans: tuple[int, int]) -> None:
    shelves, chairs = two_plans
    sign_in(page, "zz_sup_first")
    # The reviewer's home: the queue per chain.
    expect(page.locator("#queue-chains tr[data-chain='采购计划备案']")).to_be_visible()
    assert_accessible(page, "审核人工作台")

    open_menu(page, "工作台", "待办任务")
    first = page.locator("#task-table tr", has_text="图书馆书架采购")
    second = page.locator("#task-table tr", has_text="食堂桌椅采购")
    expect(first.locator(".task-amount")).to_have_text("12,000.00 元")
    expect(second.locator(".task-amount")).to_have_text("8,000.00 元")
    assert_accessible(page, "待办任务")

    first.get_by_role("link", name="进入审批").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("图书馆书架采购")
    page.check("input[name=action][value=return]")
    page.fill("#opinion", "书架数量与图书馆面积不符，请核实")
    page.get_by_role("button", name="审核").click()
    page.wait_for_load_state()
    expect(page.locator("#task-table tr", has_text="图书馆书架采购")).to_have_count(0)

    open_menu(page, "工作台", "已办任务")
    done = page.locator("#task-table tr", has_text="图书馆书架采购")
    expect(done.locator(".task-result")).to_have_text("退回采购人")
    expect(done.locator(".task-opinion")).to_have_text("书架数量与图书馆面积不符，请核实")
    assert_accessible(page, "已办任务")
    done.get_by_role("link", name="查看").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("图书馆书架采购")
    expect(page.locator("body")).to_contain_text("书架数量与图书馆面积不符，请核实")

    # 计划查询: the plans of the units it reviews (the one still waiting among them).
    open_menu(page, "计划管理", "计划查询")
    expect(page.locator("body")).to_contain_text("食堂桌椅采购")
    expect(page.locator("body")).to_contain_text("图书馆书架采购")

    # The clerk: a message, and the 工作台 shows the return with its opinion.
    switch_to(page, "zz_clerk")
    expect(page.locator("#message-center #unread-count")).to_be_visible()
    returned = page.locator("#filings-returned tr", has_text="图书馆书架采购")
    expect(returned.locator(".filing-opinion")).to_have_text("书架数量与图书馆面积不符，请核实")
    waiting = page.locator("#filings-in-review tr", has_text="食堂桌椅采购")
    expect(waiting.locator(".filing-step")).to_have_text("监管单位初审")
    expect(page.get_by_role("link", name="增加采购计划备案")).to_be_visible()
    assert_accessible(page, "经办人工作台")
    page.click("#message-center")
    page.wait_for_load_state()
    page.get_by_role("link", name="已退回：采购计划备案《图书馆书架采购》被退回修改（监管单位初审）").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/procurementplanview/show/{shelves}")
    assert chairs
