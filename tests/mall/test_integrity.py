"""Rules across the mall's parts: write locks on SQLite, 已付款 only when nothing is left in
售后, who files a generated contract, a mall contract paid only from its order, a closed order
not submitted again."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.services import payments
from app.services.errors import Conflict, ServiceError, ValidationFailed
from app.services.mall import acceptance, core, inbound, orders, payment, supplier, tokens
from app.timezone import business_today
from app.transaction import unit_of_work
from models import Operator
from models.mall import AfterSaleCase, MallException, MallOrder, OrderStatus
from tests.mall.acceptance_support import delivered_order, pdf, submitted_order, with_session
from tests.mall.settlement_support import JINGCAI, build_order, confirmed_order, operator


def test_a_locked_order_holds_sqlites_write_lock(app: Any) -> None:
    """What a command reads after ``lock_order`` is what commits: nobody writes meanwhile."""
    if app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0] != "sqlite":
        pytest.skip("PostgreSQL locks the row (FOR UPDATE)")
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    order_id = submitted_order(app)
    with app.test_request_context():
        session = app.appbuilder.session
        with unit_of_work(session):
            core.lock_order(session, session.get(MallOrder, order_id))
            other = sqlite3.connect(path, timeout=0.2)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("UPDATE mall_order SET version = version + 1")
            other.close()


def _accept_with_one_rejected(app: Any) -> int:
    order_id = delivered_order(app, quantities={"A02021003": 2})

    def work(session: Any) -> None:
        order = session.get(MallOrder, order_id)
        line = order.lines[0]
        acceptance.accept(session, operator(session, "pds_clerk"), order_id,
                          acceptance.AcceptanceInput("onsite", lines={line.id: (1, 1, "外壳破损")},
                                                     version=order.version))
    with_session(app, work)
    return order_id


def _pay(session: Any, order_id: int, amount: Decimal) -> None:
    order = session.get(MallOrder, order_id)
    payment.record_payment(session, operator(session, "pds_clerk"), order_id, payment.PaymentInput(
        method="公务卡", amount=str(amount), paid_on=business_today().isoformat(), voucher=pdf("凭证.pdf"),
        version=order.version))


def test_an_open_after_sale_case_holds_up_paid_until_it_closes(app: Any) -> None:
    order_id = _accept_with_one_rejected(app)
    with_session(app, lambda s: _pay(s, order_id, payment.accepted_amount(s.get(MallOrder,
                                                                               order_id))))

    def state(session: Any) -> str:
        return str(session.get(MallOrder, order_id).status)
    assert with_session(app, state) == OrderStatus.accepted  # the 售后 case is still open
    with_session(app, lambda s: payment.remind_payments(s))
    assert with_session(app, state) == OrderStatus.accepted

    def resolve(session: Any) -> None:
        case = session.scalar(select(AfterSaleCase).where(AfterSaleCase.order_id == order_id))
        acceptance.resolve_after_sale(session, operator(session, "pds_clerk"), case.id,
                                      "returned", "退货退款")
    with_session(app, resolve)
    assert with_session(app, state) == OrderStatus.paid


def test_an_order_with_nothing_accepted_is_never_paid_by_the_job(app: Any) -> None:
    order_id = delivered_order(app, quantities={"A02021003": 1})

    def reject_all(session: Any) -> None:
        order = session.get(MallOrder, order_id)
        acceptance.accept(session, operator(session, "pds_clerk"), order_id,
                          acceptance.AcceptanceInput(
                              "onsite", lines={order.lines[0].id: (0, 1, "型号不符")},
                              version=order.version))
    with_session(app, reject_all)
    with_session(app, lambda s: payment.remind_payments(s))

    def seen(session: Any) -> tuple[str, Any]:
        order = session.get(MallOrder, order_id)
        return str(order.status), order.paid_on
    assert with_session(app, seen) == (OrderStatus.accepted, None)


def test_the_contract_is_filed_by_another_clerk_when_the_buyer_left(app: Any) -> None:
    def work(session: Any) -> tuple[int, int]:
        order = build_order(session)
        buyer = operator(session, "pds_clerk")
        colleague = Operator(username="pds_clerk2", first_name="经办", last_name="二",
                             email="pds_clerk2@example.invalid", active=True,
                             unit_id=buyer.unit_id, post_id=buyer.post_id, password="x")
        session.add(colleague)
        buyer.active = False
        session.flush()
        supplier.confirm(session, order.supplier_id, None, order.id, amount=str(order.amount))
        assert order.contract is not None
        return order.contract.created_by_id, colleague.id
    filer, colleague = with_session(app, work)
    assert filer == colleague


def test_a_confirmation_refused_for_the_contract_becomes_the_buyers_task(app: Any) -> None:
    def work(session: Any) -> tuple[int, dict[str, Any], int]:
        order = build_order(session)
        operator(session, "pds_clerk").active = False  # the unit's only clerk
        session.flush()
        status, body = inbound.apply_event(session, order.supplier_id, {
            "event_id": "evt-confirm-1", "kind": "confirm", "order_no": order.order_no,
            "amount": str(order.amount)})
        found = session.scalars(select(MallException).where(
            MallException.order_id == order.id)).all()
        assert session.get(MallOrder, order.id).status == OrderStatus.awaiting_confirmation
        return status, body, len([row for row in found if row.kind == "contract_refused"])
    status, body, tasks = with_session(app, work)
    assert status == 422 and body["code"] == "mall_contract_refused"
    assert "采购单位暂无可用的经办人" in body["message"] and tasks == 1


def test_a_mall_contract_is_paid_only_from_its_order(app: Any) -> None:
    order_id = confirmed_order(app)

    def work(session: Any) -> None:
        order = session.get(MallOrder, order_id)
        spending = order.contract.fundings[0].spending_plan_id if order.contract.fundings \
            else None
        payments.save_payment(session, operator(session, "pds_clerk"), {
            "contract_id": order.contract_id, "spending_plan_id": spending, "amount": "100.00",
            "pay_to_migrant": False})
    with pytest.raises(ValidationFailed, match="网上商城订单的合同请在该订单的付款页面申请支付"):
        with_session(app, work)


def test_the_ordinary_payment_form_does_not_offer_a_mall_contract(app: Any,
                                                                  login_as: Any) -> None:
    order_id = confirmed_order(app)
    code = with_session(app, lambda s: s.get(MallOrder, order_id).order_no)
    page = login_as("pds_clerk").get("/paymentview/add").get_data(as_text=True)
    assert "支付申请" in page and code not in page


def test_a_budget_payment_with_an_odd_digit_is_refused_not_a_crash(app: Any,
                                                                   login_as: Any) -> None:
    order_id = _accept_with_one_rejected(app)
    web = login_as("pds_clerk")
    version = with_session(app, lambda s: s.get(MallOrder, order_id).version)
    answer = web.submit(f"/mall/orders/{order_id}/pay", {
        "mode": "budget", "budget_amount": "100.00", "spending_plan_id": "²",
        "version": str(version)})
    assert answer.status_code in (200, 302, 409, 422)
    assert "请选择本合同使用的用款计划" in answer.get_data(as_text=True) or \
        answer.status_code == 302


def test_a_cancelled_order_is_not_submitted_again(app: Any) -> None:
    order_id = submitted_order(app)

    def cancel(session: Any) -> int:
        order = session.get(MallOrder, order_id)
        orders.cancel_order(session, operator(session, "pds_clerk"), order_id, "不需要了",
                            order.version)
        return int(order.version)
    version = with_session(app, cancel)
    with pytest.raises(Conflict, match="已取消"):
        with_session(app, lambda s: orders.submit_order(s, operator(s, "pds_clerk"), order_id,
                                                        version))


def test_a_token_never_authenticates_another_supplier(app: Any) -> None:
    def work(session: Any) -> None:
        person = session.scalar(select(Operator).where(Operator.username == JINGCAI))
        _token, secret = tokens.issue(session, person, "对接")
        found = tokens.authenticate(session, secret)
        assert found is not None and found.supplier_id == person.supplier_id
        assert tokens.authenticate(session, secret + "x") is None
    with_session(app, work)


def test_service_errors_carry_codes(app: Any) -> None:
    """Refusals of the mall answer with a stable code REST clients rely on."""
    order_id = submitted_order(app)
    with pytest.raises(ServiceError) as refused:
        with_session(app, lambda s: core.buyer_order(s, operator(s, "zz_clerk"), order_id))
    assert refused.value.code == "mall_order_not_found"


def test_the_supplier_sees_only_the_moves_it_takes_part_in(app: Any, login_as: Any) -> None:
    order_id = submitted_order(app)
    page = login_as(JINGCAI).get(f"/mall/supplier/orders/{order_id}")
    if page.status_code == 404:  # the cheapest 复印纸 is another supplier's
        page = login_as("91410105MA480A1B20").get(f"/mall/supplier/orders/{order_id}")
    events = page.get_data(as_text=True).split('id="order-events"')[1]
    assert "提交订单" in events and "生成订单" not in events


def test_a_key_whose_drafts_were_deleted_is_refused_not_answered_empty(app: Any) -> None:
    from app.services.mall import cart
    from tests.support.mall import cheapest_offer, checkout_input, mall_line

    def first(session: Any) -> tuple[str, int]:
        clerk = operator(session, "pds_clerk")
        line = cart.add_line(session, clerk, cheapest_offer(session, "A05040101").id,
                             mall_line(session, "pds_clerk", "A05040101").id, 1)
        data = checkout_input([line.id])
        [order] = orders.checkout(session, clerk, data)
        orders.delete_draft(session, clerk, order.id)
        return data.key, line.id
    key, line_id = with_session(app, first)
    with pytest.raises(Conflict) as refused:
        with_session(app, lambda s: orders.checkout(s, operator(s, "pds_clerk"),
                                                    checkout_input([line_id], key=key)))
    assert refused.value.code == "mall_checkout_gone"
