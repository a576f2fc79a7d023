"""无障碍 (GB/T 37668-2019 ≈ WCAG 2.0 AA): axe-core finds no WCAG 2 A/AA violation on the pages
each demo post reaches from the menu, and a review is done with the keyboard alone."""

from __future__ import annotations

import pytest
from flask import Flask

from app.services.registration import registration_answer
from tests.browser.axe import assert_accessible
from tests.browser.conftest import sign_in, switch_to
from tests.support.filings import submitted_filings
from tests.support.plans import current_step, filed_plan
from tests.test_registration import register, registration

expect = pytest.importorskip("playwright.sync_api").expect

# One account per post (郑州 has every post; the 平顶山 clerk's plan form differs: no 意向).
POSTS = ["admin", "zz_clerk", "pds_clerk", "zz_internal", "zz_unitadmin", "zz_competent",
         "zz_div_first", "zz_div_review", "zz_sup_first", "zz_sup_review", "zz_office",
         "91410100MA440A1B2D"]
MENU_LINKS = """els => els.map(e => e.getAttribute("href"))
  .filter(h => h && h.startsWith("/") && !h.startsWith("/logout"))"""


def hrefs(page, selector: str) -> list[str]:
    links: list[str] = page.eval_on_selector_all(selector, MENU_LINKS)
    return list(dict.fromkeys(links))


def check_list_page(page, href: str) -> list[str]:
    """The list (also with a search filter added); returns its first add and show links."""
    page.goto(href)
    assert_accessible(page)
    found = hrefs(page, "a[href$='/add'], a[href*='/add?']")[:1]
    found += hrefs(page, "a[href*='/show/']")[:1]
    add_filter = page.locator("#filter_form button.dropdown-toggle")
    if add_filter.count():
        if not add_filter.is_visible():
            page.click("a.accordion-toggle[href='#accordion1_href']")  # 搜索, folded away
        add_filter.click()
        page.locator("#filter_form a.filter").first.click()
        expect(page.locator("#filter_form table.filters tr")).to_have_count(1)
        assert_accessible(page, f"{href}（添加搜索条件后）")
    return found


@pytest.mark.parametrize("username", POSTS)
def test_every_page_of_the_menu_passes_axe(page, username: str) -> None:
    page.goto("/login/")
    assert_accessible(page)
    sign_in(page, username)
    assert_accessible(page)  # 首页
    menu = hrefs(page, "ul.dropdown-menu a[href], .navbar-nav > li > a[href]")
    assert menu, "the menu offers pages"
    more: list[str] = []
    for href in menu:
        more += check_list_page(page, href)
    for href in dict.fromkeys(more):
        page.goto(href)
        assert_accessible(page)


def test_the_pages_before_sign_in_pass_axe(page) -> None:
    """登录 (both tabs), 找回密码, 供应商注册, 采购人注册 and the public 合同公告."""
    page.goto("/login/")
    assert_accessible(page)
    for link in ("供应商", "找回密码", "供应商注册"):
        page.goto("/login/?who=supplier")
        page.click(f"a:text-is('{link}')")
        page.wait_for_load_state()
        assert_accessible(page)
    page.goto("/login/")
    page.click("#unit-register-link")
    page.wait_for_load_state()
    assert_accessible(page)
    page.goto("/public/contracts/")
    assert_accessible(page)
    shows = hrefs(page, "a[href*='/public/contracts/']")
    if shows:
        page.goto(shows[-1])
        assert_accessible(page)


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def review_by_keyboard(page, opinion: str, choice_steps: int = 0) -> None:
    """待办任务 → 进入审批 → 审批结果 同意 → [choice] → 审批意见 → 审核, by keyboard alone."""
    page.goto("/tasks/")
    assert_accessible(page)
    tab_to(page, "a[href$='/review']")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#review-form")).to_be_visible()
    assert_accessible(page)
    tab_to(page, "input[name=action]")
    # Tab enters the radio group on its checked (or first) button: 同意; Space chooses it.
    assert page.evaluate("() => document.activeElement.value") == "approve"
    page.keyboard.press("Space")
    assert page.is_checked("input[name=action][value=approve]")
    if choice_steps:
        tab_to(page, "select[name^=choice_]")
        for _ in range(choice_steps):
            page.keyboard.press("ArrowDown")
        assert_accessible(page)
    tab_to(page, "#opinion")
    page.keyboard.type(opinion)
    tab_to(page, "#review-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("div.alert").first).to_be_visible()
    assert_accessible(page)


def test_a_plan_goes_through_its_chain_by_keyboard_alone(page, app: Flask) -> None:
    """平顶山: 单位内部审核 → 主管单位审核 → 业务处室初审 → 业务处室复核, no mouse."""
    plan_id = filed_plan(app, "pds_clerk", competent_review=True)
    sign_in(page, "pds_internal")
    for reviewer in ("pds_internal", "pds_competent", "pds_div_first", "pds_div_review"):
        switch_to(page, reviewer)
        review_by_keyboard(page, f"{reviewer}：同意")
    assert current_step(app, plan_id) == ("completed", None)


def test_a_choice_is_made_by_keyboard_too(page, app: Flask) -> None:
    """郑州, not linked: 监管单位初审 answers 是否上级领导审批 with the arrow keys (是, then 否
    for a second plan); 监管单位复核 and the 市采购办 review by keyboard as well."""
    plans = [filed_plan(app, "zz_clerk", linked=False, intention_id=None,
                        unlinked_reason="年度内临时增加的需求，未能提前公开采购意向。",
                        project_name=f"办公家具购置项目{n}") for n in (1, 2)]
    sign_in(page, "zz_sup_first")
    review_by_keyboard(page, "请上级领导审批", choice_steps=1)  # 请选择 → 是
    assert current_step(app, plans[0]) == ("in_review", "unlinked_supervision_review")
    review_by_keyboard(page, "无需上级领导审批", choice_steps=2)  # 请选择 → 是 → 否
    assert current_step(app, plans[1]) == ("in_review", "competent")
    switch_to(page, "zz_sup_review")
    review_by_keyboard(page, "同意")
    assert current_step(app, plans[0]) == ("in_review", "competent")


def test_a_registration_review_by_keyboard(page, app: Flask) -> None:
    """市采购办审核 of a 采购人注册."""
    assert registration_answer("zz03001") in register(app)
    sign_in(page, "zz_office")
    review_by_keyboard(page, "审核通过")
    approved = registration(app)
    assert approved is not None and approved.status == "completed"


def test_a_bid_change_review_by_keyboard(page, app: Flask) -> None:
    submitted_filings(app)
    sign_in(page, "zz_internal")
    review_by_keyboard(page, "同意变更")
    page.goto("/tasks/done")
    assert_accessible(page)
