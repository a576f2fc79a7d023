"""A refused add/edit form comes back as typed, with its message and the file already chosen."""

from __future__ import annotations

import io
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_appbuilder import ModelView
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Mapper, Session
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.services import bids, changes, files, intentions, payments, roles
from app.services import workflow as flow
from app.timezone import business_today, utcnow
from app.transaction import unit_of_work
from models import (
    AppFunction,
    BidChangeAnnouncement,
    BidChangeFiling,
    CatalogueItem,
    Contract,
    Intention,
    MallProduct,
    Method,
    MethodChange,
    MigrantAccount,
    Operator,
    PaymentApplication,
    PlanFunding,
    Post,
    ProcurementFailure,
    ProcurementPlan,
    Project,
    ReductionKind,
    Region,
    SpendingPlan,
    SpendingReduction,
    Supplier,
    Unit,
    UnitRegistration,
    UnitRole,
    WorkflowTask,
)
from tests.conftest import DEMO_PASSWORD, Web
from tests.support.plans import filed_plan, operator
from tests.test_contracts import completed, contract
from tests.test_payments import filed_contract  # noqa: F401  (fixture)
from tests.test_plans_web import form_data as plan_form
from tests.test_registration import (
    NOTE,
    PASSWORD,
    correction,
    credit_code,
    open_task,
    register,
    review,
    wrong_check_digit,
)
from tests.test_registration import registration as unit_registration
from workflow import Decision

PDF = b"%PDF-1.4\n% boundary test\n"
PENDING_TOKEN = re.compile(r'name="(\w+)__pending" value="([0-9A-Za-z_-]+)"')
CONSULTATION_FAILED = "%竞争性磋商失败%"  # 平顶山市第一中学's completed 竞争性磋商 plan
GOODS_PLAN = "%办公家具采购项目%"  # 平顶山市第一中学's completed 货物 plan
SUPPLIER = "91410100MA440A1B2D"  # 河南中原建设工程有限公司, also its sign-in account


# --- reading the pages and the database -------------------------------------------------------

def text(response: Any) -> str:
    return response.get_data(as_text=True)


class FormState(HTMLParser):
    """What a rendered form shows: each field's values (typed, ticked or chosen) by name."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = defaultdict(list)
        self.secret: set[str] = set()
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        name = given.get("name")
        if tag == "input" and name:
            kind = given.get("type") or "text"
            if kind == "password":
                self.secret.add(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in given:
                    self.values[name].append(given.get("value") or "on")
                else:
                    self.values.setdefault(name, [])
            elif kind not in ("file", "submit", "button"):
                self.values[name].append(given.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in given:
            self.values[self._select].append(given.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            value = self.values[self._textarea][-1]
            self.values[self._textarea][-1] = value.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][-1] += data


def lost_values(html: str, posted: dict[str, Any]) -> dict[str, tuple[Any, list[str]]]:
    """The posted fields the re-rendered form does not show as posted: {name: (posted, shown)}."""
    form = FormState(html)
    lost: dict[str, tuple[Any, list[str]]] = {}
    for name, value in posted.items():
        if name == "csrf_token" or name.endswith("__pending") or name in form.secret:
            continue
        if isinstance(value, tuple):  # a file: checked through 已选择
            continue
        wanted = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if name not in form.values:
            lost[name] = (value, [])
        elif not set(wanted) - {""} <= set(form.values[name]):
            lost[name] = (value, form.values[name])
    return lost


def alerts(html: str) -> list[str]:
    """The text of each alert on the page (flashes and field errors), spaces as in the message."""
    found = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", m)).replace("×", " ").split())
            for m in found]


def shown_at_field(html: str, name: str, message: str) -> bool:
    """Whether ``message`` is the error printed under the field ``name`` (before the next label)."""
    field_tag = rf'<(?:input|select|textarea)[^>]*\bname="{re.escape(name)}"'
    after = re.split(field_tag, html, maxsplit=1)
    if len(after) < 2:
        return False
    until_next_field = after[1].split("<label", 1)[0]
    return bool(re.search(rf'alert-danger">\s*{re.escape(message)}\s*</div>', until_next_field))


def count(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model)) or 0


def snapshot(app: Flask, model: type[Any], pk: int) -> dict[str, Any]:
    """A record's columns and the ids of its collections, to tell whether it changed."""
    with app.app_context():
        record = db.session().get(model, pk)
        mapper: Mapper[Any] = inspect(model)
        state: dict[str, Any] = {c.key: getattr(record, c.key) for c in mapper.column_attrs}
        for relation in mapper.relationships:
            if relation.uselist and relation.lazy != "dynamic":
                state[relation.key] = sorted(r.id for r in getattr(record, relation.key))
        return state


def stored_files(app: Flask) -> set[Path]:
    """Every stored attachment (the kept files of refused forms aside)."""
    root = Path(app.config["UPLOAD_FOLDER"])
    return {p for p in root.rglob("*") if p.is_file() and files.PENDING not in p.parts}


def pending_paths(app: Flask, token: str) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / files.PENDING
    return [folder / f"{token}.bin", folder / f"{token}.json"]


