"""采购计划备案: the content rules of the 实施计划 slides, enforced before anything is saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session
from werkzeug.datastructures import FileStorage

from app.permissions import INTERNAL_REVIEWER
from app.services.errors import ValidationFailed
from app.services.files import store_upload
from app.services.plan_numbers import assign_plan_number, main_method
from app.services.records import EDITABLE, clerk_of, money, status_label
from app.services.workflow import has_assignee
from app.services.workflow_registry import RecordType, WorkflowRegistry
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

RECORD = "procurement_plan"
LINKED_REGION = "zz"  # 郑州市 files plans against its published intentions
STANDARD_METHODS = (Method.open_tender, Method.online_mall, Method.agreement)
CENT = Decimal("0.01")


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


def parse_money(value: Any, label: str, positive: bool = False) -> Decimal:
    """A Decimal amount with at most two decimals.

    :raises ValidationFailed: naming ``label`` when it is not an amount
    """
    text = str(value if value is not None else "").replace(",", "").strip() or "0"
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationFailed(f"{label}必须是金额数字。") from exc
    if not amount.is_finite() or amount != amount.quantize(CENT) or abs(amount) >= Decimal("1e16"):
        raise ValidationFailed(f"{label}最多保留两位小数。")
    if amount < 0 or (positive and amount == 0):
        raise ValidationFailed(f"{label}必须大于0。" if positive else f"{label}不能为负数。")
    return amount.quantize(CENT)


def _enum(enum: type, value: str, label: str) -> Any:
    try:
        return enum[value]
    except KeyError as exc:
        raise ValidationFailed(f"请选择{label}。") from exc


def requested_amounts(session: Session, ids: list[int]) -> dict[int, Decimal]:
    """Amounts of the given 用款计划 already requested by filed (in review or completed) plans."""
    from app.services.spending_plans import amounts

    return {pk: row.requested for pk, row in amounts(session, ids).items()}


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
        method = _default_method(catalogue, amount, line.method, where)
        if catalogue.category in (Category.works, Category.services) and method is Method.inquiry:
            raise ValidationFailed(f"{where}：工程和服务类品目不能选择询价。")
        organisation = _default_organisation(catalogue, amount, line.organisation, where)
        reason = line.method_reason.strip()
        if method not in (Method.open_tender, Method.online_mall) and not reason:
            raise ValidationFailed(f"{where}：采购方式为“{method.value}”时须填写采购方式选择原因。")
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
    if not quantity.is_finite() or quantity <= 0 or quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationFailed(f"{where}：数量必须大于0，最多三位小数。")
    return quantity


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
    chosen = {pk: text for pk, text in data.fundings.items() if str(text).strip() not in ("", "0")}
    if not chosen:
        raise ValidationFailed(
            "资金来源为用款计划时，请至少选择一个用款计划并填写本次申请使用金额。")
    # Locked like the importer locks them, so a concurrent import cannot lower an amount
    # this plan is about to use.
    query = select(SpendingPlan).where(SpendingPlan.id.in_(chosen),
                                       SpendingPlan.unit_id == unit_id).with_for_update()
    plans = {p.id: p for p in session.scalars(query)}
    requested = requested_amounts(session, list(plans))
    fundings, total = [], Decimal("0")
    for pk, text in chosen.items():
        spending = plans.get(pk)
        if spending is None:
            raise ValidationFailed("只能选择本单位的用款计划。")
        label = f"用款计划“{spending.external_no}”的本次申请使用金额"
        amount = parse_money(text, label, positive=True)
        available = spending.plan_amount - requested.get(pk, Decimal("0"))
        if amount > available:
            raise ValidationFailed(f"{label}{money(amount)}超过拟可用金额{money(available)}。")
        fundings.append(PlanFunding(spending_plan=spending, amount=amount))
        total += amount
    if total != fiscal:
        raise ValidationFailed(f"财政资金{money(fiscal)}须等于各用款计划本次申请使用金额之和"
                               f"{money(total)}。")
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
    fiscal = parse_money(data.fiscal_amount, "财政资金")
    own = parse_money(data.own_amount, "自有资金")
    if source is FundSource.other and fiscal:
        raise ValidationFailed("资金来源为其它资金时，财政资金须为0。")
    items = _items(session, data)
    item_total = sum((i.amount for i in items), Decimal("0"))
    if fiscal + own != item_total or item_total == 0:
        raise ValidationFailed(f"本次采购总金额（财政资金+自有资金）{money(fiscal + own)}须等于"
                               f"采购内容金额合计{money(item_total)}。")
    fundings = (_fundings(session, data, clerk.unit_id, fiscal)
                if source is FundSource.spending_plan else [])
    values: dict[str, Any] = {
        "fund_source": source, "fiscal_amount": fiscal, "own_amount": own, "items": items,
        "fundings": fundings, "has_imports": bool(data.has_imports),
        "method": main_method(items),
        "competent_review": bool(data.competent_review), "linked": None, "intention": None,
        "unlinked_reason": "", "project_name": data.project_name.strip()[:200],
    }
    if clerk.unit.region.code == LINKED_REGION:
        values.update(_linking(session, clerk, data, today or business_today()))
    if not values["project_name"]:
        raise ValidationFailed("请填写项目名称。")
    return values


def _linking(session: Session, clerk: Operator, data: PlanInput, today: date) -> dict[str, Any]:
    from app.services.intentions import check_linkable

    if data.linked is None:
        raise ValidationFailed("请选择是否关联采购意向。")
    if data.linked:
        intention = session.get(Intention, data.intention_id or 0)
        if intention is None:
            raise ValidationFailed("请选择关联的采购意向。")
        check_linkable(session, intention, clerk.unit_id, today)
        return {"linked": True, "intention": intention, "project_name": intention.project_name}
    reason = data.unlinked_reason.strip()
    if not reason:
        raise ValidationFailed("不关联采购意向时须填写不关联意向原因。")
    return {"linked": False, "unlinked_reason": reason[:2000]}


def save_plan(session: Session, actor: Operator, data: PlanInput,
              uploads: dict[str, FileStorage | None], plan: ProcurementPlan | None = None,
              today: date | None = None, commit: bool = True) -> ProcurementPlan:
    """保存: validate, store the proofs, write the plan with its items and funding.

    :param uploads: ``import_proof`` (进口产品证明材料) and ``unlinked_proof`` (不关联意向说明)
    :param commit: ``False`` for 保存并提交, so that a refused submission saves nothing either
    :raises ValidationFailed: on the first broken rule, with nothing changed
    """
    values = validate_plan(session, actor, data, plan, today)
    target = plan or ProcurementPlan(unit_id=actor.unit_id, created_by_id=actor.id,
                                     status="draft", created_on=utcnow())
    proofs = _proofs(values, uploads, target)
    if plan is not None:
        # The old lines go first: the new funding rows reuse (plan, 用款计划) unique keys.
        target.items.clear()
        target.fundings.clear()
        session.flush()
    for key, value in {**values, **proofs}.items():
        setattr(target, key, value)
    session.add(target)
    if commit:
        session.commit()
    else:
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


def workflow_fields(plan: ProcurementPlan) -> dict[str, Any]:
    """What the chain's conditions read (see workflows.yaml, workflow ``plan``)."""
    unit = plan.unit
    return {
        "region": unit.region.code,
        "linked": bool(plan.linked),
        "has_imports": plan.has_imports,
        "methods": sorted({item.method.value for item in plan.items}),
        "competent_review": plan.competent_review,
        "is_subordinate": unit.parent_id is not None,
        "has_internal_reviewer": has_assignee(object_session(plan), unit, INTERNAL_REVIEWER),
        "total_amount": plan.total_amount,
    }


