"""Suppliers, 农民工工资专用账户 and 合同备案及公告."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError
from werkzeug.datastructures import FileStorage

from app.services import workflow as flow
from app.services.base import without_autoflush
from app.services.errors import NotInScope, PermissionDenied, ValidationFailed
from app.services.failures import open_failure, plan_has_open_failure
from app.services.files import store_upload
from app.services.ledger import Room, allocate, chosen, contract_holdings
from app.services.money import ZERO, format_money, parse_money
from app.services.plans import item_table
from app.services.records import (
    claim,
    clerk_of,
    ensure_editable,
    own_record,
    required_text,
    save_record,
    unit_id_of,
)
from app.services.workflow_registry import DetailTable, RecordType, Summary, WorkflowRegistry
from app.timezone import business_today, to_business, utcnow
from models import (
    Contract,
    ContractFunding,
    ContractNotice,
    MigrantAccount,
    Operator,
    PlanFunding,
    ProcurementPlan,
    Supplier,
)
from models.mall import MallOrder
from workflow import Status

RECORD = "contract"
LINES_REQUIRED = "请选择该采购计划的备案明细（采购内容）。"
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
def validate_supplier(session: Session, item: Supplier, unique: bool = True) -> None:
    """A supplier's code, name, phones and payment account.

    :param unique: refuse a code another supplier has (供应商注册 checks that itself, without
        telling)
    """
    item.credit_code = check_credit_code(item.credit_code)
    clash = select(Supplier.id).where(Supplier.credit_code == item.credit_code,
                                      Supplier.id != item.id)
    if unique and session.scalar(clash):
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


def open_to_contracts() -> ColumnElement[bool]:
    """Condition on :class:`ProcurementPlan`: completed, and no recorded failure awaits its
    采购失败方式变更 (a failed procurement has no contract)."""
    return and_(ProcurementPlan.status == Status.completed, ~plan_has_open_failure())


def migrant_account_of(session: Session, plan_id: int | None) -> MigrantAccount | None:
    """The 农民工工资专用账户 registered for the plan, if any."""
    if plan_id is None:
        return None
    return session.scalar(select(MigrantAccount).where(MigrantAccount.plan_id == plan_id))


def _own_completed_plan(session: Session, clerk: Operator, plan_id: Any,
                        plan: ProcurementPlan | None) -> ProcurementPlan:
    found = own_record(session, ProcurementPlan, plan_id, clerk.unit_id, "采购项目", "plan")
    if found.status != Status.completed:
        raise ValidationFailed("只能选择已完成备案的采购计划。")
    return found


@without_autoflush
def prepare_migrant_account(session: Session, item: MigrantAccount,
                            actor: Operator | None) -> None:
    """农民工工资专用账户: only for an engineering project of the clerk's unit."""
    clerk = clerk_of(actor)
    if item.unit_id not in (None, clerk.unit_id):
        raise PermissionDenied("只能登记本单位项目的账户。")
    item.unit_id = unit_id_of(clerk)
    plan = _own_completed_plan(session, clerk, item.plan_id, item.plan)
    if not plan.is_engineering:
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
              wanted: dict[int, str], generated: bool = False) -> list[ContractFunding]:
    limits = {f.spending_plan_id: f for f in session.scalars(
        select(PlanFunding).where(PlanFunding.plan_id == plan.id))}
    asked = chosen(wanted)
    # A generated (网上商城) contract asks what its plan's 用款计划 still leave: nothing left
    # means the unit's own money pays, not a form left blank.
    if limits and not asked and not generated:
        raise ValidationFailed("请填写本合同拟使用计划金额。")
    held = contract_holdings(session, plan.id, contract.id) if asked else {}
    rooms = {pk: Room(f.spending_plan.external_no, f.amount, held.get(pk, ZERO))
             for pk, f in limits.items() if pk in asked}
    allocated = allocate(asked, rooms, "本合同拟使用计划金额", "申请使用计划金额",
                         ValidationFailed("只能使用该采购计划申请的用款计划。"), cumulative=True)
    total = sum(allocated.values(), ZERO)
    if total > contract.amount:
        raise ValidationFailed(f"本合同拟使用计划金额合计{format_money(total)}超过合同金额"
                               f"{format_money(contract.amount)}。")
    return [ContractFunding(spending_plan_id=pk, amount=amount)
            for pk, amount in allocated.items()]


