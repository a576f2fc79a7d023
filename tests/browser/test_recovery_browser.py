"""The seed's 供应商找回密码 steps in Chromium, secured: a single-use SMS password, forced change."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import SmsMessage
from tests.browser.conftest import sign_in

CODE = "91410100MA440A1B2D"  # 河南中原建设工程有限公司 (demo)
PHONE = "13900000011"  # its legal representative's mobile
NEW_PASSWORD = "Zhongyuan#2026"


def sms_password(db_session) -> str:
    db_session.expire_all()
    body = db_session.scalar(select(SmsMessage.body).where(SmsMessage.phone == PHONE)
                             .order_by(SmsMessage.id.desc()))
    assert body and f"您的用户名：{CODE}" in body, body
    return re.search(r"临时密码：(\w+)", body).group(1)


def test_supplier_recovers_and_must_change_the_password(page, db_session) -> None:
    """用户登录 → 供应商 → 找回密码 → 确定 → 立即登录 → 修改密码 → 密码修改成功！ → 立即登录."""
    page.goto("/login/")
    page.click("#login-tabs a:has-text('供应商')")
    page.click("#recover-link")
    assert page.locator(".panel-title").inner_text() == "供应商找回密码"
    page.fill("#credit_code", CODE)
    page.fill("#phone", PHONE)
    page.click("#account-form button[type=submit]")
    page.wait_for_load_state()
    assert "找回密码申请已受理" in page.locator("#account-message").inner_text()
    page.screenshot(path="test-results/recovery_done.png")
    temporary = sms_password(db_session)

    page.click("#login-now")
    page.fill("#username", CODE)
    page.fill("#password", temporary)
    page.click("input[type=submit]")
    page.wait_for_url("**/password/change")
    assert "您使用临时密码登录，请先设置新密码。" in page.content()
    page.goto("/supplierselfview/list/")
    assert page.url.endswith("/password/change"), "nothing else is reachable before the change"

    page.fill("#password", "abcdefgh")
    page.fill("#confirm", "abcdefgh")
    page.click("#account-form button[type=submit]")
    page.wait_for_selector(".alert")
    assert "密码至少8位，且须包含字母、数字、符号中的至少两类。" in page.content()
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("#account-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#account-message").inner_text() == "密码修改成功！"
    page.screenshot(path="test-results/recovery_changed.png")

    page.click("#login-now")
    page.fill("#username", CODE)
    page.fill("#password", temporary)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    assert "用户名或密码错误。" in page.content(), "the temporary password is single-use"
    sign_in(page, CODE, NEW_PASSWORD)
    page.click("a.dropdown-toggle:has-text('供应商中心')")
    page.click("ul.dropdown-menu a:has-text('供应商信息')")
    row = page.locator("table tbody tr", has_text="河南中原建设工程有限公司")
    assert CODE in row.inner_text()
