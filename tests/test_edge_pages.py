"""Every page route, given hostile path values and query arguments, answers below 500.

REST operations are fuzzed by ``make fuzz`` from the OpenAPI document; pages have no such
document, so this walks the URL map itself: each GET route with each hostile value in each
path parameter, and each list page with hostile filter, order and paging arguments.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.test_pickers import demo_posts

# The edge treats every path value alike; one of each kind is enough per route.
HOSTILE_PATH = ["2147483648", "0", "abc", "%00"]
HOSTILE_ARGS = [
    "_flt_0_id=99999999999", "_flt_0_id=abc", "_flt_1_amount=1e400", "_flt_2_amount=abc",
    "_flt_0_name=%00", "_flt_0_status=x", "_oc_{view}=nonexistent", "_oc_{view}=id&_od_{view}=x",
    "page_{view}=99999999999", "page_{view}=-5", "psize_{view}=1e9", "psize_{view}=-1",
    "_flt_0_unit=2147483648", "_flt_0_created_on=99999-99-99", "next=//evil.example",
]
# Routes that end the session or are not pages.
SKIP = ("/logout", "/static", "/appbuilder", "/api/", "/swagger")


def page_rules(app: Flask) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and not rule.rule.startswith(SKIP)]


def fill(rule: Any, value: str) -> str:
    path = rule.rule
    for argument in rule.arguments:
        path = path.replace(f"<int:{argument}>", value).replace(f"<{argument}>", value)
        path = path.replace(f"<string:{argument}>", value).replace(f"<path:{argument}>", value)
    return path


def test_hostile_path_values_never_give_a_5xx(app: Flask, login_as: Any) -> None:
    # The administrator may open the most routes.
    web = login_as("admin")
    failures = []
    for rule in page_rules(app):
        if not rule.arguments:
            continue
        for value in HOSTILE_PATH:
            path = fill(rule, value)
            status = web.client.get(path).status_code
            if status >= 500:
                failures.append(f"{status} GET {path}")
    assert failures == []


@pytest.mark.parametrize("username", ["admin", "zz_clerk"])
def test_hostile_list_arguments_never_give_a_5xx(app: Flask, login_as: Any,
                                                 username: str) -> None:
    web = login_as(username)
    failures = []
    for rule in page_rules(app):
        if rule.arguments or not rule.rule.endswith("/list/"):
            continue
        view = rule.endpoint.split(".")[0]
        for argument in HOSTILE_ARGS:
            path = f"{rule.rule}?{argument.format(view=view)}"
            response = web.client.get(path)
            if response.status_code >= 500 or "decimal" in response.get_data(as_text=True):
                failures.append(f"{response.status_code} GET {path}")
    assert failures == []


def test_every_offered_sort_works(app: Any, login_as: Any) -> None:
    """A sort link is offered only on what the database can order by: every list page as one
    account of every demo post, every offered column both ways."""
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    failures, sorted_pages = [], 0
    for username in demo_posts(app):
        web = login_as(username)
        for rule in page_rules(app):
            view = views.get(rule.endpoint.split(".")[0])
            if rule.arguments or not rule.rule.endswith("/list/") or view is None:
                continue
            name = type(view).__name__
            if web.client.get(rule.rule).status_code != 200:
                continue
            for column in getattr(view, "order_columns", []):
                for direction in ("asc", "desc"):
                    path = f"{rule.rule}?_oc_{name}={column}&_od_{name}={direction}"
                    status = web.client.get(path).status_code
                    sorted_pages += 1
                    if status >= 500:
                        failures.append(f"{status} {username} GET {path}")
    assert failures == []
    assert sorted_pages > 100


def test_a_sort_the_page_does_not_offer_keeps_the_pages_order(app: Any, login_as: Any) -> None:
    """A hand-made sort on a relation, a property, an unknown name or direction: the page's own
    order, never a 500."""
    web = login_as("admin")
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    failures = []
    for rule in page_rules(app):
        view = views.get(rule.endpoint.split(".")[0])
        if rule.arguments or not rule.rule.endswith("/list/") or view is None:
            continue
        name = type(view).__name__
        offered = set(getattr(view, "order_columns", []))
        for column in [c for c in view.list_columns if c not in offered] + ["no_such", "id"]:
            for direction in ("asc", "sideways"):
                path = f"{rule.rule}?_oc_{name}={column}&_od_{name}={direction}"
                status = web.client.get(path).status_code
                if status >= 500:
                    failures.append(f"{status} GET {path}")
    assert failures == []
