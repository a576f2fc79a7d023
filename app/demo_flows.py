"""Demo suppliers and projects, created through the same services as any other."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import contracts, failures, plans
from app.services import workflow as flow
from app.services.accounts import supplier_account
from app.services.contracts import validate_supplier
from app.timezone import business_today
from models import (
    CatalogueItem,
    MigrantAccount,
    Operator,
    ProcurementPlan,
    SpendingPlan,
    Supplier,
    WorkflowTask,
)
from workflow import Decision

DEMO_PASSWORD = "Demo@2026"
SUPPLIERS = (  # name, 统一社会信用代码 (valid check digits), contact, legal representative
    ("河南中原建设工程有限公司", "91410100MA440A1B2D", "王建国", "张中原"),
    ("郑州智联科技有限公司", "91410102MA450A1B2W", "李智", "赵联"),
    ("平顶山鹰城家具有限公司", "91410400MA460A1B22", "孙鹰", "周城"),
)


def _operator(session: Session, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def load_suppliers(session: Session) -> list[Supplier]:
    """Demo suppliers, validated like any other."""
    found = []
    for n, (name, code, contact, legal) in enumerate(SUPPLIERS, start=1):
        supplier = Supplier(name=name, credit_code=code, contact_name=contact,
                            contact_phone=f"1390000000{n}", legal_name=legal,
                            legal_phone=f"1390000001{n}", bank_account_name=name,
                            bank_account_no=f"41000{n:02d}0010052512345",
                            bank_name="中国建设银行郑州分行")
        validate_supplier(session, supplier)
        supplier_account(session, supplier, DEMO_PASSWORD)
        found.append(supplier)
    session.flush()
    return found


# Completed plans of pds_clerk's unit, ready for 合同备案, 支付 and 采购失败方式变更:
# (project, 品目, amount, method, the failure recorded for it).
# All are paid from the unit's second 用款计划.
PROJECTS = (
    ("教学楼维修改造工程", "B07000000", "1280000.00", "open_tender", ""),
    ("办公家具采购项目", "A05010201", "300000.00", "open_tender", ""),
    ("校园信息化运维服务项目（竞争性磋商失败）", "C16000000", "600000.00", "consultation",
     "提交响应文件的供应商不足三家，竞争性磋商终止。"),
    ("校医室医疗设备采购项目（公开招标失败）", "A02320000", "800000.00", "open_tender",
     "投标截止时投标人不足三家，公开招标失败。"),
)
APPROVERS = ("pds_internal", "pds_competent", "pds_div_first", "pds_div_review")


def load_projects(session: Session) -> list[ProcurementPlan]:
    """Completed 平顶山 plans (an engineering one with its wage account) through the chain."""
    clerk = _operator(session, "pds_clerk")
    spending = session.scalar(select(SpendingPlan.id).where(SpendingPlan.unit_id == clerk.unit_id)
                              .order_by(SpendingPlan.external_no.desc()))
    done = []
    for name, code, amount, method, failure in PROJECTS:
        item = session.scalar(select(CatalogueItem.id).where(CatalogueItem.code == code))
        plan = plans.save_plan(session, clerk, plans.PlanInput(
            project_name=f"{clerk.unit.name}{name}", fund_source="spending_plan",
            fiscal_amount=amount, items=[plans.ItemInput(
                item, "1", amount, method, "符合法定情形" if method != "open_tender" else "",
                "decentralised")],
            fundings={spending: amount}), {})
        flow.submit_record(session, plans.RECORD, plan, clerk)
        for username in APPROVERS:
            task = session.scalar(select(WorkflowTask).where(
                WorkflowTask.instance_id == flow.instance_of(session, plans.RECORD, plan.id).id,
                WorkflowTask.status == "open"))
            flow.act_on_task(session, task.id, _operator(session, username),
                             Decision("approve", "同意"), task.version)
        if failure:
            failures.save_failure(session, clerk, {"plan_id": plan.id, "reason": failure,
                                                   "failed_on": business_today()})
        done.append(plan)
    engineering = done[0]
    account = MigrantAccount(
        plan_id=engineering.id, account_name="河南中原建设工程有限公司农民工工资专户",
        account_no="4100100201000888888", bank_name="中国银行平顶山分行",
        contractor=session.scalar(select(Supplier).order_by(Supplier.id)))
    contracts.prepare_migrant_account(session, account, clerk)
    session.add(account)
    session.commit()
    return done