@without_autoflush
def prepare_contract(session: Session, item: Contract, actor: Operator | None,
                     upload: FileStorage | None, fundings: dict[int, str],
                     creating: bool, *, generated: bool = False) -> None:
    """Check a contract before 保存; replaces its funding lines.

    :param generated: the contract is generated from a 网上商城 order: its text is printed from
        the order, so no signed file is uploaded

    :raises ValidationFailed: naming the field or the bound that is broken
    """
    clerk = claim(item, actor, creating)
    # A generated contract stays one when it is corrected after being returned.
    generated = generated or (item.id is not None and session.scalar(
        select(MallOrder.id).where(MallOrder.contract_id == item.id)) is not None)
    ensure_editable(session, Contract, item)
    plan = _own_completed_plan(session, clerk, item.plan_id, item.plan)
    if open_failure(session, plan.id) is not None:
        raise ValidationFailed("该项目已登记采购失败，采购失败方式变更完成前不能备案合同。",
                               field="plan")
    if not item.items or any(line.plan_id != plan.id for line in item.items):
        raise NotInScope(LINES_REQUIRED, field="items")
    item.code = required_text(item.code, "合同编号", 64)
    item.name = required_text(item.name, "合同名称")
    clash = select(Contract.id).where(Contract.unit_id == clerk.unit_id,
                                      Contract.code == item.code, Contract.id != item.id)
    if session.scalar(clash):
        raise ValidationFailed(f"本单位已有合同编号“{item.code}”。")
    if item.supplier_id is None or session.get(Supplier, item.supplier_id) is None:
        raise NotInScope("请选择供应商。", field="supplier")
    item.amount = parse_money(item.amount, "合同金额", positive=True, field="amount")
    item.total_amount = parse_money(item.total_amount, "合同总金额", positive=True,
                                    field="total_amount")
    if item.total_amount < item.amount:
        raise ValidationFailed("合同总金额不能小于本合同金额。")
    if not item.total_contracts or item.total_contracts < 1:
        raise ValidationFailed("项目总合同份数至少为1。")
    if item.signed_on is None or item.signed_on > business_today():
        raise ValidationFailed("请填写签订日期，且不能晚于今天。")
    if plan.is_engineering and migrant_account_of(session, plan.id) is None:
        raise ValidationFailed("工程类项目须先登记农民工工资专用账户。", field="plan")
    new_fundings = _fundings(session, item, plan, fundings, generated)
    if upload is not None and upload.filename:
        saved = store_upload(upload, CONTRACT_FILE)
        item.file_path, item.file_name = saved.path, saved.name
    elif not item.file_path and not generated:
        raise ValidationFailed(f"请上传{CONTRACT_FILE}。")
    if not creating:
        item.fundings.clear()
        session.flush()
    item.fundings = new_fundings


def save_contract(session: Session, actor: Operator | None, data: Mapping[str, Any],
                  contract: Contract | None = None) -> Contract:
    """合同备案 保存: create (``contract`` is None) or change a draft from plain input.

    ``data`` holds ``plan_id``, ``items`` (ids of the plan's lines), ``supplier_id``, ``code``,
    ``name``, ``amount``, ``signed_on``, ``total_contracts``, ``total_amount``, ``fundings``
    ({用款计划 id: 本合同拟使用计划金额}) and ``contract_file`` (the signed file, if chosen).

    :raises NotInScope: the plan or the supplier is not one to choose
    :raises ValidationFailed: as :func:`prepare_contract`
    """
    fundings = dict(data.get("fundings") or {})
    return save_record(session, Contract, contract,
                       {k: v for k, v in data.items() if k != "fundings"},
                       lambda item, creating: prepare_contract(
                           session, item, actor, data.get("contract_file"), fundings, creating),
                       missing={"items": LINES_REQUIRED})


