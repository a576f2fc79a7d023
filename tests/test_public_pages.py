"""Public pages: 合同公告 with its 更正公告 and 已撤销 mark, 采购意向, 中标结果变更公告, the index.

Anonymous visitors only; only published records and only their public fields; hostile ids and
page numbers answer 200 or 404, never 5xx.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.services import contracts
from app.services import workflow as flow
from app.timezone import utcnow
from app.transaction import unit_of_work
from models import (
    BidChangeAnnouncement,
    Contract,
    ContractNotice,
    Intention,
    ProcurementPlan,
    Project,
    Supplier,
    WorkflowTask,
)
from tests.support.plans import operator
from workflow import Decision

PROJECT = "平顶山市第一中学办公家具采购项目"  # demo: completed, 300,000.00, goods
CLERK = "pds_clerk"
SECRET_OPINION = "合同金额与中标金额不一致，请核对后重新备案"


def session_of(app: Flask) -> Any:
    """The app's session (FAB's attribute is untyped)."""
    return app.appbuilder.session  # type: ignore[attr-defined]


def _contract_data(session: Any, code: str, amount: str) -> dict[str, Any]:
    plan = session.scalar(select(ProcurementPlan).where(ProcurementPlan.project_name == PROJECT))
    supplier = session.scalar(select(Supplier).order_by(Supplier.id))
    return {"plan_id": plan.id, "items": [line.id for line in plan.items], "code": code,
            "name": "办公家具采购合同", "supplier_id": supplier.id, "amount": amount,
            "signed_on": date(2026, 11, 2), "total_contracts": 1, "total_amount": "300000.00",
            "fundings": {plan.fundings[0].spending_plan_id: amount},
            "contract_file": FileStorage(io.BytesIO(b"%PDF-1.4"), filename="合同.pdf")}


def announce(app: Flask, code: str = "HT-PUB-1", amount: str = "290000.00",
             pk: int | None = None) -> int:
    """保存 (new, or changes of ``pk``) and 备案及公告 as the clerk; returns the contract id."""
    with app.test_request_context():
        session = session_of(app)
        clerk = operator(session, CLERK)
        with unit_of_work(session):
            item = session.get(Contract, pk) if pk else None
            contract = contracts.save_contract(session, clerk,
                                               _contract_data(session, code, amount), item)
            session.flush()
            contracts.file_and_announce(session, contracts.RECORD, contract, clerk)
        return int(contract.id)


def change(app: Flask, pk: int, amount: str) -> None:
    """保存 a change of the (withdrawn or returned) contract, without announcing it."""
    with app.test_request_context():
        session = session_of(app)
        with unit_of_work(session):
            contracts.save_contract(session, operator(session, CLERK),
                                    _contract_data(session, "HT-PUB-1", amount),
                                    session.get(Contract, pk))


def withdraw(app: Flask, pk: int) -> None:
    with app.test_request_context():
        session = session_of(app)
        with unit_of_work(session):
            flow.withdraw_record(session, contracts.RECORD, session.get(Contract, pk),
                                 operator(session, CLERK))


def review(app: Flask, pk: int, action: str, opinion: str) -> None:
    with app.test_request_context():
        session = session_of(app)
        instance = flow.instance_of(session, contracts.RECORD, pk)
        assert instance is not None
        task = session.scalar(select(WorkflowTask).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
        with unit_of_work(session):
            flow.act_on_task(session, task.id, operator(session, "pds_sup_first"),
                             Decision(action, opinion, {}), task.version)


def notices(app: Flask, pk: int) -> list[tuple[str, Decimal, str]]:
    with app.app_context():
        return [(n.kind, n.amount, n.corrections) for n in session_of(app).scalars(
            select(ContractNotice).where(ContractNotice.contract_id == pk)
            .order_by(ContractNotice.id))]


def listed_row(client: Any, name: str = "办公家具采购合同") -> str:
    page = client.get("/public/contracts/").get_data(as_text=True)
    rows = [r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if name in r]
    assert len(rows) == 1, rows
    return rows[0]


def test_announcement_is_public_with_its_time(app: Flask, client: Any) -> None:
    pk = announce(app)
    assert notices(app, pk) == [("announcement", Decimal("290000.00"), "")]
    row = listed_row(client)
    assert "290,000.00 元" in row and "已公告" in row
    page = client.get(f"/public/contracts/{pk}").get_data(as_text=True)
    for text in ("办公家具采购合同", "HT-PUB-1", "290,000.00 元", "300,000.00 元", "2026-11-02",
                 "平顶山市第一中学", "公告记录", "合同公告"):
        assert text in page
    assert "已撤销" not in page


def test_withdrawn_notice_is_marked_and_draft_edits_stay_private(app: Flask,
                                                                 client: Any) -> None:
    pk = announce(app)
    withdraw(app, pk)
    change(app, pk, "280000.00")  # a draft change: not announced yet
    row = listed_row(client)
    assert "已撤销" in row and "290,000.00 元" in row and "280,000.00" not in row
    page = client.get(f"/public/contracts/{pk}").get_data(as_text=True)
    assert 'id="revoked"' in page and "本公告已撤销" in page
    assert "290,000.00 元" in page and "280,000.00" not in page


def test_refiling_publishes_a_correction_with_its_own_time(app: Flask, client: Any) -> None:
    pk = announce(app)
    with app.app_context():
        session = session_of(app)
        first = session.scalar(select(ContractNotice).where(ContractNotice.contract_id == pk))
        first.published_on = utcnow() - timedelta(days=3)  # announced three days ago
        session.commit()
        original = first.published_on
    withdraw(app, pk)
    announce(app, amount="280000.00", pk=pk)
    assert notices(app, pk) == [
        ("announcement", Decimal("290000.00"), ""),
        ("correction", Decimal("280000.00"),
         "合同金额：由“290,000.00 元”更正为“280,000.00 元”")]
    with app.app_context():
        session = session_of(app)
        kept, correction = session.scalars(select(ContractNotice).where(
            ContractNotice.contract_id == pk).order_by(ContractNotice.id))
        assert kept.published_on == original and correction.published_on > original
        assert session.get(Contract, pk).status == "in_review"
    row = listed_row(client)
    assert "280,000.00 元" in row and "已更正" in row and "已撤销" not in row
    assert f"{original + timedelta(hours=8):%Y-%m-%d %H:%M}" in row  # 公告时间 stays
    page = client.get(f"/public/contracts/{pk}").get_data(as_text=True)
    assert "更正公告" in page and "合同金额：由“290,000.00 元”更正为“280,000.00 元”" in page
    assert "最近更正时间" in page


def test_returned_filing_is_revoked_without_the_opinion(app: Flask, client: Any) -> None:
    pk = announce(app)
    review(app, pk, "return", SECRET_OPINION)
    row = listed_row(client)
    assert "已撤销" in row
    page = client.get(f"/public/contracts/{pk}").get_data(as_text=True)
    assert "本公告已撤销" in page
    for internal in (SECRET_OPINION, "监管初审人", "pds_sup_first", "pds_clerk", "合同.pdf"):
        assert internal not in page
    announce(app, pk=pk)  # refiled unchanged: no correction, the notice stands again
    assert [kind for kind, _, _ in notices(app, pk)] == ["announcement"]
    assert "已公告" in listed_row(client)


def test_a_draft_contract_is_not_public(app: Flask, client: Any) -> None:
    with app.test_request_context():
        session = session_of(app)
        with unit_of_work(session):
            draft = contracts.save_contract(session, operator(session, CLERK),
                                            _contract_data(session, "HT-DRAFT", "1000.00"))
        pk = draft.id
    assert client.get(f"/public/contracts/{pk}").status_code == 404
    assert "HT-DRAFT" not in client.get("/public/contracts/").get_data(as_text=True)


@pytest.fixture
def intentions(app: Flask) -> dict[str, int]:
    """A draft, a 公开 and a withdrawn intention of pds_clerk's unit."""
    with app.app_context():
        session = session_of(app)
        clerk = operator(session, CLERK)
        found = {}
        for status, name in (("draft", "草稿意向"), ("published", "公开意向"),
                             ("withdrawn", "撤回意向")):
            item = Intention(unit_id=clerk.unit_id, project_name=f"测试{name}",
                             demand_summary=f"{name}的需求概况", budget_amount=Decimal("12345.60"),
                             expected_month="2026-12", status=status,
                             published_on=None if status == "draft" else date(2026, 11, 1),
                             withdraw_reason="内部撤回原因" if status == "withdrawn" else "",
                             created_by_id=clerk.id)
            session.add(item)
            session.flush()
            found[status] = item.id
        session.commit()
    return found


