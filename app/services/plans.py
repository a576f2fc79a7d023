"""采购计划备案: the content rules of the 实施计划 slides, enforced before anything is saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.permissions import INTERNAL_REVIEWER
from app.services.errors import NotEditable, NotInScope, ValidationFailed
from app.services.failures import failure_rows
from app.services.files import store_upload
from app.services.intentions import check_linkable
from app.services.ledger import Room, allocate, chosen, requested_amounts
from app.services.money import ZERO, format_money, optional_money, parse_money
from app.services.plan_numbers import assign_plan_number, main_method
from app.services.records import (
    EDITABLE,
    clerk_of,
    delete_record,
    status_label,
    unit_id_of,
)
from app.services.workflow import has_assignee
from app.services.workflow_registry import (
    Accessor,
    DetailTable,
    RecordType,
    Summary,
    UnitFact,
    WorkflowRegistry,
)
from app.timezone import business_today, to_business, utcnow
from models import (
    CatalogueItem,
    Category,
    FundSource,
    Intention,
    Method,
    Operator,
    Organisation,
    PlanFunding,
    PlanItem,
    ProcurementPlan,
    SpendingPlan,
)
from workflow import Status

RECORD = "procurement_plan"
LINKED_REGION = "zz"  # 郑州市 files plans against its published intentions
STANDARD_METHODS = (Method.open_tender, Method.online_mall, Method.agreement)


@dataclass
class ItemInput:
    """One 采购内容 line as typed."""

    catalogue_item_id: int | None
    quantity: str
    amount: str
    method: str = ""
    method_reason: str = ""
    organisation: str = ""
    procurement_form: str = ""


@dataclass
class PlanInput:
    """A plan as typed in the form or sent to the API (amounts as text, never float)."""

    project_name: str
    fund_source: str
    fiscal_amount: str = "0"
    own_amount: str = "0"
    has_imports: bool = False
    competent_review: bool = False
    linked: bool | None = None
    intention_id: int | None = None
    unlinked_reason: str = ""
    items: list[ItemInput] = field(default_factory=list)
    fundings: dict[int, str] = field(default_factory=dict)  # spending plan id → amount


def plain_number(value: Decimal) -> str:
    """A quantity as typed: 10, 2.5 (never 1E+1)."""
    return format(value.normalize(), "f")


def _zero_if_blank(value: Any, label: str) -> Decimal:
    """财政资金 and 自有资金: a field left empty is 0."""
    amount = optional_money(value, label)
    return ZERO if amount is None else amount


E = TypeVar("E", bound=Enum)


def _enum(enum: type[E], value: str, label: str) -> E:
    try:
        return enum[value]
    except KeyError as exc:
        raise ValidationFailed(f"请选择{label}。") from exc


def _items(session: Session, data: PlanInput) -> list[PlanItem]:
    if not data.items:
        raise ValidationFailed("请至少填写一条采购内容。")
    items = []
    for n, line in enumerate(data.items, start=1):
        where = f"第{n}条采购内容"
        catalogue = session.get(CatalogueItem, line.catalogue_item_id or 0)
        if catalogue is None:
            raise ValidationFailed(f"{where}：请选择品目。")
        quantity = _quantity(line.quantity, where)
        amount = parse_money(line.amount, f"{where}的金额", positive=True)
        reason = line.method_reason.strip()
        method = line_method(catalogue, amount, line.method, reason, where)
        organisation = _default_organisation(catalogue, amount, line.organisation, where)
        items.append(PlanItem(catalogue_item=catalogue, quantity=quantity, amount=amount,
                              method=method, method_reason=reason[:2000],
                              organisation=organisation,
                              procurement_form=line.procurement_form.strip()[:50]))
    return items


def _quantity(value: str, where: str) -> Decimal:
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationFailed(f"{where}：数量必须是数字。") from exc
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationFailed(f"{where}：数量必须大于0，最多三位小数。")
    # Numeric(18, 3): 15 digits before the point (quantize would raise past its precision).
    if quantity.adjusted() >= 15:
        raise ValidationFailed(f"{where}：数量超出允许的范围。")
    if quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationFailed(f"{where}：数量必须大于0，最多三位小数。")
    return quantity


def line_method(catalogue: CatalogueItem, amount: Decimal, chosen: str, reason: str,
                where: str) -> Method:
    """Every method rule of one 采购内容 line; 采购失败方式变更 applies the same to its lines.

    :param chosen: the method's name as typed (blank: the catalogue's default, if it has one)
    :param where: how messages name the line, e.g. 第1条采购内容
    :raises ValidationFailed: 网上商城 against the catalogue, 询价 for 工程/服务, no reason given
    """
    method = _default_method(catalogue, amount, chosen, where)
    if catalogue.category in (Category.works, Category.services) and method is Method.inquiry:
        raise ValidationFailed(f"{where}：工程和服务类品目不能选择询价。")
    if method not in (Method.open_tender, Method.online_mall) and not reason.strip():
        raise ValidationFailed(f"{where}：采购方式为“{method.value}”时须填写采购方式选择原因。")
    return method


def _default_method(catalogue: CatalogueItem, amount: Decimal, chosen: str, where: str) -> Method:
    in_mall = catalogue.in_mall and (catalogue.mall_limit is None or amount <= catalogue.mall_limit)
    if in_mall:
        if chosen and chosen != Method.online_mall.name:
            raise ValidationFailed(
                f"{where}：网上商城目录内且在数额内的品目，采购方式只能选择网上商城采购。")
        return Method.online_mall
    if chosen == Method.online_mall.name:
        raise ValidationFailed(f"{where}：只有网上商城目录内且在数额内的品目可以选择网上商城采购。")
    return _enum(Method, chosen, f"{where}的采购方式")


def _default_organisation(catalogue: CatalogueItem, amount: Decimal, chosen: str,
                          where: str) -> Organisation:
    central = catalogue.centralised and (
        catalogue.centralised_limit is None or amount <= catalogue.centralised_limit)
    if central:
        if chosen and chosen != Organisation.central_agency.name:
            raise ValidationFailed(
                f"{where}：集中采购目录内且在数额标准内的品目，组织形式只能选择集中采购机构采购。")
        return Organisation.central_agency
    return _enum(Organisation, chosen, f"{where}的组织形式")


def _fundings(session: Session, data: PlanInput, unit_id: int, fiscal: Decimal
              ) -> list[PlanFunding]:
    asked = chosen(data.fundings)
    if not asked:
        raise ValidationFailed(
            "资金来源为用款计划时，请至少选择一个用款计划并填写本次申请使用金额。")
    # Locked like the importer locks them, so a concurrent import cannot lower an amount
    # this plan is about to use.
    query = select(SpendingPlan).where(SpendingPlan.id.in_(asked),
                                       SpendingPlan.unit_id == unit_id).with_for_update()
    plans = {p.id: p for p in session.scalars(query)}
    requested = requested_amounts(session, plans)
    rooms = {pk: Room(p.external_no, p.plan_amount, requested.get(pk, ZERO))
             for pk, p in plans.items()}
    allocated = allocate(asked, rooms, "本次申请使用金额", "拟可用金额",
                         NotInScope("只能选择本单位的用款计划。", field="fundings"))
    fundings = [PlanFunding(spending_plan=plans[pk], amount=amount)
                for pk, amount in allocated.items()]
    total = sum(allocated.values(), ZERO)
    if total != fiscal:
        raise ValidationFailed(f"财政资金{format_money(fiscal)}须等于各用款计划本次申请使用金额之和"
                               f"{format_money(total)}。")
    return fundings


def validate_plan(session: Session, actor: Operator, data: PlanInput,
                  plan: ProcurementPlan | None, today: date | None = None) -> dict[str, Any]:
    """Check every rule; returns the values to store. Nothing is written here.

    :raises ValidationFailed: with a Chinese message naming the field
    """
    clerk = clerk_of(actor)
    if plan is not None and plan.status not in EDITABLE:
        raise ValidationFailed(f"当前状态为“{status_label(plan.status)}”，不能修改。")
    source = _enum(FundSource, data.fund_source, "资金来源")
    fiscal = _zero_if_blank(data.fiscal_amount, "财政资金")
    own = _zero_if_blank(data.own_amount, "自有资金")
    if source is FundSource.other and fiscal:
        raise ValidationFailed("资金来源为其它资金时，财政资金须为0。")
    items = _items(session, data)
    item_total = sum((i.amount for i in items), Decimal("0"))
    if fiscal + own != item_total or item_total == 0:
        raise ValidationFailed(f"本次采购总金额（财政资金+自有资金）{format_money(fiscal + own)}"
                               f"须等于采购内容金额合计{format_money(item_total)}。")
    fundings = (_fundings(session, data, unit_id_of(clerk), fiscal)
                if source is FundSource.spending_plan else [])
    values: dict[str, Any] = {
        "fund_source": source, "fiscal_amount": fiscal, "own_amount": own, "items": items,
        "fundings": fundings, "has_imports": bool(data.has_imports),
        "method": main_method(items),
        "competent_review": bool(data.competent_review), "linked": None, "intention": None,
        "unlinked_reason": "", "project_name": data.project_name.strip()[:200],
    }
    if clerk.unit.region.code == LINKED_REGION:
        values.update(_linking(session, clerk, data, today or business_today(), plan))
    if not values["project_name"]:
        raise ValidationFailed("请填写项目名称。")
    return values


def _linking(session: Session, clerk: Operator, data: PlanInput, today: date,
             plan: ProcurementPlan | None) -> dict[str, Any]:
    if data.linked is None:
        raise ValidationFailed("请选择是否关联采购意向。")
    if data.linked:
        intention = session.get(Intention, data.intention_id or 0)
        if intention is None:
            raise ValidationFailed("请选择关联的采购意向。")
        # One intention serves one plan: this plan may keep its own, no other's.
        check_linkable(session, intention, unit_id_of(clerk), today,
                       plan.id if plan is not None else None)
        return {"linked": True, "intention": intention, "project_name": intention.project_name}
    reason = data.unlinked_reason.strip()
    if not reason:
        raise ValidationFailed("不关联采购意向时须填写不关联意向原因。")
    return {"linked": False, "unlinked_reason": reason[:2000]}


def save_plan(session: Session, actor: Operator, data: PlanInput,
              uploads: dict[str, FileStorage | None], plan: ProcurementPlan | None = None,
              today: date | None = None) -> ProcurementPlan:
    """保存: validate, store the proofs, write the plan with its items and funding.

    :param uploads: ``import_proof`` (进口产品证明材料) and ``unlinked_proof`` (不关联意向说明)
    :raises ValidationFailed: on the first broken rule, with nothing changed
    """
    values = validate_plan(session, actor, data, plan, today)
    target = plan or ProcurementPlan(unit_id=actor.unit_id, created_by_id=actor.id,
                                     status=Status.draft, created_on=utcnow())
    proofs = _proofs(values, uploads, target)
    if plan is not None:
        # The old lines go first: the new funding rows reuse (plan, 用款计划) unique keys.
        target.items.clear()
        target.fundings.clear()
        session.flush()
    for key, value in {**values, **proofs}.items():
        setattr(target, key, value)
    session.add(target)
    session.flush()
    return target


def _proofs(values: dict[str, Any], uploads: dict[str, FileStorage | None],
            plan: ProcurementPlan) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    pairs = (("import_proof", "进口产品证明材料", values["has_imports"]),
             ("unlinked_proof", "不关联意向说明材料", values["linked"] is False))
    for key, label, needed in pairs:
        upload = uploads.get(key)
        if upload is not None and upload.filename:
            saved = store_upload(upload, label)
            stored[f"{key}_path"], stored[f"{key}_name"] = saved.path, saved.name
        elif needed and not getattr(plan, f"{key}_path"):
            raise ValidationFailed(f"请上传{label}。")
    return stored


# What the chain's conditions read (see workflows.yaml, workflow ``plan``).
WORKFLOW_FIELDS: dict[str, Accessor] = {
    "region": UnitFact(lambda session, unit: unit.region.code),
    "linked": lambda plan: bool(plan.linked),
    "has_imports": lambda plan: plan.has_imports,
    "methods": lambda plan: sorted({item.method.value for item in plan.items}),
    "competent_review": lambda plan: plan.competent_review,
    "is_subordinate": UnitFact(lambda session, unit: unit.parent_id is not None),
    "has_internal_reviewer": UnitFact(
        lambda session, unit: has_assignee(session, unit, INTERNAL_REVIEWER)),
    "total_amount": lambda plan: plan.total_amount,
}


def _describe(plan: ProcurementPlan) -> list[tuple[str, str]]:
    rows = [
        ("申请单位", plan.unit.name),
        ("项目名称", plan.project_name),
        ("资金来源", plan.fund_source.value),
        ("财政资金", format_money(plan.fiscal_amount)),
        ("自有资金", format_money(plan.own_amount)),
        ("本次采购总金额", format_money(plan.total_amount)),
        ("是否有进口产品", "是" if plan.has_imports else "否"),
    ]
    if plan.linked is not None:
        rows.append(("是否关联采购意向", "是" if plan.linked else "否"))
        if plan.linked and plan.intention:
            published = plan.intention.published_on
            rows.append(("关联的采购意向", f"{plan.intention.project_name}（{published}公开）"))
        if plan.linked is False:
            rows.append(("不关联意向原因", plan.unlinked_reason))
    else:
        rows.append(("审核流程（主管部门审核）", "是" if plan.competent_review else "否"))
    rows += failure_rows(plan)
    rows.append(("经办人", plan.created_by.first_name))
    rows.append(("填报时间", to_business(plan.created_on).strftime("%Y-%m-%d %H:%M")))
    if plan.plan_number:
        rows.append(("政府采购计划编号", plan.plan_number))
    return rows


def item_table(title: str, items: list[PlanItem]) -> DetailTable:
    """采购内容 lines as the show and review pages of a plan (and a contract) list them."""
    return DetailTable(title, ("序号", "品目", "数量", "金额（元）", "采购方式", "组织形式",
                               "采购形式", "采购方式选择原因"),
                       [(str(n), f"{item.catalogue_item.code} {item.catalogue_item.name}",
                         plain_number(item.quantity), format_money(item.amount),
                         item.method.value, item.organisation.value, item.procurement_form,
                         item.method_reason)
                        for n, item in enumerate(items, start=1)])


def _tables(plan: ProcurementPlan) -> list[DetailTable]:
    funded = [(f.spending_plan.external_no, f.spending_plan.name,
               format_money(f.spending_plan.plan_amount), format_money(f.amount))
              for f in plan.fundings]
    return [item_table("采购内容", plan.items),
            DetailTable("用款计划", ("用款计划编号", "用款计划名称", "计划金额（元）",
                                     "本次申请使用金额（元）"), funded)]


def _attachments(plan: ProcurementPlan) -> list[tuple[str, str]]:
    files = []
    kinds = (("import_proof", "进口产品证明材料"), ("unlinked_proof", "不关联意向说明材料"))
    for kind, label in kinds:
        name = getattr(plan, f"{kind}_name")
        if name:
            files.append((f"{label}：{name}", kind))
    return files


def _summary(plan: ProcurementPlan) -> Summary:
    return Summary(plan.project_name, plan.plan_number or "", format_money(plan.total_amount))


def _generate_number(session: Session, plan: ProcurementPlan) -> None:
    assign_plan_number(session, plan)


def register(registry: WorkflowRegistry) -> None:
    """Declare the plan's record type and the number hook its chain names."""
    registry.record(RecordType(RECORD, "采购计划备案", ProcurementPlan, WORKFLOW_FIELDS,
                               _describe, _attachments, tables=_tables, summary=_summary))
    registry.record_hook("generate_plan_number", ProcurementPlan, _generate_number)


def delete_plan(session: Session, actor: Operator | None, plan: ProcurementPlan) -> None:
    """删除 a never-submitted plan of the clerk's unit (a submitted one keeps its history)."""
    def check(item: ProcurementPlan) -> None:
        clerk = clerk_of(actor)
        if item.unit_id != clerk.unit_id or item.status != Status.draft:
            raise NotEditable("已提交过的采购计划不能删除，审批记录须完整保留。")

    delete_record(session, plan, check)
