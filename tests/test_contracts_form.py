"""The 合同备案 form shows only what belongs to the chosen plan; the service refuses the rest."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.services import contracts
from app.services import workflow as flow
from app.services.plans import ItemInput
from app.transaction import unit_of_work
from models import (
    Contract,
    MigrantAccount,
    PlanItem,
    ProcurementPlan,
    SpendingPlan,
    Supplier,
    WorkflowTask,
)
from tests.support.plans import act, catalogue_id, filed_plan, operator

ADD = "/contractview/add"
ENGINEERING = "平顶山市第一中学教学楼维修改造工程"
FURNITURE = "平顶山市第一中学办公家具采购项目"
FAILED = "平顶山市第一中学校医室医疗设备采购项目（公开招标失败）"
WAGE = ("河南中原建设工程有限公司农民工工资专户", "4100100201000888888", "中国银行平顶山分行")


def session_of(app: Flask) -> Any:
    """The app's session (FAB's attribute is untyped)."""
    return app.appbuilder.session  # type: ignore[attr-defined]


def plan_id(app: Flask, name: str) -> int:
    with app.app_context():
        pk = session_of(app).scalar(select(ProcurementPlan.id).where(
            ProcurementPlan.project_name == name))
    assert pk is not None, name
    return int(pk)


def options(page: str, select_id: str) -> dict[str, str]:
    """value → text of the <select id=...> options (the blank choice aside)."""
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no select {select_id}"
    return {value: text.strip() for value, text in
            re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))
            if value and value != "__None"}


def selected(page: str, select_id: str) -> list[str]:
    """Values of the chosen options of the <select id=...>."""
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found
    options = re.findall(r"<option[^>]*>", found.group(1))
    return [re.search(r'value="([^"]*)"', o).group(1)  # type: ignore[union-attr]
            for o in options if re.search(r"\bselected\b", o)]


@pytest.fixture
def second_plan(app: Flask) -> int:
    """A completed goods plan of pds_clerk paid from the unit's first 用款计划 (the demo's use
    the second)."""
    with app.app_context():
        session = session_of(app)
        first = session.scalar(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == operator(session, "pds_clerk").unit_id)
            .order_by(SpendingPlan.external_no))
        item = catalogue_id(session, "A05010201")
    pk = filed_plan(app, "pds_clerk", fiscal_amount="20000.00",
                    items=[ItemInput(item, "1", "20000.00", "open_tender", "", "decentralised")],
                    fundings={first: "20000.00"})
    for username in ("pds_internal", "pds_competent", "pds_div_first", "pds_div_review"):
        act(app, username, pk)
    return pk


def lines_of(app: Flask, pk: int) -> list[str]:
    with app.app_context():
        return [str(i) for i in session_of(app).scalars(
            select(PlanItem.id).where(PlanItem.plan_id == pk))]


def fundings_of(app: Flask, pk: int) -> list[int]:
    with app.app_context():
        plan = session_of(app).get(ProcurementPlan, pk)
        return [f.spending_plan_id for f in plan.fundings]


def test_before_a_plan_is_chosen_no_lines_and_no_fundings(app: Flask, login_as: Any) -> None:
    page = login_as("pds_clerk").get(ADD).get_data(as_text=True)
    assert options(page, "items") == {}
    assert 'name="funding_' not in page and 'id="wage_account"' not in page
    plans = options(page, "plan").values()
    assert ENGINEERING in plans and FURNITURE in plans
    assert not any("失败" in name for name in plans), "a failed plan offered for a contract"
    assert 'src="/static/js/contract_form.js" nonce="' in page


def test_a_chosen_plan_offers_only_its_own_lines_and_spending_plans(
        app: Flask, login_as: Any, second_plan: int) -> None:
    furniture = plan_id(app, FURNITURE)
    web = login_as("pds_clerk")
    page = web.get(f"{ADD}?plan={second_plan}").get_data(as_text=True)
    assert set(options(page, "items")) == set(lines_of(app, second_plan))
    assert sorted(int(n) for n in re.findall(r'name="funding_(\d+)"', page)) == \
        fundings_of(app, second_plan)
    assert str(second_plan) in selected(page, "plan")
    assert "该项目申请使用20,000.00 元" in page
    other = web.get(f"{ADD}?plan={furniture}").get_data(as_text=True)
    assert set(options(other, "items")) == set(lines_of(app, furniture))
    assert sorted(int(n) for n in re.findall(r'name="funding_(\d+)"', other)) == \
        fundings_of(app, furniture)
    assert fundings_of(app, furniture) != fundings_of(app, second_plan)
    assert 'id="wage_account"' not in other  # goods: no wage account


@pytest.mark.parametrize("asked", ["abc", "0", "-1", "99999999999", "2147483648", "１", ""])
def test_hostile_plan_choices_offer_nothing(app: Flask, login_as: Any, asked: str) -> None:
    response = login_as("pds_clerk").get(f"{ADD}?plan={asked}")
    assert response.status_code == 200
    assert options(response.get_data(as_text=True), "items") == {}


def test_another_units_or_a_failed_plan_is_not_shown(app: Flask, login_as: Any) -> None:
    failed, engineering = plan_id(app, FAILED), plan_id(app, ENGINEERING)
    for web, pk in ((login_as("pds_clerk"), failed), (login_as("zz_clerk"), engineering)):
        page = web.get(f"{ADD}?plan={pk}").get_data(as_text=True)
        assert options(page, "items") == {} and 'name="funding_' not in page
        assert WAGE[1] not in page


def test_engineering_plan_shows_its_wage_account(app: Flask, login_as: Any) -> None:
    pk = plan_id(app, ENGINEERING)
    page = login_as("pds_clerk").get(f"{ADD}?plan={pk}").get_data(as_text=True)
    found = re.search(r'<p[^>]*id="wage_account"[^>]*>(.*?)</p>', page, re.S)
    assert found, "no wage account"
    shown = found.group(1)
    for text in (*WAGE, "施工总承包单位"):
        assert text in shown
    assert page.index('id="plan"') < page.index('id="wage_account"') < page.index('id="items"')


def test_engineering_plan_without_account_says_where_to_register(app: Flask,
                                                                 login_as: Any) -> None:
    pk = plan_id(app, ENGINEERING)
    with app.app_context():
        session = session_of(app)
        session.delete(session.scalar(select(MigrantAccount).where(MigrantAccount.plan_id == pk)))
        session.commit()
    page = login_as("pds_clerk").get(f"{ADD}?plan={pk}").get_data(as_text=True)
    assert "该工程项目尚未登记农民工工资专用账户" in page
    assert 'href="/migrantaccountview/add' in page


def post(app: Flask, pk: int, items: list[str], fundings: dict[int, str],
         code: str = "HT-FORM-1") -> dict[str, Any]:
    with app.app_context():
        supplier = session_of(app).scalar(select(Supplier.id).order_by(Supplier.id))
    return {"plan": str(pk), "items": items, "code": code, "name": "合同",
            "supplier": str(supplier), "amount": "20000.00", "signed_on": "2026-11-02",
            "total_contracts": "1", "total_amount": "20000.00",
            **{f"funding_{k}": v for k, v in fundings.items()},
            "contract_file": (io.BytesIO(b"%PDF-1.4 contract"), "合同.pdf")}


def saved(app: Flask, code: str = "HT-FORM-1") -> Contract | None:
    with app.app_context():
        return session_of(app).scalar(select(Contract).where(Contract.code == code))


def test_lines_of_another_plan_are_refused(app: Flask, login_as: Any, second_plan: int) -> None:
    furniture = plan_id(app, FURNITURE)
    web = login_as("pds_clerk")
    data = post(app, second_plan, lines_of(app, furniture),
                {fundings_of(app, second_plan)[0]: "20000.00"})
    refused = web.submit(f"{ADD}?plan={second_plan}", data, post_path=ADD, follow=True)
    assert refused.status_code == 200 and saved(app) is None
    assert "无效的选项" in refused.get_data(as_text=True)  # not one of the offered lines


def test_lines_of_another_plan_are_refused_by_the_api(app: Flask, client: Any, api_token: Any,
                                                      second_plan: int) -> None:
    furniture = plan_id(app, FURNITURE)
    with app.app_context():
        supplier = session_of(app).scalar(select(Supplier.id).order_by(Supplier.id))
    body = {"plan_id": second_plan, "item_ids": [int(i) for i in lines_of(app, furniture)],
            "code": "HT-API-X", "name": "合同", "supplier_id": supplier, "amount": "20000.00",
            "signed_on": "2026-11-02", "total_contracts": 1, "total_amount": "20000.00",
            "fundings": [{"spending_plan_id": fundings_of(app, second_plan)[0],
                          "amount": "20000.00"}]}
    response = client.post("/api/v1/contract/", json=body, headers=api_token("pds_clerk"))
    assert response.status_code in (400, 403, 404, 422), response.get_json()
    assert response.get_json()["message"] == "请选择该采购计划的备案明细（采购内容）。"
    assert saved(app, "HT-API-X") is None


def test_spending_plan_the_plan_does_not_use_is_refused(app: Flask, login_as: Any,
                                                        second_plan: int) -> None:
    furniture = plan_id(app, FURNITURE)
    web = login_as("pds_clerk")
    data = post(app, second_plan, lines_of(app, second_plan),
                {fundings_of(app, furniture)[0]: "20000.00"})
    refused = web.submit(f"{ADD}?plan={second_plan}", data, post_path=ADD, follow=True)
    assert "只能使用该采购计划申请的用款计划。" in refused.get_data(as_text=True)
    assert saved(app) is None


def test_a_failed_plan_is_refused(app: Flask, client: Any, api_token: Any) -> None:
    failed = plan_id(app, FAILED)
    with app.app_context():
        supplier = session_of(app).scalar(select(Supplier.id).order_by(Supplier.id))
    body = {"plan_id": failed, "item_ids": [int(i) for i in lines_of(app, failed)],
            "code": "HT-FAILED", "name": "合同", "supplier_id": supplier, "amount": "20000.00",
            "signed_on": "2026-11-02", "total_contracts": 1, "total_amount": "20000.00",
            "fundings": [{"spending_plan_id": fundings_of(app, failed)[0],
                          "amount": "20000.00"}]}
    response = client.post("/api/v1/contract/", json=body, headers=api_token("pds_clerk"))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == \
        "该项目已登记采购失败，采购失败方式变更完成前不能备案合同。"
    assert saved(app, "HT-FAILED") is None


def test_saved_contract_edit_keeps_its_plan(app: Flask, login_as: Any, second_plan: int) -> None:
    web = login_as("pds_clerk")
    data = post(app, second_plan, lines_of(app, second_plan),
                {fundings_of(app, second_plan)[0]: "20000.00"})
    done = web.submit(f"{ADD}?plan={second_plan}", data, post_path=ADD, follow=True)
    assert "增加成功" in done.get_data(as_text=True)
    contract = saved(app)
    assert contract is not None
    page = web.get(f"/contractview/edit/{contract.id}").get_data(as_text=True)
    assert set(options(page, "items")) == set(lines_of(app, second_plan))
    assert str(second_plan) in selected(page, "plan")
    [field] = re.findall(r'<input[^>]*name="funding_\d+"[^>]*>', page)
    assert 'value="20000.00"' in field


def test_wage_account_on_the_contract_and_its_review_page(app: Flask, login_as: Any) -> None:
    pk = plan_id(app, ENGINEERING)
    with app.test_request_context():
        session = session_of(app)
        clerk = operator(session, "pds_clerk")
        plan = session.get(ProcurementPlan, pk)
        supplier = session.scalar(select(Supplier.id).order_by(Supplier.id))
        with unit_of_work(session):
            contract = contracts.save_contract(session, clerk, {
                "plan_id": pk, "items": [line.id for line in plan.items], "code": "HT-GC-1",
                "name": "施工合同", "supplier_id": supplier, "amount": "1280000.00",
                "signed_on": plan.created_on.date(), "total_contracts": 1,
                "total_amount": "1280000.00",
                "fundings": {plan.fundings[0].spending_plan_id: "1280000.00"},
                "contract_file": FileStorage(io.BytesIO(b"%PDF-1.4"), filename="合同.pdf")})
            session.flush()
            contracts.file_and_announce(session, contracts.RECORD, contract, clerk)
        contract_id = contract.id
        instance = flow.instance_of(session, contracts.RECORD, contract_id)
        assert instance is not None
        task = session.scalar(select(WorkflowTask.id).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
    show = login_as("pds_clerk").get(f"/contractview/show/{contract_id}").get_data(as_text=True)
    review = login_as("pds_sup_first").get(f"/tasks/{task}/review").get_data(as_text=True)
    for page in (show, review):
        row = re.search(r"<th[^>]*>农民工工资专用账户</th><td[^>]*>(.*?)</td>", page, re.S)
        assert row, "no 农民工工资专用账户 row"
        for text in (*WAGE, "施工总承包单位：河南中原建设工程有限公司"):
            assert text in row.group(1)
        assert "公告时间" in page
