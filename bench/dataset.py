"""The benchmark dataset: organisations and filings made through the services.

:func:`seed` builds the small dataset (about 10k history rows) entirely through the services,
with the clock set back so that filings spread over the past year. :func:`grow` then takes the
hot reviewer's queue to its target through the services too, and reaches the history target by
replicating the closed filings of the small dataset inside their own units (see
:mod:`bench.replicate`): every replicated row is a copy of a state the services produced.

The services never commit: like a page or a CLI command, each call here is its own
:func:`~app.transaction.unit_of_work`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import app.services.plans as plan_service
import app.services.workflow as flow
from app.demo_flows import DEMO_PASSWORD
from app.services.notifications import holders
from app.services.operators import create_operator
from app.services.organisation import validate_division, validate_unit
from app.services.reminders import run_reminders
from app.services.spending_plans import Row, import_rows
from app.timezone import utcnow
from app.transaction import unit_of_work
from models import (
    CatalogueItem,
    Operator,
    ProcurementPlan,
    Region,
    SpendingPlan,
    Unit,
    UnitKind,
    WorkflowHistory,
    WorkflowTask,
)
from workflow import Decision

BENCH_CODE = "bench"  # unit codes of generated units: <region>b<nnn>
HOT_REVIEWER = "pds_div_first"  # 平顶山 division 1, reviewing 平顶山市教育局 and its units
PLAN_REGIONS = ("sj", "pds")  # 郑州 plans need intention links or proofs: not generated
ITEM_CODE = "A05010201"  # 办公桌椅: outside the mall and the centralised catalogue
# One flow per template plan: S submit, W withdraw, A approve, R return (see _act).
FLOWS = {
    "draft": "",
    "withdrawn": "SW",
    "returned": "SR",
    "at_competent": "S",
    "at_division": "SA",
    "completed": "SAAA",
    "completed_after_return": "SARSAAA",
    "completed_after_bounce": "SRSAARAA",
}
OPEN_FLOWS = ("at_competent", "at_division")
RETURN_ACTION = {"division_review": "return_first"}


@dataclass(frozen=True)
class Scale:
    """How big the dataset grows."""

    units_per_region: int  # purchasing units per region
    small_hot_open_tasks: int  # open tasks of the hot reviewer in the small dataset
    hot_open_tasks: int  # open tasks of the hot reviewer after growing
    overdue_tasks: int  # open tasks past their deadline after growing
    history_rows: int  # history rows after growing
    plans: int  # plans after growing (at least)


POSTGRES = Scale(200, 300, 10_000, 1_000, 1_000_000, 100_000)
SQLITE = Scale(40, 300, 1_000, 100, 100_000, 10_000)


@contextmanager
def clock(at: datetime) -> Iterator[None]:
    """Let the services stamp ``at`` (naive UTC) instead of the time now.

    The services read the time through their module's ``utcnow``; this is the same seam the
    reminder tests drive.
    """
    saved = flow.utcnow, plan_service.utcnow
    flow.utcnow = plan_service.utcnow = lambda: at
    try:
        yield
    finally:
        flow.utcnow, plan_service.utcnow = saved


def _operator(session: Session, username: str) -> Operator:
    return session.scalars(select(Operator).where(Operator.username == username)).one()


class Phones:
    """Unique mobile numbers for generated operators."""

    def __init__(self, session: Session) -> None:
        used = session.scalar(select(func.count(Operator.id))) or 0
        self._next = 13700000000 + used

    def __call__(self) -> str:
        self._next += 1
        return str(self._next)


def _reviewers(session: Session, region: Region, phone: Phones) -> None:
    """Reviewers for the second competent department and division the demo leaves unstaffed."""
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.region_id == region.id))}
    p = region.code
    for code, post, username in ((f"{p}02", "competent_reviewer", f"{p}_competent2"),
                                 (f"{p}d2", "division_first", f"{p}_div_first2"),
                                 (f"{p}d2", "division_review", f"{p}_div_review2")):
        if not holders(session, units[code].id, post):
            create_operator(session, name=f"{region.name}审核人{post[:3]}", phone=phone(),
                            password=DEMO_PASSWORD, post_code=post, unit=units[code],
                            username=username)


def add_units(session: Session, scale: Scale) -> list[Unit]:
    """Purchasing units (each with a clerk and a 用款计划) up to ``units_per_region``.

    :returns: the units that file plans in the benchmark, in a stable order
    """
    phone = Phones(session)
    admin = _operator(session, "admin")
    rows: list[Row] = []
    for region in session.scalars(select(Region).order_by(Region.sort_order)):
        _reviewers(session, region, phone)
        competents = list(session.scalars(
            select(Unit).where(Unit.region_id == region.id, Unit.kind == UnitKind.purchaser,
                               Unit.parent_id.is_(None)).order_by(Unit.code)))
        have = session.scalar(select(func.count(Unit.id)).where(
            Unit.region_id == region.id, Unit.kind == UnitKind.purchaser)) or 0
        for n in range(have, scale.units_per_region):
            parent = competents[n % len(competents)]
            unit = Unit(code=f"{region.code}b{n:03d}", name=f"{parent.name}直属单位{n:03d}",
                        kind=UnitKind.purchaser, region=region, parent=parent, active=True)
            validate_unit(session, unit)
            session.add(unit)
            session.flush()
            create_operator(session, name=f"经办人{unit.code}", phone=phone(),
                            password=DEMO_PASSWORD, post_code="clerk", unit=unit,
                            username=f"{unit.code}_clerk")
            rows.append(Row(len(rows) + 1, {
                "external_no": f"YK-{unit.code}", "unit_code": unit.code,
                "name": "公用经费及专项业务经费", "year": utcnow().year,
                "plan_amount": "100000000.00"}))
        for division in session.scalars(select(Unit).where(
                Unit.region_id == region.id, Unit.kind == UnitKind.division)):
            validate_division(session, division)
    session.commit()
    for start in range(0, len(rows), 1000):
        with unit_of_work(session):
            import_rows(session, admin, rows[start:start + 1000])
    return filing_units(session)


def filing_units(session: Session) -> list[Unit]:
    """The generated units of the regions whose plans the benchmark files."""
    return list(session.scalars(
        select(Unit).join(Region, Unit.region_id == Region.id)
        .where(Region.code.in_(PLAN_REGIONS), Unit.code.like("%b___")).order_by(Unit.code)))


class Filer:
    """Files plans and moves them along their chain through the services."""

    def __init__(self, session: Session, seed: int = 2026) -> None:
        self.session = session
        self.random = random.Random(seed)
        self.item = session.scalar(select(CatalogueItem.id).where(CatalogueItem.code == ITEM_CODE))
        self._clerks: dict[int, Operator] = {}
        self._spending: dict[int, int] = {}
        self._count = session.scalar(select(func.count(ProcurementPlan.id))) or 0

    def _clerk(self, unit: Unit) -> Operator:
        if unit.id not in self._clerks:
            self._clerks[unit.id] = holders(self.session, unit.id, "clerk")[0]
            self._spending[unit.id] = self.session.scalar(
                select(SpendingPlan.id).where(SpendingPlan.unit_id == unit.id))
        return self._clerks[unit.id]

    def file(self, unit: Unit, flow_name: str, start: datetime) -> ProcurementPlan:
        """Save a plan at ``start`` and play ``FLOWS[flow_name]`` on it, an hour per step."""
        clerk = self._clerk(unit)
        self._count += 1
        amount = f"{self.random.randrange(50, 900) * 1000}.00"
        data = plan_service.PlanInput(
            project_name=f"{unit.name}办公设备采购项目{self._count:06d}",
            fund_source="spending_plan", fiscal_amount=amount,
            items=[plan_service.ItemInput(self.item, "10", amount, "open_tender", "",
                                          "decentralised")],
            fundings={self._spending[unit.id]: amount})
        with clock(start), unit_of_work(self.session):
            plan = plan_service.save_plan(self.session, clerk, data, {})
        at = start
        for step in FLOWS[flow_name]:
            at += timedelta(hours=1)
            with clock(at), unit_of_work(self.session):
                self._act(plan, clerk, step)
        return plan

    def _act(self, plan: ProcurementPlan, clerk: Operator, step: str) -> None:
        session = self.session
        if step == "S":
            flow.submit_record(session, plan_service.RECORD, plan, clerk)
            return
        if step == "W":
            flow.withdraw_record(session, plan_service.RECORD, plan, clerk)
            return
        instance = flow.instance_of(session, plan_service.RECORD, plan.id)
        task = session.scalars(select(WorkflowTask).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open")).one()
        reviewer = holders(session, task.unit_id, task.post_code)[0]
        action = "approve" if step == "A" else RETURN_ACTION.get(task.step, "return")
        flow.act_on_task(session, task.id, reviewer, Decision(action, "同意" if step == "A"
                                                              else "请补充采购需求说明。"),
                         task.version)


def seed(session: Session, scale: Scale, now: datetime | None = None) -> None:
    """The small dataset: units, then eight template plans per filing unit (26 history rows).

    Closed plans spread over the past year; open ones arrived in the last working day, except
    one in ten that has waited three to six weeks (so the reminder scan has work).
    """
    now = now or utcnow()
    units = add_units(session, scale)
    filer = Filer(session)
    for unit in units:
        for name in FLOWS:
            if name in OPEN_FLOWS:
                late = filer.random.random() < 0.1
                start = now - timedelta(days=filer.random.randint(21, 42) if late else 0,
                                        hours=filer.random.randint(2, 20))
            else:
                start = now - timedelta(days=filer.random.randint(7, 365))
            filer.file(unit, name, start)
    fill_hot_queue(session, scale.small_hot_open_tasks, 0, now)


def settle_reminders(session: Session, now: datetime) -> int:
    """Run the reminder scan until nothing is due, as the scheduler would have."""
    total = 0
    while True:
        with unit_of_work(session):
            run = run_reminders(session, now)
        total += run.reminded + run.escalated
        if run.reminded + run.escalated == 0:
            return total


def hot_units(session: Session) -> list[Unit]:
    """Filing units whose plans reach the hot reviewer (``HOT_REVIEWER``'s division)."""
    reviewer = _operator(session, HOT_REVIEWER)
    division = session.get(Unit, reviewer.unit_id)
    competent_ids = {c.id for c in division.competents}
    return [u for u in filing_units(session) if u.parent_id in competent_ids]


def open_tasks_of(session: Session, username: str) -> int:
    """How many open tasks ``username`` has."""
    reviewer = _operator(session, username)
    return session.scalar(select(func.count(WorkflowTask.id)).where(
        WorkflowTask.status == "open", WorkflowTask.unit_id == reviewer.unit_id,
        WorkflowTask.post_code == reviewer.post_code)) or 0


def fill_hot_queue(session: Session, target: int, overdue_target: int,
                   now: datetime | None = None) -> int:
    """File plans until the hot reviewer has ``target`` open tasks and ``overdue_target`` open
    tasks in all are overdue; then run the reminder scan as the scheduler would have.

    :returns: how many plans were filed
    """
    now = now or utcnow()
    units = hot_units(session)
    filer = Filer(session, seed=7)
    missing = target - open_tasks_of(session, HOT_REVIEWER)
    overdue = session.scalar(select(func.count(WorkflowTask.id)).where(
        WorkflowTask.status == "open", WorkflowTask.escalated_on.is_not(None))) or 0
    late = max(0, overdue_target - overdue)
    for n in range(max(0, missing)):
        days = filer.random.randint(21, 60) if n < late else 0
        filer.file(units[n % len(units)], "at_division",
                   now - timedelta(days=days, hours=filer.random.randint(3, 20)))
    settle_reminders(session, now)
    return max(0, missing)


def history_rows(session: Session) -> int:
    """How many history rows there are."""
    return session.scalar(select(func.count(WorkflowHistory.id))) or 0


def counts(session: Session) -> dict[str, Any]:
    """The figures the benchmark reports about its dataset."""
    return {
        "units": session.scalar(select(func.count(Unit.id))),
        "plans": session.scalar(select(func.count(ProcurementPlan.id))),
        "history": history_rows(session),
        "hot_open_tasks": open_tasks_of(session, HOT_REVIEWER),
        "open_tasks": session.scalar(select(func.count(WorkflowTask.id)).where(
            WorkflowTask.status == "open")),
        "overdue_tasks": session.scalar(select(func.count(WorkflowTask.id)).where(
            WorkflowTask.status == "open", WorkflowTask.escalated_on.is_not(None))),
        "plans_by_status": dict(session.execute(
            select(ProcurementPlan.status, func.count(ProcurementPlan.id))
            .group_by(ProcurementPlan.status)).all()),
        "amount_check": str(session.scalar(select(func.sum(ProcurementPlan.fiscal_amount)))
                            or Decimal("0")),
    }
