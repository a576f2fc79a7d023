"""采购计划备案 of 郑州 in a real Chromium: the linked and the unlinked route, and a refusal."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.demo_mall import PLAN_NAME as MALL_PLAN
from app.timezone import business_today
from models import Operator, ProcurementPlan, Unit
from tests.browser.conftest import open_menu, sign_in, switch_to
from tests.support.english import latin_words
from tests.support.plans import issued_numbers

expect = pytest.importorskip("playwright.sync_api").expect

UNIT = "郑州市第一中学"
INTENTION = f"{UNIT}校园物业管理服务项目"  # published 45 days ago: the only linkable one
TOO_NEW, TOO_OLD = f"{UNIT}教学设备更新项目", f"{UNIT}图书馆改造工程"  # 10 and 100 days
UNLINKED_PROJECT = f"{UNIT}办公家具购置项目"
REASON = "本项目为年度内临时增加的办公家具需求，未能提前公开采购意向。"
FILE_NAME = "不关联意向说明.pdf"
REFUSED = ("本次采购总金额（财政资金+自有资金）19,999.99 元须等于"
           "采购内容金额合计20,000.00 元。")
LINKED_CHAIN = [  # who approves, the step they act on, its label
    ("zz_competent", "competent", "主管单位审核"),
    ("zz_div_first", "division_first", "业务处室初审"),
    ("zz_div_review", "division_review", "业务处室复核"),
]


def english(page) -> set[str]:
    """Latin words a person would read (file name, file types and 用款计划 numbers aside)."""
    return latin_words(page.inner_text("body"), FILE_NAME)


def flashed(page, message: str) -> None:
    expect(page.locator("div.alert", has_text=message)).to_be_visible()


def open_add_form(page) -> None:
    """计划管理 → 采购计划备案 → +."""
    open_menu(page, "计划管理", "采购计划备案")
    page.click("a[href*='/procurementplanview/add']")
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_have_text("增加采购计划备案")


def fill_plan(page, fiscal: str, linked: bool, pdf: Path | None = None) -> None:
    """The plan as the clerk types it: 用款计划 funding and one 办公桌椅 line of 20,000.00."""
    page.check(f"input[name=linked][value='{1 if linked else 0}']")
    if linked:
        label = page.locator("#intention_id option", has_text=INTENTION).inner_text()
        page.select_option("#intention_id", label=label.strip())
    else:
        page.fill("#unlinked_reason", REASON)
        if pdf is not None:
            page.set_input_files("#unlinked_proof", str(pdf))
        page.fill("#project_name", UNLINKED_PROJECT)
    fill_money_and_item(page, fiscal)


def fill_money_and_item(page, fiscal: str) -> None:
    """用款计划 funding of ``fiscal`` and one 办公桌椅 line of 20,000.00 (公开招标, 分散采购)."""
    page.select_option("#fund_source", value="spending_plan")
    page.fill("#fiscal_amount", fiscal)
    page.fill("#own_amount", "0")
    page.locator("#fundings tbody tr").first.locator("input").fill(fiscal)
    catalogue = page.locator("select[name=item-0-catalogue] option", has_text="A05010201")
    page.select_option("select[name=item-0-catalogue]", value=catalogue.get_attribute("value"))
    page.fill("input[name=item-0-quantity]", "10")
    page.fill("input[name=item-0-amount]", "20000.00")
    page.select_option("select[name=item-0-method]", label="公开招标")
    page.select_option("select[name=item-0-organisation]", label="分散采购")


def save_and_submit(page) -> None:
    page.click("button[type=submit]:has-text('保存并提交')")
    page.wait_for_load_state()


def list_row(page, project: str):
    return page.locator("table tbody tr", has_text=project).first


def plans(db_session) -> int:
    """Plans of zz_clerk's unit, less the demo's completed 网上商城 plan."""
    db_session.expire_all()
    return db_session.scalar(select(func.count(ProcurementPlan.id)).join(Unit)
                             .where(Unit.name == UNIT,
                                    ProcurementPlan.project_name.not_like(f"%{MALL_PLAN}")))


def approve(page, username: str, step: str, label: str, record: list[str],
            leader: str | None = None, shot: str | None = None, unit: str = UNIT) -> None:
    """The reviewer opens the task from 首页 → 待办任务, checks the plan and approves it."""
    switch_to(page, username)
    todo = page.locator("#todo tr", has_text="采购计划备案")
    expect(todo).to_have_count(1)
    assert label in todo.inner_text() and unit in todo.inner_text()
    todo.locator("a:has-text('进入审批')").click()
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_have_text(f"进入审批：采购计划备案 — {label}")
    shown = page.inner_text("#record")
    for text in record:
        assert text in shown, f"{text!r} missing on the review page of {username}"
    current = page.locator("#workflow-chart svg g.node.current")
    expect(current).to_have_count(1)
    assert current.get_attribute("data-step") == step
    page.check("input[name=action][value=approve]")
    if leader is not None:
        page.select_option("select[name=choice_leader]", value=leader)
    page.fill("#opinion", f"{label}：同意。")
    assert not english(page), f"English on the review page: {english(page)}"
    if shot:
        page.screenshot(path=f"test-results/{shot}", full_page=True)
    page.click("button[type=submit]:has-text('审核')")
    flashed(page, "审核完成。")
    page.goto("/")
    expect(page.locator("#todo tr", has_text="采购计划备案")).to_have_count(0)


def assert_completed(page, project: str, shot: str) -> None:
    """zz_clerk's list shows the plan 已完成 with its number 郑财招标采购-<year>-1."""
    switch_to(page, "zz_clerk")
    open_menu(page, "计划管理", "采购计划备案")
    row = list_row(page, project).inner_text()
    assert "已完成" in row
    assert re.search(rf"郑财招标采购-{business_today().year}-1(?!\d)", row), row
    assert not english(page), f"English on the plan list: {english(page)}"
    page.screenshot(path=f"test-results/{shot}", full_page=True)


