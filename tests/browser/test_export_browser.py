"""导出Excel in a real Chromium: a clerk filters 计划查询 by a Chinese status and downloads it."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from openpyxl import load_workbook

from tests.browser.axe import assert_accessible
from tests.browser.conftest import open_menu, sign_in
from tests.support.plans import act, filed_plan
from tests.test_export import sheet_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = pytest.importorskip("playwright.sync_api").expect


def test_clerk_exports_the_filtered_plan_query(app: Flask, page: Page) -> None:
    done = filed_plan(app, "sj_clerk")
    for username in ("sj_internal", "sj_competent", "sj_div_first", "sj_div_review"):
        act(app, username, done)
    filed_plan(app, "sj_clerk", submit=False)
    filed_plan(app, "zz_clerk")  # another unit's plan: never in the file
    sign_in(page, "sj_clerk")
    open_menu(page, "计划管理", "计划查询")
    expect(page.locator("table thead th", has_text="采购方式")).to_be_visible()

    # 状态 as a Chinese choice list: 添加过滤条件 → 状态 → 等于 已完成 → 搜索.
    page.click("a.accordion-toggle:has-text('搜索')")
    page.click("#filter_form button.dropdown-toggle:has-text('添加过滤条件')")
    page.click("#filter_form a.filter[name=status]")
    operations = page.locator("#filter_form select.filter-op").first
    assert operations.locator("option").all_text_contents() == ["等于", "不等于"]
    page.select_option("#filter_form select[name=_flt_0_status]", label="已完成")
    page.click("#filter_form button[type=submit]:has-text('搜索')")
    page.wait_for_load_state()
    assert_accessible(page, "计划查询（筛选后）")

    with page.expect_download() as waiting:
        page.click("a#export-excel")
    download = waiting.value
    assert download.suggested_filename.startswith("计划查询_")
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(download.path().read_bytes()))
    rows = [[c.value for c in row] for row in sheet_of(book).iter_rows()]
    headers = rows[0]
    assert headers[:4] == ["政府采购计划编号", "采购单位", "项目名称", "采购方式"]
    # The plan completed above and the demo's completed 网上商城 plan of the unit.
    assert [row[headers.index("状态")] for row in rows[1:]] == ["已完成", "已完成"]
    amount = sheet_of(book).cell(row=2, column=headers.index("本次采购总金额") + 1)
    assert isinstance(amount.value, (int, float)) and amount.number_format == "#,##0.00"
