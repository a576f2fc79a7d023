"""Required choices start blank, and each action is offered only where it applies, in a real
Chromium as the clerk and a reviewer (issue 15, items 8 and 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Flask

from tests.browser.conftest import sign_in, switch_to
from tests.support.plans import filed_plan

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = pytest.importorskip("playwright.sync_api").expect


def test_clerk_meets_blank_pickers_and_is_told_what_to_choose(page: Page) -> None:
    sign_in(page, "pds_clerk")
    page.goto("/bidchangefilingview/add")
    project = page.locator("select[name=project]")
    expect(project.locator("option").first).to_have_text("请选择")
    assert project.input_value() == "__None"
    page.fill("[name=change_content]", "供应商名称变更")
    page.fill("[name=change_reason]", "工商变更登记")
    page.locator("form button[type=submit]:has-text('保存')").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger", has_text="请选择项目。").first).to_be_visible()
    assert page.input_value("[name=change_content]") == "供应商名称变更"
    assert page.input_value("[name=change_reason]") == "工商变更登记"

    page.goto("/methodchangeview/add")
    for name in ("plan", "new_method"):
        expect(page.locator(f"select[name={name}] option").first).to_have_text("请选择")
        assert page.input_value(f"select[name={name}]") in ("", "__None")


def test_a_plan_in_review_offers_only_withdraw(app: Flask, page: Page) -> None:
    plan_id = filed_plan(app, "pds_clerk")
    draft_id = filed_plan(app, "pds_clerk", submit=False)
    sign_in(page, "pds_clerk")
    page.goto("/procurementplanview/list/")
    expect(page.locator(f"a[href^='/procurementplanview/edit/{plan_id}']")).to_have_count(0)
    expect(page.locator(f"a[href^='/procurementplanview/edit/{draft_id}']")).to_have_count(1)

    page.goto(f"/procurementplanview/show/{plan_id}")
    expect(page.locator("[id$='.action-withdraw']")).to_have_count(1)
    expect(page.locator("[id$='.action-submit']")).to_have_count(0)
    page.goto(f"/procurementplanview/show/{draft_id}")
    expect(page.locator("[id$='.action-submit']")).to_have_count(1)
    expect(page.locator("[id$='.action-withdraw']")).to_have_count(0)

    # A typed /edit/ address of the plan in review: its page, and why.
    page.goto(f"/procurementplanview/edit/{plan_id}")
    assert page.url.endswith(f"/procurementplanview/show/{plan_id}"), page.url
    expect(page.locator(".alert", has_text="当前状态为“审核中”，不能修改。")).to_be_visible()


def test_reviewer_must_choose_a_result(app: Flask, page: Page) -> None:
    filed_plan(app, "pds_clerk")
    sign_in(page, "pds_clerk")
    switch_to(page, "pds_internal")
    page.goto("/tasks/")
    page.locator("a:has-text('进入审批')").first.click()
    page.wait_for_load_state()
    radios = page.locator("input[name=action]")
    assert radios.count() >= 2
    assert not any(radios.nth(i).is_checked() for i in range(radios.count()))
    page.fill("#opinion", "材料齐全")
    page.click("#review-form button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator(".alert", has_text="请选择审批结果。")).to_be_visible()
    assert page.input_value("#opinion") == "材料齐全"
    page.check("input[name=action][value=approve]")
    page.click("#review-form button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator(".alert", has_text="审核完成。")).to_be_visible()