def test_linked_plan_goes_through_competent_and_division(page, db_session) -> None:
    sign_in(page, "zz_clerk")
    open_add_form(page)
    page.check("input[name=linked][value='1']")
    offered = [o.strip() for o in page.locator("#intention_id option").all_inner_texts()][1:]
    published = business_today() - timedelta(days=45)
    assert offered == [f"{INTENTION}（{published}公开，预算1,200,000.00 元）"], offered
    assert not any(TOO_NEW in o or TOO_OLD in o for o in offered)
    fill_plan(page, "20000.00", linked=True)
    assert not english(page), f"English on the plan form: {english(page)}"
    page.screenshot(path="test-results/plan_form_linked.png", full_page=True)
    save_and_submit(page)
    flashed(page, "已保存并提交。")
    assert plans(db_session) == 1
    assert "审核中" in list_row(page, INTENTION).inner_text()

    record = [INTENTION, "用款计划", "20,000.00 元", "办公桌椅", "公开招标", "分散采购"]
    for n, (username, step, label) in enumerate(LINKED_CHAIN):
        approve(page, username, step, label, record,
                shot="plan_review_linked.png" if n == 0 else None)
    assert_completed(page, INTENTION, "plan_completed_linked.png")


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    """不关联意向说明 as the clerk uploads it, under its Chinese name."""
    path = tmp_path / FILE_NAME
    path.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    return path


def test_refused_plan_keeps_what_was_typed(page, db_session, pdf: Path) -> None:
    sign_in(page, "zz_clerk")
    open_add_form(page)
    fill_plan(page, "19999.99", linked=False, pdf=pdf)
    save_and_submit(page)
    flashed(page, REFUSED)
    assert plans(db_session) == 0
    expect(page.locator("input[name=linked][value='0']")).to_be_checked()
    expect(page.locator("#unlinked_reason")).to_have_value(REASON)
    expect(page.locator("#project_name")).to_have_value(UNLINKED_PROJECT)
    expect(page.locator("#fund_source")).to_have_value("spending_plan")
    expect(page.locator("#fiscal_amount")).to_have_value("19999.99")
    expect(page.locator("#fundings tbody tr").first.locator("input")).to_have_value("19999.99")
    catalogue = page.locator("select[name=item-0-catalogue] option:checked")
    expect(catalogue).to_contain_text("A05010201 办公桌椅")
    expect(page.locator("input[name=item-0-quantity]")).to_have_value("10")
    expect(page.locator("input[name=item-0-amount]")).to_have_value("20000.00")
    expect(page.locator("select[name=item-0-method] option:checked")).to_have_text("公开招标")
    expect(page.locator("select[name=item-0-organisation] option:checked")).to_have_text("分散采购")
    assert not english(page), f"English on the refused form: {english(page)}"
    page.screenshot(path="test-results/plan_refused.png", full_page=True)


