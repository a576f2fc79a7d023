"""导出Excel of every list page and list API: the page's Chinese headers, money as numbers with
two decimals, dates as dates, the page's scope, filters and sort, streamed in batches."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from urllib.parse import quote

import pytest
from flask import Flask
from flask_appbuilder import ModelView
from openpyxl import load_workbook
from sqlalchemy import insert, select

from models import Intention
from tests.support.plans import act, filed_plan, operator
from views.base import ServiceModelView
from views.export import XLSX

INTENTIONS = "/intentionview"


def sheet_of(book: Any) -> Any:
    """The only sheet of a workbook."""
    sheet = book.active
    assert sheet is not None
    return sheet


def sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    """The rows of the only sheet of an exported workbook (headers first)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.data))
    return [tuple(c.value for c in row) for row in sheet_of(book).iter_rows()]


def cells(response: Any) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(response.data))
    return [list(row) for row in sheet_of(book).iter_rows()]


def own_intentions(app: Flask, username: str) -> list[str]:
    with app.app_context():
        session = cast(Any, app).appbuilder.session
        unit_id = operator(session, username).unit_id
        return list(session.scalars(select(Intention.project_name).where(
            Intention.unit_id == unit_id)))


def test_page_export_has_the_headers_types_and_scope_of_the_page(app: Flask,
                                                                 login_as: Any) -> None:
    web = login_as("sj_clerk")
    page = web.get(f"{INTENTIONS}/list/").get_data(as_text=True)
    assert "导出Excel" in page and f'href="{INTENTIONS}/export/"' in page
    response = web.get(f"{INTENTIONS}/export/")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('采购意向_')}" in disposition
    rows = cells(response)
    assert [c.value for c in rows[0]] == ["采购项目名称", "预算金额（元）", "预计采购时间", "状态",
                                          "公开日期"]
    headers = [c.value for c in rows[0]]
    body = rows[1:]
    names = {row[headers.index("采购项目名称")].value for row in body}
    assert names == set(own_intentions(app, "sj_clerk"))
    assert not names & set(own_intentions(app, "zz_clerk"))  # another unit's rows are absent
    money = body[0][1]
    assert isinstance(money.value, (int, float)) and money.number_format == "#,##0.00"
    published = body[0][headers.index("公开日期")]
    assert isinstance(published.value, datetime) and published.is_date
    assert {row[headers.index("状态")].value for row in body} == {"已公开"}


def test_page_export_honours_the_filters_and_the_sort(app: Flask, login_as: Any) -> None:
    web = login_as("sj_clerk")
    names = sorted(own_intentions(app, "sj_clerk"))
    chosen = names[0]
    filtered = sheet_rows(web.get(f"{INTENTIONS}/export/?_flt_0_project_name={quote(chosen)}"))
    assert [row[0] for row in filtered[1:]] == [chosen]
    ordered = sheet_rows(web.get(
        f"{INTENTIONS}/export/?_oc_IntentionView=project_name&_od_IntentionView=asc"))
    assert [row[0] for row in ordered[1:]] == names
    backwards = sheet_rows(web.get(
        f"{INTENTIONS}/export/?_oc_IntentionView=project_name&_od_IntentionView=desc"))
    assert [row[0] for row in backwards[1:]] == names[::-1]
    # A column the list cannot sort by falls back to the list's own order, never a 500.
    assert web.get(f"{INTENTIONS}/export/?_oc_IntentionView=nonexistent").status_code == 200


def test_plan_query_export_with_a_status_filter(app: Flask, login_as: Any) -> None:
    done = filed_plan(app, "sj_clerk")
    for username in ("sj_internal", "sj_competent", "sj_div_first", "sj_div_review"):
        act(app, username, done)
    filed_plan(app, "sj_clerk", submit=False)
    filed_plan(app, "zz_clerk", submit=False)
    web = login_as("sj_clerk")
    rows = sheet_rows(web.get("/planqueryview/export/"))
    headers = rows[0]
    assert "采购方式" in headers and "本次采购总金额" in headers and "状态" in headers
    # With the demo's completed 网上商城 plan of the unit.
    assert sorted(row[headers.index("状态")] for row in rows[1:]) == ["已完成", "已完成", "草稿"]
    only = sheet_rows(web.get("/planqueryview/export/?_flt_0_status=completed"))
    assert [row[headers.index("状态")] for row in only[1:]] == ["已完成", "已完成"]
    assert sorted(row[headers.index("采购方式")] for row in only[1:]) == ["公开招标", "网上商城采购"]
    assert isinstance(only[1][headers.index("本次采购总金额")], (int, float))


