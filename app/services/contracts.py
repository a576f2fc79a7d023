"""Suppliers, 农民工工资专用账户 and 合同备案及公告."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError
from werkzeug.datastructures import FileStorage

from app.services.base import without_autoflush
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.files import store_upload
from app.services.plans import parse_money
from app.services.records import claim, clerk_of, ensure_editable, money, required_text
from app.services.workflow_registry import RecordType, WorkflowRegistry
from app.timezone import business_today, to_business, utcnow
from models import (
    Category,
    Contract,
    ContractFunding,
    MigrantAccount,
    Operator,
    PlanFunding,
    ProcurementPlan,
    Supplier,
)

RECORD = "contract"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
CONTRACT_FILE = "签订的合同文本"


def check_credit_code(value: str | None) -> str:
    """A normalised 统一社会信用代码 with a correct check digit.

    :raises ValidationFailed: on a wrong length, character or check digit
    """
    code = (value or "").strip().upper()
    if not code:
        raise ValidationFailed("请填写统一社会信用代码。")
    try:
        return uscc.validate(code)
    except InvalidChecksum as exc:
        raise ValidationFailed("统一社会信用代码校验位不正确，请核对。") from exc
    except ValidationError as exc:
        raise ValidationFailed("统一社会信用代码应为18位数字或大写字母。") from exc


@without_autoflush
def validate_supplier(session: Session, item: Supplier) -> None:
    """A supplier's code, name, phones and payment account."""
    item.credit_code = check_credit_code(item.credit_code)
    clash = select(Supplier.id).where(Supplier.credit_code == item.credit_code,
                                      Supplier.id != item.id)
    if session.scalar(clash):
        raise ValidationFailed(f"统一社会信用代码“{item.credit_code}”已登记。")
    item.name = required_text(item.name, "供应商名称")
    item.contact_name = required_text(item.contact_name, "联系人", 50)
    item.legal_name = required_text(item.legal_name, "法定代表人", 50)
    for attr, label in (("contact_phone", "联系人手机"), ("legal_phone", "法定代表人手机")):
        phone = (getattr(item, attr) or "").strip()
        if not MOBILE.match(phone):
            raise ValidationFailed(f"{label}应为11位手机号码。")
        setattr(item, attr, phone)
    item.bank_account_name = required_text(item.bank_account_name, "收款账户名称")
    item.bank_account_no = required_text(item.bank_account_no, "收款账号", 40)
    item.bank_name = required_text(item.bank_name, "开户银行")


def is_engineering(plan: ProcurementPlan) -> bool:
    """工程类 project: at least one 采购内容 line is 工程."""
    return any(line.catalogue_item.category is Category.works for line in plan.items)


def _own_completed_plan(session: Session, clerk: Operator, plan_id: Any,
                        plan: ProcurementPlan | None) -> ProcurementPlan:
    found = session.get(ProcurementPlan, plan_id) if plan_id else plan
    if found is None or found.unit_id != clerk.unit_id:
        raise ValidationFailed("请选择本单位的采购项目。")
    if found.status != "completed":
        raise ValidationFailed("只能选择已完成备案的采购计划。")
    return found


@without_autoflush
def prepare_migrant_account(session: Session, item: MigrantAccount,
                            actor: Operator | None) -> None:
    """农民工工资专用账户: only for an engineering project of the clerk's unit."""
    clerk = clerk_of(actor)
    if item.unit_id not in (None, clerk.unit_id):
        raise PermissionDenied("只能登记本单位项目的账户。")
    item.unit_id = clerk.unit_id
    plan = _own_completed_plan(session, clerk, item.plan_id, item.plan)
    if not is_engineering(plan):
        raise ValidationFailed("只有工程类项目需要登记农民工工资专用账户。")
    clash = select(MigrantAccount.id).where(MigrantAccount.plan_id == plan.id,
                                            MigrantAccount.id != item.id)
    if session.scalar(clash):
        raise ValidationFailed("该项目已登记农民工工资专用账户。")
    if item.contractor_id is None and item.contractor is None:
        raise ValidationFailed("请选择施工总承包单位。")
    item.account_name = required_text(item.account_name, "户名")
    item.account_no = required_text(item.account_no, "账号", 40)
    item.bank_name = required_text(item.bank_name, "开户行")


