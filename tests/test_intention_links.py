"""One 采购意向 serves one plan: refused for a second plan (service, page and REST), kept by its
own plan in every state, free again once that plan links another or none, or is deleted."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from sqlalchemy import select

from app.services import plans
from app.services import workflow as flow
from app.services.errors import ValidationFailed
from app.services.intentions import TAKEN_MESSAGE, linkable_intentions
from app.timezone import business_today, to_business
from app.transaction import unit_of_work
from models import Intention, ProcurementPlan
from tests.support.plans import act, filed_plan, linkable_intention, operator, pdf, plan_input

PLANS = "/api/v1/procurement_plan/"


def taken(state: str, plan: ProcurementPlan) -> str:
    """The refusal naming the plan that holds the intention."""
    number = f"，编号{plan.plan_number}" if plan.plan_number else ""
    when = f"{to_business(plan.created_on):%Y-%m-%d}"
    return TAKEN_MESSAGE.format(plan=f"{state}，{when}填报{number}")


def refusal_of_new_plan(app: Any) -> str:
    """A second zz_clerk plan linking the demo intention (published 45 days ago)."""
    with pytest.raises(ValidationFailed) as caught:
        filed_plan(app, "zz_clerk", submit=False)
    assert caught.value.field == "intention_id"
    return caught.value.message


def save_again(app: Any, plan_id: int, **overrides: Any) -> None:
    """保存 the plan again (its own intention unless ``overrides`` say otherwise)."""
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "zz_clerk")
        with unit_of_work(session):
            plans.save_plan(session, clerk, plan_input(session, clerk, **overrides),
                            {"unlinked_proof": pdf()}, session.get(ProcurementPlan, plan_id))


def stored(app: Any, plan_id: int) -> ProcurementPlan:
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        plan = session.get(ProcurementPlan, plan_id)
        session.expunge(plan)
        return plan


def offered(app: Any, plan_id: int | None = None) -> list[int]:
    with app.app_context():
        session = app.appbuilder.session
        clerk = operator(session, "zz_clerk")
        assert clerk.unit_id is not None
        return [i.id for i in linkable_intentions(session, clerk.unit_id, business_today(),
                                                  plan_id)]


def demo_intention(app: Any) -> int:
    with app.app_context():
        session = app.appbuilder.session
        return linkable_intention(session, operator(session, "zz_clerk")).id


def test_an_intention_serves_one_plan_until_it_is_relinked_or_deleted(app: Any) -> None:
    intention = demo_intention(app)
    first = filed_plan(app, "zz_clerk", submit=False)
    assert refusal_of_new_plan(app) == taken("草稿", stored(app, first))
    assert intention not in offered(app) and intention in offered(app, first)
    save_again(app, first)  # its own plan keeps it

    with app.test_request_context():  # 提交, then 撤回: a withdrawn plan still holds it
        session = app.appbuilder.session
        clerk = operator(session, "zz_clerk")
        with unit_of_work(session):
            flow.submit_record(session, plans.RECORD, session.get(ProcurementPlan, first), clerk)
        assert refusal_of_new_plan(app) == taken("审核中", stored(app, first))
        with unit_of_work(session):
            flow.withdraw_record(session, plans.RECORD, session.get(ProcurementPlan, first),
                                 clerk)
    assert refusal_of_new_plan(app) == taken("已撤回", stored(app, first))

    save_again(app, first, linked=False, intention_id=None, unlinked_reason="改为不关联意向")
    assert intention in offered(app)
    second = filed_plan(app, "zz_clerk", submit=False)  # free again: another plan takes it
    assert stored(app, second).intention_id == intention
    with pytest.raises(ValidationFailed):  # and the first cannot take it back
        save_again(app, first)

    with app.test_request_context():  # a deleted draft frees it
        session = app.appbuilder.session
        with unit_of_work(session):
            plans.delete_plan(session, operator(session, "zz_clerk"),
                              session.get(ProcurementPlan, second))
    third = filed_plan(app, "zz_clerk", submit=False)
    assert stored(app, third).intention_id == intention


def test_returned_and_completed_plans_hold_their_intention(app: Any) -> None:
    returned = filed_plan(app, "zz_clerk")
    act(app, "zz_competent", returned, action="return", opinion="请补充说明")
    assert refusal_of_new_plan(app) == taken("已退回", stored(app, returned))
    save_again(app, returned, linked=False, intention_id=None, unlinked_reason="改为不关联")
    completed = filed_plan(app, "zz_clerk")
    for username in ("zz_competent", "zz_div_first", "zz_div_review"):
        act(app, username, completed)
    plan = stored(app, completed)
    assert plan.status == "completed" and plan.plan_number
    assert refusal_of_new_plan(app) == taken("已完成", plan)
    assert f"，编号{plan.plan_number}" in refusal_of_new_plan(app)


def test_form_offers_only_free_intentions_and_rest_refuses_a_taken_one(
        app: Any, login_as: Any, client: Any, api_token: Any) -> None:
    intention = demo_intention(app)
    web = login_as("zz_clerk")

    def picker(path: str) -> list[int]:
        page = web.get(path).get_data(as_text=True)
        chosen = page.split('name="intention_id"', 1)[1].split("</select>", 1)[0]
        return [int(pk) for pk in re.findall(r'<option value="(\d+)"', chosen)]

    assert picker("/procurementplanview/add") == [intention]
    first = filed_plan(app, "zz_clerk", submit=False)
    assert picker("/procurementplanview/add") == []
    assert picker(f"/procurementplanview/edit/{first}") == [intention]

    from tests.test_plans_api import zz_body

    refused = client.post(PLANS, json=zz_body(app, True), headers=api_token("zz_clerk"))
    assert refused.status_code == 422
    assert refused.get_json() == {"code": "invalid", "field": "intention_id",
                                  "message": taken("草稿", stored(app, first))}
    with app.app_context():
        session = app.appbuilder.session
        assert session.scalar(select(Intention.status).where(Intention.id == intention)) == \
            "published"
        assert len(list(session.scalars(select(ProcurementPlan.id).where(
            ProcurementPlan.intention_id == intention)))) == 1



def test_a_second_plan_waits_for_the_first_and_is_then_refused(app: Any, database: Any) -> None:
    """The intention's row is locked while a plan links it: a second plan saved meanwhile
    waits, and once the first commits it is refused instead of taking the intention too."""
    if database.backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite (development) runs one writer at a time")
    from sqlalchemy.orm import Session

    from app.extensions import db

    outcome: list[str] = []

    def save(session: Session, **overrides: Any) -> ProcurementPlan:
        clerk = operator(session, "zz_clerk")
        return plans.save_plan(session, clerk, plan_input(session, clerk, **overrides), {})

    def second() -> None:
        # 公用经费: no 用款计划 whose lock would make it wait anyway.
        with app.app_context(), Session(db.engine) as session:
            try:
                save(session, fund_source="public_funds", fundings={})
                session.commit()
                outcome.append("saved")
            except ValidationFailed as exc:
                outcome.append(exc.message)

    with app.app_context(), Session(db.engine) as first:
        holder = save(first)
        waiting = threading.Thread(target=second)
        waiting.start()
        waiting.join(1.5)
        assert waiting.is_alive() and outcome == []  # blocked on the intention's row
        first.commit()
        waiting.join(30)
        assert outcome == [taken("草稿", holder)]