def signed_in(app: Flask, username: str, password: str = DEMO_PASSWORD) -> Web:
    web = Web(app.test_client())
    response = web.login(username, password)
    assert response.status_code == 302 and "/login" not in response.headers["Location"], username
    return web


def pdf(name: str, content: bytes = PDF) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name)


# --- records the edit cases start from, made through the services --------------------------

def saved(app: Flask, username: str, build: Callable[[Session, Operator], Any]) -> int:
    """Run ``build`` (a service command returning its record) as ``username``; the record's id."""
    with app.test_request_context():
        session = db.session()
        with unit_of_work(session):
            record = build(session, operator(session, username))
            session.add(record)
            session.flush()
            pk = record.id
        return pk


def first_id(app: Flask, model: type[Any], *where: Any) -> int:
    with app.app_context():
        pk = db.session().scalar(select(model.id).where(*where).order_by(model.id))
    assert pk is not None, f"no {model.__name__} where {where}"
    return int(pk)


def unit_of(app: Flask, username: str) -> int:
    with app.app_context():
        return int(operator(db.session(), username).unit_id)


def existing(model: type[Any], **where: Any) -> Callable[[Context], None]:
    """An edit case's setup: the (demo) record of ``model`` with these column values."""
    def setup(ctx: Context) -> None:
        conditions = [getattr(model, column) == value for column, value in where.items()]
        ctx.ids["record"] = first_id(ctx.app, model, *conditions)
    return setup


def own_id(app: Flask, model: type[Any], username: str, *where: Any) -> int:
    """The first record of ``model`` of the user's unit."""
    return first_id(app, model, model.unit_id == unit_of(app, username), *where)


def plan_id(app: Flask, pattern: str) -> int:
    return first_id(app, ProcurementPlan, ProcurementPlan.project_name.like(pattern))


def spending_id(app: Flask, username: str) -> int:
    """The user's unit's first 用款计划 (by number)."""
    with app.app_context():
        pk = db.session().scalar(select(SpendingPlan.id).where(
            SpendingPlan.unit_id == unit_of(app, username)).order_by(SpendingPlan.external_no))
    assert pk is not None, f"{username}'s unit has no 用款计划"
    return pk


def approve_all(app: Flask, record_type: str, pk: int) -> None:
    """Walk a record through its chain: each open task is approved by someone holding it."""
    with app.test_request_context():
        session = db.session()
        instance = flow.instance_of(session, record_type, pk)
        assert instance is not None
        while (task := session.scalar(select(WorkflowTask).where(
                WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))):
            reviewer = session.scalar(select(Operator).join(Post).where(
                Operator.unit_id == task.unit_id, Post.code == task.post_code))
            assert reviewer is not None, f"nobody holds {task.post_code}"
            with unit_of_work(session):
                flow.act_on_task(session, task.id, reviewer, Decision("approve", "同意", {}),
                                 task.version)


# --- what each case needs ----------------------------------------------------------------------

@dataclass
class Context:
    """What a case's callables use: the app, fixtures on demand and the ids its setup noted."""

    app: Flask
    request: pytest.FixtureRequest
    ids: dict[str, int] = field(default_factory=dict)

    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)


@dataclass(frozen=True)
class Upload:
    """The form's file field, the name of the file chosen, and the record's ``<stored>_path``."""

    field: str
    name: str
    stored: str


@dataclass
class Case:
    """One form: who fills it, what the service refuses (exactly), and how to fix it.

    ``setup`` notes ``ids["record"]`` for an edit form; ``at`` is the field the refusal names;
    ``fix`` (values, or a callable giving them) makes the input acceptable.
    """

    user: str
    route: str
    model: type[Any]
    data: Callable[[Context], dict[str, Any]]
    message: str
    setup: Callable[[Context], None] = lambda ctx: None
    file: Upload | None = None
    fix: dict[str, Any] | Callable[[Context], dict[str, Any]] = field(default_factory=dict)
    at: str | None = None
    password: str = DEMO_PASSWORD

    def fixed(self, ctx: Context) -> dict[str, Any]:
        return self.fix(ctx) if callable(self.fix) else self.fix

    def path(self, ctx: Context) -> str:
        pk = ctx.ids.get("record")
        return f"{self.route}/edit/{pk}" if pk else f"{self.route}/add"


def long_text(n: int = 2001) -> str:
    return "很" * n


# 意向公开

def draft_intention(ctx: Context) -> None:
    def build(session: Session, clerk: Operator) -> Intention:
        item = Intention(project_name="教室空调更新项目", demand_summary="更换教室空调。",
                         budget_amount="80000.00", expected_month="2027-01", remark="")
        intentions.prepare_intention(session, item, clerk, creating=True)
        return item
    ctx.ids["record"] = saved(ctx.app, "zz_clerk", build)


def intention_form(budget: str = "50000.00", month: str = "2027-03") -> dict[str, str]:
    return {"project_name": "图书馆设备更新项目", "demand_summary": "更新阅览室设备的需求概况",
            "budget_amount": budget, "expected_month": month, "remark": "备注文字"}


# 采购计划备案 (its own form, with the same boundary)

def draft_plan(ctx: Context) -> None:
    ctx.ids["record"] = filed_plan(ctx.app, "sj_clerk", submit=False)


