"""Grow the benchmark dataset by copying closed filings the services produced.

A copy keeps its unit, its chain and every row of its history; only ids, dates (moved back by
whole weeks) and the 用款计划 it draws on change, so that no 用款计划 is over-committed. Each
copy of a completed plan gets the next number of its region, method and year, as the service
would have given. Open plans are never copied: every open task comes from the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, func, insert, literal, select, text, update
from sqlalchemy.orm import Session

from app.services.plan_numbers import format_plan_number
from app.timezone import to_business
from bench.dataset import filing_units
from models import (
    METHOD_SHORT,
    PlanFunding,
    PlanItem,
    PlanNumberSequence,
    ProcurementPlan,
    Region,
    SpendingPlan,
    Unit,
    WorkflowHistory,
    WorkflowInstance,
    WorkflowTask,
)

CLOSED = ("draft", "withdrawn", "returned", "completed")
RECORD = "procurement_plan"
WEEK_DAYS = 7
TABLES = (SpendingPlan, ProcurementPlan, PlanItem, PlanFunding, WorkflowInstance, WorkflowTask,
          WorkflowHistory)


@dataclass(frozen=True)
class Templates:
    """What one copy adds, and the id span that keeps copies apart."""

    span: dict[str, int]  # table name → max(id) + 1 before the first copy
    unit_ids: tuple[int, ...]  # the filing units
    plans: int
    history: int


def _shift(session: Session, column: Any, days: int) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.datetime(column, f"-{days} days")
    return column - timedelta(days=days)


def _template_plans(span: dict[str, int], unit_ids: tuple[int, ...]) -> Any:
    return select(ProcurementPlan.id).where(
        ProcurementPlan.unit_id.in_(unit_ids), ProcurementPlan.status.in_(CLOSED),
        ProcurementPlan.id < span["procurement_plan"])


def measure_templates(session: Session) -> Templates:
    """The template set: closed plans of the filing units as they are now."""
    unit_ids = tuple(u.id for u in filing_units(session))
    span = {model.__table__.name: (session.scalar(select(func.max(model.id))) or 0) + 1
            for model in TABLES}
    plans = _template_plans(span, unit_ids)
    instances = select(WorkflowInstance.id).where(WorkflowInstance.record_type == RECORD,
                                                  WorkflowInstance.record_id.in_(plans))
    return Templates(
        span=span, unit_ids=unit_ids,
        plans=session.scalar(select(func.count()).select_from(plans.subquery())) or 0,
        history=session.scalar(select(func.count(WorkflowHistory.id))
                               .where(WorkflowHistory.instance_id.in_(instances))) or 0,
    )


def _copy(session: Session, table: Table, where: Any, overrides: dict[str, Any]) -> None:
    names = [c.name for c in table.columns]
    columns = [overrides[n].label(n) if n in overrides else table.c[n] for n in names]
    session.execute(insert(table).from_select(names, select(*columns).where(where)))


def copy_once(session: Session, templates: Templates, k: int) -> None:
    """Add copy number ``k`` (1, 2, …) of every template, ``k`` weeks earlier; commits."""
    span = templates.span
    days = k * WEEK_DAYS

    def moved(table: Table, name: str) -> Any:
        return _shift(session, table.c[name], days)

    def key(table: Table, name: str, of: str) -> Any:
        return table.c[name] + k * span[of]

    plans = _template_plans(span, templates.unit_ids)
    instances = select(WorkflowInstance.id).where(WorkflowInstance.record_type == RECORD,
                                                  WorkflowInstance.record_id.in_(plans))
    sp, pp, pi, pf = (m.__table__ for m in (SpendingPlan, ProcurementPlan, PlanItem,
                                            PlanFunding))
    wi, wt, wh = (m.__table__ for m in (WorkflowInstance, WorkflowTask, WorkflowHistory))
    _copy(session, sp, sp.c.unit_id.in_(templates.unit_ids) & (sp.c.id < span["spending_plan"]),
          {"id": key(sp, "id", "spending_plan"), "imported_on": moved(sp, "imported_on"),
           "external_no": sp.c.external_no + literal(f"-R{k}")})
    _copy(session, pp, pp.c.id.in_(plans),
          {"id": key(pp, "id", "procurement_plan"), "plan_number": literal(None),
           "created_on": moved(pp, "created_on"), "completed_on": moved(pp, "completed_on")})
    _copy(session, pi, pi.c.plan_id.in_(plans),
          {"id": key(pi, "id", "plan_item"), "plan_id": key(pi, "plan_id", "procurement_plan")})
    _copy(session, pf, pf.c.plan_id.in_(plans),
          {"id": key(pf, "id", "plan_funding"), "plan_id": key(pf, "plan_id", "procurement_plan"),
           "spending_plan_id": key(pf, "spending_plan_id", "spending_plan")})
    _copy(session, wi, wi.c.id.in_(instances),
          {"id": key(wi, "id", "workflow_instance"),
           "record_id": key(wi, "record_id", "procurement_plan"),
           "submitted_on": moved(wi, "submitted_on"), "updated_on": moved(wi, "updated_on")})
    _copy(session, wt, wt.c.instance_id.in_(instances),
          {"id": key(wt, "id", "workflow_task"),
           "instance_id": key(wt, "instance_id", "workflow_instance"),
           **{n: moved(wt, n) for n in ("created_on", "acted_on", "next_remind_on", "due_on",
                                        "escalated_on")}})
    _copy(session, wh, wh.c.instance_id.in_(instances),
          {"id": key(wh, "id", "workflow_history"),
           "instance_id": key(wh, "instance_id", "workflow_instance"),
           "created_on": moved(wh, "created_on")})
    session.commit()


def number_copies(session: Session) -> int:
    """Give every numberless completed plan the next number of its sequence, oldest first."""
    rows = session.execute(
        select(ProcurementPlan.id, ProcurementPlan.method, ProcurementPlan.completed_on,
               Region.id, Region.short_name)
        .join(Unit, ProcurementPlan.unit_id == Unit.id).join(Region, Unit.region_id == Region.id)
        .where(ProcurementPlan.status == "completed", ProcurementPlan.plan_number.is_(None))
        .order_by(ProcurementPlan.completed_on, ProcurementPlan.id)).all()
    last = {(s.region_id, s.method_short, s.year): s.last_value
            for s in session.scalars(select(PlanNumberSequence))}
    fresh: set[tuple[int, str, int]] = set()
    numbers: list[dict[str, Any]] = []
    for plan_id, method, completed_on, region_id, short_name in rows:
        seq = (region_id, METHOD_SHORT[method], to_business(completed_on).year)
        if seq not in last:
            fresh.add(seq)
        last[seq] = last.get(seq, 0) + 1
        numbers.append({"id": plan_id, "plan_number": format_plan_number(short_name, seq[1],
                                                                          seq[2], last[seq])})
    if numbers:
        session.execute(update(ProcurementPlan), numbers)
    for seq, value in last.items():
        if seq in fresh:
            session.add(PlanNumberSequence(region_id=seq[0], method_short=seq[1], year=seq[2],
                                           last_value=value))
        else:
            session.execute(update(PlanNumberSequence).where(
                PlanNumberSequence.region_id == seq[0], PlanNumberSequence.method_short == seq[1],
                PlanNumberSequence.year == seq[2]).values(last_value=value))
    session.commit()
    return len(numbers)


def finish(session: Session) -> None:
    """Move PostgreSQL's id sequences past the copies and refresh the planner's statistics."""
    if session.get_bind().dialect.name == "postgresql":
        for model in TABLES:
            name = model.__table__.name
            session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT max(id) FROM {name}))"))
        session.commit()
        with session.get_bind().connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()
