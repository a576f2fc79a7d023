"""Demo data: three regions with their departments, units and one account per post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo_flows import DEMO_PASSWORD, load_projects, load_suppliers
from app.demo_mall import load_mall
from app.permissions import SYS_ADMIN
from app.services.notifications import without_sms
from app.services.operators import create_operator
from app.services.organisation import validate_division, validate_region, validate_unit
from app.timezone import business_today
from models import (
    CatalogueItem,
    Category,
    Intention,
    Operator,
    Project,
    Region,
    SpendingPlan,
    Unit,
    UnitKind,
)


@dataclass(frozen=True)
class DemoRegion:
    """One region's organisations, by name."""

    code: str
    name: str
    short_name: str
    supervision: str
    divisions: tuple[str, str]
    competents: tuple[tuple[str, tuple[str, str]], tuple[str, tuple[str, str]]]
    office: str | None = None


REGIONS = (
    DemoRegion(
        "sj", "省直", "豫", "河南省财政厅政府采购监督管理处",
        ("河南省财政厅行政政法处", "河南省财政厅社会保障处"),
        (
            ("河南省教育厅", ("河南省实验中学", "河南省教育考试院")),
            ("河南省卫生健康委员会", ("河南省人民医院", "河南省疾病预防控制中心")),
        ),
    ),
    DemoRegion(
        "zz", "郑州市", "郑", "郑州市财政局政府采购监督管理处",
        ("郑州市财政局行政政法处", "郑州市财政局社会保障处"),
        (
            ("郑州市教育局", ("郑州市第一中学", "郑州外国语学校")),
            ("郑州市卫生健康委员会", ("郑州市中心医院", "郑州市疾病预防控制中心")),
        ),
        office="郑州市政府采购办公室",
    ),
    DemoRegion(
        "pds", "平顶山市", "平", "平顶山市财政局政府采购监督管理科",
        ("平顶山市财政局行政政法科", "平顶山市财政局社会保障科"),
        (
            ("平顶山市教育局", ("平顶山市第一中学", "平顶山市实验高中")),
            ("平顶山市卫生健康委员会", ("平顶山市第一人民医院", "平顶山市疾病预防控制中心")),
        ),
        office="平顶山市政府采购办公室",
    ),
)


CATALOGUE = (
    ("A02010104", "台式计算机", Category.goods, True, "500000.00", True, "1000000.00"),
    ("A02010105", "便携式计算机", Category.goods, True, "500000.00", True, "1000000.00"),
    ("A05010201", "办公桌椅", Category.goods, False, None, False, None),
    ("A02320000", "医疗设备", Category.goods, False, None, False, None),
    ("B07000000", "房屋修缮工程", Category.works, False, None, False, None),
    ("C16000000", "信息技术服务", Category.services, False, None, False, None),
    ("C21040000", "物业管理服务", Category.services, False, None, True, "2000000.00"),
)
INTENTIONS = (  # (project name, budget, days since publication)
    ("教学设备更新项目", "860000.00", 10),
    ("校园物业管理服务项目", "1200000.00", 45),
    ("图书馆改造工程", "2300000.00", 100),
)
PROJECTS = (
    ("教学楼维修改造工程", "河南中原建设工程有限公司", "1286500.00"),
    ("信息化设备采购项目", "郑州智联科技有限公司", "458000.00"),
)


class DemoAlreadyLoaded(RuntimeError):
    """The demo data is present already."""


def _unit(session: Session, region: Region, code: str, name: str, kind: UnitKind,
          parent: Unit | None = None) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, region=region, parent=parent, active=True)
    validate_unit(session, unit)
    session.add(unit)
    session.flush()
    return unit


def clerk_of_unit(session: Session, username: str) -> Operator:
    """The demo clerk, just created."""
    return session.scalar(select(Operator).where(Operator.username == username))


def _catalogue(session: Session) -> None:
    for code, name, category, mall, mall_limit, central, central_limit in CATALOGUE:
        session.add(CatalogueItem(
            code=code, name=name, category=category, in_mall=mall,
            mall_limit=Decimal(mall_limit) if mall_limit else None, centralised=central,
            centralised_limit=Decimal(central_limit) if central_limit else None))