def plan_input(ctx: Context) -> dict[str, Any]:
    return plan_form(ctx.app, "sj_clerk", project_name="实验室进口设备采购", fiscal_amount="19999.99",
                     has_imports="1", competent_review="1")


# 采购失败方式变更 and 用款计划调减

def draft_method_change(ctx: Context) -> None:
    plan = plan_id(ctx.app, CONSULTATION_FAILED)

    def build(session: Session, clerk: Operator) -> MethodChange:
        item = MethodChange(plan_id=plan, new_method=Method.single_source, reason="原因")
        changes.prepare_method_change(session, item, clerk, pdf("原附件.pdf"), creating=True)
        return item
    ctx.ids["record"] = saved(ctx.app, "pds_clerk", build)


def method_change_input(ctx: Context) -> dict[str, str]:
    return {"plan": str(plan_id(ctx.app, CONSULTATION_FAILED)), "new_method": "consultation",
            "reason": "竞争性磋商只有两家供应商响应，拟改变采购方式"}


SAME_METHOD = "变更后的采购方式不能与原采购方式（竞争性磋商）相同。"


def failure_input(ctx: Context) -> dict[str, str]:
    tomorrow = business_today() + timedelta(days=1)
    return {"plan": str(plan_id(ctx.app, GOODS_PLAN)), "failed_on": f"{tomorrow:%Y-%m-%d}",
            "reason": "投标截止时投标人不足三家"}


def draft_reduction(ctx: Context) -> None:
    spending = spending_id(ctx.app, "pds_clerk")

    def build(session: Session, clerk: Operator) -> SpendingReduction:
        item = SpendingReduction(spending_plan_id=spending, kind=ReductionKind.balance,
                                 amount="1000.00", reason="结余")
        changes.prepare_reduction(session, item, clerk, creating=True)
        return item
    ctx.ids["record"] = saved(ctx.app, "pds_clerk", build)


def reduction_input(ctx: Context) -> dict[str, str]:
    return {"spending_plan": str(spending_id(ctx.app, "pds_clerk")), "kind": "balance",
            "amount": "99999999999.00", "reason": "合同签订后结余资金的详细说明"}


TOO_MUCH_REDUCTION = ("调减金额99,999,999,999.00 元超过可调减金额3,000,000.00 元（计划金额"
                      "3,000,000.00 元，已申请使用0.00 元，已支付0.00 元）。")


# 合同管理

def completed_plan(ctx: Context) -> None:
    ctx.ids["plan"] = completed(ctx.app)


def draft_contract(ctx: Context) -> None:
    completed_plan(ctx)
    with ctx.app.test_request_context():
        ctx.ids["record"] = contract(db.session(), ctx.ids["plan"], "20000.00",
                                     "20000.00", code="HT-EDIT-1").id


def contract_input(ctx: Context, funding: str = "20000.00",
                   total: str = "20000.00") -> dict[str, Any]:
    app, plan = ctx.app, ctx.ids["plan"]
    with app.app_context():
        session = db.session()
        lines = [str(line.id) for line in session.get_one(ProcurementPlan, plan).items]
        spending = session.scalar(select(PlanFunding.spending_plan_id).where(
            PlanFunding.plan_id == plan))
    return {"plan": str(plan), "items": lines, "code": "HT-2026-008", "name": "办公家具采购合同",
            "supplier": str(first_id(app, Supplier)), "amount": "20000.00",
            "signed_on": business_today().isoformat(), "total_contracts": "1",
            "total_amount": total, f"funding_{spending}": funding}


def wage_account_input(ctx: Context) -> dict[str, str]:
    return {"plan": str(plan_id(ctx.app, GOODS_PLAN)), "account_name": "鹰城家具农民工工资专户",
            "account_no": "4100100201000999999", "bank_name": "中国银行平顶山新华支行",
            "contractor": str(first_id(ctx.app, Supplier))}


def payment_input(ctx: Context) -> dict[str, str]:
    pk = ctx.fixture("filed_contract")
    with ctx.app.app_context():
        spending = db.session().get_one(Contract, pk).fundings[0].spending_plan_id
    return {"contract": str(pk), "spending_plan": str(spending), "amount": "400000.01",
            "pay_to_migrant": "y"}


def draft_payment(ctx: Context) -> None:
    values = payment_input(ctx)

    def build(session: Session, clerk: Operator) -> PaymentApplication:
        item = PaymentApplication(contract_id=int(values["contract"]), amount="1000.00",
                                  spending_plan_id=int(values["spending_plan"]),
                                  pay_to_migrant=True)
        payments.prepare_payment(session, item, clerk, creating=True)
        return item
    ctx.ids["record"] = saved(ctx.app, "pds_clerk", build)


TOO_MUCH_PAYMENT = ("本次申请支付金额400,000.01 元加已申请支付金额0.00 元超过"
                    "本合同拟使用用款计划金额400,000.00 元。")


# 监督管理

def draft_filing(ctx: Context) -> None:
    project = own_id(ctx.app, Project, "zz_clerk")

    def build(session: Session, clerk: Operator) -> BidChangeFiling:
        item = BidChangeFiling(project_id=project, change_content="供应商更名",
                               change_reason="工商变更")
        bids.prepare_filing(session, item, clerk, pdf("原情况说明.pdf"), creating=True)
        return item
    ctx.ids["record"] = saved(ctx.app, "zz_clerk", build)


