"""Each action is offered only in the states that allow it: list row buttons and checkboxes,
the show page's action buttons, the edit form (a GET answers the record's page with why)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.services import intentions, payments
from app.transaction import unit_of_work
from models import (
    Contract,
    Intention,
    IntentionStatus,
    PaymentApplication,
    PaymentStatus,
    ProcurementPlan,
)
from tests.conftest import Web
from tests.support.filings import submitted_filings
from tests.support.plans import filed_plan, operator
from tests.test_payments import filed_contract  # noqa: F401  (fixture)
from views.base import ServiceModelView
from workflow import Status

CLERKS = ("zz_clerk", "pds_clerk")


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def ruled_views(app: Flask) -> list[ServiceModelView]:
    views: list[Any] = app.appbuilder.baseviews  # type: ignore[attr-defined]
    return [v for v in views if isinstance(v, ServiceModelView) and v.state_rules]


def records_of(app: Flask, view: ServiceModelView, unit_id: int) -> list[Any]:
    with app.app_context():
        session = db.session()
        model = view.datamodel.obj
        rows = list(session.scalars(select(model).where(model.unit_id == unit_id)))
        session.expunge_all()
        return rows


def unit_of(app: Flask, username: str) -> int:
    with app.app_context():
        unit_id = operator(db.session(), username).unit_id
        assert unit_id is not None
        return unit_id


def show_actions(html: str, view: ServiceModelView) -> set[str]:
    """The @action buttons of a show page."""
    found = re.findall(rf'id="btn-action-{view.__class__.__name__}\.action-(\w+)"', html)
    return set(found)


@pytest.fixture
def records_in_every_state(app: Flask) -> None:
    """Beyond the demo's records: plans and filings in review, an intention published, a
    payment sent."""
    filed_plan(app, "zz_clerk")
    filed_plan(app, "pds_clerk")
    filed_plan(app, "pds_clerk", submit=False)
    submitted_filings(app, 1, "zz_clerk")
    submitted_filings(app, 1, "pds_clerk")
    with app.test_request_context():
        session = db.session()
        for name in CLERKS:
            clerk = operator(session, name)
            draft = session.scalar(select(Intention).where(
                Intention.unit_id == clerk.unit_id, Intention.status == IntentionStatus.draft))
            if draft is not None:
                with unit_of_work(session):
                    intentions.publish_intention(session, draft, clerk)
            sendable = session.scalar(select(PaymentApplication).where(
                PaymentApplication.unit_id == clerk.unit_id,
                PaymentApplication.status == PaymentStatus.draft))
            if sendable is not None:
                with unit_of_work(session):
                    payments.send_payment(session, sendable, clerk)


@pytest.mark.usefixtures("records_in_every_state")
@pytest.mark.parametrize("clerk", CLERKS)
def test_list_and_show_offer_only_what_the_state_allows(app: Flask, login_as: Any,
                                                        clerk: str) -> None:
    web: Web = login_as(clerk)
    unit_id = unit_of(app, clerk)
    checked: dict[str, set[str]] = {}
    for view in ruled_views(app):
        listed = web.get(f"{view.route_base}/list/?psize_{view.__class__.__name__}=100")
        if listed.status_code == 403:  # not the clerk's page (e.g. 采购人注册)
            continue
        assert listed.status_code == 200, view.route_base
        html = text(listed)
        for item in records_of(app, view, unit_id):
            base = view.route_base
            # The id ends at a quote or a query (edit/1 is not edit/12).
            edit_link = re.search(rf'href="{base}/edit/{item.id}["?]', html) is not None
            delete_link = re.search(rf"{base}/delete/{item.id}[\"'?]", html) is not None
            assert edit_link == view.applies("edit", item), (base, item.id, item.status)
            assert delete_link == view.applies("delete", item), (base, item.id)
            page = web.get(f"{base}/show/{item.id}")
            assert page.status_code == 200
            offered = show_actions(text(page), view)
            wanted = {name for name in view.actions if view.applies(name, item)}
            assert offered == wanted, (base, item.id, getattr(item, "status", None))
            checked.setdefault(base, set()).add(str(getattr(item, "status", "")))
    # Records both editable and not were met: drafts and records in review at least.
    assert Status.in_review in checked["/procurementplanview"]
    assert Status.in_review in checked["/bidchangefilingview"]
    if clerk == "pds_clerk":  # a draft plan (fixture) and the demo's completed ones
        assert {Status.draft, Status.completed} <= checked["/procurementplanview"]


@pytest.mark.usefixtures("records_in_every_state")
def test_edit_form_of_a_locked_record_answers_its_page_with_why(app: Flask,
                                                                login_as: Any) -> None:
    web = login_as("pds_clerk")
    unit_id = unit_of(app, "pds_clerk")
    refused = 0
    for view in ruled_views(app):
        if web.get(f"{view.route_base}/list/").status_code == 403:
            continue
        for item in records_of(app, view, unit_id):
            answer = web.get(f"{view.route_base}/edit/{item.id}")
            if view.applies("edit", item):
                assert answer.status_code == 200, (view.route_base, item.id)
                continue
            refused += 1
            assert answer.status_code == 302, (view.route_base, item.id)
            assert answer.headers["Location"].endswith(f"{view.route_base}/show/{item.id}")
            shown = text(web.get(answer.headers["Location"]))
            assert "不能修改" in shown, view.route_base
            assert 'id="panel_edit"' not in shown
    assert refused >= 3


def test_a_plan_in_review_offers_withdraw_not_submit(app: Flask, login_as: Any) -> None:
    plan_id = filed_plan(app, "pds_clerk")
    web = login_as("pds_clerk")
    html = text(web.get(f"/procurementplanview/show/{plan_id}"))
    assert "action-withdraw" in html and "action-submit" not in html
    listed = text(web.get("/procurementplanview/list/"))
    assert f"/procurementplanview/edit/{plan_id}" not in listed
    with app.app_context():
        plan = db.session().get(ProcurementPlan, plan_id)
        assert plan is not None and plan.status == Status.in_review


def draft_payment(app: Flask, contract_id: int) -> int:
    """A saved, not yet sent 支付申请 of the contract."""
    with app.test_request_context():
        session = db.session()
        found = session.get(Contract, contract_id)
        assert found is not None
        item = PaymentApplication(contract_id=contract_id, amount="1000.00", pay_to_migrant=True,
                                  spending_plan_id=found.fundings[0].spending_plan_id)
        with unit_of_work(session):
            payments.prepare_payment(session, item, operator(session, "pds_clerk"),
                                     creating=True)
            session.add(item)
        return item.id


def test_only_a_sent_payment_is_printed(app: Flask, login_as: Any,
                                        filed_contract: int) -> None:  # noqa: F811
    draft = draft_payment(app, filed_contract)
    web = login_as("pds_clerk")
    page = text(web.get(f"/paymentview/show/{draft}"))
    assert "print-form" not in page and "action-send" in page
    answer = web.get(f"/paymentview/print/{draft}")
    assert answer.status_code == 302
    assert "尚未发送" in text(web.get(answer.headers["Location"]))
    assert web.get(f"/paymentview/edit/{draft}").status_code == 200
    web.submit(f"/paymentview/show/{draft}", {}, post_path=f"/paymentview/action/send/{draft}")
    page = text(web.get(f"/paymentview/show/{draft}"))
    assert "print-form" in page and "action-send" not in page
    assert web.get(f"/paymentview/print/{draft}").status_code == 200
    assert web.get(f"/paymentview/edit/{draft}").status_code == 302


def test_a_rest_record_says_which_actions_apply(app: Flask, api_token: Any) -> None:
    in_review = filed_plan(app, "pds_clerk")
    draft = filed_plan(app, "pds_clerk", submit=False)
    headers = api_token("pds_clerk")
    client = app.test_client()
    answer = client.get(f"/api/v1/procurement_plan/{in_review}", headers=headers)
    assert answer.status_code == 200
    assert answer.get_json()["allowed"] == {
        "edit": False, "delete": False, "submit": False, "withdraw": True}
    answer = client.get(f"/api/v1/procurement_plan/{draft}", headers=headers)
    assert answer.get_json()["allowed"] == {
        "edit": True, "delete": True, "submit": True, "withdraw": False}
