"""Plans built through the services, and a helper to walk them through their chain."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.services import plans
from app.services import workflow as flow
from app.timezone import business_today
from app.transaction import unit_of_work
from models import (
    CatalogueItem,
    Intention,
    Operator,
    PlanNumberSequence,
    Region,
    SpendingPlan,
    WorkflowTask,
)
from workflow import Decision


def pdf(name: str = "说明.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4 proof"), filename=name)


def catalogue_id(session: Any, code: str) -> int:
    return session.scalar(select(CatalogueItem.id).where(CatalogueItem.code == code))


def operator(session: Any, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def linkable_intention(session: Any, clerk: Operator) -> Intention:
    """The demo intention published 45 days ago."""
    return session.scalar(select(Intention).where(
        Intention.unit_id == clerk.unit_id, Intention.project_name.like("%物业管理%")))


def plan_input(session: Any, clerk: Operator, **overrides: Any) -> plans.PlanInput:
    """A valid plan of 20,000.00 元 for office furniture paid from the unit's first 用款计划."""
    spending = session.scalar(select(SpendingPlan).where(SpendingPlan.unit_id == clerk.unit_id)
                              .order_by(SpendingPlan.external_no))
    data: dict[str, Any] = dict(
        project_name="办公家具采购", fund_source="spending_plan", fiscal_amount="20000.00",
        own_amount="0", items=[plans.ItemInput(catalogue_id(session, "A05010201"), "10",
                                               "20000.00", "open_tender", "", "decentralised")],
        fundings={spending.id: "20000.00"},
    )
    if clerk.unit.region.code == "zz":
        data.update(linked=True, intention_id=linkable_intention(session, clerk).id)
    data.update(overrides)
    return plans.PlanInput(**data)


def filed_plan(app: Flask, username: str = "zz_clerk", submit: bool = True,
               **overrides: Any) -> int:
    """A saved (and by default submitted) plan; returns its id."""
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, username)
        with unit_of_work(session):
            plan = plans.save_plan(session, clerk, plan_input(session, clerk, **overrides),
                                   {"import_proof": pdf(), "unlinked_proof": pdf()})
            if submit:
                flow.submit_record(session, plans.RECORD, plan, clerk)
        return plan.id


def act(app: Flask, username: str, plan_id: int, action: str = "approve", opinion: str = "同意",
        **choices: str) -> Any:
    """The reviewer acts on the plan's open task; returns the transition."""
    with app.test_request_context():
        session = app.appbuilder.session
        reviewer = operator(session, username)
        instance = flow.instance_of(session, plans.RECORD, plan_id)
        task = session.scalar(select(WorkflowTask).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
        assert task is not None, f"no open task for plan {plan_id}"
        with unit_of_work(session):
            return flow.act_on_task(session, task.id, reviewer,
                                    Decision(action, opinion, choices), task.version)


def current_step(app: Flask, plan_id: int) -> tuple[str, str | None]:
    with app.app_context():
        instance = flow.instance_of(app.appbuilder.session, plans.RECORD, plan_id)
        return instance.status, instance.step



def issued_numbers(app: Flask, region: str = "pds", short: str = "招标") -> int:
    """How many plan numbers the region has issued this year for the method (demo data uses some)."""
    with app.app_context():
        session = app.appbuilder.session
        return session.scalar(
            select(PlanNumberSequence.last_value).join(Region)
            .where(Region.code == region, PlanNumberSequence.method_short == short,
                   PlanNumberSequence.year == business_today().year)) or 0