def filing_input(ctx: Context) -> dict[str, str]:
    return {"project": str(own_id(ctx.app, Project, "zz_clerk")), "change_content": long_text(),
            "change_reason": "供应商工商更名补充说明", "new_supplier": "新供应商有限公司",
            "new_amount": "123456.78"}


def announcement_input(ctx: Context, project: int | None = None) -> dict[str, str]:
    return {"project": str(project or own_id(ctx.app, Project, "zz_clerk")),
            "title": "关于中标结果变更的公告", "content": "经备案，本项目中标供应商名称变更。"}


def submitted_filing(session: Session, clerk: Operator) -> BidChangeFiling:
    project = session.scalar(select(Project.id).where(Project.unit_id == clerk.unit_id)
                             .order_by(Project.id))
    item = BidChangeFiling(project_id=project, change_content="供应商更名", change_reason="工商变更")
    bids.prepare_filing(session, item, clerk, pdf("说明.pdf"), creating=True)
    session.add(item)
    session.flush()
    flow.submit_record(session, bids.RECORD, item, clerk)
    return item


def announcement_of_completed_filing(ctx: Context) -> None:
    """An announcement of a project whose filing completed; the edit moves it to another."""
    filing = saved(ctx.app, "zz_clerk", submitted_filing)
    approve_all(ctx.app, bids.RECORD, filing)
    project = own_id(ctx.app, Project, "zz_clerk")

    def build(session: Session, clerk: Operator) -> BidChangeAnnouncement:
        item = BidChangeAnnouncement(project_id=project, title="公告", content="内容")
        bids.prepare_announcement(session, item, clerk, creating=True)
        return item
    ctx.ids["record"] = saved(ctx.app, "zz_clerk", build)
    ctx.ids["other_project"] = own_id(ctx.app, Project, "zz_clerk", Project.id != project)


REGION_CODE = "区划代码只能由小写字母和数字组成，以字母开头，不超过16位。"
GATE = "该项目的中标结果变更备案尚未完成，不能{what}中标结果变更公告。"


# 采购人注册信息 and 供应商信息

def returned_registration(ctx: Context) -> None:
    assert "注册申请已受理。登录账号为 zz03001" in register(ctx.app)
    review(signed_in(ctx.app, "zz_office"), open_task(ctx.app), action="return", opinion=NOTE)
    item = unit_registration(ctx.app)
    assert item is not None and item.status == "returned"
    ctx.ids["record"] = item.id


def supplier_input(**overrides: str) -> dict[str, str]:
    return {"name": "测试供应商有限公司", "credit_code": "91410100MA47UJ8K33",
            "contact_name": "王联系", "contact_phone": "13900009999", "legal_name": "李法人",
            "legal_phone": "13900008888", "bank_account_name": "测试供应商有限公司",
            "bank_account_no": "6222000011112222", "bank_name": "中国银行郑州分行", **overrides}


# 系统管理

def unit_id(ctx: Context, code: str) -> str:
    return str(first_id(ctx.app, Unit, Unit.code == code))


def unit_input(ctx: Context, code: str, name: str) -> dict[str, str]:
    return {"code": code, "name": name, "kind": "purchaser",
            "region": str(first_id(ctx.app, Region, Region.code == "zz")),
            "parent": unit_id(ctx, "zz01"), "active": "y"}


def post_id(ctx: Context, code: str) -> str:
    return str(first_id(ctx.app, Post, Post.code == code))


def unit_roles(*names: str, edit: str | None = None) -> Callable[[Context], None]:
    """Roles of 郑州市第一中学 made through the service; ``edit`` names the one to edit."""
    def setup(ctx: Context) -> None:
        for name in names:
            def build(session: Session, admin: Operator, name: str = name) -> UnitRole:
                item = UnitRole(name=name, description="")
                item.functions = []
                roles.prepare_unit_role(session, item, admin)
                return item
            pk = saved(ctx.app, "zz_unitadmin", build)
            if name == edit:
                ctx.ids["record"] = pk
    return setup


def function_ids(ctx: Context) -> list[str]:
    with ctx.app.app_context():
        return [str(pk) for pk in db.session().scalars(
            select(AppFunction.id).order_by(AppFunction.id).limit(2))]


