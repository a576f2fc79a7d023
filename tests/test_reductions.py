"""用款计划调减: 合同签订后结余资金 releases a finished project's surplus, a completed 调减 goes
to the budget system through the outbox, and an import never undoes it."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.services import changes, contracts, reductions
from app.services import spending_plans as imports
from app.services.errors import ValidationFailed
from app.services.ledger import amounts
from app.services.outbox import deliver_pending
from app.services.plans import ItemInput
from app.transaction import run_each, unit_of_work
from models import (
    Contract,
    OutboxMessage,
    PlanFunding,
    ProcurementPlan,
    ReductionKind,
    SpendingPlan,
    SpendingReduction,
)
from tests.support.plans import act, catalogue_id, filed_plan, operator
from tests.test_changes import review
from tests.test_contracts import contract

SPENDING = "YK-TJ-300"


def orm() -> Any:
    """The app's session (inside an app context), untyped like the records tests poke at."""
    return db.session


def import_spending(app: Flask, amount: str, external_no: str = SPENDING) -> int:
    """A 用款计划 of pds_clerk's unit, imported by the administrator; returns its id."""
    with app.app_context():
        session = orm()
        unit = operator(session, "pds_clerk").unit
        with unit_of_work(session):
            imports.import_rows(session, operator(session, "admin"), [imports.Row(2, {
                "external_no": external_no, "unit_code": unit.code, "name": "教学设备",
                "year": "2026", "plan_amount": amount})])
        return session.scalar(select(SpendingPlan.id).where(
            SpendingPlan.external_no == external_no))


def completed_project(app: Flask, spending: int, amount: str = "300000.00") -> int:
    """A completed plan of pds_clerk that applies ``amount`` of the 用款计划."""
    with app.app_context():
        item = catalogue_id(orm(), "A05010201")
    pk = filed_plan(app, "pds_clerk", fiscal_amount=amount,
                    items=[ItemInput(item, "1", amount, "open_tender", "", "decentralised")],
                    fundings={spending: amount})
    for username in ("pds_internal", "pds_competent", "pds_div_first", "pds_div_review"):
        act(app, username, pk)
    return pk


def filed_contract(app: Flask, login_as: Any, plan_id: int, amount: str,
                   total_contracts: int = 1, complete: bool = True) -> int:
    """A contract of the plan, 备案及公告 by the clerk and (by default) completed."""
    with app.test_request_context():
        session = orm()
        item = contract(session, plan_id, amount, amount)
        item.total_contracts = total_contracts
        session.commit()
        pk = item.id
    login_as("pds_clerk").submit("/contractview/list/", {"action": "submit", "rowid": str(pk)},
                                 post_path="/contractview/action_post")
    if complete:
        review(app, contracts.RECORD, pk, "pds_sup_first")
        review(app, contracts.RECORD, pk, "pds_sup_review")
    return pk


def add_reduction(web: Any, spending: int, kind: str, amount: str) -> Any:
    return web.submit("/spendingreductionview/add", {
        "spending_plan": str(spending), "kind": kind, "amount": amount,
        "reason": "合同签订后项目结余资金，申请调减"})


def refusal_on_page(response: Any) -> str:
    assert response.status_code == 200, "the form should be shown again"
    page = unescape(response.get_data(as_text=True))
    found = re.search(r"调减金额[^<]*超过可调减金额[^<]*）。", page)
    assert found, "no refusal on the page"
    return found.group(0)


def page_text(web: Any, path: str) -> str:
    """The page's text with tags and runs of white space as one space."""
    html = web.get(path).get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def only_reduction(app: Flask, spending: int) -> int:
    with app.app_context():
        return orm().scalar(select(SpendingReduction.id).where(
            SpendingReduction.spending_plan_id == spending))


def complete_reduction(app: Flask, login_as: Any, pk: int) -> None:
    login_as("pds_clerk").submit("/spendingreductionview/list/",
                                 {"action": "submit", "rowid": str(pk)},
                                 post_path="/spendingreductionview/action_post")
    review(app, changes.REDUCTION, pk, "pds_internal")
    review(app, changes.REDUCTION, pk, "pds_sup_first")