def test_only_published_intentions_are_public(app: Flask, client: Any,
                                              intentions: dict[str, int]) -> None:
    listing = ""
    for number in range(1, 6):
        listing += client.get(f"/public/intentions/?page={number}").get_data(as_text=True)
    assert "测试公开意向" in listing
    assert "测试草稿意向" not in listing and "测试撤回意向" not in listing
    page = client.get(f"/public/intentions/{intentions['published']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for shown in ("测试公开意向", "公开意向的需求概况", "12,345.60 元", "2026-12", "2026-11-01",
                  "平顶山市第一中学"):
        assert shown in text
    assert CLERK not in text and "经办" not in text
    for hidden in ("draft", "withdrawn"):
        assert client.get(f"/public/intentions/{intentions[hidden]}").status_code == 404


@pytest.fixture
def announcements(app: Flask) -> dict[str, int]:
    """A published and an unpublished 中标结果变更公告."""
    with app.app_context():
        session = session_of(app)
        clerk = operator(session, "zz_clerk")
        project = session.scalar(select(Project).where(Project.unit_id == clerk.unit_id))
        found = {}
        for published in (True, False):
            item = BidChangeAnnouncement(
                unit_id=clerk.unit_id, project_id=project.id,
                title=f"测试中标结果变更公告{'已发布' if published else '未发布'}",
                content="原中标供应商放弃中标，依法确定排名第二的中标候选人为中标人。",
                published=published, published_on=utcnow() if published else None)
            session.add(item)
            session.flush()
            found["published" if published else "draft"] = item.id
        session.commit()
    return found