CASES: dict[str, Case] = {
    # 意向公开
    "IntentionView.add": Case(
        "zz_clerk", "/intentionview", Intention, lambda ctx: intention_form(budget="-5"),
        "预算金额必须大于0。", at="budget_amount", fix={"budget_amount": "50000.00"}),
    "IntentionView.edit": Case(
        "zz_clerk", "/intentionview", Intention, lambda ctx: intention_form(month="2027-13"),
        "预计采购时间不是有效的月份。", setup=draft_intention, fix={"expected_month": "2027-12"}),
    # 计划管理
    "ProcurementPlanView.add": Case(
        "sj_clerk", "/procurementplanview", ProcurementPlan, plan_input,
        "本次采购总金额（财政资金+自有资金）19,999.99 元须等于采购内容金额合计20,000.00 元。",
        file=Upload("import_proof", "进口产品论证意见（专家签字）.pdf", "import_proof"),
        fix={"fiscal_amount": "20000.00"}),
    "ProcurementPlanView.edit": Case(
        "sj_clerk", "/procurementplanview", ProcurementPlan, plan_input,
        "本次采购总金额（财政资金+自有资金）19,999.99 元须等于采购内容金额合计20,000.00 元。",
        setup=draft_plan, file=Upload("import_proof", "进口产品证明.pdf", "import_proof"),
        fix={"fiscal_amount": "20000.00"}),
    "ProcurementFailureView.add": Case(
        "pds_clerk", "/procurementfailureview", ProcurementFailure, failure_input,
        "失败日期不能晚于今天。", fix=lambda ctx: {"failed_on": f"{business_today():%Y-%m-%d}"}),
    "MethodChangeView.add": Case(
        "pds_clerk", "/methodchangeview", MethodChange, method_change_input, SAME_METHOD,
        file=Upload("attachment", "采购失败情况说明（盖章）.pdf", "attachment"),
        fix={"new_method": "single_source"}),
    "MethodChangeView.edit": Case(
        "pds_clerk", "/methodchangeview", MethodChange, method_change_input, SAME_METHOD,
        setup=draft_method_change, file=Upload("attachment", "新的情况说明.pdf", "attachment"),
        fix={"new_method": "negotiation"}),
    "SpendingReductionView.add": Case(
        "pds_clerk", "/spendingreductionview", SpendingReduction, reduction_input,
        TOO_MUCH_REDUCTION, fix={"amount": "1000.00"}),
    "SpendingReductionView.edit": Case(
        "pds_clerk", "/spendingreductionview", SpendingReduction, reduction_input,
        TOO_MUCH_REDUCTION, setup=draft_reduction, fix={"amount": "2000.00"}),
    # 合同管理
    "ContractView.add": Case(
        "pds_clerk", "/contractview", Contract, lambda ctx: contract_input(ctx, funding="20000.01"),
        f"用款计划“YK{business_today().year}-PDS-001”的本合同拟使用计划金额累计20,000.01 元"
        "超过申请使用计划金额20,000.00 元。",
        setup=completed_plan, file=Upload("contract_file", "家具采购合同（签字版）.pdf", "file"),
        fix=contract_input),
    "ContractView.edit": Case(
        "pds_clerk", "/contractview", Contract, lambda ctx: contract_input(ctx, total="19999.99"),
        "合同总金额不能小于本合同金额。", setup=draft_contract,
        file=Upload("contract_file", "合同补充版.pdf", "file"), fix={"total_amount": "20000.00"}),
    "MigrantAccountView.add": Case(
        "pds_clerk", "/migrantaccountview", MigrantAccount, wage_account_input,
        "只有工程类项目需要登记农民工工资专用账户。"),
    "MigrantAccountView.edit": Case(
        "pds_clerk", "/migrantaccountview", MigrantAccount, wage_account_input,
        "只有工程类项目需要登记农民工工资专用账户。",
        setup=existing(MigrantAccount, account_no="4100100201000888888")),
    "PaymentView.add": Case(
        "pds_clerk", "/paymentview", PaymentApplication, payment_input, TOO_MUCH_PAYMENT,
        fix={"amount": "1000.00"}),
    "PaymentView.edit": Case(
        "pds_clerk", "/paymentview", PaymentApplication, payment_input, TOO_MUCH_PAYMENT,
        setup=draft_payment, fix={"amount": "2000.00"}),
    # 监督管理
    "BidChangeFilingView.add": Case(
        "zz_clerk", "/bidchangefilingview", BidChangeFiling, filing_input,
        "变更事项不能超过2000个字。",
        file=Upload("explanation", "情况说明（盖章）.pdf", "explanation"),
        fix={"change_content": "中标供应商名称变更"}),
    "BidChangeFilingView.edit": Case(
        "zz_clerk", "/bidchangefilingview", BidChangeFiling, filing_input,
        "变更事项不能超过2000个字。", setup=draft_filing,
        file=Upload("explanation", "补充情况说明.pdf", "explanation"),
        fix={"change_content": "中标金额变更"}),
    "BidChangeAnnouncementView.add": Case(
        "zz_clerk", "/bidchangeannouncementview", BidChangeAnnouncement, announcement_input,
        GATE.format(what="新增")),
    "BidChangeAnnouncementView.edit": Case(
        "zz_clerk", "/bidchangeannouncementview", BidChangeAnnouncement,
        lambda ctx: announcement_input(ctx, ctx.ids["other_project"]), GATE.format(what="修改"),
        setup=announcement_of_completed_filing),
    # 本单位注册信息, 供应商信息
    "UnitRegistrationView.edit": Case(
        "zz03001", "/unitregistrationview", UnitRegistration,
        lambda ctx: correction(ctx.app, credit_code=wrong_check_digit(credit_code()),
                               address="郑州市中原区某路1号院2号楼"),
        "统一社会信用代码校验位不正确，请核对。", setup=returned_registration,
        fix={"credit_code": credit_code()}, password=PASSWORD),
    "SupplierSelfView.edit": Case(
        SUPPLIER, "/supplierselfview", Supplier,
        lambda ctx: {k: v for k, v in supplier_input(contact_phone="1390000").items()
                     if k not in ("name", "credit_code")},
        "联系人手机应为11位手机号码。", setup=existing(Supplier, credit_code=SUPPLIER),
        fix={"contact_phone": "13900009999"}),
    # 系统管理
    "RegionView.add": Case(
        "admin", "/regionview", Region,
        lambda ctx: {"code": "9ly", "name": "洛阳市", "short_name": "洛", "sort_order": "9"},
        REGION_CODE, fix={"code": "ly"}),
    "RegionView.edit": Case(
        "admin", "/regionview", Region,
        lambda ctx: {"code": "pds-1", "name": "平顶山市（鹰城）", "short_name": "鹰",
                     "sort_order": "3"},
        REGION_CODE, setup=existing(Region, code="pds"), fix={"code": "pds"}),
    "UnitView.add": Case(
        "admin", "/unitview", Unit,
        lambda ctx: {**unit_input(ctx, "zzjg2", "郑州市财政局第二监管处"), "kind": "supervision",
                     "parent": ""},
        "郑州市已设置监管部门“郑州市财政局政府采购监督管理处”，每个区划只能有一个监管部门。",
        fix={"kind": "division"}),
    "UnitView.edit": Case(
        "admin", "/unitview", Unit, lambda ctx: unit_input(ctx, "zz0102", "郑州市第一中学"),
        "郑州市已有名为“郑州市第一中学”的单位。", setup=existing(Unit, code="zz0102"),
        fix={"name": "郑州外国语学校（新校区）"}),
    "DivisionView.edit": Case(
        "admin", "/divisionview", Unit, lambda ctx: {"competents": [unit_id(ctx, "zz01")]},
        "“郑州市教育局”已由“郑州市财政局行政政法处”分管，请先在该处室中解除。",
        setup=existing(Unit, code="zzd2"), fix={"competents": []}),
    "AdminOperatorView.add": Case(
        "admin", "/adminoperatorview", Operator,
        lambda ctx: {"username": "zz new", "first_name": "张新人", "phone": "13900001111",
                     "unit": unit_id(ctx, "zz0101"), "post": post_id(ctx, "clerk"),
                     "password": "Abc@12345", "conf_password": "Abc@12345"},
        "登录账号只能由字母、数字、下划线、点或连字符组成，3至64位。", fix={"username": "zz_new"}),
    "AdminOperatorView.edit": Case(
        "admin", "/adminoperatorview", Operator,
        lambda ctx: {"first_name": "郑州经办", "phone": "13900002222",
                     "unit": unit_id(ctx, "zz0101"),
                     "post": post_id(ctx, "competent_reviewer"), "active": "y"},
        "主管单位审核岗只能设在一级预算单位（主管单位）。",
        setup=existing(Operator, username="zz_clerk"), at="post",
        fix=lambda ctx: {"post": post_id(ctx, "clerk")}),
    "CatalogueItemView.add": Case(
        "admin", "/catalogueitemview", CatalogueItem,
        lambda ctx: {"code": "A05010299", "name": "其他办公家具", "category": "goods",
                     "centralised": "y", "centralised_limit": "-0.01", "mall_limit": ""},
        "集中采购数额标准不能为负数。", fix={"centralised_limit": "1000000.00"}),
    "CatalogueItemView.edit": Case(
        "admin", "/catalogueitemview", CatalogueItem,
        lambda ctx: {"code": "A02010104", "name": "台式计算机（更新）", "category": "goods",
                     "in_mall": "y", "mall_limit": "-1.00", "centralised_limit": ""},
        "网上商城数额上限不能为负数。", setup=existing(CatalogueItem, code="A02010104"),
        fix={"mall_limit": "5000.00"}),
    "MallProductView.add": Case(
        "admin", "/mallproductview", MallProduct,
        lambda ctx: {"catalogue_item": str(first_id(ctx.app, CatalogueItem,
                                                    CatalogueItem.code == "A02010105")),
                     "brand": "联想", "model": "昭阳X5", "name": "便携式计算机", "unit_name": "台",
                     "configuration": "处理器 Intel Core i5", "active": "y"},
        "配置第1行应为“参数：值”的形式，如“内存：16GB”。",
        fix={"configuration": "处理器：Intel Core i5"}),
    "MallProductView.edit": Case(
        "admin", "/mallproductview", MallProduct,
        lambda ctx: {"catalogue_item": str(first_id(ctx.app, CatalogueItem,
                                                    CatalogueItem.code == "A02010104")),
                     "brand": "联想", "model": "启天M437", "name": "台式计算机", "unit_name": "台",
                     "configuration": "内存：16GB\n内存：32GB", "active": "y"},
        "配置参数“内存”重复。", setup=existing(MallProduct, brand="联想"),
        fix={"configuration": "内存：32GB"}),
    "SupplierView.add": Case(
        "admin", "/supplierview", Supplier,
        lambda ctx: supplier_input(credit_code="91410100MA440A1B2E"),
        "统一社会信用代码校验位不正确，请核对。", fix={"credit_code": "91410100MA47UJ8K33"}),
    "SupplierView.edit": Case(
        "admin", "/supplierview", Supplier,
        lambda ctx: supplier_input(name="郑州智联科技有限公司", credit_code="91410102MA450A1B2W",
                                   legal_phone="0371-6666"),
        "法定代表人手机应为11位手机号码。", fix={"legal_phone": "13900006666"},
        setup=existing(Supplier, credit_code="91410102MA450A1B2W")),
    # 操作权限 (单位管理员)
    "UnitRoleView.add": Case(
        "zz_unitadmin", "/unitroleview", UnitRole,
        lambda ctx: {"name": "采购经办", "description": "负责采购业务的经办人员",
                     "functions": function_ids(ctx)},
        "本单位已有类别名称为“采购经办”的角色。", setup=unit_roles("采购经办"), at="name",
        fix={"name": "采购复核"}),
    "UnitRoleView.edit": Case(
        "zz_unitadmin", "/unitroleview", UnitRole,
        lambda ctx: {"name": "采购经办", "description": "内部审核人员",
                     "functions": function_ids(ctx)},
        "本单位已有类别名称为“采购经办”的角色。",
        setup=unit_roles("采购经办", "内部审核", edit="内部审核"), at="name",
        fix={"name": "内部审核（新）"}),
    "OperatorView.add": Case(
        "zz_unitadmin", "/operatorview", Operator,
        lambda ctx: {"first_name": "新同事", "phone": "1390000", "password": "Abc@12345",
                     "conf_password": "Abc@12345", "internal_review": "1"},
        "请输入11位手机号码。", at="phone", fix={"phone": "13900007777"}),
    "OperatorView.edit": Case(
        "zz_unitadmin", "/operatorview", Operator,
        lambda ctx: {"first_name": "郑州市第一中学采购经办岗位的新同事张三丰同志",
                     "phone": "13900003333", "internal_review": "0", "active": "y"},
        "姓名不能超过20个字。", setup=existing(Operator, username="zz_clerk"), at="first_name",
        fix={"first_name": "张三丰"}),
}
FILE_CASES = [name for name, case in CASES.items() if case.file]
FIXED_CASES = [name for name, case in CASES.items() if case.fix and not case.file]


