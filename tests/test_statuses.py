"""Statuses are StrEnums whose values are what the database has always stored; the record types
of the chains are what the workflow adapter's WorkflowRecord protocol says."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import pytest
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.orm import Mapper, Session

from app.services.workflow_registry import WorkflowRecord, WorkflowRegistry, registry
from models import (
    BidChangeFiling,
    IntentionStatus,
    PaymentEventKind,
    PaymentStatus,
    ProcurementPlan,
    TaskStatus,
)
from workflow import Status


@pytest.mark.parametrize(("enum", "values"), [
    (Status, ["draft", "in_review", "returned", "withdrawn", "completed"]),
    (TaskStatus, ["open", "done", "cancelled"]),
    (PaymentStatus, ["draft", "sent", "paid", "returned"]),
    (PaymentEventKind, ["paid", "returned", "refunded"]),
    (IntentionStatus, ["draft", "published", "withdrawn"]),
])
def test_stored_values_are_unchanged(enum: type[StrEnum], values: list[str]) -> None:
    assert [member.value for member in enum] == values
    for member in enum:
        assert member == member.value and str(member) == member.value
        assert f"{member}" == member.value and hash(member) == hash(member.value)


def test_every_record_type_has_what_the_adapter_reads(app: Flask) -> None:
    with app.app_context():
        for name, kind in registry().records.items():
            mapper = inspect(kind.model)
            assert isinstance(mapper, Mapper)
            columns = mapper.attrs.keys()
            for attribute in WorkflowRecord.__annotations__:
                assert attribute in columns, f"{name}: {kind.model.__name__}.{attribute}"


def test_a_record_hook_refuses_a_record_of_another_type() -> None:
    seen: list[ProcurementPlan] = []
    hooks = WorkflowRegistry()
    hooks.record_hook("numbered", ProcurementPlan, lambda session, plan: seen.append(plan))
    plan = ProcurementPlan()
    hooks.hooks["numbered"](Session(), plan)
    assert seen == [plan]
    filing = BidChangeFiling(completed_on=datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="numbered applies to ProcurementPlan"):
        hooks.hooks["numbered"](Session(), filing)
