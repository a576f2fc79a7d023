"""The search of every list page speaks Chinese: labels, operations, statuses as choice lists,
no "In"/"Not In" on text; 计划查询 lists and filters 采购方式."""

from __future__ import annotations

import json
import re
from typing import Any, cast

from flask import Flask
from wtforms import SelectField

from tests.support.plans import act, filed_plan
from views.base import ServiceModelView


def search_widget(page: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(labels, operations) of the list page's search, as FAB's AdminFilters receives them."""
    match = re.search(r"new AdminFilters\(\s*'#filter_form',\s*(.*?),\s*(\{.*?\}),\s*(\{.*?\}),",
                      page, re.S)
    assert match, "no search on the page"
    return json.loads(match.group(1)), json.loads(match.group(3))


def search_fields(page: str) -> dict[str, str]:
    """The HTML of each search field of the page."""
    match = re.search(r"new AdminFilters\(\s*'#filter_form',\s*\{.*?\},\s*(\{.*?\}),\s*\{",
                      page, re.S)
    assert match, "no search on the page"
    fields: dict[str, str] = json.loads(match.group(1))
    return fields


def list_views(app: Flask) -> list[ServiceModelView]:
    return [v for v in cast(Any, app).appbuilder.baseviews if isinstance(v, ServiceModelView)]


def test_every_search_label_and_operation_is_chinese(app: Flask) -> None:
    with app.test_request_context():
        for view in list_views(app):
            for column, filters in view._filters.get_search_filters().items():
                label = str(view.label_columns.get(column, column))
                assert not label.isascii(), f"{type(view).__name__}.{column}: {label}"
                names = [str(f.name) for f in filters]
                assert names and all(not n.isascii() for n in names), (type(view).__name__,
                                                                       column, names)
                assert "In" not in names and "Not In" not in names
                assert not {f.arg_name for f in filters} & {"in", "not_in"}


def test_status_filters_are_chinese_choice_lists(app: Flask) -> None:
    seen = 0
    with app.test_request_context():
        for view in list_views(app):
            if "status" not in view.search_columns:
                continue
            seen += 1
            field = view.search_form.refresh()["status"]
            assert isinstance(field, SelectField), type(view).__name__
            choices = list(field.choices)
            assert choices[0] == ("", "请选择") and field.data in ("", None)
            assert all(not str(label).isascii() for _, label in choices)
    assert seen >= 3


def test_plan_query_filters_by_chosen_status_and_shows_the_method(app: Flask,
                                                                  login_as: Any) -> None:
    done = filed_plan(app, "sj_clerk")
    for username in ("sj_internal", "sj_competent", "sj_div_first", "sj_div_review"):
        act(app, username, done)
    filed_plan(app, "sj_clerk", submit=False)
    web = login_as("sj_clerk")
    page = web.get("/planqueryview/list/").get_data(as_text=True)
    labels, operations = search_widget(page)
    assert labels["status"] == "状态" and labels["method"] == "采购方式"
    assert operations["status"] == ["等于", "不等于"]
    assert operations["plan_number"][:4] == ["开头是", "结尾是", "包含", "等于"]
    assert "In" not in operations["plan_number"]
    assert operations["created_on"] == ["等于", "晚于", "早于", "不等于"]
    # The status field is a choice list starting blank, not a text box holding "draft".
    status = search_fields(page)["status"]
    assert status.startswith("<select") and '<option selected value="">请选择</option>' in status
    assert '<option value="completed">已完成</option>' in status
    headers = re.findall(r"<th[^>]*>(.*?)</th>", page.split('id="filter_form"')[-1], re.S)
    assert any("采购方式" in h for h in headers)
    assert "<td>公开招标</td>" in re.sub(r"\s+", "", page)

    def count(query: str) -> int:
        shown = web.get(f"/planqueryview/list/?{query}").get_data(as_text=True)
        found = re.search(r"记录数目:</strong>\s*(\d+)", shown)
        assert found, query
        return int(found.group(1))

    # Completed: the plan above and the demo's 网上商城 plan of the unit.
    assert count("_flt_0_status=completed") == 2 and count("_flt_0_status=draft") == 1
    assert count("_flt_1_status=completed") == 1  # 不等于
    assert count("_flt_0_status=已完成") == 2  # the label in a link works as well
    assert count("_flt_0_status=nonsense") == 0 and count("_flt_0_status=") == 3


def test_api_info_names_the_operations_in_chinese(client: Any, api_token: Any) -> None:
    info = client.get("/api/v1/intention/_info", headers=api_token("sj_clerk")).get_json()
    filters = info["filters"]
    assert filters and all(not f["name"].isascii() for ops in filters.values() for f in ops)
    # An API may still pass a list of values.
    assert {"name": "属于", "operator": "in"} in filters["project_name"]
