"""Many rows at once, by direct inserts, for the query-budget tests of the list pages.

Every seeder has the signature ``seed(session, user, start, count)``: it adds ``count`` rows that
``user`` sees on the list, numbered from ``start`` so that a second call adds different rows.
Rows get their own related records (supplier, project, plan, unit…) wherever the list shows one,
so that a lazy load per row cannot hide behind the session's identity map.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_appbuilder.security.sqla.models import PermissionView, Role
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.services import bids
from app.services import workflow as flow
from app.timezone import utcnow
from models import (
    AppFunction,
    BidChangeAnnouncement,
    BidChangeFiling,
    CatalogueItem,
    Category,
    Contract,
    ContractFunding,
    ContractNotice,
    FundSource,
    Intention,
    Method,
    MethodChange,
    MigrantAccount,
    Notification,
    Operator,
    Organisation,
    OutboxMessage,
    PaymentApplication,
    PlanFunding,
    PlanItem,
    Post,
    ProcurementFailure,
    ProcurementPlan,
    Project,
    RecoveryAttempt,
    ReductionKind,
    Region,
    SmsMessage,
    SpendingPlan,
    SpendingReduction,
    Supplier,
    Unit,
    UnitKind,
    UnitRegistration,
    UnitRole,
    WorkflowInstance,
    WorkflowTask,
)

Seeder = Callable[[Any, Operator, int, int], None]
AMOUNT = Decimal("1000.00")


def _by_name(session: Any, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def _post(session: Any, code: str) -> Post:
    return session.scalar(select(Post).where(Post.code == code))


def _region(session: Any, code: str) -> Region:
    return session.scalar(select(Region).where(Region.code == code))


def _clerk(session: Any, user: Operator) -> Operator:
    """The clerk who files the records of ``user``'s unit (``user`` when a clerk)."""
    if user.post_code == "clerk":
        return user
    return session.scalar(select(Operator).join(Operator.post).where(
        Operator.unit_id == user.unit_id, Post.code == "clerk").order_by(Operator.id))


def _regions(session: Any, start: int, count: int) -> list[Region]:
    rows = [Region(code=f"qb{n}", name=f"预算区划{n}", short_name=f"预{n}", sort_order=100 + n)
            for n in range(start, start + count)]
    session.add_all(rows)
    return rows


def _operators(session: Any, units: list[Unit], post_code: str, start: int) -> list[Operator]:
    post = _post(session, post_code)
    rows = [Operator(username=f"qb_user{start + n}", first_name=f"预算{start + n}", last_name="",
                     email=f"qb_user{start + n}@qb.invalid", active=True, unit=unit, post=post,
                     phone=f"137{start + n:08d}", internal_review=False)
            for n, unit in enumerate(units)]
    session.add_all(rows)
    return rows


def _suppliers(session: Any, start: int, count: int) -> list[Supplier]:
    rows = [Supplier(name=f"预算供应商{n}", credit_code=f"QB{n:016d}", contact_name="联系人",
                     contact_phone="13900009999", legal_name="法人", legal_phone="13900008888",
                     bank_account_name=f"预算供应商{n}", bank_account_no=f"6222{n:012d}",
                     bank_name="中国银行") for n in range(start, start + count)]
    session.add_all(rows)
    return rows


def _projects(session: Any, unit_id: int, start: int, count: int) -> list[Project]:
    rows = [Project(unit_id=unit_id, code=f"QB-PRJ-{n}", name=f"预算项目{n}",
                    winning_supplier=f"中标供应商{n}", winning_amount=AMOUNT,
                    result_date=date(2026, 1, 1)) for n in range(start, start + count)]
    session.add_all(rows)
    return rows


def _plans(session: Any, clerk: Operator, start: int, count: int,
           status: str = "completed") -> list[ProcurementPlan]:
    """Plans of the clerk's unit, each with one item (of its own 品目) and one funding (of its
    own 用款计划)."""
    year = date.today().year
    rows = []
    for n in range(start, start + count):
        catalogue = CatalogueItem(code=f"QBPM{n:06d}", name=f"预算品目{n}",
                                  category=Category.goods, in_mall=False, centralised=False)
        spending = SpendingPlan(external_no=f"QB-YK-{n:04d}", unit_id=clerk.unit_id,
                                name=f"预算用款计划{n}", year=year, plan_amount=AMOUNT * 10)
        plan = ProcurementPlan(
            unit_id=clerk.unit_id, project_name=f"预算采购计划{n}",
            fund_source=FundSource.spending_plan, method=Method.open_tender,
            fiscal_amount=AMOUNT, own_amount=Decimal("0"), status=status,
            plan_number=f"QB计划-{n}" if status == "completed" else None,
            created_by_id=clerk.id, completed_on=utcnow() if status == "completed" else None,
            items=[PlanItem(catalogue_item=catalogue, quantity=Decimal("1"), amount=AMOUNT,
                            method=Method.open_tender, organisation=Organisation.decentralised)],
            fundings=[PlanFunding(spending_plan=spending, amount=AMOUNT)])
        rows.append(plan)
    session.add_all(rows)
    return rows


