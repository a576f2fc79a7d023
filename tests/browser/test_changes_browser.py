"""采购失败方式变更 and 用款计划调减 of 平顶山市第一中学 in a real Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from app.timezone import business_today
from models import MethodChange, ProcurementPlan, SpendingReduction
from tests.browser.conftest import open_menu, sign_in, switch_to
from tests.support.english import latin_words

if TYPE_CHECKING:
    from playwright.sync_api import FilePayload, Locator, Page

expect = pytest.importorskip("playwright.sync_api").expect

UNIT = "平顶山市第一中学"
NON_TENDER = f"{UNIT}校园信息化运维服务项目（竞争性磋商失败）"  # 竞争性磋商, completed
TENDER = f"{UNIT}校医室医疗设备采购项目（公开招标失败）"  # 公开招标, completed
FILE_NAME = "采购失败情况说明.pdf"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ATTACHMENT: FilePayload = {"name": FILE_NAME, "mimeType": "application/pdf", "buffer": PDF}
CHANGE_KIND = "采购失败方式变更"  # the 待办任务 label, as the menu says
WORKS = f"{UNIT}教学楼维修改造工程"  # completed 工程, no failure recorded
INQUIRY_REFUSED = ("变更后的采购方式不符合采购计划备案的规定：第1条采购内容（信息技术服务）："
                   "工程和服务类品目不能选择询价。")
SPENDING_NO = f"YK{business_today().year}-PDS-001"  # 3,000,000.00, nothing used
TODO = "#queue-tasks tr[data-task]"  # 首页 → 待办任务, one row per task
TOO_MUCH = ("调减金额3,000,000.01 元超过可调减金额3,000,000.00 元（计划金额3,000,000.00 元，"
            "已申请使用0.00 元，已支付0.00 元）。")


def flashed(page: Page, message: str) -> None:
    """The page, once the request is done, shows ``message`` as a flash."""
    expect(page.locator("div.alert", has_text=message).first).to_be_visible()


def english(page: Page) -> set[str]:
    """Latin words a person would read (the file's name, file types, 用款计划 numbers and
    导出Excel aside)."""
    return latin_words(page.inner_text("body"), FILE_NAME)


def choose(page: Page, select: str, text: str) -> None:
    """Pick the option showing ``text`` in a select2 widget (through the <select> it decorates)."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value=value)


def row(page: Page, text: str) -> Locator:
    return page.locator("table tbody tr", has_text=text).first


def cell(page: Page, text: str, column: str) -> Locator:
    """The ``column`` cell of the list row showing ``text``."""
    headers = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    return row(page, text).locator("td").nth(headers.index(column))


def save(page: Page) -> None:
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()


def submit_from_list(page: Page, text: str) -> None:
    """Tick the record, 操作 → 提交, 确定 in the confirm dialog."""
    row(page, text).locator("input.action_check").check()
    page.click("button.dropdown-toggle:has-text('操作')")
    page.click("a.submit_menu_item:has-text('提交')")
    dialog = page.locator("#modal-confirm:visible")
    expect(dialog).to_contain_text("确定提交审核吗？")
    dialog.locator("#modal-confirm-ok:has-text('确定')").click()
    flashed(page, "已提交，等待审核。")
    assert "审核中" in row(page, text).inner_text()


def approve(page: Page, username: str, kind: str, step: str, label: str, record: list[str],
            shot: str | None = None) -> None:
    """首页 → 待办任务 → 进入审批: check the record, 同意 with an opinion, 审核."""
    switch_to(page, username)
    todo = page.locator(TODO, has_text=kind)
    expect(todo).to_have_count(1)
    expect(todo).to_contain_text(label)
    expect(todo).to_contain_text(UNIT)
    todo.locator("a:has-text('进入审批')").click()
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_have_text(f"进入审批：{kind} — {label}")
    shown = page.inner_text("#record")
    for text in record:
        assert text in shown, f"{text!r} missing on the review page of {username}"
    current = page.locator("#workflow-chart svg g.node.current")
    expect(current).to_have_attribute("data-step", step)
    if FILE_NAME in record:  # the reviewer can open the attachment under its Chinese name
        with page.expect_download() as download:
            page.locator("#record a", has_text=FILE_NAME).click()
        assert download.value.suggested_filename == FILE_NAME
        assert Path(download.value.path()).read_bytes() == PDF
    page.check("input[name=action][value=approve]")
    page.fill("#opinion", f"{label}：同意。")
    assert not english(page), f"English on the review page: {english(page)}"
    if shot:
        page.screenshot(path=f"test-results/{shot}", full_page=True)
    page.click("button[type=submit]:has-text('审核')")
    flashed(page, "审核完成。")
    page.goto("/")
    expect(page.locator(TODO, has_text=kind)).to_have_count(0)


