"""政府采购计划编号: gapless per region, method and year, allocated in the approving transaction."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.timezone import business_today
from models import METHOD_SHORT, Method, PlanItem, PlanNumberSequence, ProcurementPlan


def main_method(items: list[PlanItem]) -> Method:
    """The method that names the plan: the one carrying the largest share of its amount."""
    totals: dict[Method, Decimal] = defaultdict(Decimal)
    for item in items:
        totals[item.method] += item.amount
    return max(totals, key=lambda method: (totals[method], -list(Method).index(method)))


def next_number(session: Session, region_id: int, method_short: str, year: int) -> int:
    """Take the next sequence value; the row stays locked until the transaction ends.

    The increment happens in the caller's transaction: if it rolls back (a returned or failed
    approval), the number is not consumed, so the sequence has no gaps.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(PlanNumberSequence)
        .values(region_id=region_id, method_short=method_short, year=year, last_value=0)
        .on_conflict_do_nothing(index_elements=["region_id", "method_short", "year"])
    )
    return session.execute(
        update(PlanNumberSequence)
        .where(PlanNumberSequence.region_id == region_id,
               PlanNumberSequence.method_short == method_short,
               PlanNumberSequence.year == year)
        .values(last_value=PlanNumberSequence.last_value + 1)
        .returning(PlanNumberSequence.last_value)
    ).scalar_one()


def format_plan_number(region_short: str, method_short: str, year: int, number: int) -> str:
    """The printed form of a plan number, e.g. 豫财招标采购-2026-1289."""
    return f"{region_short}财{method_short}采购-{year}-{number}"


def assign_plan_number(session: Session, plan: ProcurementPlan) -> str:
    """Give a completed plan its number, e.g. 豫财招标采购-2026-1289 (idempotent)."""
    if plan.plan_number:
        return plan.plan_number
    region = plan.unit.region
    short = METHOD_SHORT[plan.method]
    year = business_today().year
    number = next_number(session, region.id, short, year)
    plan.plan_number = format_plan_number(region.short_name, short, year, number)
    return plan.plan_number
