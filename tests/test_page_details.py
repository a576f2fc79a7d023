"""Smaller things a clerk, a supplier or an administrator meets: Chinese names instead of codes,
records named by what they are, and the supplier's own account."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from sqlalchemy import func, select
from stdnum.cn import uscc
from werkzeug.datastructures import FileStorage

from app.services import bids
from app.services.money import format_money
from app.transaction import unit_of_work
from models import BidChangeFiling, Contract, Operator, Project, SmsMessage, Supplier
from tests.conftest import Web
from tests.support import volume
from tests.test_recovery import recover, temporary

FLASH = re.compile(r'<div class="alert alert-\w+">\s*<button[^>]*>&times;</button>\s*(.*?)\s*</div>', re.S)
FILTER_LABELS = re.compile(r"new AdminFilters\(\s*'#filter_form',\s*(\{.*?\}),\s*\n", re.S)


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_posts_are_shown_by_their_chinese_names(login_as: Any) -> None:
    admin = login_as("admin")
    listed = text(admin.get("/postview/list/"))
    assert "经办岗" in listed and "内部审核岗" in listed
    assert not re.search(r">\s*(clerk|internal_reviewer|sys_admin)\s*<", listed)
    shown = text(admin.get("/postview/show/1"))
    assert "岗位代码" not in shown and not re.search(r">\s*clerk\s*<", shown)


def test_the_bid_change_announcement_filters_are_chinese(login_as: Any) -> None:
    page = text(login_as("zz_clerk").get("/bidchangeannouncementview/list/"))
    found = FILTER_LABELS.search(page)
    assert found is not None
    labels = json.loads(found.group(1))
    assert labels == {"project": "项目", "title": "公告标题", "published": "已发布",
                      "published_on": "发布时间"}


def draft_filing(app: Any) -> tuple[int, str]:
    """A saved (not submitted) 中标结果变更备案 of zz_clerk's first project; its id and project."""
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = session.scalar(select(Operator).where(Operator.username == "zz_clerk"))
        project = session.scalar(select(Project).where(Project.unit_id == clerk.unit_id)
                                 .order_by(Project.id))
        filing = BidChangeFiling(project_id=project.id, change_content="供应商更名",
                                 change_reason="工商变更")
        upload = FileStorage(io.BytesIO(b"%PDF-1.4 test"), filename="说明.pdf")
        with unit_of_work(session):
            bids.prepare_filing(session, filing, clerk, upload, creating=True)
            session.add(filing)
        return filing.id, project.name


def test_flashes_name_a_filing_by_its_project(app: Any, login_as: Any) -> None:
    filing, project = draft_filing(app)
    web = login_as("zz_clerk")
    done = web.submit("/bidchangefilingview/list/", {"action": "submit", "rowid": str(filing)},
                      post_path="/bidchangefilingview/action_post", follow=True)
    assert f"中标结果变更备案：{project}：已提交，等待审核。" in FLASH.findall(text(done))
    again = web.submit("/bidchangefilingview/list/", {"action": "submit", "rowid": str(filing)},
                       post_path="/bidchangefilingview/action_post", follow=True)
    [refused] = [m for m in FLASH.findall(text(again)) if "不能提交" in m]
    assert refused.startswith(f"中标结果变更备案：{project}：") and str(filing) not in refused


def test_the_contract_page_shows_money_as_money(app: Any, login_as: Any) -> None:
    with app.app_context():
        session = app.appbuilder.session
        clerk = session.scalar(select(Operator).where(Operator.username == "pds_clerk"))
        volume.contracts(session, clerk, 900, 1)
        session.commit()
        contract = session.scalar(select(Contract).order_by(Contract.id.desc()))
        pk, total = contract.id, contract.total_amount
    page = text(login_as("pds_clerk").get(f"/contractview/show/{pk}"))
    assert re.search(rf"合同总金额[^<]*</th>\s*<td[^>]*>\s*{re.escape(format_money(total))}", page)


def change_contact_phone(web: Web, supplier_id: int, phone: str) -> Any:
    return web.submit(f"/supplierselfview/edit/{supplier_id}", {
        "contact_name": "王建国", "contact_phone": phone, "legal_name": "张中原",
        "legal_phone": "13900000011", "bank_account_name": "河南中原建设工程有限公司",
        "bank_account_no": "4100010010052512345", "bank_name": "中国建设银行郑州分行"},
        follow=True)


def sms_to(app: Any, phone: str) -> list[SmsMessage]:
    with app.app_context():
        return list(app.appbuilder.session.scalars(
            select(SmsMessage).where(SmsMessage.phone == phone,
                                     SmsMessage.purpose == "password_recovery")))


def test_a_changed_contact_phone_is_the_one_that_recovers(app: Any, login_as: Any) -> None:
    code, old, new = "91410100MA440A1B2D", "13900000001", "13912345678"
    with app.app_context():
        supplier_id = app.appbuilder.session.scalar(
            select(Supplier.id).where(Supplier.credit_code == code))
    assert "修改成功" in text(change_contact_phone(login_as(code), supplier_id, new))
    with app.app_context():
        account = app.appbuilder.session.scalar(select(Operator).where(Operator.username == code))
        assert account.phone == new  # notices to the account go to the current phone too
    recover(app.test_client(), "web", code, old)
    assert sms_to(app, old) == []
    recover(app.test_client(), "web", code, new)
    assert len(sms_to(app, new)) == 1


def test_a_supplier_the_administrator_added_opens_its_account_by_recovery(
    app: Any, login_as: Any
) -> None:
    """供应商 added under 供应商管理 has no account; 找回密码 with its code and phone opens it."""
    body, phone = "91410100MA480A1B2", "13955556666"
    code = body + uscc.calc_check_digit(body)
    added = login_as("admin").submit("/supplierview/add", {
        "name": "郑州新增供应商有限公司", "credit_code": code, "contact_name": "赵新",
        "contact_phone": phone, "legal_name": "钱法", "legal_phone": "13955557777",
        "bank_account_name": "郑州新增供应商有限公司", "bank_account_no": "4100990010052512345",
        "bank_name": "中国银行郑州分行"}, follow=True)
    assert "增加成功" in FLASH.findall(text(added))
    with app.app_context():
        session = app.appbuilder.session
        assert session.scalar(select(func.count(Operator.id))
                              .where(Operator.username == code)) == 0
    recover(app.test_client(), "web", code, "13900000000")  # not its phone: nothing opens
    with app.app_context():
        assert app.appbuilder.session.scalar(
            select(func.count(Operator.id)).where(Operator.username == code)) == 0
    recover(app.test_client(), "web", code, phone)
    password = temporary(app)
    web = Web(app.test_client())
    response = web.login(code, password)
    assert response.status_code == 302 and response.headers["Location"] == "/password/change"
    with app.app_context():
        account = app.appbuilder.session.scalar(select(Operator).where(Operator.username == code))
        assert account.supplier.name == "郑州新增供应商有限公司" and account.phone == phone
        assert account.post_code == "supplier"
