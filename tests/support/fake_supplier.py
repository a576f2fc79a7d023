"""A JD-VOP-like fake e-commerce supplier driving the supplier API with its token, and the
orders for it to act on (bought by a demo clerk through the cart and 下单, as a buyer would).

The fake misbehaves on request: the same event twice (one after the other or at the same
moment), events out of order, an amount other than the snapshot's, split shipments.
"""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.services.mall import cart, orders, tokens
from app.services.mall.room import mall_lines
from app.transaction import unit_of_work
from models import Operator, Supplier
from models.mall import MallOffer, MallOrder, MallProduct, OfferStatus

# Demo e-commerce suppliers by 统一社会信用代码 (their account names).
JINGCAI = "91410100MA470A1B25"  # 河南京采电子商务有限公司 (not an SME)
SUCAI = "91410105MA480A1B20"  # 郑州苏采商贸有限公司 (SME)
YOUXUAN = "91410104MA490A1B24"  # 河南办公优选科技有限公司 (SME)
# Demo products by model, with each supplier's SKU.
HUAWEI, LENOVO, HP, PAPER = "擎云B730E", "启天M437", "LaserJet Pro 4104dw", "A4 70g 复印纸"
API = "/api/v1/mall/supplier"


def _operator(session: Any, username: str) -> Operator:
    return session.scalar(select(Operator).where(Operator.username == username))


def supplier_id(app: Any, credit_code: str) -> int:
    with app.app_context():
        return app.appbuilder.session.scalar(select(Supplier.id).where(
            Supplier.credit_code == credit_code))


def issue_token(app: Any, credit_code: str = JINGCAI, name: str = "订单系统") -> str:
    """A new token of the supplier's account (its secret)."""
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            _token, secret = tokens.issue(session, _operator(session, credit_code), name)
        return secret


def order_submitted(app: Any, username: str = "pds_clerk", credit_code: str = JINGCAI,
                    items: dict[str, int] | None = None) -> str:
    """The number of an order 待电商确认 the clerk made through the cart and 下单.

    :param items: {product model: quantity} of the supplier's offers; default 2 × 擎云B730E
    """
    wanted = items or {HUAWEI: 2}
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = _operator(session, username)
        with unit_of_work(session):
            line_ids, reasons = [], {}
            for model, quantity in wanted.items():
                offer = session.scalar(
                    select(MallOffer).join(MallOffer.product).join(MallOffer.supplier)
                    .where(MallProduct.model == model, Supplier.credit_code == credit_code))
                plan_item = session.scalars(mall_lines(clerk.unit_id or 0)).all()
                item = next(i for i in plan_item
                            if i.catalogue_item_id == offer.product.catalogue_item_id)
                line = cart.add_line(session, clerk, offer.id, item.id, quantity)
                lowest = session.scalar(select(func.min(MallOffer.price)).where(
                    MallOffer.product_id == offer.product_id,
                    MallOffer.status == OfferStatus.listed))
                if offer.price > lowest:
                    reasons[line.id] = ("delivery", "交货期更短")
                line_ids.append(line.id)
            made = orders.checkout(session, clerk, orders.CheckoutInput(
                key=uuid.uuid4().hex, line_ids=line_ids,
                delivery_address="平顶山市新华区建设路1号", contact_name="张经办",
                contact_phone="13800000001", submit=True, reasons=reasons))
        return made[0].order_no


def order_row(app: Any, order_no: str) -> dict[str, Any]:
    """The order's status, version, amount and line buckets as stored now."""
    with app.app_context():
        session = app.appbuilder.session
        order = session.scalar(select(MallOrder).where(MallOrder.order_no == order_no))
        return {"id": order.id, "status": order.status, "version": order.version,
                "amount": order.amount, "events": len(order.events),
                "lines": [(line.id, line.confirmed_qty, line.shipped_qty, line.delivered_qty)
                          for line in order.lines]}


