"""The benchmark dataset is made of states the services produce, copies included."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.services.ledger import amounts
from bench import dataset, replicate
from models import (
    PlanNumberSequence,
    ProcurementPlan,
    SpendingPlan,
    WorkflowHistory,
    WorkflowInstance,
    WorkflowTask,
)

TINY = dataset.Scale(units_per_region=8, small_hot_open_tasks=6, hot_open_tasks=8,
                     overdue_tasks=2, history_rows=0, plans=0)


def test_seed_and_copies_keep_every_invariant(app: Flask) -> None:
    with app.app_context():
        session = app.appbuilder.session
        dataset.seed(session, TINY)
        # The services never commit: the builder's own units of work must have.
        seeded = dataset.counts(session)
        session.rollback()
        assert dataset.counts(session) == seeded
        assert dataset.open_tasks_of(session, dataset.HOT_REVIEWER) >= 6
        assert dataset.fill_hot_queue(session, TINY.hot_open_tasks, TINY.overdue_tasks) >= 2
        before = dataset.counts(session)
        templates = replicate.measure_templates(session)
        for k in (1, 2):
            replicate.copy_once(session, templates, k)
        replicate.number_copies(session)
        replicate.finish(session)
        after = dataset.counts(session)

        assert after["plans"] == before["plans"] + 2 * templates.plans
        assert after["history"] == before["history"] + 2 * templates.history
        assert after["hot_open_tasks"] == before["hot_open_tasks"] == 8
        assert after["overdue_tasks"] >= 2
        # Every plan number once, and each sequence is 1…last without a gap.
        numbers = session.scalars(select(ProcurementPlan.plan_number).where(
            ProcurementPlan.plan_number.is_not(None))).all()
        assert len(numbers) == len(set(numbers)) == after["plans_by_status"]["completed"]
        issued: dict[str, list[int]] = defaultdict(list)
        for number in numbers:
            prefix, value = number.rsplit("-", 1)
            issued[prefix].append(int(value))
        for sequence in session.scalars(select(PlanNumberSequence)):
            values = [v for prefix, found in issued.items()
                      if prefix.endswith(f"{sequence.method_short}采购-{sequence.year}")
                      and prefix.startswith(sequence.region.short_name) for v in found]
            assert sorted(values) == list(range(1, sequence.last_value + 1))
        # No 用款计划 is over-committed, copies included.
        plans = session.scalars(select(SpendingPlan.id)).all()
        for held in amounts(session, plans).values():
            assert held.available >= Decimal("0")
        # An instance's status, record and open tasks agree.
        open_tasks = Counter(session.scalars(select(WorkflowTask.instance_id).where(
            WorkflowTask.status == "open")))
        for instance in session.scalars(select(WorkflowInstance)):
            record = session.get(ProcurementPlan, instance.record_id) \
                if instance.record_type == "procurement_plan" else None
            if record is not None:
                assert record.status == instance.status
            assert open_tasks[instance.id] == (instance.status == "in_review")
            assert session.scalar(select(func.count(WorkflowHistory.id)).where(
                WorkflowHistory.instance_id == instance.id)) >= 1
    with app.app_context():  # a session of its own sees all of it: it is committed
        assert dataset.counts(db.session()) == after
