"""Main journeys in a real Chromium: Chinese menus, and a unit admin adding an operator."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import Operator
from tests.browser.conftest import sign_in

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def fill_operator(page, name: str, phone: str, password: str,
                  internal_review: bool = False) -> None:
    """Fill 增加操作人员 and save."""
    page.fill("#first_name", name)
    page.fill("#phone", phone)
    page.fill("#password", password)
    page.fill("#conf_password", password)
    page.select_option("#internal_review", "1" if internal_review else "0")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_clerk_sees_a_chinese_panel(page) -> None:
    sign_in(page, "zz_clerk")
    body = page.inner_text("body")
    assert "欢迎您，郑州市经办人" in body
    assert "经办岗" in body and "郑州市第一中学" in body
    page.click("a.dropdown-toggle:has-text('郑州市经办人')")
    menu = page.inner_text("li.dropdown:has(a.dropdown-toggle:has-text('郑州市经办人')) ul")
    assert "个人信息" in menu and "退出" in menu
    page.click("a.dropdown-toggle:has-text('监督管理')")
    assert "中标结果变更备案" in page.inner_text("li.dropdown:has-text('监督管理') ul")
    leftovers = set(LATIN_WORD.findall(page.inner_text("body"))) - {"zz", "clerk"}
    assert not leftovers, f"English on the home page: {leftovers}"
    page.screenshot(path="test-results/zz_clerk_home.png")


def test_unit_admin_adds_an_internal_reviewer(page, db_session) -> None:
    sign_in(page, "zz_unitadmin")
    page.click("a.dropdown-toggle:has-text('操作权限')")
    page.click("a:has-text('操作人员管理')")
    assert "操作人员管理" in page.inner_text(".panel-heading, .panel-title, body")
    page.click("a[href*='/operatorview/add']")
    fill_operator(page, "王审核", "13912345678", "Review#2026", internal_review=True)
    assert "王审核" in page.inner_text("body")
    created = db_session.scalar(select(Operator).where(Operator.first_name == "王审核"))
    assert created is not None and created.post.name == "内部审核岗"
    assert re.fullmatch(r"zz0101\d{3}", created.username)
    page.screenshot(path="test-results/operator_added.png", full_page=True)


def test_weak_password_is_refused_in_the_form(page, db_session) -> None:
    sign_in(page, "zz_unitadmin")
    page.goto("/operatorview/add")
    fill_operator(page, "李经办", "13912345679", "12345678")
    assert "密码至少8位，且须包含字母、数字、符号中的至少两类。" in page.inner_text("body")
    assert db_session.scalar(select(Operator).where(Operator.first_name == "李经办")) is None