def save_supplier(session: Session, actor: Operator | None, data: Mapping[str, Any],
                  supplier: Supplier | None = None) -> Supplier:
    """供应商 保存 by the administrator (self-registration is :mod:`accounts`).

    :raises ValidationFailed: as :func:`validate_supplier`
    """
    return save_record(session, Supplier, supplier, data,
                       lambda item, creating: _checked_contact(session, item))


def _checked_contact(session: Session, supplier: Supplier) -> None:
    """:func:`validate_supplier`, then the supplier's accounts follow its contact's phone."""
    validate_supplier(session, supplier)
    if supplier.id is None:
        return
    # Messages to the account (e.g. failed sign-ins) go to the phone the supplier keeps current.
    for account in session.scalars(select(Operator).where(Operator.supplier_id == supplier.id)):
        account.phone = supplier.contact_phone


def save_own_supplier(session: Session, actor: Operator | None, data: Mapping[str, Any],
                      supplier: Supplier) -> Supplier:
    """供应商信息: a signed-in supplier keeps its own contacts and account.

    :raises PermissionDenied: for another supplier's record
    """
    if actor is None or actor.supplier_id != supplier.id:
        raise PermissionDenied("只能修改本供应商的信息。")
    return save_record(session, Supplier, supplier, data,
                       lambda item, creating: _checked_contact(session, item))


def save_migrant_account(session: Session, actor: Operator | None, data: Mapping[str, Any],
                         account: MigrantAccount | None = None) -> MigrantAccount:
    """农民工工资专用账户 保存 for one of the unit's engineering projects.

    :raises NotInScope: the project is another unit's
    """
    return save_record(session, MigrantAccount, account, data,
                       lambda item, creating: prepare_migrant_account(session, item, actor))


def file_and_announce(session: Session, record_type: str, contract: Contract,
                      actor: Operator | None) -> None:
    """备案及公告: publish the announcement and send the filing into its chain (one transaction).

    :raises ServiceError: from the chain (e.g. an unresolvable reviewer); nothing is published
    """
    flow.submit_record(session, record_type, contract, actor)
    contract.announced_on = contract.announced_on or utcnow()
    publish_notice(contract)


# The public fields of a 合同公告, in the order the public page shows them.
NOTICE_FIELDS = (
    ("project_name", "采购项目名称"), ("plan_number", "政府采购计划编号"),
    ("code", "合同编号"), ("name", "合同名称"), ("unit_name", "采购单位"),
    ("supplier_name", "供应商名称"), ("supplier_credit_code", "统一社会信用代码"),
    ("amount", "合同金额"), ("total_amount", "合同总金额"),
    ("total_contracts", "项目总合同份数"), ("signed_on", "签订日期"),
)
ANNOUNCEMENT, CORRECTION = "announcement", "correction"
# A filing taken back (撤回) or returned (退回) is no longer announced: its notice is revoked
# until 备案及公告 publishes it again.
REVOKED = (Status.draft, Status.returned, Status.withdrawn)


