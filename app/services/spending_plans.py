"""用款计划: import from the budget execution system (file or API).

Only 计划金额 is stored; what filed plans requested and what was paid are always computed, by
``app.services.ledger``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any, NamedTuple

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.permissions import SYS_ADMIN
from app.services import reductions
from app.services.errors import Conflict, PermissionDenied, ValidationFailed
from app.services.ledger import PlanAmounts, amounts
from app.services.money import format_money, parse_money
from app.services.records import required_text
from app.timezone import utcnow
from models import Operator, SpendingPlan, Unit, UnitKind

MAX_ROWS = 5000
MAX_ERRORS = 100
HEADERS = {"用款计划编号": "external_no", "预算单位编码": "unit_code", "用款计划名称": "name",
           "年度": "year", "计划金额": "plan_amount"}
FAILED = "导入失败，未导入任何数据。"
BAD_XLSX = "无法读取该 Excel 文件，请上传 .xlsx 格式的工作簿。"


class ImportFailed(ValidationFailed):
    """The file or some of its rows broke a rule (``errors`` says where); nothing was imported."""

    code = "import_failed"

    def __init__(self, errors: list[str]) -> None:
        super().__init__(FAILED)
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "errors": self.errors}


class Row(NamedTuple):
    """A row to import: its line (in the file, or position in the API list) and its values."""

    line: int
    values: Any  # a mapping with the English keys of HEADERS; anything else is refused


@dataclass(frozen=True)
class ImportResult:
    """How many plans an import created, updated and left as they were, and the rows whose
    计划金额 it kept at what completed 用款计划调减 left (``第N行：…``)."""

    created: int
    updated: int
    unchanged: int
    kept: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        kept = f"其中{len(self.kept)}条保留了调减后的计划金额。" if self.kept else ""
        return (f"导入成功：新增{self.created}条，更新{self.updated}条，"
                f"未变{self.unchanged}条。{kept}")

    def as_dict(self) -> dict[str, int | list[str]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "kept": list(self.kept)}


def _require_admin(actor: Operator | None) -> None:
    if actor is None or actor.post_code != SYS_ADMIN:
        raise PermissionDenied("只有系统管理员可以导入用款计划。")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps 2026 or 4101 as a number
    return str(value).strip()


def _csv_table(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(["CSV 文件必须是 UTF-8 编码。"]) from None
    try:
        return list(islice(csv.reader(io.StringIO(text, newline="")), MAX_ROWS + 2))
    except csv.Error:
        raise ImportFailed(["CSV 文件格式不正确，无法读取。"]) from None


def _xlsx_table(content: bytes) -> list[list[Any]]:
    if not content.startswith(b"PK\x03\x04"):
        raise ImportFailed([BAD_XLSX])
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            return [list(r) for r in islice(rows, MAX_ROWS + 2)]
        finally:
            book.close()
    except Exception:  # openpyxl raises many kinds of errors on a damaged workbook
        raise ImportFailed([BAD_XLSX]) from None


def rows_from_file(filename: str, content: bytes) -> list[Row]:
    """The rows of an uploaded CSV (UTF-8, with or without BOM) or .xlsx file.

    :raises ImportFailed: for an unknown type, an unreadable file or a missing column
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    readers = {"csv": _csv_table, "xlsx": _xlsx_table}
    if extension not in readers:
        raise ImportFailed(["只能上传 CSV 文件或 Excel（.xlsx）文件。"])
    table = readers[extension](content)
    if len(table) > MAX_ROWS + 1:
        raise ImportFailed([f"一次最多导入{MAX_ROWS}行用款计划。"])
    if not table:
        raise ImportFailed(["文件是空的。"])
    header = [_text(cell).removesuffix("（元）").removesuffix("(元)") for cell in table[0]]
    position = {HEADERS[name]: i for i, name in reversed(list(enumerate(header)))
                if name in HEADERS}
    missing = [name for name, key in HEADERS.items() if key not in position]
    if missing:
        raise ImportFailed([f"文件缺少必需的列：{'、'.join(missing)}。"])
    rows = [Row(line, {key: cells[i] if i < len(cells) else None for key, i in position.items()})
            for line, cells in enumerate(table[1:], start=2)]
    return [row for row in rows if any(_text(v) for v in row.values.values())]


def rows_from_json(payload: Any) -> list[Row]:
    """The rows of ``{"rows": [...]}``; a row's line is its position, from 1."""
    rows = payload.get("rows") if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise ImportFailed(['请求内容必须是 {"rows": [...]}。'])
    return [Row(line, values) for line, values in enumerate(rows, start=1)]


@dataclass(frozen=True)
class _Plan:
    line: int
    external_no: str
    unit_code: str
    name: str
    year: int
    plan_amount: Decimal


def _amount(value: Any) -> Decimal:
    # Money is never float: a float from openpyxl or JSON is read by its shortest decimal
    # text (str(1234.5) == "1234.5"), so 10.125 is refused, not rounded, like the text would be.
    try:
        return parse_money(_text(value) if isinstance(value, float) else value, "计划金额",
                           positive=True)
    except ValidationFailed as exc:
        raise ValueError(exc.message) from None


def _required(values: Mapping[str, Any], key: str, label: str, limit: int) -> str:
    try:
        return required_text(_text(values.get(key)), label, limit)
    except ValidationFailed as exc:
        raise ValueError(exc.message) from None