def test_unlinked_plan_starts_at_supervision(page, db_session, pdf: Path) -> None:
    sign_in(page, "zz_clerk")
    open_add_form(page)
    fill_plan(page, "20000.00", linked=False, pdf=pdf)
    page.screenshot(path="test-results/plan_form_unlinked.png", full_page=True)
    save_and_submit(page)
    flashed(page, "已保存并提交。")
    assert plans(db_session) == 1
    assert "审核中" in list_row(page, UNLINKED_PROJECT).inner_text()

    record = [UNLINKED_PROJECT, REASON, "20,000.00 元", "办公桌椅"]
    approve(page, "zz_sup_first", "unlinked_supervision_first", "监管单位初审", record,
            leader="no", shot="plan_review_choice.png")
    switch_to(page, "zz_competent")  # 否: straight to the competent unit, no 监管单位复核
    todo = page.locator("#todo tr", has_text="采购计划备案")
    expect(todo).to_have_count(1)
    assert "主管单位审核" in todo.inner_text()
    switch_to(page, "zz_sup_review")
    expect(page.locator("#todo tr", has_text="采购计划备案")).to_have_count(0)
    for username, step, label in LINKED_CHAIN:
        approve(page, username, step, label, record)
    assert_completed(page, UNLINKED_PROJECT, "plan_completed_unlinked.png")



def save_draft_and_edit(page) -> None:
    """保存 a linked plan as a draft, then open 修改 from the list."""
    sign_in(page, "zz_clerk")
    open_add_form(page)
    fill_plan(page, "20000.00", linked=True)
    page.click("button[type=submit][name=save]")
    flashed(page, "已保存，可继续修改或提交。")
    list_row(page, INTENTION).locator("a[href*='/procurementplanview/edit/']").click()
    page.wait_for_load_state()


def test_quantity_reads_as_typed(page) -> None:
    save_draft_and_edit(page)  # the seed's way: 保存, then 提交 on the list
    in_form = page.locator("input[name=item-0-quantity]").input_value()
    page.click("a.btn:has-text('返回')")
    list_row(page, INTENTION).locator("input.action_check").check()
    page.click("button.dropdown-toggle:has-text('操作')")
    page.click("a.submit_menu_item:has-text('提交')")
    page.locator("#modal-confirm:visible #modal-confirm-ok").click()
    flashed(page, "已提交，等待审核。")
    switch_to(page, "zz_competent")
    page.locator("#todo tr", has_text="采购计划备案").locator("a:has-text('进入审批')").click()
    page.wait_for_load_state()
    lines = page.locator("#record table.record-lines[data-title='采购内容'] tbody td")
    assert (in_form, lines.nth(2).inner_text()) == ("10", "10"), in_form  # the 数量 column


def test_draft_can_be_saved_again(page) -> None:
    save_draft_and_edit(page)
    page.click("button[type=submit][name=save]")
    page.wait_for_load_state()
    assert "系统内部错误" not in page.inner_text("body")
    flashed(page, "已保存，可继续修改或提交。")


def test_refused_submit_creates_no_plan(page, db_session) -> None:
    competent = db_session.scalar(select(Operator).where(Operator.username == "zz_competent"))
    competent.active = False  # 主管单位审核 has nobody: the submit is refused
    db_session.commit()
    sign_in(page, "zz_clerk")
    open_add_form(page)
    fill_plan(page, "20000.00", linked=True)
    for _ in range(2):  # the clerk sees only the refusal and tries again
        save_and_submit(page)
        flashed(page, "无法送审。")
    assert plans(db_session) == 0


def test_other_region_plan_goes_through_internal_review(app: Flask, page) -> None:
    """平顶山市: no intention question; 内部审核 → 主管单位 (subordinate unit) → 业务处室."""
    issued = issued_numbers(app)
    unit = "平顶山市第一中学"
    sign_in(page, "pds_clerk")
    open_add_form(page)
    assert page.locator("input[name=linked]").count() == 0
    page.fill("#project_name", "实验室家具采购")
    fill_money_and_item(page, "20000.00")
    save_and_submit(page)
    flashed(page, "已保存并提交。")
    for username, step, label in (("pds_internal", "internal_review", "单位内部审核"),
                                  ("pds_competent", "competent", "主管单位审核"),
                                  ("pds_div_first", "division_first", "业务处室初审"),
                                  ("pds_div_review", "division_review", "业务处室复核")):
        approve(page, username, step, label, ["实验室家具采购"], unit=unit)
    switch_to(page, "pds_clerk")
    open_menu(page, "计划管理", "采购计划备案")
    row = list_row(page, "实验室家具采购").inner_text()
    assert "已完成" in row and f"平财招标采购-{business_today().year}-{issued + 1}" in row