class FakeSupplier:
    """An e-commerce system calling the supplier API with its token (Flask test client)."""

    def __init__(self, app: Any, secret: str) -> None:
        self.app, self.secret = app, secret
        self.client = app.test_client()
        self.sent = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def pull(self, status: str | None = None, **args: Any) -> Any:
        """GET the orders (default: awaiting confirmation)."""
        query = {**({"status": status} if status else {}), **args}
        return self.client.get(f"{API}/orders/", query_string=query, headers=self.headers)

    def lookup(self, order_no: str) -> Any:
        return self.client.get(f"{API}/orders/{order_no}", headers=self.headers)

    def event(self, kind: str, order_no: str, event_id: str | None = None,
              **fields: Any) -> dict[str, Any]:
        """An event body with a fresh event id unless one is given."""
        self.sent += 1
        return {"event_id": event_id or f"evt-{uuid.uuid4().hex[:12]}-{self.sent}",
                "kind": kind, "order_no": order_no, **fields}

    def post(self, payload: Any, client: Any = None) -> Any:
        return (client or self.client).post(f"{API}/events/", json=payload,
                                            headers=self.headers)

    def send(self, kind: str, order_no: str, event_id: str | None = None,
             **fields: Any) -> Any:
        return self.post(self.event(kind, order_no, event_id, **fields))

    def confirm(self, order: dict[str, Any], amount: Any = None, **kw: Any) -> Any:
        """Confirm a pulled order at its amount (or at ``amount``: a changed price)."""
        return self.send("confirm", order["order_no"], amount=amount or order["amount"], **kw)

    def ship(self, order_no: str, waybill: str, lines: list[dict[str, int]] | None = None,
             **kw: Any) -> Any:
        extra: dict[str, Any] = {"lines": lines} if lines is not None else {}
        return self.send("ship", order_no, waybill=waybill, carrier="京东物流", **extra, **kw)

    def deliver(self, order_no: str, waybill: str, **kw: Any) -> Any:
        return self.send("deliver", order_no, waybill=waybill, **kw)

    def sync(self, items: list[dict[str, Any]]) -> Any:
        return self.client.post(f"{API}/offers/sync", json={"items": items},
                                headers=self.headers)

    def post_together(self, payload: dict[str, Any], copies: int = 2) -> list[Any]:
        """The same event sent by several workers at the same moment (each its own client)."""
        answers: list[Any] = [None] * copies
        start = threading.Barrier(copies)

        def send(index: int) -> None:
            client = self.app.test_client()
            start.wait()
            answers[index] = self.post(payload, client)
        workers = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        return answers


def amount_text(value: Decimal) -> str:
    return f"{value:.2f}"


# --- query-budget seeders (tests/test_query_budget.py): (session, user, start, count) --------

def budget_orders(session: Any, user: Operator, start: int, count: int) -> None:
    """Orders 待电商确认 addressed to ``user``'s supplier, two lines each (rows, not a cart)."""
    from app.services.mall import core
    from app.timezone import utcnow
    from models import PlanItem, ProcurementPlan
    from models.mall import MallOrderLine, OrderStatus

    clerk = _operator(session, "pds_clerk")
    offers = session.scalars(select(MallOffer).where(MallOffer.supplier_id == user.supplier_id)
                             .order_by(MallOffer.id).limit(2)).all()
    plan = session.scalar(select(ProcurementPlan).where(
        ProcurementPlan.unit_id == clerk.unit_id,
        ProcurementPlan.project_name.like("%网上商城采购项目")))
    item = session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id))
    for _ in range(count):
        order = MallOrder(order_no=core.next_order_no(session), unit_id=clerk.unit_id,
                          plan_id=plan.id, supplier_id=user.supplier_id,
                          status=OrderStatus.awaiting_confirmation, created_by_id=clerk.id,
                          delivery_address="平顶山市新华区建设路1号", contact_name="张经办",
                          contact_phone="13800000001", submitted_on=utcnow(),
                          confirm_by=utcnow(), version=1, amount=Decimal("0"))
        for offer in offers:
            product = offer.product
            order.lines.append(MallOrderLine(
                plan_item_id=item.id, offer_id=offer.id, product_name=product.name,
                brand=product.brand, model=product.model, unit_name=product.unit_name,
                supplier_sku=offer.supplier_sku, unit_price=offer.price, quantity=1,
                amount=offer.price))
            order.amount += offer.price
        session.add(order)
    session.flush()


def budget_tokens(session: Any, user: Operator, start: int, count: int) -> None:
    """Tokens of ``user``'s supplier, every other one revoked."""
    from app.timezone import utcnow

    for n in range(count):
        token, _secret = tokens.issue(session, user, f"令牌{start + n}")
        if n % 2:
            token.revoked_on = utcnow()
    session.flush()
