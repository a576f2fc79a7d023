"""Demo 网上商城: mall 品目, e-commerce suppliers with listed offers, one completed mall plan
per demo region to buy against. Created through the same services as any other record."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.services import plans
from app.services import workflow as flow
from app.services.accounts import supplier_account
from app.services.contracts import validate_supplier
from app.services.notifications import holders
from app.timezone import business_today, utcnow
from models import (
    CatalogueItem,
    Category,
    Operator,
    SpendingPlan,
    Supplier,
    WorkflowTask,
)
from models.mall import MallOffer, MallPolicy, MallProduct, OfferPriceHistory, OfferStatus
from workflow import Decision

# (code, name, 网上商城数额上限): the mall 品目 added to the demo catalogue.
MALL_ITEMS = (
    ("A02021003", "激光打印机", "200000.00"),
    ("A05040101", "复印纸", "100000.00"),
    ("A06010300", "椅凳类", "200000.00"),
)
# E-commerce suppliers: name, 统一社会信用代码, contact, legal representative, 中小企业.
MALL_SUPPLIERS = (
    ("河南京采电子商务有限公司", "91410100MA470A1B25", "钱京采", "吴电商", False),
    ("郑州苏采商贸有限公司", "91410105MA480A1B20", "郑苏", "冯商贸", True),
    ("河南办公优选科技有限公司", "91410104MA490A1B24", "陈优选", "褚科技", True),
)
# (品目, brand, model, name, unit, configuration, flags, offers: (supplier no, sku, price,
# stock, lead days, market price)).
PRODUCTS = (
    ("A02010104", "联想", "启天M437", "台式计算机", "台",
     "处理器：Intel Core i5-12500\n内存：16GB DDR4\n硬盘：512GB SSD\n显示器：23.8英寸\n"
     "操作系统：国产操作系统", ("energy_saving",),
     ((1, "JC-100012", "5299.00", 200, 3, "5699.00"), (2, "SC-88001", "5199.00", 80, 5, "5699.00"),
      (3, "YX-2001", "5399.00", 50, 4, "5699.00"))),
    ("A02010104", "华为", "擎云B730E", "台式计算机", "台",
     "处理器：Intel Core i7-12700\n内存：16GB DDR4\n硬盘：1TB SSD\n显示器：23.8英寸\n"
     "操作系统：国产操作系统", ("energy_saving",),
     ((1, "JC-100013", "6899.00", 120, 3, "7299.00"),
      (2, "SC-88002", "6999.00", 60, 5, "7299.00"))),
    ("A02021003", "惠普", "LaserJet Pro 4104dw", "黑白激光打印机", "台",
     "打印速度：40页/分钟\n双面打印：自动\n网络：有线、无线\n最大幅面：A4", ("energy_saving",),
     ((1, "JC-200021", "2899.00", 90, 2, "3199.00"), (3, "YX-3001", "2799.00", 40, 3, "3199.00"))),
    ("A02021003", "得力", "P2500DNW", "黑白激光打印机", "台",
     "打印速度：25页/分钟\n双面打印：自动\n网络：有线、无线\n最大幅面：A4", (),
     ((2, "SC-88101", "1399.00", 150, 4, "1599.00"), (3, "YX-3002", "1459.00", 70, 3, "1599.00"))),
    ("A05040101", "得力", "A4 70g 复印纸", "复印纸（5包/箱）", "箱",
     "规格：A4\n克重：70g\n包装：500张/包，5包/箱", ("environmental",),
     ((1, "JC-300031", "119.00", 5000, 2, "135.00"), (2, "SC-88201", "115.00", 3000, 3, "135.00"),
      (3, "YX-4001", "122.00", 2000, 2, "135.00"))),
    ("A06010300", "震旦", "CM-1186", "人体工学办公椅", "把",
     "材质：网布、尼龙脚架\n功能：升降、后仰、头枕\n颜色：黑色", ("environmental",),
     ((2, "SC-88301", "789.00", 300, 7, "899.00"), (3, "YX-5001", "759.00", 200, 7, "899.00"))),
)
# The mall plan of each demo clerk.
PLAN_LINES = (  # (品目, quantity, amount, 组织形式: 台式计算机 is in the 集中采购目录)
    ("A02010104", "10", "60000.00", "central_agency"),
    ("A02021003", "5", "15000.00", "decentralised"),
    ("A05040101", "100", "12000.00", "decentralised"),
    ("A06010300", "20", "16000.00", "decentralised"),
)
PLAN_NAME = "办公设备及耗材网上商城采购项目"


def _items(session: Session) -> None:
    for code, name, limit in MALL_ITEMS:
        session.add(CatalogueItem(code=code, name=name, category=Category.goods, in_mall=True,
                                  mall_limit=Decimal(limit), centralised=False))
    session.add(MallPolicy(region_id=None))
    session.flush()


def _suppliers(session: Session, password: str) -> list[Supplier]:
    found = []
    for n, (name, code, contact, legal, sme) in enumerate(MALL_SUPPLIERS, start=4):
        supplier = Supplier(name=name, credit_code=code, contact_name=contact,
                            contact_phone=f"1390000000{n}", legal_name=legal,
                            legal_phone=f"1390000001{n}", bank_account_name=name,
                            bank_account_no=f"41000{n:02d}0010052512345",
                            bank_name="中国工商银行郑州分行", sme=sme)
        validate_supplier(session, supplier)
        supplier_account(session, supplier, password)
        found.append(supplier)
    session.flush()
    return found


def _catalogue(session: Session, suppliers: list[Supplier]) -> None:
    admin = session.scalar(select(Operator).where(Operator.username == "admin"))
    items = {row.code: row for row in session.scalars(select(CatalogueItem))}
    now = utcnow()
    for code, brand, model, name, unit, config, flags, offers in PRODUCTS:
        product = MallProduct(catalogue_item=items[code], brand=brand, model=model, name=name,
                              unit_name=unit, configuration=config,
                              **{flag: True for flag in flags})
        session.add(product)
        for number, sku, price, stock, lead, market in offers:
            offer = MallOffer(product=product, supplier=suppliers[number - 1], supplier_sku=sku,
                              status=OfferStatus.listed, price=Decimal(price), stock=stock,
                              lead_days=lead, market_price=Decimal(market),
                              market_url="https://www.example.com/item/" + sku,
                              reviewed_by=admin, reviewed_on=now - timedelta(days=30),
                              created_on=now - timedelta(days=31),
                              updated_on=now - timedelta(days=30))
            session.add(offer)
            session.add(OfferPriceHistory(offer=offer, price=offer.price, stock=stock,
                                          valid_from=offer.updated_on, source="edit"))
    session.flush()


def _approve_all(session: Session, plan_id: int) -> None:
    """Walk a submitted plan through its chain: whoever holds each open task approves."""
    for _ in range(12):
        instance = flow.instance_of(session, plans.RECORD, plan_id)
        assert instance is not None, "the plan was submitted before"
        task = session.scalar(select(WorkflowTask).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
        if task is None:
            return
        reviewer = holders(session, task.unit_id, task.post_code)[0]
        flow.act_on_task(session, task.id, reviewer, Decision("approve", "同意", {"leader": "no"}),
                         task.version)


def _plan(session: Session, clerk: Operator) -> None:
    items = {row.code: row.id for row in session.scalars(select(CatalogueItem))}
    total = sum((Decimal(amount) for _code, _qty, amount, _org in PLAN_LINES), Decimal("0"))
    # Its own 用款计划: the unit's other two keep their whole room for the other demo flows.
    year = business_today().year
    spending_plan = SpendingPlan(
        external_no=f"YK{year}-{clerk.unit.region.code.upper()}-003", unit_id=clerk.unit_id,
        name=f"{year}年网上商城办公采购经费", year=year, plan_amount=Decimal("200000.00"))
    session.add(spending_plan)
    session.flush()
    spending = spending_plan.id
    zhengzhou = clerk.unit.region.code == "zz"
    data = plans.PlanInput(
        project_name=f"{clerk.unit.name}{PLAN_NAME}", fund_source="spending_plan",
        fiscal_amount=str(total),
        linked=False if zhengzhou else None,
        unlinked_reason="网上商城采购无需公开采购意向。" if zhengzhou else "",
        items=[plans.ItemInput(items[code], qty, amount, "online_mall", "", org)
               for code, qty, amount, org in PLAN_LINES],
        fundings={spending: str(total)})
    proof = FileStorage(io.BytesIO(b"%PDF-1.4 demo"), filename="不关联意向说明.pdf")
    plan = plans.save_plan(session, clerk, data, {"unlinked_proof": proof} if zhengzhou else {})
    flow.submit_record(session, plans.RECORD, plan, clerk)
    _approve_all(session, plan.id)


def load_mall(session: Session, password: str) -> None:
    """The demo mall: 品目, suppliers with offers, and a completed mall plan per demo clerk."""
    _items(session)
    suppliers = _suppliers(session, password)
    _catalogue(session, suppliers)
    for username in ("sj_clerk", "zz_clerk", "pds_clerk"):
        _plan(session, session.scalars(
            select(Operator).where(Operator.username == username)).one())
    session.commit()