def test_api_export_honours_the_rison_filters_and_the_scope(app: Flask, client: Any,
                                                           api_token: Any) -> None:
    headers = api_token("sj_clerk")
    rows = sheet_rows(client.get("/api/v1/intention/export", headers=headers))
    assert all(not str(h).isascii() for h in rows[0])
    names = {row[rows[0].index("采购项目名称")] for row in rows[1:]}
    assert names == set(own_intentions(app, "sj_clerk"))
    chosen = sorted(names)[0]
    query = f"(filters:!((col:project_name,opr:eq,value:'{chosen}')))"
    only = sheet_rows(client.get(f"/api/v1/intention/export?q={quote(query)}", headers=headers))
    assert [row[rows[0].index("采购项目名称")] for row in only[1:]] == [chosen]
    assert {row[rows[0].index("状态")] for row in rows[1:]} == {"已公开"}
    typed = cells(client.get("/api/v1/intention/export", headers=headers))[1]
    money, published = typed[rows[0].index("预算金额（元）")], typed[rows[0].index("公开日期")]
    assert isinstance(money.value, (int, float)) and money.number_format == "#,##0.00"
    assert isinstance(published.value, datetime) and published.is_date
    bad = client.get("/api/v1/intention/export?q=(filters:!((col:nope,opr:eq,value:1)))",
                     headers=headers)
    assert bad.status_code == 400 and not bad.get_json()["message"].isascii()
    assert client.get("/api/v1/intention/export").status_code == 401


def test_export_is_refused_to_whoever_cannot_see_the_list(app: Flask, login_as: Any,
                                                         client: Any, api_token: Any) -> None:
    assert login_as("admin").get("/outboxview/list/").status_code == 200
    assert login_as("admin").get("/outboxview/export/").status_code == 200
    refused = login_as("sj_clerk").get("/outboxview/export/")
    assert refused.status_code in (302, 403)
    assert client.get("/outboxview/export/").status_code in (302, 401, 403)


def test_text_that_looks_like_a_formula_stays_text(app: Flask, login_as: Any) -> None:
    with app.app_context():
        session = cast(Any, app).appbuilder.session
        clerk = operator(session, "sj_clerk")
        session.add(Intention(unit_id=clerk.unit_id, project_name="=HYPERLINK(\"x\")",
                              demand_summary="需求", budget_amount=Decimal("1.5"),
                              expected_month="2026-12", status="draft",
                              created_by_id=clerk.id))
        session.commit()
    rows = cells(login_as("sj_clerk").get(f"{INTENTIONS}/export/"))
    found = [row[0] for row in rows[1:] if str(row[0].value).startswith("=")]
    assert len(found) == 1 and found[0].data_type == "s"
    assert found[0].value == "=HYPERLINK(\"x\")"


def test_every_list_page_exports_what_it_lists(app: Flask, login_as: Any) -> None:
    views = [v for v in cast(Any, app).appbuilder.baseviews
             if isinstance(v, ServiceModelView) and "can_list" in v.base_permissions]
    assert views and all(isinstance(v, ModelView) for v in views)
    for username in ("admin", "sj_clerk", "sj_div_review", "zz_unitadmin", "zz_office"):
        web = login_as(username)
        for view in views:
            base = f"/{view.route_base.strip('/')}"
            listed = web.get(f"{base}/list/")
            exported = web.get(f"{base}/export/")
            assert exported.status_code < 500, (username, base)
            if listed.status_code == 200:
                assert exported.status_code == 200, (username, base)
                assert "导出Excel" in listed.get_data(as_text=True), (username, base)
                headers = sheet_rows(exported)[0]
                assert all(h and not str(h).isascii() for h in headers), (base, headers)
                assert "操作" not in headers  # buttons are no data


def test_fifty_thousand_rows_stay_within_a_workers_memory(app: Flask, login_as: Any) -> None:
    with app.app_context():
        session = cast(Any, app).appbuilder.session
        clerk = operator(session, "sj_clerk")
        rows = [{"unit_id": clerk.unit_id, "project_name": f"批量采购意向{n:05d}",
                 "demand_summary": "需求概况", "budget_amount": Decimal("1234.50"),
                 "expected_month": "2026-12", "status": "published",
                 "published_on": date(2026, 11, 1), "created_by_id": clerk.id,
                 "remark": "", "withdraw_reason": ""} for n in range(50_000)]
        session.execute(insert(Intention), rows)
        session.commit()
        del rows
    web = login_as("sj_clerk")
    tracemalloc.start()
    try:
        response = web.get(f"{INTENTIONS}/export/")
        data = response.data
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert len(list(sheet_of(book).iter_rows(values_only=True))) >= 50_001
    print(f"export of 50,000 rows: peak {peak / 1024 / 1024:.1f} MB")
    # Python's own allocations during the request (the file is on disk, rows in batches):
    # a list of 50,000 ORM records alone would take several times this.
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"


@pytest.mark.parametrize("path", ["/planqueryview/export/?_flt_0_status=x",
                                  "/planqueryview/export/?_flt_0_created_on=99999-99-99",
                                  "/planqueryview/export/?_flt_0_unit=2147483648"])
def test_odd_filters_never_fail(path: str, login_as: Any) -> None:
    assert login_as("sj_clerk").get(path).status_code < 500
