"""Demo suppliers, created through the same validation as any other."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.contracts import validate_supplier
from models import Operator, Supplier

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
        session.add(supplier)
        found.append(supplier)
    session.flush()
    return found