def test_balance_releases_a_completed_contracts_surplus(app: Flask, login_as: Any) -> None:
    """Plan applied 300,000.00, contract 290,000.00: the 10,000.00 can be released."""
    spending = import_spending(app, "300000.00")
    plan_id = completed_project(app, spending)
    contract_id = filed_contract(app, login_as, plan_id, "290000.00", complete=False)
    web = login_as("pds_clerk")
    # While the contract is in review the project is not finished: nothing to release.
    assert refusal_on_page(add_reduction(web, spending, "balance", "10000.00")) == (
        "调减金额10,000.00 元超过可调减金额0.00 元（计划金额300,000.00 元，"
        "已申请使用300,000.00 元，已支付0.00 元）。")
    review(app, contracts.RECORD, contract_id, "pds_sup_first")
    review(app, contracts.RECORD, contract_id, "pds_sup_review")
    # 误选为政府采购 releases only what no plan requested; the surplus is the other kind's.
    assert refusal_on_page(add_reduction(web, spending, "misflagged", "0.01")) == (
        "调减金额0.01 元超过可调减金额0.00 元（计划金额300,000.00 元，"
        "已申请使用300,000.00 元，已支付0.00 元）。")
    assert refusal_on_page(add_reduction(web, spending, "balance", "10000.01")) == (
        "调减金额10,000.01 元超过可调减金额10,000.00 元（计划金额300,000.00 元，"
        "已申请使用300,000.00 元，已支付0.00 元，合同签订后结余10,000.00 元）。")
    saved = add_reduction(web, spending, "balance", "10000.00")
    assert saved.status_code == 302, unescape(saved.get_data(as_text=True))[-2000:]
    pk = only_reduction(app, spending)
    assert "发送预算执行系统 完成后发送" in page_text(web, f"/spendingreductionview/show/{pk}")
    complete_reduction(app, login_as, pk)
    assert "发送预算执行系统 待发送" in page_text(web, f"/spendingreductionview/show/{pk}")
    with app.app_context():
        session = orm()
        assert session.get(SpendingReduction, pk).status == "completed"
        row = amounts(session, [spending])[spending]
        # The project's 申请使用计划金额 falls to what its contract holds: nothing is left over
        # for a later contract, and the 用款计划's 拟可用金额 stays right.
        assert (row.plan_amount, row.requested, row.available) == (
            Decimal("290000.00"), Decimal("290000.00"), Decimal("0.00"))
        funding = session.scalar(select(PlanFunding).where(PlanFunding.plan_id == plan_id))
        assert funding.amount == Decimal("290000.00")
        message = session.scalar(select(OutboxMessage).where(
            OutboxMessage.topic == reductions.TOPIC))
        payload = json.loads(message.payload)
        plan_number = session.get(ProcurementPlan, plan_id).plan_number
        assert (message.key, message.status) == (f"TJ{pk:06d}", "pending")
        assert {k: payload[k] for k in ("spending_plan_no", "kind", "amount", "plan_amount",
                                        "released_from")} == {
            "spending_plan_no": SPENDING, "kind": "balance", "amount": "10000.00",
            "plan_amount": "290000.00",
            "released_from": [{"plan_number": plan_number, "amount": "10000.00"}]}

        class Received:
            def __init__(self) -> None:
                self.sent: list[tuple[str, dict[str, Any]]] = []

            def send(self, topic: str, body: dict[str, Any]) -> None:
                self.sent.append((topic, body))

        transport = Received()
        assert run_each(deliver_pending(session, transport), session) == (1, 0)
        assert transport.sent == [(reductions.TOPIC, payload)]
    assert "发送预算执行系统 已送达" in page_text(web, f"/spendingreductionview/show/{pk}")
    # Nothing more to release, and no second contract can use the released money.
    assert refusal_on_page(add_reduction(web, spending, "balance", "0.01")).startswith(
        "调减金额0.01 元超过可调减金额0.00 元")
    with app.test_request_context():
        session = orm()
        with pytest.raises(ValidationFailed, match="超过申请使用计划金额290,000.00 元"):
            contract(session, plan_id, "0.01", "0.01", code="HT-002")


