"""A required choice starts blank: every single-choice picker of every add (and edit) form, for
every demo post, starts at 请选择 or （无）; a blank one left so gives “请选择…” at the field, with
the rest of the form as typed; a review page does not preselect 审批结果."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.services import plans
from models import Operator, Region, WorkflowTask
from models.workflow import TaskStatus
from tests.conftest import Web
from tests.support.plans import filed_plan
from tests.test_boundary_pages import lost_values, shown_at_field
from views.base import ServiceModelView

BLANK = ("", "__None")
# 是/否 defaults the manuals give: 是否内审 of a new operator is 否.
YES_NO_DEFAULTS = {"internal_review"}


class Pickers(HTMLParser):
    """The single-choice ``<select>``s of a page: name → [(value, selected, text)]."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.options: dict[str, list[list[Any]]] = {}
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        name = given.get("name")
        if tag == "select" and name and "multiple" not in given:
            self._in = name
            self.options[name] = []
        elif tag == "option" and self._in:
            self.options[self._in].append([given.get("value") or "", "selected" in given, ""])

    def handle_data(self, data: str) -> None:
        if self._in and self.options[self._in]:
            self.options[self._in][-1][2] += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._in = None


def wrong_pickers(html: str) -> dict[str, Any]:
    """Pickers that do not start at a blank choice, or preselect a record."""
    wrong = {}
    for name, options in Pickers(html).options.items():
        if name in YES_NO_DEFAULTS:
            continue
        chosen = [o for o in options if o[1] and o[0] not in BLANK]
        if not options or options[0][0] not in BLANK or chosen:
            wrong[name] = options[:3]
    return wrong


def demo_posts(app: Flask) -> list[str]:
    """One account of every demo post: 平顶山's, 郑州's 采购办 and the administrator."""
    with app.app_context():
        session = db.session()
        pds = session.scalar(select(Region.id).where(Region.code == "pds"))
        names = list(session.scalars(select(Operator.username).where(
            Operator.unit.has(region_id=pds)).order_by(Operator.username)))
    return ["admin", "zz_office", *names]


def crud_views(app: Flask) -> list[ServiceModelView]:
    views: list[Any] = app.appbuilder.baseviews  # type: ignore[attr-defined]
    return [v for v in views if isinstance(v, ServiceModelView)]


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_every_add_form_starts_blank_for_every_post(app: Flask, login_as: Any) -> None:
    wrong: dict[str, Any] = {}
    seen = 0
    for username in demo_posts(app):
        web: Web = login_as(username)
        for view in crud_views(app):
            page = web.get(f"{view.route_base}/add")
            if page.status_code != 200:
                continue
            pickers = Pickers(text(page)).options
            seen += len(pickers)
            for name, options in wrong_pickers(text(page)).items():
                wrong[f"{username} {view.route_base}/add {name}"] = options
    assert not wrong
    assert seen > 30  # the crawl met the forms


def test_every_edit_form_offers_the_blank_choice(app: Flask, login_as: Any) -> None:
    """An edit form shows the record's choice, and a blank one to start from, never a record
    the record does not name."""
    filed_plan(app, "pds_clerk", submit=False)
    missing: dict[str, Any] = {}
    for username in ("admin", "pds_clerk", "pds_unitadmin"):
        web = login_as(username)
        for view in crud_views(app):
            listed = web.get(f"{view.route_base}/list/")
            found = re.search(rf'href="{re.escape(view.route_base)}/edit/(\d+)', text(listed))
            if listed.status_code != 200 or found is None:
                continue
            page = web.get(f"{view.route_base}/edit/{found.group(1)}")
            if page.status_code == 302:  # not this post's to change (e.g. a plan for admin)
                continue
            assert page.status_code == 200, (username, view.route_base)
            for name, options in Pickers(text(page)).options.items():
                if name not in YES_NO_DEFAULTS and (not options or options[0][0] not in BLANK):
                    missing[f"{username} {view.route_base}/edit {name}"] = options[:2]
    assert not missing


# Add forms whose pickers the clerk leaves blank, with a text field typed.
BLANK_SUBMITS = [
    ("/bidchangefilingview/add", {"project": "__None", "change_content": "供应商更名"},
     {"project": "请选择项目。"}),
    ("/bidchangeannouncementview/add", {"project": "__None", "title": "变更公告"},
     {"project": "请选择项目。"}),
    ("/methodchangeview/add", {"plan": "__None", "new_method": "", "reason": "流标两次"},
     {"plan": "请选择", "new_method": "请选择"}),
    ("/spendingreductionview/add", {"spending_plan": "__None", "kind": "", "amount": "100.00"},
     {"spending_plan": "请选择", "kind": "请选择"}),
    ("/migrantaccountview/add", {"plan": "__None", "contractor": "__None",
                                 "account_name": "农民工工资专用账户"},
     {"plan": "请选择", "contractor": "请选择"}),
    ("/paymentview/add", {"contract": "__None", "amount": "100.00"}, {"contract": "请选择"}),
]


@pytest.mark.parametrize(("path", "data", "messages"), BLANK_SUBMITS,
                         ids=[case[0] for case in BLANK_SUBMITS])
def test_a_blank_choice_is_refused_at_its_field_as_typed(login_as: Any, path: str,
                                                         data: dict[str, str],
                                                         messages: dict[str, str]) -> None:
    web = login_as("pds_clerk")
    answer = web.submit(path, data)
    assert answer.status_code == 200, path  # re-rendered, not saved
    html = text(answer)
    for name, message in messages.items():
        error = re.search(rf'name="{name}".*?alert-danger">\s*(请选择[^<]*?。)\s*</div>', html,
                          re.S)
        assert error is not None, (path, name)
        assert error.group(1).startswith(message), (path, name, error.group(1))
        assert shown_at_field(html, name, error.group(1))
    assert not lost_values(html, data)


def test_admin_operator_post_is_a_required_choice(login_as: Any) -> None:
    web = login_as("admin")
    pickers = Pickers(text(web.get("/adminoperatorview/add"))).options
    assert pickers["post"][0][:3] == ["__None", True, "请选择"]
    assert pickers["unit"][0][2] == "（无）"  # the system administrator has no unit


# --- the review page -------------------------------------------------------------------------

def open_task_of(app: Flask, plan_id: int) -> WorkflowTask:
    with app.app_context():
        session = db.session()
        task = session.scalar(select(WorkflowTask).where(
            WorkflowTask.status == TaskStatus.open,
            WorkflowTask.instance.has(record_id=plan_id, record_type=plans.RECORD)))
        assert task is not None
        session.expunge(task)
        return task


def test_review_page_preselects_no_result_and_asks_for_one(app: Flask, login_as: Any) -> None:
    plan_id = filed_plan(app, "pds_clerk")
    task = open_task_of(app, plan_id)
    with app.app_context():
        reviewer = next(o.username for o in db.session().scalars(
            select(Operator).where(Operator.unit_id == task.unit_id))
            if o.post_code == task.post_code)
    web = login_as(reviewer)
    path = f"/tasks/{task.id}/review"
    page = text(web.get(path))
    radios = re.findall(r'<input type="radio" name="action"[^>]*>', page)
    assert radios and not any("checked" in r for r in radios)
    answer = web.submit(path, {"version": str(task.version), "opinion": "材料齐全"})
    assert answer.status_code == 200
    html = text(answer)
    assert "请选择审批结果。" in html
    assert "材料齐全</textarea>" in html
    assert open_task_of(app, plan_id).id == task.id  # still open