def _contracts(session: Any, clerk: Operator, start: int, count: int) -> list[Contract]:
    """Announced contracts, each of its own plan and supplier, funded by the plan's 用款计划."""
    plans = _plans(session, clerk, start, count)
    suppliers = _suppliers(session, start, count)
    rows = [Contract(
        unit_id=clerk.unit_id, plan=plan, code=f"QB-HT-{n}", name=f"预算合同{n}",
        supplier=supplier, amount=AMOUNT, signed_on=date(2026, 1, 1), total_contracts=1,
        total_amount=AMOUNT, status="completed", announced_on=utcnow(), created_by_id=clerk.id,
        items=list(plan.items),
        fundings=[ContractFunding(spending_plan=plan.fundings[0].spending_plan, amount=AMOUNT)],
        notices=[ContractNotice(
            kind="announcement", published_on=utcnow(), unit_name=clerk.unit.name,
            plan_number=plan.plan_number, project_name=plan.project_name, code=f"QB-HT-{n}",
            name=f"预算合同{n}", supplier_name=supplier.name,
            supplier_credit_code=supplier.credit_code, amount=AMOUNT, total_amount=AMOUNT,
            total_contracts=1, signed_on=date(2026, 1, 1))])
        for n, plan, supplier in zip(range(start, start + count), plans, suppliers, strict=True)]
    session.add_all(rows)
    return rows


def intentions(session: Any, user: Operator, start: int, count: int) -> None:
    session.add_all(Intention(
        unit_id=user.unit_id, project_name=f"预算意向{n}", demand_summary="需求概况",
        budget_amount=AMOUNT, expected_month="2026-12", status="published",
        published_on=date.today() - timedelta(days=1), created_by_id=_clerk(session, user).id)
        for n in range(start, start + count))


def plans(session: Any, user: Operator, start: int, count: int) -> None:
    _plans(session, _clerk(session, user), start, count)


def method_changes(session: Any, user: Operator, start: int, count: int) -> None:
    clerk = _clerk(session, user)
    session.add_all(MethodChange(
        unit_id=clerk.unit_id, plan=plan, old_method=Method.open_tender,
        new_method=Method.consultation, reason="公开招标失败", status="draft",
        created_by_id=clerk.id) for plan in _plans(session, clerk, start, count))


def failures(session: Any, user: Operator, start: int, count: int) -> None:
    clerk = _clerk(session, user)
    session.add_all(ProcurementFailure(
        unit_id=clerk.unit_id, plan=plan, method=Method.open_tender, failed_on=date(2026, 1, 2),
        reason="投标人不足三家", created_by_id=clerk.id)
        for plan in _plans(session, clerk, start, count))


def reductions(session: Any, user: Operator, start: int, count: int) -> None:
    clerk = _clerk(session, user)
    session.add_all(SpendingReduction(
        unit_id=clerk.unit_id, spending_plan=plan.fundings[0].spending_plan,
        kind=ReductionKind.balance, amount=Decimal("10.00"), reason="结余", status="draft",
        created_by_id=clerk.id) for plan in _plans(session, clerk, start, count))


def contracts(session: Any, user: Operator, start: int, count: int) -> None:
    _contracts(session, _clerk(session, user), start, count)


def migrant_accounts(session: Any, user: Operator, start: int, count: int) -> None:
    clerk = _clerk(session, user)
    session.add_all(MigrantAccount(
        unit_id=clerk.unit_id, plan=plan, account_name=f"农民工工资专户{n}",
        account_no=f"4100{n:012d}", bank_name="中国银行", contractor=supplier)
        for n, plan, supplier in zip(range(start, start + count),
                                     _plans(session, clerk, start, count),
                                     _suppliers(session, start, count), strict=True))