def _fundings(session: Session, contract: Contract, plan: ProcurementPlan,
              wanted: dict[int, str]) -> list[ContractFunding]:
    limits = {f.spending_plan_id: f for f in session.scalars(
        select(PlanFunding).where(PlanFunding.plan_id == plan.id))}
    chosen = {pk: text for pk, text in wanted.items() if str(text).strip() not in ("", "0")}
    if limits and not chosen:
        raise ValidationFailed("请填写本合同拟使用计划金额。")
    result, total = [], Decimal("0")
    for pk, text in chosen.items():
        limit = limits.get(pk)
        if limit is None:
            raise ValidationFailed("只能使用该采购计划申请的用款计划。")
        label = f"用款计划“{limit.spending_plan.external_no}”的本合同拟使用计划金额"
        amount = parse_money(text, label, positive=True)
        used = session.scalar(
            select(func.coalesce(func.sum(ContractFunding.amount), 0))
            .join(Contract).where(Contract.plan_id == plan.id, Contract.id != contract.id,
                                  ContractFunding.spending_plan_id == pk)) or Decimal("0")
        if used + amount > limit.amount:
            raise ValidationFailed(
                f"{label}累计{money(used + amount)}超过申请使用计划金额{money(limit.amount)}。")
        result.append(ContractFunding(spending_plan_id=pk, amount=amount))
        total += amount
    if total > contract.amount:
        raise ValidationFailed(f"本合同拟使用计划金额合计{money(total)}超过合同金额"
                               f"{money(contract.amount)}。")
    return result


@without_autoflush
def prepare_contract(session: Session, item: Contract, actor: Operator | None,
                     upload: FileStorage | None, fundings: dict[int, str],
                     creating: bool) -> None:
    """Check a contract before 保存; replaces its funding lines.

    :raises ValidationFailed: naming the field or the bound that is broken
    """
    clerk = claim(item, actor, creating)
    ensure_editable(session, Contract, item)
    plan = _own_completed_plan(session, clerk, item.plan_id, item.plan)
    if not item.items or any(line.plan_id != plan.id for line in item.items):
        raise ValidationFailed("请选择该采购计划的备案明细（采购内容）。")
    item.code = required_text(item.code, "合同编号", 64)
    item.name = required_text(item.name, "合同名称")
    clash = select(Contract.id).where(Contract.unit_id == clerk.unit_id,
                                      Contract.code == item.code, Contract.id != item.id)
    if session.scalar(clash):
        raise ValidationFailed(f"本单位已有合同编号“{item.code}”。")
    if item.supplier_id is None and item.supplier is None:
        raise ValidationFailed("请选择供应商。")
    item.amount = parse_money(item.amount, "合同金额", positive=True)
    item.total_amount = parse_money(item.total_amount, "合同总金额", positive=True)
    if item.total_amount < item.amount:
        raise ValidationFailed("合同总金额不能小于本合同金额。")
    if not item.total_contracts or item.total_contracts < 1:
        raise ValidationFailed("项目总合同份数至少为1。")
    if item.signed_on is None or item.signed_on > business_today():
        raise ValidationFailed("请填写签订日期，且不能晚于今天。")
    if is_engineering(plan) and not session.scalar(
            select(MigrantAccount.id).where(MigrantAccount.plan_id == plan.id)):
        raise ValidationFailed("工程类项目须先登记农民工工资专用账户。")
    new_fundings = _fundings(session, item, plan, fundings)
    if upload is not None and upload.filename:
        saved = store_upload(upload, CONTRACT_FILE)
        item.file_path, item.file_name = saved.path, saved.name
    elif not item.file_path:
        raise ValidationFailed(f"请上传{CONTRACT_FILE}。")
    if not creating:
        item.fundings.clear()
        session.flush()
    item.fundings = new_fundings


def file_and_announce(session: Session, record_type: str, contract: Contract,
                      actor: Operator | None) -> None:
    """备案及公告: publish the announcement and send the filing into its chain (one commit).

    :raises ServiceError: from the chain (e.g. an unresolvable reviewer); nothing is published
    """
    from app.services import workflow as flow

    contract.announced_on = contract.announced_on or utcnow()
    flow.submit_record(session, record_type, contract, actor)


def _describe(contract: Contract) -> list[tuple[str, str]]:
    rows = [
        ("采购单位", contract.unit.name),
        ("采购项目", f"{contract.plan.plan_number} {contract.plan.project_name}"),
        ("合同编号", contract.code), ("合同名称", contract.name),
        ("供应商", f"{contract.supplier.name}（{contract.supplier.credit_code}）"),
        ("合同金额", money(contract.amount)),
        ("签订日期", contract.signed_on.isoformat()),
        ("项目总合同份数", str(contract.total_contracts)),
        ("合同总金额", money(contract.total_amount)),
    ]
    rows += [(f"本合同拟使用计划金额（{f.spending_plan.external_no}）", money(f.amount))
             for f in contract.fundings]
    if contract.announced_on:
        rows.append(("公告时间", to_business(contract.announced_on).strftime("%Y-%m-%d %H:%M")))
    return rows


def _files(contract: Contract) -> list[tuple[str, str]]:
    if not contract.file_name:
        return []
    return [(f"{CONTRACT_FILE}：{contract.file_name}",
             url_for("ContractView.download", pk=contract.id))]


def register(registry: WorkflowRegistry) -> None:
    """Declare the contract's record type."""
    registry.record(RecordType(RECORD, "合同备案", Contract, lambda c: {"amount": c.amount},
                               frozenset({"amount"}), _describe, _files))


def announced(session: Session) -> Any:
    """Contracts whose announcement is public, newest first."""
    return select(Contract).where(Contract.announced_on.is_not(None)).order_by(
        Contract.announced_on.desc())