FIELD_NAMES = frozenset({"region", "linked", "has_imports", "methods", "competent_review",
                         "is_subordinate", "has_internal_reviewer", "total_amount"})


def _describe(plan: ProcurementPlan) -> list[tuple[str, str]]:
    rows = [
        ("申请单位", plan.unit.name),
        ("项目名称", plan.project_name),
        ("资金来源", plan.fund_source.value),
        ("财政资金", money(plan.fiscal_amount)),
        ("自有资金", money(plan.own_amount)),
        ("本次采购总金额", money(plan.total_amount)),
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
    for n, item in enumerate(plan.items, start=1):
        parts = [item.catalogue_item.name, f"数量{plain_number(item.quantity)}",
                 money(item.amount), item.method.value, item.organisation.value]
        if item.method_reason:
            parts.append(f"原因：{item.method_reason}")
        rows.append((f"采购内容{n}", "｜".join(parts)))
    for funding in plan.fundings:
        rows.append(("用款计划", f"{funding.spending_plan.external_no} "
                     f"{funding.spending_plan.name}：本次申请使用{money(funding.amount)}"))
    rows.append(("经办人", plan.created_by.first_name))
    rows.append(("填报时间", to_business(plan.created_on).strftime("%Y-%m-%d %H:%M")))
    if plan.plan_number:
        rows.append(("政府采购计划编号", plan.plan_number))
    return rows


def _attachments(plan: ProcurementPlan) -> list[tuple[str, str]]:
    from flask import url_for

    files = []
    kinds = (("import_proof", "进口产品证明材料"), ("unlinked_proof", "不关联意向说明材料"))
    for kind, label in kinds:
        name = getattr(plan, f"{kind}_name")
        if name:
            url = url_for("ProcurementPlanView.download", pk=plan.id, kind=kind)
            files.append((f"{label}：{name}", url))
    return files


def _generate_number(session: Session, plan: Any) -> None:
    assign_plan_number(session, plan)


def register(registry: WorkflowRegistry) -> None:
    """Declare the plan's record type and the number hook its chain names."""
    registry.record(RecordType(RECORD, "采购计划备案", ProcurementPlan, workflow_fields,
                               FIELD_NAMES, _describe, _attachments))
    registry.hook("generate_plan_number", _generate_number)


def validate_catalogue_item(session: Session, item: CatalogueItem) -> None:
    """品目: a unique code, a name, a category and non-negative limits."""
    item.code, item.name = (item.code or "").strip(), (item.name or "").strip()
    if not item.code or not item.name:
        raise ValidationFailed("品目编码和品目名称不能为空。")
    clash = select(CatalogueItem.id).where(CatalogueItem.code == item.code,
                                           CatalogueItem.id != item.id)
    if session.scalar(clash):
        raise ValidationFailed(f"品目编码“{item.code}”已存在。")
    for label, value in (("网上商城数额上限", item.mall_limit),
                         ("集中采购数额标准", item.centralised_limit)):
        if value is not None and value < 0:
            raise ValidationFailed(f"{label}不能为负数。")