def payments(session: Any, user: Operator, start: int, count: int) -> None:
    clerk = _clerk(session, user)
    session.add_all(PaymentApplication(
        unit_id=clerk.unit_id, contract=contract,
        spending_plan=contract.fundings[0].spending_plan, amount=Decimal("100.00"),
        payee_name=contract.supplier.name, payee_account="6222", payee_bank="中国银行",
        application_no=f"QB-ZF-{n}", status="sent", sent_on=utcnow(), created_by_id=clerk.id)
        for n, contract in zip(range(start, start + count),
                               _contracts(session, clerk, start, count), strict=True))


def bid_filings(session: Any, user: Operator, start: int, count: int) -> None:
    clerk = _clerk(session, user)
    projects = _projects(session, clerk.unit_id, start, count)
    authors = _operators(session, [clerk.unit] * count, "clerk", start)
    session.add_all(BidChangeFiling(
        unit_id=clerk.unit_id, project=project, change_content="供应商更名",
        change_reason="工商变更", explanation_path="x.pdf", explanation_name="说明.pdf",
        status="draft", created_by=author)
        for project, author in zip(projects, authors, strict=True))


def announcements(session: Any, user: Operator, start: int, count: int,
                  published: bool = False) -> None:
    session.add_all(BidChangeAnnouncement(
        unit_id=user.unit_id, project=project, title=f"变更公告{project.code}", content="内容",
        published=published, published_on=utcnow() if published else None)
        for project in _projects(session, user.unit_id, start, count))


def published_announcements(session: Any, user: Operator, start: int, count: int) -> None:
    announcements(session, user, start, count, published=True)


def projects(session: Any, user: Operator, start: int, count: int) -> None:
    _projects(session, user.unit_id, start, count)


def suppliers(session: Any, user: Operator, start: int, count: int) -> None:
    _suppliers(session, start, count)


def regions(session: Any, user: Operator, start: int, count: int) -> None:
    """Regions, each with its own supervision department (shown on the list)."""
    session.add_all(Unit(code=f"qbjg{region.code}", name=f"{region.name}监管部门",
                         kind=UnitKind.supervision, region=region, active=True)
                    for region in _regions(session, start, count))


def units(session: Any, user: Operator, start: int, count: int) -> None:
    """A first-level unit and its subordinate per new region (region and parent per row)."""
    for n, region in zip(range(start, start + count), _regions(session, start, count),
                         strict=True):
        parent = Unit(code=f"qbu{n}", name=f"预算主管单位{n}", kind=UnitKind.purchaser,
                      region=region, active=True)
        session.add_all([parent, Unit(code=f"qbu{n}-1", name=f"预算下属单位{n}",
                                      kind=UnitKind.purchaser, region=region, parent=parent,
                                      active=True)])


def divisions(session: Any, user: Operator, start: int, count: int) -> None:
    """Business divisions of new regions, each responsible for its own competent department."""
    for n, region in zip(range(start, start + count), _regions(session, start, count),
                         strict=True):
        competent = Unit(code=f"qbc{n}", name=f"预算主管部门{n}", kind=UnitKind.purchaser,
                         region=region, active=True)
        session.add(Unit(code=f"qbd{n}", name=f"预算业务处室{n}", kind=UnitKind.division,
                         region=region, active=True, competents=[competent]))


def all_operators(session: Any, user: Operator, start: int, count: int) -> None:
    region = _region(session, "sj")
    units = [Unit(code=f"qbo{n}", name=f"预算人员单位{n}", kind=UnitKind.purchaser,
                  region=region, active=True) for n in range(start, start + count)]
    session.add_all(units)
    _operators(session, units, "clerk", start)


def unit_operators(session: Any, user: Operator, start: int, count: int) -> None:
    _operators(session, [user.unit] * count, "clerk", start)


def posts(session: Any, user: Operator, start: int, count: int) -> None:
    session.add_all(Post(code=f"qb_post{n}", name=f"预算岗位{n}", unit_kind="purchaser",
                         sort_order=100 + n) for n in range(start, start + count))


def catalogue(session: Any, user: Operator, start: int, count: int) -> None:
    session.add_all(CatalogueItem(code=f"QB{n:06d}", name=f"预算品目{n}", category=Category.goods,
                                  in_mall=False, centralised=False)
                    for n in range(start, start + count))


def outbox(session: Any, user: Operator, start: int, count: int) -> None:
    session.add_all(OutboxMessage(topic="payment", key=f"QB-{n}", payload="{}")
                    for n in range(start, start + count))


def sms(session: Any, user: Operator, start: int, count: int) -> None:
    session.add_all(SmsMessage(phone="13800000000", purpose="reminder", body=f"提醒{n}",
                               redacted=f"提醒{n}", status="delivered")
                    for n in range(start, start + count))