def test_only_published_bid_changes_are_public(app: Flask, client: Any,
                                               announcements: dict[str, int]) -> None:
    listing = client.get("/public/bid-changes/").get_data(as_text=True)
    assert "测试中标结果变更公告已发布" in listing and "测试中标结果变更公告未发布" not in listing
    page = client.get(f"/public/bid-changes/{announcements['published']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "依法确定排名第二的中标候选人为中标人" in text and "发布时间" in text
    assert "zz_clerk" not in text
    assert client.get(f"/public/bid-changes/{announcements['draft']}").status_code == 404


def test_index_links_the_three_lists_without_sign_in(client: Any) -> None:
    page = client.get("/public/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for link in ("/public/intentions/", "/public/contracts/", "/public/bid-changes/"):
        assert f'href="{link}"' in text
        answer = client.get(link)
        assert answer.status_code == 200 and "/login" not in answer.headers.get("Location", "")


@pytest.mark.parametrize("base", ["/public/contracts", "/public/intentions",
                                  "/public/bid-changes"])
@pytest.mark.parametrize("tail", ["/0", "/2147483648", "/99999999999999999999", "/abc",
                                  "/?page=abc", "/?page=-1", "/?page=0",
                                  "/?page=99999999999999999999", "/?page=%00", "/?page=1.5"])
def test_hostile_ids_and_pages_never_fail(client: Any, base: str, tail: str) -> None:
    response = client.get(base + tail)
    assert response.status_code in (200, 400, 404), (base + tail, response.status_code)