def post_form(web: Web, path: str, data: dict[str, Any]) -> Any:
    """Open the form (for its CSRF token), then post ``data`` as multipart like a browser."""
    payload = {"csrf_token": web.token(path), **data}
    return web.client.post(path, data=payload, content_type="multipart/form-data")


def with_file(case: Case, data: dict[str, Any], content: bytes = PDF) -> dict[str, Any]:
    if case.file is None:
        return data
    return {**data, case.file.field: (io.BytesIO(content), case.file.name)}


@dataclass
class Refused:
    """A case set up and refused once: its context, the page and the state before."""

    ctx: Context
    web: Web
    path: str
    data: dict[str, Any]
    html: str
    status: int
    before: tuple[int, dict[str, Any] | None, set[Path]]


def refuse(case: Case, app: Flask, request: pytest.FixtureRequest,
           content: bytes = PDF) -> Refused:
    ctx = Context(app, request)
    case.setup(ctx)
    web = signed_in(app, case.user, case.password)
    path, data = case.path(ctx), case.data(ctx)
    record = ctx.ids.get("record")
    before = (count(app, case.model), snapshot(app, case.model, record) if record else None,
              stored_files(app))
    response = post_form(web, path, with_file(case, data, content))
    return Refused(ctx, web, path, data, text(response), response.status_code, before)