def file_method_change(page: Page, project: str, method: str) -> None:
    """计划管理 → 采购失败方式变更 → 增加, 保存, then 提交 from the list."""
    open_menu(page, "计划管理", "采购失败方式变更")
    page.click("a[href*='/methodchangeview/add']")
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_have_text("增加采购失败方式变更")
    choose(page, "#plan", project)
    page.select_option("#new_method", label=method)
    page.fill("#reason", f"项目采购失败，经论证改为{method}。")
    page.set_input_files("#attachment", files=[
        ATTACHMENT])
    assert not english(page), f"English on the change form: {english(page)}"
    save(page)
    flashed(page, "增加成功")
    assert "草稿" in row(page, project).inner_text()
    submit_from_list(page, project)
    assert not english(page), f"English on the change list: {english(page)}"


def method_of(db_session: Any, project: str) -> str:
    db_session.expire_all()
    plan = db_session.scalar(select(ProcurementPlan).where(ProcurementPlan.project_name == project))
    return plan.method.value


def test_failed_procurement_changes_method(page: Page, db_session: Any) -> None:
    """Non-tender: 内部审核 only; tender: 内部审核 → 监管处审核 → 监管处审批."""
    sign_in(page, "pds_clerk")
    file_method_change(page, NON_TENDER, "单一来源")
    listed = row(page, NON_TENDER).inner_text()
    assert "竞争性磋商" in listed and "单一来源" in listed, listed
    change = db_session.scalar(select(MethodChange))
    assert (change.attachment_name, change.status) == (FILE_NAME, "in_review")
    record = [NON_TENDER, "竞争性磋商", "单一来源", FILE_NAME]
    approve(page, "pds_internal", CHANGE_KIND, "internal_review", "单位内部审核", record,
            shot="method_change_review.png")
    switch_to(page, "pds_clerk")
    open_menu(page, "计划管理", "采购失败方式变更")
    assert "已完成" in row(page, NON_TENDER).inner_text()
    assert method_of(db_session, NON_TENDER) == "单一来源"

    open_menu(page, "计划管理", "计划查询")  # 搜索 → 采购方式 等于 单一来源
    page.click("a.accordion-toggle:has-text('搜索')")
    page.click("#filter_form button.dropdown-toggle:has-text('添加过滤条件')")
    page.click("#filter_form a.filter[name=method]")
    page.select_option("#filter_form select[name=_flt_0_method]", label="单一来源")
    page.click("#filter_form button[type=submit]:has-text('搜索')")
    page.wait_for_load_state()
    expect(page.locator("table tbody tr", has_text=UNIT)).to_have_count(1)
    expect(row(page, NON_TENDER)).to_contain_text("已完成")
    assert not english(page), f"English on 计划查询: {english(page)}"

    open_menu(page, "计划管理", "采购失败方式变更")  # the failed tender goes to 监管处
    file_method_change(page, TENDER, "竞争性谈判")
    record = [TENDER, "公开招标", "竞争性谈判", FILE_NAME]
    approve(page, "pds_internal", CHANGE_KIND, "internal_review", "单位内部审核", record)
    switch_to(page, "pds_sup_review")  # not before 监管处审核
    expect(page.locator(TODO, has_text=CHANGE_KIND)).to_have_count(0)
    approve(page, "pds_sup_first", CHANGE_KIND, "supervision_check", "监管处审核", record)
    assert method_of(db_session, TENDER) == "公开招标"  # not yet applied
    approve(page, "pds_sup_review", CHANGE_KIND, "supervision_approval", "监管处审批", record)
    switch_to(page, "pds_clerk")
    open_menu(page, "计划管理", "采购失败方式变更")
    assert "已完成" in row(page, TENDER).inner_text()
    assert method_of(db_session, TENDER) == "竞争性谈判"
    page.screenshot(path="test-results/method_change_completed.png", full_page=True)


def reductions(db_session: Any) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(SpendingReduction))