def recovery_attempts(session: Any, user: Operator, start: int, count: int) -> None:
    session.add_all(RecoveryAttempt(client="127.0.0.1", credit_code=f"QB{n:016d}",
                                    phone_tail="0000", outcome="no_match")
                    for n in range(start, start + count))


def roles(session: Any, user: Operator, start: int, count: int) -> None:
    """FAB roles, each with two permissions of its own (views and permission names differ)."""
    pvs = list(session.scalars(select(PermissionView).order_by(PermissionView.id)))
    session.add_all(Role(name=f"预算角色{n}", permissions=[pvs[(2 * n) % len(pvs)],
                                                         pvs[(2 * n + 1) % len(pvs)]])
                    for n in range(start, start + count))


def unit_roles(session: Any, user: Operator, start: int, count: int) -> None:
    functions = list(session.scalars(select(AppFunction).order_by(AppFunction.id)))
    session.add_all(UnitRole(unit_id=user.unit_id, name=f"预算角色{n}",
                             functions=[functions[n % len(functions)]])
                    for n in range(start, start + count))


def registrations(session: Any, user: Operator, start: int, count: int) -> None:
    """Self-registered units of the user's region, waiting for review (unit and admin per row)."""
    region_id = user.unit.region_id
    units = [Unit(code=f"qbr{n}", name=f"预算注册单位{n}", kind=UnitKind.purchaser,
                  region_id=region_id, active=False) for n in range(start, start + count)]
    admins = _operators(session, units, "unit_admin", start)
    session.add_all(UnitRegistration(unit=unit, admin=admin, credit_code=f"QB{n:016d}",
                                     address="地址", phone="0371-0000000", status="in_review")
                    for n, unit, admin in zip(range(start, start + count), units, admins,
                                              strict=True))


def _template_task(session: Any, user: Operator) -> WorkflowTask:
    """A task of the user's post and unit made by the services (a submitted filing)."""
    clerk = _clerk(session, user)
    project = session.scalar(select(Project).where(Project.unit_id == clerk.unit_id))
    filing = BidChangeFiling(project_id=project.id, change_content="模板", change_reason="模板")
    bids.prepare_filing(session, filing, clerk,
                        FileStorage(io.BytesIO(b"%PDF-1.4 t"), filename="说明.pdf"), creating=True)
    session.add(filing)
    session.commit()
    flow.submit_record(session, bids.RECORD, filing, clerk)
    return session.scalar(select(WorkflowTask).where(
        WorkflowTask.instance_id == flow.instance_of(session, bids.RECORD, filing.id).id))


def _tasks(session: Any, user: Operator, count: int, done: bool) -> None:
    """Tasks copied from a real one, each on a filing and an instance of its own."""
    template = _template_task(session, user)
    source = template.instance
    for _ in range(count):
        filing = BidChangeFiling(
            unit_id=source.unit_id, project_id=session.get(BidChangeFiling,
                                                           source.record_id).project_id,
            change_content="变更", change_reason="原因", explanation_path="x.pdf",
            explanation_name="说明.pdf", status="in_review", created_by_id=source.submitter_id)
        session.add(filing)
        session.flush()
        instance = WorkflowInstance(
            workflow=source.workflow, definition_hash=source.definition_hash,
            record_type=source.record_type, record_id=filing.id, unit_id=source.unit_id,
            submitter_id=source.submitter_id, status=source.status, step=source.step,
            version=1)
        session.add(WorkflowTask(
            instance=instance, step=template.step, step_label=template.step_label,
            post_code=template.post_code, unit_id=template.unit_id,
            status="done" if done else "open", acted_on=utcnow() if done else None,
            actor_id=user.id if done else None))


def open_tasks(session: Any, user: Operator, start: int, count: int) -> None:
    _tasks(session, user, count, done=False)


def done_tasks(session: Any, user: Operator, start: int, count: int) -> None:
    _tasks(session, user, count, done=True)


def notifications(session: Any, user: Operator, start: int, count: int) -> None:
    session.add_all(Notification(recipient_id=user.id, kind="reminder", title=f"提醒{n}",
                                 body="请处理", link="/tasks/")
                    for n in range(start, start + count))


def seed(app: Any, seeder: Seeder, username: str | None, start: int, count: int) -> None:
    """Run ``seeder`` for ``username`` (a clerk for public pages) and commit."""
    with app.test_request_context():
        session = app.appbuilder.session
        seeder(session, _by_name(session, username or "pds_clerk"), start, count)
        session.commit()