def state(app: Flask, case: Case, refused: Refused) -> tuple[int, dict[str, Any] | None, set[Path]]:
    record = refused.ctx.ids.get("record")
    return (count(app, case.model), snapshot(app, case.model, record) if record else None,
            stored_files(app))


@pytest.mark.parametrize("name", list(CASES))
def test_refused_form_keeps_what_was_typed(app: Flask, request: pytest.FixtureRequest,
                                          name: str) -> None:
    case = CASES[name]
    refused = refuse(case, app, request)
    html = refused.html
    assert name.endswith(".add") != ("record" in refused.ctx.ids), "edit cases name their record"
    assert refused.status == 200, html[:1000]
    assert case.message in html, f"{name}: message missing; alerts: {alerts(html)}"
    assert case.message in alerts(html), f"{name}: the message is not flashed"
    if case.at:
        assert shown_at_field(html, case.at, case.message), f"{name}: not shown at {case.at}"
    assert lost_values(html, refused.data) == {}, f"{name}: typed values lost"
    assert state(app, case, refused) == refused.before, f"{name}: something was saved"
    if case.file:
        assert f"已选择：<strong>{case.file.name}</strong>" in html and "重新选择" in html
        assert f'name="{case.file.field}__pending"' in html


def token_of(html: str, field_name: str) -> str:
    tokens = dict(PENDING_TOKEN.findall(html))
    assert field_name in tokens, f"no kept file for {field_name}"
    return tokens[field_name]