def test_spending_plan_is_reduced(page: Page, db_session: Any) -> None:
    """A reduction beyond the plan is refused; 500,000.00 goes through and lowers 计划金额."""
    sign_in(page, "pds_clerk")
    open_menu(page, "计划管理", "用款计划调减")
    page.click("a[href*='/spendingreductionview/add']")
    page.wait_for_load_state()
    choose(page, "#spending_plan", SPENDING_NO)
    page.select_option("#kind", label="合同签订后结余资金")
    page.fill("#amount", "3000000.01")
    page.fill("#reason", "合同签订后结余资金，申请调减。")
    save(page)
    # The refused form comes back as typed: only the amount needs changing.
    flashed(page, TOO_MUCH)
    assert reductions(db_session) == 0
    expect(page.locator("#reason")).to_have_value("合同签订后结余资金，申请调减。")
    expect(page.locator("#amount")).to_have_value("3000000.01")
    page.screenshot(path="test-results/reduction_refused.png", full_page=True)
    page.fill("#amount", "500000.00")
    save(page)
    flashed(page, "增加成功")
    assert "草稿" in row(page, SPENDING_NO).inner_text()
    submit_from_list(page, SPENDING_NO)
    record = [SPENDING_NO, "合同签订后结余资金", "500,000.00 元", "3,000,000.00 元"]
    approve(page, "pds_internal", "用款计划调减", "internal_review", "单位内部审核", record)
    approve(page, "pds_sup_first", "用款计划调减", "supervision_first", "监管部门审核", record)
    switch_to(page, "pds_clerk")
    open_menu(page, "计划管理", "用款计划调减")
    assert "已完成" in row(page, SPENDING_NO).inner_text()
    open_menu(page, "计划管理", "用款计划")
    for column, amount in (("计划金额", "2,500,000.00 元"), ("已申请使用金额", "0.00 元")):
        expect(cell(page, SPENDING_NO, column)).to_have_text(amount)
    assert not english(page), f"English on the spending plans: {english(page)}"
    page.screenshot(path="test-results/reduction_completed.png", full_page=True)


def test_inquiry_for_a_failed_service_project_is_refused_as_typed(page: Page,
                                                                  db_session: Any) -> None:
    """The clerk sees the recorded failures, records one, and a 询价 for 服务 is refused with
    the Chinese message and the form as typed; 单一来源 then saves without choosing the file
    again."""
    sign_in(page, "pds_clerk")
    open_menu(page, "计划管理", "采购失败登记")
    for project in (NON_TENDER, TENDER):
        expect(row(page, project)).to_be_visible()
    page.click("a[href*='/procurementfailureview/add']")
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_have_text("增加采购失败登记")
    offered = page.locator("#plan option").all_inner_texts()
    assert WORKS in offered and NON_TENDER not in offered, offered
    choose(page, "#plan", WORKS)
    failed_on = page.locator("#failed_on")  # typed: the datepicker drops a value it did not see
    failed_on.press_sequentially(business_today().isoformat())
    failed_on.press("Tab")
    page.fill("#reason", "投标截止时投标人不足三家，公开招标失败。")
    assert not english(page), f"English on the failure form: {english(page)}"
    save(page)
    flashed(page, "增加成功")
    open_menu(page, "计划管理", "采购失败登记")
    expect(row(page, WORKS)).to_contain_text("公开招标")

    open_menu(page, "计划管理", "采购失败方式变更")
    page.click("a[href*='/methodchangeview/add']")
    page.wait_for_load_state()
    expect(page.locator("form")).to_contain_text("取得新的政府采购计划编号")
    choose(page, "#plan", NON_TENDER)
    page.select_option("#new_method", label="询价")
    page.fill("#reason", "竞争性磋商失败，拟改为询价。")
    page.set_input_files("#attachment", files=[
        ATTACHMENT])
    save(page)
    flashed(page, INQUIRY_REFUSED)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(MethodChange)) == 0
    selected = page.locator("#plan option:checked").inner_text()
    assert selected.strip() == NON_TENDER, selected
    expect(page.locator("#new_method option:checked")).to_have_text("询价")
    expect(page.locator("#reason")).to_have_value("竞争性磋商失败，拟改为询价。")
    assert not english(page), f"English on the refused form: {english(page)}"
    page.screenshot(path="test-results/method_change_inquiry_refused.png", full_page=True)
    page.select_option("#new_method", label="单一来源")
    save(page)
    flashed(page, "增加成功")
    db_session.expire_all()
    change = db_session.scalar(select(MethodChange))
    assert (change.new_method.value, change.attachment_name) == ("单一来源", FILE_NAME)
