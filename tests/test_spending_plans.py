"""用款计划: import (CSV, .xlsx, JSON), derived amounts, the list page, the import page and API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import event, select

from app.extensions import db
from app.services import spending_plans as plans
from app.services.errors import PermissionDenied
from models import (
    FundSource,
    Method,
    Operator,
    PlanFunding,
    ProcurementPlan,
    SpendingPlan,
    Unit,
)

HEADER = "用款计划编号,预算单位编码,用款计划名称,年度,计划金额"


def operator(session: Any, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\n".join([HEADER, *lines]) + "\n").encode()


def xlsx_bytes(*rows: list[Any]) -> bytes:
    book = Workbook()
    book.active.append(HEADER.split(","))
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


DEMO: set[str] = set()


@contextmanager
def session_of(app: Flask) -> Iterator[Any]:
    """A session for setting up or checking; closed before the test makes requests."""
    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture(autouse=True)
def demo_plans(app: Flask) -> None:
    """The demo data has 用款计划 of its own; tests look at the ones they import."""
    with session_of(app) as session:
        DEMO.clear()
        DEMO.update(session.scalars(select(SpendingPlan.external_no)))


def stored(session: Any) -> dict[str, tuple[str, str, int, Decimal]]:
    """The plans the test imported: (unit code, name, year, amount) by 用款计划编号."""
    session.expire_all()
    return {p.external_no: (p.unit.code, p.name, p.year, p.plan_amount)
            for p in session.scalars(select(SpendingPlan).where(
                SpendingPlan.external_no.not_in(DEMO)))}


def import_csv(session: Any, *lines: str, user: str = "admin") -> plans.ImportResult:
    return plans.import_file(session, operator(session, user), "用款计划.csv", csv_bytes(*lines))


def failure(call: Any, *args: Any) -> list[str]:
    with pytest.raises(plans.ImportFailed) as caught:
        call(*args)
    assert caught.value.message == "导入失败，未导入任何数据。"
    return caught.value.errors


def file_plan(session: Any, plan_no: str, amount: str, status: str) -> None:
    """A 采购计划备案 using ``amount`` of the 用款计划, in ``status``."""
    spending = session.scalar(select(SpendingPlan).where(SpendingPlan.external_no == plan_no))
    clerk = operator(session, "zz_clerk")
    plan = ProcurementPlan(unit_id=spending.unit_id, project_name=f"{status}项目",
                           fund_source=FundSource.spending_plan, fiscal_amount=Decimal(amount),
                           method=Method.open_tender, status=status, created_by_id=clerk.id)
    plan.fundings.append(PlanFunding(spending_plan_id=spending.id, amount=Decimal(amount)))
    session.add(plan)
    session.commit()


def plan_id(session: Any, plan_no: str) -> int:
    return session.scalar(select(SpendingPlan.id).where(SpendingPlan.external_no == plan_no))


def test_csv_import_with_bom_then_idempotent_then_update(db_session: Any) -> None:
    admin = operator(db_session, "admin")
    content = csv_bytes("YK-1,zz0101,办公设备购置,2026,\"1,234.5\"", "YK-2,sj0101,教学设备,2026,800",
                        bom=True)
    first = plans.import_file(db_session, admin, "plans.CSV", content)
    assert first.as_dict() == {"created": 2, "updated": 0, "unchanged": 0, "kept": []}
    assert first.message == "导入成功：新增2条，更新0条，未变0条。"
    assert stored(db_session) == {"YK-1": ("zz0101", "办公设备购置", 2026, Decimal("1234.50")),
                                  "YK-2": ("sj0101", "教学设备", 2026, Decimal("800.00"))}
    again = plans.import_file(db_session, admin, "plans.csv", content)
    assert again.as_dict() == {"created": 0, "updated": 0, "unchanged": 2, "kept": []}
    changed = import_csv(db_session, "YK-1,zz0101,办公设备购置（调整）,2026,1500.00",
                         "YK-2,sj0101,教学设备,2026,800.00", "YK-3,zz0102,维修经费,2026,99.99")
    assert changed.as_dict() == {"created": 1, "updated": 1, "unchanged": 1, "kept": []}
    assert stored(db_session)["YK-1"] == ("zz0101", "办公设备购置（调整）", 2026, Decimal("1500.00"))


def test_xlsx_import_converts_floats_without_float_money(db_session: Any) -> None:
    admin = operator(db_session, "admin")
    content = xlsx_bytes(["YK-10", "zz0101", "网络设备", 2026, 1234.5],
                         [2026011, "zz0102", "图书", 2026.0, 0.1], [None, None, None, None, None])
    result = plans.import_file(db_session, admin, "用款计划.xlsx", content)
    assert result.as_dict() == {"created": 2, "updated": 0, "unchanged": 0, "kept": []}
    assert stored(db_session) == {"YK-10": ("zz0101", "网络设备", 2026, Decimal("1234.50")),
                                  "2026011": ("zz0102", "图书", 2026, Decimal("0.10"))}
    too_precise = xlsx_bytes(["YK-11", "zz0101", "耗材", 2026, 10.125])
    assert failure(plans.import_file, db_session, admin, "a.xlsx", too_precise) == [
        "第2行：计划金额最多保留两位小数。"]


def test_one_bad_row_imports_nothing_and_every_line_is_named(db_session: Any) -> None:
    admin = operator(db_session, "admin")
    supervision = db_session.scalar(select(Unit).where(Unit.code == "zzjg"))
    content = csv_bytes("YK-1,zz0101,办公设备,2026,100", "YK-2,zz0101,耗材,2026,0",
                        "YK-3,xx,耗材,2026,100", "YK-1,zz0101,重复,2026,100",
                        "YK-4,zz0101,耗材,2026,1.234", "YK-5,zzjg,监管经费,2026,100",
                        "YK-6,zz0101,,26,abc", "", "YK-7,zz0101,耗材,2026,-5")
    assert failure(plans.import_file, db_session, admin, "p.csv", content) == [
        "第3行：计划金额必须大于0。",
        "第4行：预算单位编码“xx”不存在。",
        "第5行：用款计划编号“YK-1”与第2行重复。",
        "第6行：计划金额最多保留两位小数。",
        f"第7行：“{supervision.name}”（zzjg）不是采购单位。",
        "第8行：请填写用款计划名称。",
        "第10行：计划金额必须大于0。",
    ]
    assert stored(db_session) == {}


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("p.csv", "用款计划编号,预算单位编码,用款计划名称,计划金额\nYK-1,zz0101,a,1\n".encode(),
     "文件缺少必需的列：年度。"),
    ("p.csv", HEADER.encode("gbk"), "CSV 文件必须是 UTF-8 编码。"),
    ("p.xlsx", b"not a workbook", "无法读取该 Excel 文件，请上传 .xlsx 格式的工作簿。"),
    ("p.xls", b"x", "只能上传 CSV 文件或 Excel（.xlsx）文件。"),
    ("p.csv", (HEADER + "\n").encode(), "没有要导入的用款计划。"),
])
def test_unreadable_files_are_refused(db_session: Any, filename: str, content: bytes,
                                      message: str) -> None:
    admin = operator(db_session, "admin")
    assert failure(plans.import_file, db_session, admin, filename, content) == [message]


def test_json_rows_use_english_keys_and_their_position(db_session: Any) -> None:
    admin = operator(db_session, "admin")
    rows = [{"external_no": "YK-1", "unit_code": "zz0101", "name": "设备", "year": 2026,
             "plan_amount": "100.10"},
            {"external_no": "YK-2", "unit_code": "zz0101", "name": "设备", "year": 2026,
             "plan_amount": 20.5}]
    assert plans.import_json(db_session, admin, {"rows": rows}).created == 2
    assert stored(db_session)["YK-2"][3] == Decimal("20.50")
    bad = [rows[0], "YK-3", {**rows[1], "plan_amount": True, "external_no": "YK-9"}]
    assert failure(plans.import_json, db_session, admin, {"rows": bad}) == [
        "第2行：格式不正确，每行必须是一个对象。", "第3行：计划金额必须是金额数字。"]
    assert failure(plans.import_json, db_session, admin, [rows]) == [
        '请求内容必须是 {"rows": [...]}。']


@pytest.mark.parametrize("username", ["zz_clerk", "zz_unitadmin", "zz_sup_review"])
def test_only_the_system_administrator_imports(db_session: Any, username: str) -> None:
    with pytest.raises(PermissionDenied, match="只有系统管理员可以导入用款计划。"):
        import_csv(db_session, "YK-1,zz0101,设备,2026,100", user=username)
    assert stored(db_session) == {}


def test_amount_never_below_what_filed_plans_requested(db_session: Any) -> None:
    import_csv(db_session, "YK-1,zz0101,设备,2026,1000")
    file_plan(db_session, "YK-1", "600", "in_review")
    file_plan(db_session, "YK-1", "300", "draft")
    assert failure(import_csv, db_session, "YK-1,zz0101,设备,2026,599.99") == [
        "第2行：计划金额不能低于已申请使用金额（600.00 元）。"]
    assert stored(db_session)["YK-1"][3] == Decimal("1000.00")
    assert import_csv(db_session, "YK-1,zz0101,设备,2026,600").updated == 1
    assert failure(import_csv, db_session, "YK-1,zz0102,设备,2026,600", "YK-2,zz0101,设备,2025,1") == [
        "第2行：用款计划编号“YK-1”属于其他预算单位，不能改变预算单位。"]
    assert failure(import_csv, db_session, "YK-1,zz0101,设备,2025,600") == [
        "第2行：用款计划编号“YK-1”的年度是2026，不能修改。"]
    file_plan(db_session, "YK-1", "100", "completed")  # past the amount: only a raise is let in
    assert import_csv(db_session, "YK-1,zz0101,设备,2026,600").unchanged == 1
    assert failure(import_csv, db_session, "YK-1,zz0101,设备,2026,650") == [
        "第2行：计划金额不能低于已申请使用金额（700.00 元）。"]
    assert import_csv(db_session, "YK-1,zz0101,设备（追加）,2026,700").updated == 1


def test_derived_amounts_count_filed_plans_only(db_session: Any) -> None:
    import_csv(db_session, "YK-1,zz0101,设备,2026,1000", "YK-2,zz0101,耗材,2026,50")
    for amount, status in [("300", "in_review"), ("200", "completed"), ("400", "draft"),
                           ("50", "returned"), ("70", "withdrawn")]:
        file_plan(db_session, "YK-1", amount, status)
    one, two = plan_id(db_session, "YK-1"), plan_id(db_session, "YK-2")
    found = plans.amounts(db_session, [one, two])
    assert found[one] == plans.PlanAmounts(Decimal("1000.00"), Decimal("500.00"),
                                           Decimal("0.00"), Decimal("0.00"))
    assert (found[one].available, found[one].actual_available) == (Decimal("500.00"),
                                                                   Decimal("1000.00"))
    assert found[two].requested == Decimal("0.00") and found[two].available == Decimal("50.00")
    assert plans.amounts(db_session, []) == {}


def test_amounts_of_a_page_take_a_fixed_number_of_queries(app: Flask, db_session: Any) -> None:
    import_csv(db_session, *[f"YK-{n},zz0101,设备{n},2026,{n}00" for n in range(1, 21)])
    file_plan(db_session, "YK-3", "100", "in_review")
    ids = list(db_session.scalars(select(SpendingPlan.id).where(SpendingPlan.year == 2026)))
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        found = plans.amounts(db_session, ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # One grouped query for the requested amounts, two for the payments: whatever the page size.
    assert len(statements) == 3 and len(found) == len(ids) >= 20
    assert found[plan_id(db_session, "YK-3")].available == Decimal("200.00")


def test_list_page_is_scoped_to_the_unit_and_shows_derived_amounts(
        app: Flask, login_as: Any) -> None:
    with session_of(app) as session:
        import_csv(session, "YK-ZZ,zz0101,郑州一中设备,2026,1234.5",
                   "YK-SJ,sj0101,省直单位设备,2026,800", "YK-ZZ2,zz0102,郑州其他单位设备,2026,10")
        file_plan(session, "YK-ZZ", "234.5", "in_review")
        sj_id, zz_id = plan_id(session, "YK-SJ"), plan_id(session, "YK-ZZ")
    clerk = login_as("zz_clerk")
    page = clerk.get("/spendingplanview/list/").get_data(as_text=True)
    assert "YK-ZZ" in page and "郑州一中设备" in page
    assert "YK-SJ" not in page and "YK-ZZ2" not in page
    for text in ("拟可用金额", "实际可用金额", "1,234.50 元", "234.50 元", "1,000.00 元"):
        assert text in page, text
    assert clerk.get(f"/spendingplanview/show/{sj_id}").status_code in (302, 404)
    shown = clerk.get(f"/spendingplanview/show/{zz_id}")
    assert "1,000.00 元" in shown.get_data(as_text=True)
    admin_page = login_as("admin").get("/spendingplanview/list/").get_data(as_text=True)
    assert all(no in admin_page for no in ("YK-ZZ", "YK-SJ", "YK-ZZ2", "省直单位设备"))


# The import page and the REST resource, once app/registry.py registers them.

def registered(app: Flask, view: str) -> None:
    if view not in app.blueprints:
        pytest.skip(f"{view} is not registered in app/registry.py yet")


def test_import_page_uploads_and_reports(app: Flask, login_as: Any) -> None:
    registered(app, "SpendingPlanImportView")
    admin = login_as("admin")
    good = csv_bytes("YK-1,zz0101,设备,2026,100", bom=True)
    page = admin.submit("/spendingplanimport/", {"file": (io.BytesIO(good), "用款计划.csv")})
    assert "导入成功：新增1条，更新0条，未变0条。" in page.get_data(as_text=True)
    bad = csv_bytes("YK-2,zz0101,设备,2026,0")
    page = admin.submit("/spendingplanimport/", {"file": (io.BytesIO(bad), "用款计划.csv")})
    text = page.get_data(as_text=True)
    assert "导入失败，未导入任何数据。" in text and "第2行：计划金额必须大于0。" in text
    with session_of(app) as session:
        assert set(stored(session)) == {"YK-1"}
    clerk = login_as("zz_clerk")
    assert clerk.get("/spendingplanimport/").status_code == 403
    page = clerk.submit("/spendingplanview/list/", {"file": (io.BytesIO(good), "用款计划.csv")},
                        post_path="/spendingplanimport/")
    assert page.status_code == 403


def test_api_imports_and_lists_with_derived_amounts(app: Flask, api_token: Any) -> None:
    registered(app, "SpendingPlanApi")
    client, admin = app.test_client(), api_token("admin")
    rows = [{"external_no": "YK-1", "unit_code": "zz0101", "name": "设备", "year": 2026,
             "plan_amount": "1000"},
            {"external_no": "YK-2", "unit_code": "sj0101", "name": "设备", "year": 2026,
             "plan_amount": 500}]
    answer = client.post("/api/v1/spending_plan/import", json={"rows": rows}, headers=admin)
    assert answer.status_code == 200
    assert answer.get_json()["result"] == {"created": 2, "updated": 0, "unchanged": 0, "kept": []}
    answer = client.post("/api/v1/spending_plan/import", json={"rows": rows}, headers=admin)
    assert answer.get_json()["result"] == {"created": 0, "updated": 0, "unchanged": 2, "kept": []}
    bad = client.post("/api/v1/spending_plan/import", headers=admin,
                      json={"rows": [{**rows[0], "unit_code": "xx"}]})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == ["第1行：预算单位编码“xx”不存在。"]
    clerk = api_token("zz_clerk")
    refused = client.post("/api/v1/spending_plan/import", json={"rows": rows}, headers=clerk)
    assert refused.status_code == 403
    with session_of(app) as session:
        file_plan(session, "YK-1", "250.5", "completed")
        one, two = plan_id(session, "YK-1"), plan_id(session, "YK-2")
    listed = client.get("/api/v1/spending_plan/", headers=clerk).get_json()
    assert [r["external_no"] for r in listed["result"] if r["external_no"] not in DEMO] == ["YK-1"]
    assert {r["unit"]["code"] for r in listed["result"]} == {"zz0101"}
    listed["result"] = [r for r in listed["result"] if r["external_no"] == "YK-1"]
    assert listed["result"][0]["requested_amount"] == "250.50"
    assert listed["result"][0]["available_amount"] == "749.50"
    assert listed["result"][0]["actual_available_amount"] == "1000.00"
    shown = client.get(f"/api/v1/spending_plan/{one}", headers=clerk)
    assert shown.get_json()["result"]["paid_amount"] == "0.00"
    other = client.get(f"/api/v1/spending_plan/{two}", headers=clerk)
    assert other.status_code == 404
    info = client.get("/api/v1/spending_plan/_info", headers=clerk).get_json()
    assert info["add_columns"] == info["edit_columns"] == [] and info["permissions"] == [
        "can_get", "can_info"]
    assert client.post("/api/v1/spending_plan/", json={}, headers=admin).status_code == 403
    assert listed["label_columns"]["plan_amount"] == "计划金额"
