"""In Chromium, a refused 采购失败方式变更 keeps what was typed and the file chosen, for the retry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import MethodChange, ProcurementPlan
from tests.browser.conftest import open_menu, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import FilePayload, Page

expect = pytest.importorskip("playwright.sync_api").expect

PROJECT = "平顶山市第一中学校园信息化运维服务项目（竞争性磋商失败）"  # completed, 竞争性磋商
REASON = "竞争性磋商只有两家供应商响应，经论证改为单一来源采购。"
FILE_NAME = "采购失败情况说明（盖章）.pdf"
OTHER_FILE = "采购失败情况说明（更正）.pdf"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SAME_METHOD = "变更后的采购方式不能与原采购方式（竞争性磋商）相同。"


def pdf_file(name: str, content: bytes = PDF) -> FilePayload:
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


def choose(page: Page, select: str, text: str) -> None:
    """Pick the option showing ``text`` in a select2 widget (through the <select> it decorates)."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value=value)


def save(page: Page) -> None:
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()


def flashed(page: Page, message: str) -> None:
    expect(page.locator("div.alert", has_text=message).first).to_be_visible()


def refused_change(page: Page) -> None:
    """增加 a change to the method the plan already has, with its file: the form comes back."""
    sign_in(page, "pds_clerk")
    open_menu(page, "计划管理", "采购失败方式变更")
    page.click("a[href*='/methodchangeview/add']")
    page.wait_for_load_state()
    choose(page, "#plan", PROJECT)
    page.select_option("#new_method", label="竞争性磋商")
    page.fill("#reason", REASON)
    page.set_input_files("#attachment", files=[pdf_file(FILE_NAME)])
    save(page)
    flashed(page, SAME_METHOD)
    expect(page.locator(".panel-title").first).to_have_text("增加采购失败方式变更")
    expect(page.locator("#reason")).to_have_value(REASON)
    expect(page.locator("#plan option:checked")).to_have_text(PROJECT)
    kept = page.locator(".pending-file")
    expect(kept).to_be_visible()
    expect(kept).to_contain_text(f"已选择：{FILE_NAME}")
    expect(kept.locator("button.pending-reselect")).to_have_text("重新选择")
    expect(page.locator("#attachment")).to_be_hidden()


def saved_change(db_session: Any) -> MethodChange:
    db_session.expire_all()
    plan = db_session.scalar(select(ProcurementPlan.id).where(
        ProcurementPlan.project_name == PROJECT))
    [change] = db_session.scalars(select(MethodChange).where(MethodChange.plan_id == plan))
    return change


def stored_content(app: Flask, change: MethodChange) -> bytes:
    assert change.attachment_path is not None
    return (Path(app.config["UPLOAD_FOLDER"]) / change.attachment_path).read_bytes()


def pending_files(app: Flask) -> set[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "pending"
    return set(folder.iterdir()) if folder.is_dir() else set()


def test_the_retry_saves_the_file_chosen_before(page: Page, app: Flask, db_session: Any) -> None:
    before = pending_files(app)
    refused_change(page)
    assert len(pending_files(app) - before) == 2, "the chosen file is kept with its name"
    page.screenshot(path="test-results/boundary_refused.png", full_page=True)
    page.select_option("#new_method", label="单一来源")  # the file is not chosen again
    save(page)
    flashed(page, "增加成功")
    expect(page.locator("table tbody tr", has_text=PROJECT).first).to_contain_text("草稿")
    change = saved_change(db_session)
    assert (change.new_method.value, change.reason) == ("单一来源", REASON)
    assert change.attachment_name == FILE_NAME
    assert stored_content(app, change) == PDF
    assert pending_files(app) - before == set(), "the kept file was not removed"


def test_choosing_again_replaces_the_kept_file(page: Page, app: Flask, db_session: Any) -> None:
    refused_change(page)
    with page.expect_file_chooser() as chooser:
        page.click("button.pending-reselect")
    chooser.value.set_files(files=[pdf_file(OTHER_FILE, PDF + b"% corrected\n")])
    expect(page.locator(".pending-file")).to_have_count(0)
    expect(page.locator("#attachment")).to_be_visible()
    page.select_option("#new_method", label="单一来源")
    save(page)
    flashed(page, "增加成功")
    change = saved_change(db_session)
    assert change.attachment_name == OTHER_FILE
    assert stored_content(app, change) == PDF + b"% corrected\n"
