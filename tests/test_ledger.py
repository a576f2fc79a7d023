"""The ledger's allocation loop (one for plans and contracts) and the shared record helpers."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.permissions import CLERK
from app.services.errors import (
    AmountTooLarge,
    InvalidAmount,
    NotInScope,
    PermissionDenied,
    ValidationFailed,
)
from app.services.ledger import Room, allocate, chosen
from app.services.records import (
    PENDING_UNIT,
    clerk_of,
    optional_text,
    required_text,
    status_label,
)
from models import UnitKind

SERVICES = Path(__file__).resolve().parents[1] / "app" / "services"
ROOMS = {1: Room("YK-1", Decimal("100.00"), Decimal("40.00")), 2: Room("YK-2", Decimal("50.00"))}
OUTSIDE = NotInScope("只能选择本单位的用款计划。", field="fundings")


def plan_style(wanted: dict[int, Any]) -> dict[int, Decimal]:
    return allocate(wanted, ROOMS, "本次申请使用金额", "拟可用金额", OUTSIDE)


def test_chosen_skips_blank_and_zero() -> None:
    assert chosen({1: "", 2: " ", 3: "0", 4: "0.00", 5: "1"}) == {4: "0.00", 5: "1"}


def test_allocation_in_the_order_asked() -> None:
    assert list(plan_style({2: "50", 1: " 60.00 ", 3: ""}).items()) == [
        (2, Decimal("50.00")), (1, Decimal("60.00"))]
    assert plan_style({1: "", 2: "0"}) == {}


def test_over_what_is_left() -> None:
    with pytest.raises(AmountTooLarge) as caught:
        plan_style({1: "60.01"})
    assert caught.value.message == (
        "用款计划“YK-1”的本次申请使用金额60.01 元超过拟可用金额60.00 元。")


def test_cumulative_message() -> None:
    with pytest.raises(AmountTooLarge) as caught:
        allocate({1: "60.01"}, ROOMS, "本合同拟使用计划金额", "申请使用计划金额",
                 ValidationFailed("只能使用该采购计划申请的用款计划。"), cumulative=True)
    assert caught.value.message == (
        "用款计划“YK-1”的本合同拟使用计划金额累计100.01 元超过申请使用计划金额100.00 元。")


def test_outside_and_bad_amounts() -> None:
    with pytest.raises(NotInScope) as caught:
        plan_style({9: "1"})
    assert caught.value is OUTSIDE
    with pytest.raises(InvalidAmount, match="^用款计划“YK-2”的本次申请使用金额最多保留两位小数。$"):
        plan_style({2: "1.005"})
    with pytest.raises(InvalidAmount, match="^用款计划“YK-2”的本次申请使用金额必须大于0。$"):
        plan_style({2: "0.00"})


def test_one_status_label() -> None:
    assert [status_label(s) for s in ("draft", "in_review", "returned", "withdrawn",
                                      "completed", "published")] == [
        "草稿", "审核中", "已退回", "已撤回", "已完成", "已公开"]
    assert status_label("unknown") == "unknown" and status_label(None) == ""


def test_text_helpers() -> None:
    assert required_text("  名称 ", "名称") == "名称"
    assert optional_text(None, "备注") == "" and optional_text(" 备 ", "备注") == "备"
    with pytest.raises(ValidationFailed) as caught:
        required_text(" ", "撤回原因", field="reason")
    assert (caught.value.message, caught.value.field) == ("请填写撤回原因。", "reason")
    with pytest.raises(ValidationFailed, match="^备注不能超过3个字。$"):
        optional_text("备注备注", "备注", 3)
    assert required_text("长" * 5000, "变更原因", None) == "长" * 5000


def operator(post: str = CLERK, kind: UnitKind = UnitKind.purchaser, active: bool = True,
             unit: bool = True) -> Any:
    found = SimpleNamespace(kind=kind, active=active) if unit else None
    return SimpleNamespace(post_code=post, unit_id=1 if unit else None, unit=found)


def test_one_clerk_guard() -> None:
    clerk = operator()
    assert clerk_of(clerk) is clerk
    for other in (None, operator(post="internal_reviewer"), operator(unit=False),
                  operator(kind=UnitKind.division)):
        with pytest.raises(PermissionDenied, match="^只有采购单位经办岗可以办理此项业务。$"):
            clerk_of(other)
    with pytest.raises(PermissionDenied, match="^只有采购单位经办岗可以办理采购意向。$"):
        clerk_of(None, "采购意向")
    with pytest.raises(PermissionDenied, match=f"^{PENDING_UNIT}$"):
        clerk_of(operator(active=False))


def _service_imports(path: Path) -> tuple[set[str], list[str]]:
    """(app.services modules imported at the top, those imported inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def names(node: ast.AST) -> list[str]:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "app.services":
                return [f"app.services.{a.name}" for a in node.names]
            return [node.module] if node.module.startswith("app.services") else []
        return []

    top = {name for node in tree.body for name in names(node)}
    inner = [name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
             for node in ast.walk(fn) for name in names(node)]
    return top, inner


def test_the_ledger_and_money_are_leaves() -> None:
    ledger, inner = _service_imports(SERVICES / "ledger.py")
    assert ledger <= {"app.services.errors", "app.services.money"} and not inner
    money, inner = _service_imports(SERVICES / "money.py")
    assert money <= {"app.services.errors"} and not inner


@pytest.mark.parametrize("module", ["plans", "contracts", "payments", "spending_plans", "changes",
                                    "intentions", "bids", "records"])
def test_no_function_level_imports_of_services(module: str) -> None:
    assert _service_imports(SERVICES / f"{module}.py")[1] == []
