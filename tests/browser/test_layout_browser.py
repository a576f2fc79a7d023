"""The frame of every page: the navigation bar on one row at 1366 px, and 【增加】 on the lists."""

from __future__ import annotations

import pytest

from tests.browser.conftest import switch_to

ROW_TOPS = "els => [...new Set(els.map(e => Math.round(e.getBoundingClientRect().top)))]"


@pytest.mark.parametrize("username", ["admin", "zz_clerk", "zz_unitadmin", "91410100MA440A1B2D"])
def test_the_menu_fits_on_one_row_at_1366_px(page, username: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    switch_to(page, username)
    tops = page.eval_on_selector_all("header.top .navbar-nav > li", ROW_TOPS)
    assert len(tops) == 1, f"{username}: the menu wraps onto {len(tops)} rows"
    brand = page.eval_on_selector_all("header.top .navbar-brand", ROW_TOPS)
    assert brand == tops
    height = page.evaluate("() => document.querySelector('header.top .navbar').offsetHeight")
    assert height <= 52
    # Every menu is still reachable and names itself in Chinese.
    labels = page.eval_on_selector_all("header.top .navbar-nav > li > a",
                                       "els => els.map(e => e.textContent.trim())")
    assert all(labels) and not any(label.isascii() for label in labels)


def test_the_add_button_of_a_list_reads_zengjia(page) -> None:
    """中标结果变更备案 (and every list): the manuals' 【增加】, not an unlabelled “+”."""
    switch_to(page, "zz_clerk")
    page.goto("/bidchangefilingview/list/")
    add = page.locator("a[href$='/bidchangefilingview/add']")
    label = add.locator(".sr-only")
    assert label.inner_text() == "增加"
    box = label.bounding_box()
    assert box is not None and box["width"] > 20 and box["height"] > 10  # seen, not only read
    add.click()
    page.wait_for_load_state()
    assert page.url.endswith("/bidchangefilingview/add")