def test_a_project_is_finished_when_all_its_contracts_are_completed(
        app: Flask, login_as: Any) -> None:
    spending = import_spending(app, "300000.00")
    plan_id = completed_project(app, spending)
    filed_contract(app, login_as, plan_id, "200000.00", total_contracts=2)
    with app.app_context():
        session = orm()
        plan = session.get(SpendingPlan, spending)
        # One of 项目总合同份数 2 is filed: the rest of the money still waits for the second.
        assert reductions.surpluses(session, spending) == []
        with pytest.raises(ValidationFailed, match="超过可调减金额0.00 元"):
            reductions.check_reduction(session, plan, ReductionKind.balance, Decimal("0.01"))
        session.rollback()
    with app.test_request_context():
        second = contract(orm(), plan_id, "90000.00", "90000.00",
                          code="HT-002")
        second.total_contracts = 2
        orm().commit()
        second_id = second.id
    with app.app_context():
        assert reductions.surpluses(orm(), spending) == []  # a draft
    login_as("pds_clerk").submit("/contractview/list/",
                                 {"action": "submit", "rowid": str(second_id)},
                                 post_path="/contractview/action_post")
    review(app, contracts.RECORD, second_id, "pds_sup_first")
    review(app, contracts.RECORD, second_id, "pds_sup_review")
    with app.app_context():
        session = orm()
        found = reductions.surpluses(session, spending)
        assert [(f.plan_id, left) for f, left in found] == [(plan_id, Decimal("10000.00"))]
        assert session.scalar(select(Contract.status).where(Contract.id == second_id)) == (
            "completed")


def kept_lines(response: Any) -> list[str]:
    page = unescape(response.get_data(as_text=True))
    block = re.search(r'id="import-kept">(.*?)</div>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def upload(web: Any, app: Flask, amount: str) -> Any:
    with app.app_context():
        code = operator(orm(), "pds_clerk").unit.code
    content = (f"用款计划编号,预算单位编码,用款计划名称,年度,计划金额\n"
               f"{SPENDING},{code},教学设备,2026,{amount}\n").encode()
    response = web.submit("/spendingplanimport/", {"file": (io.BytesIO(content), "用款计划.csv")})
    assert response.status_code == 200
    assert 'id="import-result"' in response.get_data(as_text=True)
    return response


def plan_amount(app: Flask) -> Decimal:
    with app.app_context():
        return orm().scalar(select(SpendingPlan.plan_amount).where(
            SpendingPlan.external_no == SPENDING))


def test_an_import_never_undoes_a_completed_reduction(app: Flask, login_as: Any,
                                                      api_token: Any) -> None:
    spending = import_spending(app, "1000.00")
    web = login_as("pds_clerk")
    assert add_reduction(web, spending, "misflagged", "100.00").status_code == 302
    complete_reduction(app, login_as, only_reduction(app, spending))
    assert plan_amount(app) == Decimal("900.00")
    admin = login_as("admin")
    kept = ("第2行：用款计划“YK-TJ-300”已完成调减100.00 元，预算执行系统的计划金额尚未体现；"
            "文件中的计划金额1,000.00 元高于调减后的900.00 元，保留调减后的金额。")
    # The budget system has not applied it yet: its old figure does not raise the plan.
    page = upload(admin, app, "1000.00")
    assert kept_lines(page) == [kept]
    assert "其中1条保留了调减后的计划金额。" in page.get_data(as_text=True)
    assert plan_amount(app) == Decimal("900.00")
    with app.app_context():
        code = operator(orm(), "pds_clerk").unit.code
    answer = app.test_client().post("/api/v1/spending_plan/import", headers=api_token("admin"),
                                    json={"rows": [{"external_no": SPENDING, "unit_code": code,
                                                    "name": "教学设备", "year": 2026,
                                                    "plan_amount": "1200.00"}]})
    assert answer.status_code == 200
    assert answer.get_json()["result"]["kept"] == [
        kept.replace("第2行", "第1行").replace("1,000.00 元高于", "1,200.00 元高于")]
    assert plan_amount(app) == Decimal("900.00")
    # Its figure shows the reduction: confirmed, so a later 追加 raises the plan again.
    assert kept_lines(upload(admin, app, "900.00")) == []
    assert plan_amount(app) == Decimal("900.00")
    assert kept_lines(upload(admin, app, "1500.00")) == []
    assert plan_amount(app) == Decimal("1500.00")


def test_an_import_may_lower_a_reduced_plan(app: Flask, login_as: Any) -> None:
    spending = import_spending(app, "1000.00")
    assert add_reduction(login_as("pds_clerk"), spending, "misflagged",
                         "100.00").status_code == 302
    complete_reduction(app, login_as, only_reduction(app, spending))
    page = upload(login_as("admin"), app, "800.00")
    assert kept_lines(page) == [] and "更新1条" in page.get_data(as_text=True)
    assert plan_amount(app) == Decimal("800.00")