def notice_value(name: str, value: Any) -> str:
    """A public field as the notice prints it (money with two decimals, dates ISO)."""
    if name in ("amount", "total_amount"):
        return format_money(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _public_values(contract: Contract) -> dict[str, Any]:
    return {
        "unit_name": contract.unit.name, "plan_number": contract.plan.plan_number or "",
        "project_name": contract.plan.project_name, "code": contract.code,
        "name": contract.name, "supplier_name": contract.supplier.name,
        "supplier_credit_code": contract.supplier.credit_code, "amount": contract.amount,
        "total_amount": contract.total_amount, "total_contracts": contract.total_contracts,
        "signed_on": contract.signed_on,
    }


def publish_notice(contract: Contract) -> ContractNotice | None:
    """Publish the contract's 合同公告: the first time a 公告, afterwards an 更正公告 listing
    what changed since the last notice; nothing when nothing public changed.

    Notices already published are never changed: each keeps its own time and content.
    """
    values = _public_values(contract)
    last = contract.notices[-1] if contract.notices else None
    changes = [] if last is None else [
        f"{label}：由“{notice_value(name, getattr(last, name))}”更正为"
        f"“{notice_value(name, values[name])}”"
        for name, label in NOTICE_FIELDS if getattr(last, name) != values[name]]
    if last is not None and not changes:
        return None
    notice = ContractNotice(kind=CORRECTION if last else ANNOUNCEMENT, published_on=utcnow(),
                            corrections="\n".join(changes), **values)
    contract.notices.append(notice)
    return notice


def is_revoked(contract: Contract) -> bool:
    """Whether the contract's published notice is revoked (filing withdrawn or returned)."""
    return bool(contract.notices) and contract.status in REVOKED


def revoked_on(session: Session, contract: Contract) -> Any:
    """When the filing was taken back or returned (its chain's last move), if revoked."""
    if not is_revoked(contract):
        return None
    instance = flow.instance_of(session, RECORD, contract.id)
    return instance.updated_on if instance is not None else None


def _describe(contract: Contract) -> list[tuple[str, str]]:
    rows = [
        ("采购单位", contract.unit.name),
        ("采购项目", f"{contract.plan.plan_number} {contract.plan.project_name}"),
        ("合同编号", contract.code), ("合同名称", contract.name),
        ("供应商", f"{contract.supplier.name}（{contract.supplier.credit_code}）"),
        ("合同金额", format_money(contract.amount)),
        ("签订日期", contract.signed_on.isoformat()),
        ("项目总合同份数", str(contract.total_contracts)),
        ("合同总金额", format_money(contract.total_amount)),
    ]
    rows += [(f"本合同拟使用计划金额（{f.spending_plan.external_no}）", format_money(f.amount))
             for f in contract.fundings]
    if contract.plan.is_engineering:
        account = contract.migrant_account
        rows.append(("农民工工资专用账户", "尚未登记" if account is None else
                     f"户名：{account.account_name}\n账号：{account.account_no}\n"
                     f"开户行：{account.bank_name}\n施工总承包单位：{account.contractor.name}"))
    for notice in contract.notices:
        label = "公告时间" if notice.kind == ANNOUNCEMENT else "更正公告时间"
        rows.append((label, to_business(notice.published_on).strftime("%Y-%m-%d %H:%M")))
    if is_revoked(contract):
        rows.append(("合同公告", "已撤销（重新备案及公告后以更正公告发布）"))
    return rows


def _tables(contract: Contract) -> list[DetailTable]:
    return [item_table("备案明细", contract.items)]


def _summary(contract: Contract) -> Summary:
    return Summary(f"{contract.plan.project_name}·{contract.name}", contract.code,
                   format_money(contract.amount))


def _files(contract: Contract) -> list[tuple[str, str]]:
    if not contract.file_name:
        return []
    return [(f"{CONTRACT_FILE}：{contract.file_name}", "file")]


def register(registry: WorkflowRegistry) -> None:
    """Declare the contract's record type."""
    registry.record(RecordType(RECORD, "合同备案", Contract, {"amount": lambda c: c.amount},
                               _describe, _files, tables=_tables, summary=_summary,
                               summary_loads=("plan",)))


def announced() -> Select[tuple[Contract]]:
    """Contracts with a published 合同公告 (revoked ones too, marked), newest first."""
    return select(Contract).where(exists().where(ContractNotice.contract_id == Contract.id)) \
        .order_by(Contract.announced_on.desc(), Contract.id.desc())