def _parse(row: Row) -> _Plan:
    """The row's plan, or ValueError with the Chinese reason."""
    values = row.values
    if not isinstance(values, Mapping):
        raise ValueError("格式不正确，每行必须是一个对象。")
    external_no = _required(values, "external_no", "用款计划编号", 64)
    unit_code = _required(values, "unit_code", "预算单位编码", 32)
    name = _required(values, "name", "用款计划名称", 200)
    year = _text(values.get("year"))
    if not (year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100):
        raise ValueError("年度必须是四位数字的年份，例如2026。")
    return _Plan(row.line, external_no, unit_code, name, int(year),
                 _amount(values.get("plan_amount")))


def _check_stored(plan: _Plan, unit: Unit | None, current: SpendingPlan | None,
                  held: PlanAmounts | None) -> None:
    if unit is None:
        raise ValueError(f"预算单位编码“{plan.unit_code}”不存在。")
    if unit.kind is not UnitKind.purchaser:
        raise ValueError(f"“{unit.name}”（{unit.code}）不是采购单位。")
    if current is None:
        return
    if current.unit_id != unit.id:
        raise ValueError(f"用款计划编号“{plan.external_no}”属于其他预算单位，不能改变预算单位。")
    if current.year != plan.year:
        raise ValueError(f"用款计划编号“{plan.external_no}”的年度是{current.year}，不能修改。")
    changed = plan.plan_amount != current.plan_amount  # the same row again is never refused
    if held is not None and changed and plan.plan_amount < held.requested:
        raise ValueError(f"计划金额不能低于已申请使用金额（{format_money(held.requested)}）。")


def _kept(plan: _Plan, current: SpendingPlan, reduced: Decimal) -> str:
    return (f"第{plan.line}行：用款计划“{plan.external_no}”已完成调减{format_money(reduced)}，"
            f"预算执行系统的计划金额尚未体现；文件中的计划金额{format_money(plan.plan_amount)}"
            f"高于调减后的{format_money(current.plan_amount)}，保留调减后的金额。")


def import_rows(session: Session, actor: Operator | None, rows: Sequence[Row]) -> ImportResult:
    """Import 用款计划 rows all or nothing, idempotent by 用款计划编号.

    A known 用款计划编号 with a changed name or amount updates the plan; its amount may not go
    below what filed plans requested. An import never raises a plan above what completed
    调减 left until the budget system's figures show them (:func:`reductions.unconfirmed`):
    such a row keeps the reduced amount and the result says so per row; a row at or below it
    confirms them.

    :raises PermissionDenied: unless the actor is the system administrator
    :raises ImportFailed: listing every failing row as ``第N行：reason``; nothing is imported
    """
    _require_admin(actor)
    if not rows:
        raise ImportFailed(["没有要导入的用款计划。"])
    if len(rows) > MAX_ROWS:
        raise ImportFailed([f"一次最多导入{MAX_ROWS}行用款计划。"])
    errors: list[tuple[int, str]] = []
    plans: dict[str, _Plan] = {}
    for row in rows:
        try:
            plan = _parse(row)
        except ValueError as exc:
            errors.append((row.line, str(exc)))
            continue
        first = plans.get(plan.external_no)
        if first is not None:
            errors.append((row.line, f"用款计划编号“{plan.external_no}”与第{first.line}行重复。"))
        else:
            plans[plan.external_no] = plan
    codes = {plan.unit_code for plan in plans.values()}
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    # Locked so that no plan is filed against an amount that this import is lowering.
    stored = {p.external_no: p for p in session.scalars(
        select(SpendingPlan).where(SpendingPlan.external_no.in_(plans)).with_for_update())}
    held = amounts(session, [p.id for p in stored.values()])
    for plan in plans.values():
        current = stored.get(plan.external_no)
        try:
            _check_stored(plan, units.get(plan.unit_code), current,
                          held.get(current.id) if current else None)
        except ValueError as exc:
            errors.append((plan.line, str(exc)))
    if errors:
        errors.sort(key=lambda e: e[0])
        lines = [f"第{line}行：{reason}" for line, reason in errors[:MAX_ERRORS]]
        more = len(errors) - MAX_ERRORS
        raise ImportFailed(lines + ([f"另有{more}处错误未列出。"] if more > 0 else []))
    created = updated = unchanged = 0
    kept: list[str] = []
    now = utcnow()
    reduced = reductions.unconfirmed(session, stored.values())
    for plan in plans.values():
        current = stored.get(plan.external_no)
        if current is None:
            session.add(SpendingPlan(
                external_no=plan.external_no, unit_id=units[plan.unit_code].id, name=plan.name,
                year=plan.year, plan_amount=plan.plan_amount, imported_on=now))
            created += 1
            continue
        amount, keeps = plan.plan_amount, False
        if current.id in reduced:
            keeps = amount > current.plan_amount
            if keeps:
                kept.append(_kept(plan, current, reduced[current.id]))
                amount = current.plan_amount
            else:
                current.imported_on = now  # the budget system's figure shows the reductions
        if current.name == plan.name and current.plan_amount == amount:
            unchanged += 1
        else:
            current.name, current.plan_amount = plan.name, amount
            if not keeps:  # a kept amount leaves the reductions unconfirmed
                current.imported_on = now
            updated += 1
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("其他人同时导入了相同编号的用款计划，请重新导入。") from None
    return ImportResult(created, updated, unchanged, tuple(kept))


def import_file(session: Session, actor: Operator | None, filename: str,
                content: bytes) -> ImportResult:
    """用款计划导入 from an uploaded CSV or .xlsx file (see :func:`import_rows`)."""
    _require_admin(actor)
    return import_rows(session, actor, rows_from_file(filename, content))


def import_json(session: Session, actor: Operator | None, payload: Any) -> ImportResult:
    """用款计划导入 from ``{"rows": [{external_no, unit_code, name, year, plan_amount}]}``."""
    _require_admin(actor)
    return import_rows(session, actor, rows_from_json(payload))
