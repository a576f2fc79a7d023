"""中标结果变更备案 in a real Chromium: filing, three approvals and the 变更公告 gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import BidChangeAnnouncement, BidChangeFiling
from tests.browser.conftest import open_menu, sign_in, switch_to
from tests.support.english import latin_words

expect = pytest.importorskip("playwright.sync_api").expect

PROJECT = "郑州市第一中学教学楼维修改造工程"
FILE_NAME = "情况说明.pdf"
NO_FILE = "请上传加盖单位公章的情况说明材料。"
GATE = "该项目的中标结果变更备案尚未完成，不能新增中标结果变更公告。"
CHAIN = [  # who approves, the step they act on, its label on the review page
    ("zz_internal", "internal_review", "单位内部审核"),
    ("zz_sup_first", "supervision_first", "监管部门初审"),
    ("zz_sup_review", "supervision_review", "监管部门复核"),
]


def choose_project(page) -> None:
    """Pick the project in the select2 widget (through the <select> it decorates)."""
    value = page.locator("#project option", has_text=PROJECT).get_attribute("value")
    page.select_option("#project", value=value)


def save(page) -> None:
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()


def fill_filing(page, pdf: Path | None) -> None:
    """增加中标结果变更备案 as the clerk types it, then 保存."""
    choose_project(page)
    page.fill("#change_content", "中标供应商名称变更为河南中原建设集团有限公司")
    page.fill("#change_reason", "中标供应商更名，已取得市场监督管理部门核准文件")
    if pdf is not None:
        page.set_input_files("#explanation", str(pdf))
        assert not english(page), "English on the filing form"
        page.screenshot(path="test-results/bid_change_form.png", full_page=True)
    save(page)


def list_row(page):
    return page.locator("table tbody tr", has_text=PROJECT).first


def confirm(page, question: str) -> None:
    """The confirm dialog asks ``question``; 确定."""
    dialog = page.locator("#modal-confirm:visible")
    expect(dialog).to_contain_text(question)
    dialog.locator("#modal-confirm-ok:has-text('确定')").click()


def submit_from_list(page) -> None:
    """Tick the filing, 操作 → 提交, and 确定 in the confirm dialog."""
    list_row(page).locator("input.action_check").check()
    page.click("button.dropdown-toggle:has-text('操作')")
    page.click("a.submit_menu_item:has-text('提交')")
    confirm(page, "确定提交审核吗？")


def add_announcement(page) -> None:
    open_menu(page, "监督管理", "中标结果变更公告")
    page.click("a[href*='/bidchangeannouncementview/add']")
    choose_project(page)
    page.fill("#title", f"{PROJECT}中标结果变更公告")
    page.fill("#content", "经备案，本项目中标供应商名称变更为河南中原建设集团有限公司。")
    save(page)


def english(page) -> set[str]:
    """Latin words a person would read on the page (the file's name and types aside)."""
    return latin_words(page.inner_text("body"), FILE_NAME)


def flashed(page, message: str) -> None:
    """The page (after any redirect) shows ``message`` as a flash."""
    expect(page.locator("div.alert", has_text=message)).to_be_visible()


def approve(page, username: str, step: str, label: str, shot: str | None = None) -> None:
    """The reviewer opens the task from the home page, checks the record and approves."""
    switch_to(page, username)
    todo = page.locator("#todo tr", has_text="中标结果变更备案")
    expect(todo).to_have_count(1)
    assert label in todo.inner_text() and "郑州市第一中学" in todo.inner_text()
    todo.locator("a:has-text('进入审批')").click()
    page.wait_for_load_state()
    expect(page.locator(".panel-title").first).to_have_text(f"进入审批：中标结果变更备案 — {label}")
    record = page.inner_text("#record")
    assert "项目名称" in record and PROJECT in record and "中标供应商名称变更" in record
    history = page.inner_text("#workflow-history")
    assert "提交" in history and "郑州市经办人" in history
    current = page.locator("#workflow-chart svg g.node.current")
    expect(current).to_have_count(1)
    assert current.get_attribute("data-step") == step
    assert not english(page), "English on the review page"
    if shot:
        page.screenshot(path=f"test-results/{shot}", full_page=True)
    link = page.locator("#record a", has_text=FILE_NAME)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == FILE_NAME
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-1.4")
    page.check("input[name=action][value=approve]")
    page.fill("#opinion", f"{label}：材料齐全，同意。")
    page.click("button[type=submit]:has-text('审核')")
    flashed(page, "审核完成。")
    expect(page.locator("#task-table tr", has_text="中标结果变更备案")).to_have_count(0)
    page.goto("/")
    expect(page.locator("#todo tr", has_text="中标结果变更备案")).to_have_count(0)


def filings(db_session) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(BidChangeFiling))


def announcements(db_session) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(BidChangeAnnouncement))


def test_bid_change_filing_is_approved_and_opens_the_announcement(page, db_session,
                                                                   tmp_path: Path) -> None:
    pdf = tmp_path / FILE_NAME
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    sign_in(page, "zz_clerk")
    open_menu(page, "监督管理", "中标结果变更备案")
    page.click("a[href*='/bidchangefilingview/add']")
    fill_filing(page, pdf=None)  # first without the file: refused, nothing kept
    flashed(page, NO_FILE)
    assert filings(db_session) == 0
    page.screenshot(path="test-results/bid_change_no_file.png", full_page=True)
    # The refused form comes back as typed: only the file is still to choose.
    expect(page.locator("#change_content")).to_have_value("中标供应商名称变更为河南中原建设集团有限公司")
    expect(page.locator("#change_reason")).to_have_value("中标供应商更名，已取得市场监督管理部门核准文件")
    fill_filing(page, pdf=pdf)
    flashed(page, "增加成功")
    assert filings(db_session) == 1
    assert "草稿" in list_row(page).inner_text()
    submit_from_list(page)
    flashed(page, "已提交，等待审核。")
    assert "审核中" in list_row(page).inner_text()

    add_announcement(page)  # the gate, while the filing is in review
    flashed(page, GATE)
    # Nothing is added; the refused form comes back as typed.
    assert announcements(db_session) == 0
    expect(page.locator("#title")).to_have_value(f"{PROJECT}中标结果变更公告")
    page.screenshot(path="test-results/bid_change_gate.png", full_page=True)

    for number, (username, step, label) in enumerate(CHAIN):
        approve(page, username, step, label, shot="bid_change_review.png" if number == 0 else None)

    switch_to(page, "zz_clerk")
    open_menu(page, "监督管理", "中标结果变更备案")
    assert "已完成" in list_row(page).inner_text()
    page.screenshot(path="test-results/bid_change_completed.png", full_page=True)
    list_row(page).locator("a[href*='/bidchangefilingview/show/']").click()
    page.wait_for_load_state()
    history = page.inner_text("#workflow-history")
    for _user, _step, label in CHAIN:
        assert f"{label}：材料齐全，同意。" in history
    assert not english(page), "English on the filing page"
    page.screenshot(path="test-results/bid_change_completed_show.png", full_page=True)

    add_announcement(page)
    flashed(page, "增加成功")
    list_row(page).locator("a[href*='/bidchangeannouncementview/show/']").click()
    page.wait_for_load_state()
    assert not english(page), "English on the announcement page"
    page.click("a[id$='-publish']:has-text('发布')")
    confirm(page, "确定发布该公告吗？")
    flashed(page, "公告已发布。")
    assert "是" in list_row(page).inner_text()
    page.screenshot(path="test-results/bid_change_announcement.png", full_page=True)