def _plan_data(session: Session, spec: DemoRegion, unit: Unit, clerk: Operator) -> None:
    """Spending plans and intentions (published 10, 45 and 100 days ago) of a demo unit."""
    year = business_today().year
    for n, (name, amount) in enumerate((("公用设备购置", "3000000.00"),
                                        ("专项业务经费", "5000000.00")), start=1):
        session.add(SpendingPlan(external_no=f"YK{year}-{spec.code.upper()}-{n:03d}", unit=unit,
                                 name=f"{year}年{name}", year=year, plan_amount=Decimal(amount)))
    for name, budget, days in INTENTIONS:
        session.add(Intention(
            unit=unit, project_name=f"{unit.name}{name}",
            demand_summary=f"{name}，满足日常工作需要。",
            budget_amount=Decimal(budget), expected_month=business_today().strftime("%Y-%m"),
            status="published", published_on=business_today() - timedelta(days=days),
            created_by_id=clerk.id))


def load_demo(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo organisations and accounts through the services.

    :returns: (account, post, unit) for every demo account, for the README table
    :raises DemoAlreadyLoaded: when region ``sj`` exists already
    """
    if session.scalar(select(Region.id).where(Region.code == "sj")) is not None:
        raise DemoAlreadyLoaded("演示数据已存在，未重复导入。")
    phone = iter(range(13800000001, 13800009999))
    accounts: list[tuple[str, str, str]] = []

    def person(username: str, name: str, post: str, unit: Unit | None) -> None:
        op = create_operator(
            session, name=name, phone=str(next(phone)), password=DEMO_PASSWORD,
            post_code=post, unit=unit, username=username,
        )
        accounts.append((op.username, op.post.name, unit.name if unit else "—"))

    person("admin", "系统管理员", SYS_ADMIN, None)
    _catalogue(session)
    for order, spec in enumerate(REGIONS):
        region = Region(code=spec.code, name=spec.name, short_name=spec.short_name,
                        sort_order=order)
        validate_region(session, region)
        session.add(region)
        session.flush()
        p = spec.code
        supervision = _unit(session, region, f"{p}jg", spec.supervision, UnitKind.supervision)
        divisions = [
            _unit(session, region, f"{p}d{i + 1}", name, UnitKind.division)
            for i, name in enumerate(spec.divisions)
        ]
        competents = []
        for i, (name, subordinates) in enumerate(spec.competents):
            competent = _unit(session, region, f"{p}{i + 1:02d}", name, UnitKind.purchaser)
            competents.append(competent)
            for j, sub in enumerate(subordinates):
                _unit(session, region, f"{p}{i + 1:02d}{j + 1:02d}", sub,
                      UnitKind.purchaser, competent)
        for division, competent in zip(divisions, competents, strict=True):
            division.competents = [competent]
            validate_division(session, division)
        office = None
        if spec.office:
            office = _unit(session, region, f"{p}cgb", spec.office, UnitKind.office)
        session.flush()
        clerk_unit = competents[0].children[0]
        person(f"{p}_clerk", f"{spec.name}经办人", "clerk", clerk_unit)
        person(f"{p}_internal", f"{spec.name}内审员", "internal_reviewer", clerk_unit)
        person(f"{p}_unitadmin", f"{spec.name}单位管理员", "unit_admin", clerk_unit)
        person(f"{p}_competent", f"{spec.name}主管审核人", "competent_reviewer", competents[0])
        person(f"{p}_div_first", f"{spec.name}处室初审人", "division_first", divisions[0])
        person(f"{p}_div_review", f"{spec.name}处室复核人", "division_review", divisions[0])
        person(f"{p}_sup_first", f"{spec.name}监管初审人", "supervision_first", supervision)
        person(f"{p}_sup_review", f"{spec.name}监管复核人", "supervision_review", supervision)
        if office is not None and p == "zz":
            person("zz_office", "郑州市采购办审核人", "office_reviewer", office)
        _plan_data(session, spec, clerk_unit, clerk_of_unit(session, f"{p}_clerk"))
        for number, (name, supplier, amount) in enumerate(PROJECTS, start=1):
            session.add(Project(
                unit=clerk_unit, code=f"{spec.short_name}财招标采购-2026-{order * 10 + number}",
                name=f"{clerk_unit.name}{name}", winning_supplier=supplier,
                winning_amount=Decimal(amount), result_date=date(2026, 10, number),
            ))
    session.commit()
    load_suppliers(session)
    session.commit()
    # The demo's filings are made-up history: 消息中心 shows their messages, but no SMS goes
    # to its made-up phones.
    with without_sms():
        load_projects(session)
        load_mall(session, DEMO_PASSWORD)
    return accounts