def saved_record(app: Flask, case: Case, refused: Refused) -> Any:
    """The record the retry saved: the edited one, or the one the add created."""
    with app.app_context():
        session = db.session()
        pk = refused.ctx.ids.get("record") or session.scalar(select(func.max(case.model.id)))
        record = session.get(case.model, pk)
        session.expunge(record)
        return record


@pytest.mark.parametrize("name", FILE_CASES)
def test_retry_without_choosing_the_file_again_saves_it(app: Flask, request: pytest.FixtureRequest,
                                                       name: str) -> None:
    case = CASES[name]
    assert case.file is not None
    content = PDF + name.encode() + b"\n%%EOF\n"
    refused = refuse(case, app, request, content)
    assert refused.status == 200 and case.message in refused.html
    token = token_of(refused.html, case.file.field)
    assert all(p.is_file() for p in pending_paths(app, token)), "the chosen file is kept"
    added = refused.before[0] + (0 if "record" in refused.ctx.ids else 1)

    retry = {**refused.data, **case.fixed(refused.ctx), f"{case.file.field}__pending": token}
    response = post_form(refused.web, refused.path, retry)
    assert response.status_code == 302, alerts(text(response))
    assert count(app, case.model) == added
    record = saved_record(app, case, refused)
    assert getattr(record, f"{case.file.stored}_name") == case.file.name
    stored = Path(app.config["UPLOAD_FOLDER"]) / getattr(record, f"{case.file.stored}_path")
    assert stored.read_bytes() == content
    assert not any(p.exists() for p in pending_paths(app, token)), "the kept file was not removed"


@pytest.mark.parametrize("name", FIXED_CASES)
def test_the_corrected_form_is_saved(app: Flask, request: pytest.FixtureRequest,
                                     name: str) -> None:
    """The refusal came from the one rule the case breaks: corrected, the same form saves."""
    case = CASES[name]
    refused = refuse(case, app, request)
    assert refused.status == 200 and case.message in refused.html
    response = post_form(refused.web, refused.path, {**refused.data, **case.fixed(refused.ctx)})
    assert response.status_code == 302, alerts(text(response))
    assert state(app, case, refused) != refused.before


def test_another_users_token_is_not_accepted(app: Flask, request: pytest.FixtureRequest) -> None:
    """sj_clerk posts zz_clerk's token: the file is asked for again, zz_clerk's stays kept."""
    case = CASES["BidChangeFilingView.add"]
    assert case.file is not None
    refused = refuse(case, app, request)
    token = token_of(refused.html, case.file.field)
    other = signed_in(app, "sj_clerk")
    data = {**filing_input(refused.ctx), **case.fixed(refused.ctx),
            "project": str(own_id(app, Project, "sj_clerk")), f"{case.file.field}__pending": token}
    before = count(app, BidChangeFiling)
    response = post_form(other, "/bidchangefilingview/add", data)
    html = text(response)
    assert response.status_code == 200
    assert "请上传加盖单位公章的情况说明材料。" in alerts(html)
    assert case.file.name not in html and "已选择" not in html
    assert count(app, BidChangeFiling) == before
    assert all(p.is_file() for p in pending_paths(app, token)), "the owner's file was discarded"


@pytest.fixture(params=["UTC", "Asia/Shanghai", "America/New_York"])
def local_timezone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The server's local time zone (the stored clock is naive UTC whatever it is)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def kept_file(app: Flask, name: str, hours_old: float) -> list[Path]:
    """A file kept for a refused form, last touched ``hours_old`` hours ago; its two paths."""
    with app.test_request_context():
        kept = files.keep_pending(pdf(name), owner_id=1)
        assert kept is not None
    paths = pending_paths(app, kept.token)
    then = time.time() - hours_old * 3600
    for path in paths:
        os.utime(path, (then, then))
    return paths


def test_purge_removes_kept_files_older_than_a_day(app: Flask, local_timezone: str) -> None:
    old, recent = kept_file(app, "旧.pdf", 25), kept_file(app, "新.pdf", 23)
    with app.app_context():
        removed = files.purge_pending(utcnow())  # what the scheduler passes: naive UTC
    assert not any(p.exists() for p in old), f"a 25-hour-old file stayed ({local_timezone})"
    assert all(p.exists() for p in recent), f"a 23-hour-old file was removed ({local_timezone})"
    assert removed >= 1
    fresh = kept_file(app, "刚选择.pdf", 0)
    with app.app_context():  # a day and an hour later both are abandoned
        assert files.purge_pending(utcnow() + timedelta(hours=25)) >= 2
    assert not any(p.exists() for p in [*recent, *fresh])


def form_pages(app: Flask) -> set[str]:
    """``<View>.add`` / ``<View>.edit`` of every ModelView allowing can_add / can_edit."""
    found = set()
    views: list[Any] = app.appbuilder.baseviews  # type: ignore[attr-defined]
    for view in views:
        if isinstance(view, ModelView):
            for kind in ("add", "edit"):
                if f"can_{kind}" in (view.base_permissions or []):
                    found.add(f"{type(view).__name__}.{kind}")
    return found


def test_every_form_has_a_refusal_case(app: Flask) -> None:
    forms = form_pages(app)
    assert forms - set(CASES) == set(), "add/edit form without a refusal case in CASES"
    assert set(CASES) - forms == set(), "case for a form that does not exist"
