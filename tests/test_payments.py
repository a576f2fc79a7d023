"""资金支付申请: the amount bound, 支付申请 through the outbox, repeated callbacks, the print form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.services import payments
from app.services.errors import ValidationFailed
from app.services.ledger import amounts
from app.services.outbox import deliver_pending
from app.transaction import run_each, unit_of_work
from models import Contract, MigrantAccount, OutboxMessage, PaymentApplication, Supplier
from tests.support.plans import operator
from tests.test_contracts import completed, contract

TOKEN = "callback-test-token-0123456789"


@pytest.fixture
def filed_contract(app: Flask, login_as: Any) -> int:
    """An engineering contract of 500,000.00 with its wage account, filed and announced."""
    plan_id = completed(app, "B07000000", "500000.00")
    with app.test_request_context():
        session = app.appbuilder.session
        session.add(MigrantAccount(unit_id=operator(session, "pds_clerk").unit_id,
                                   plan_id=plan_id, account_name="农民工工资专用账户",
                                   account_no="4100100201000888888", bank_name="中国银行平顶山分行",
                                   contractor=session.scalar(select(Supplier))))
        session.commit()
        pk = contract(session, plan_id, "500000.00", "400000.00").id
    login_as("pds_clerk").submit("/contractview/list/", {"action": "submit", "rowid": str(pk)},
                                 post_path="/contractview/action_post")
    return pk


def application(app: Flask, contract_id: int, amount: str, migrant: bool = True) -> int:
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        found = session.get(Contract, contract_id)
        item = PaymentApplication(contract_id=contract_id, amount=amount, pay_to_migrant=migrant,
                                  spending_plan_id=found.fundings[0].spending_plan_id)
        with unit_of_work(session):
            payments.prepare_payment(session, item, clerk, creating=True)
            session.add(item)
            session.flush()
            payments.send_payment(session, item, clerk)
        return item.id


def test_amount_on_and_past_the_contract_funding(app: Flask, filed_contract: int) -> None:
    application(app, filed_contract, "399999.99")
    with pytest.raises(ValidationFailed) as caught:
        application(app, filed_contract, "0.02")
    assert caught.value.message == ("本次申请支付金额0.02 元加已申请支付金额399,999.99 元超过"
                                    "本合同拟使用用款计划金额400,000.00 元。")
    application(app, filed_contract, "0.01")
    with app.app_context():
        assert len(list(app.appbuilder.session.scalars(select(PaymentApplication)))) == 2


def test_payment_goes_to_the_wage_account_through_the_outbox(app: Flask,
                                                            filed_contract: int) -> None:
    pk = application(app, filed_contract, "100000.00")
    with app.app_context():
        session = app.appbuilder.session
        item = session.get(PaymentApplication, pk)
        assert (item.payee_name, item.payee_account) == ("农民工工资专用账户", "4100100201000888888")
        message = session.scalar(select(OutboxMessage))
        assert message.key == item.application_no and message.status == "pending"
        # no budget system configured: it waits
        assert run_each(deliver_pending(session), session) == (0, 1)
        assert "未配置预算执行系统地址" in session.scalar(select(OutboxMessage)).last_error

        class Received:
            def __init__(self) -> None:
                self.sent: list[dict] = []

            def send(self, topic: str, payload: dict) -> None:
                self.sent.append(payload)

        transport = Received()
        later = message.next_attempt_on
        assert run_each(deliver_pending(session, transport, now=later), session) == (1, 0)
        assert transport.sent[0]["payee_account"] == "4100100201000888888"
        assert transport.sent[0]["amount"] == "100000.00"


def callback(client: Any, **body: Any) -> Any:
    return client.post("/api/v1/budget_callback/payment", json=body,
                       headers={"X-Budget-Token": TOKEN})


def test_repeated_callback_counts_once(app: Flask, client: Any, filed_contract: int) -> None:
    app.config["BUDGET_CALLBACK_TOKEN"] = TOKEN
    try:
        pk = application(app, filed_contract, "100000.00")
        with app.app_context():
            item = app.appbuilder.session.get(PaymentApplication, pk)
            number, spending = item.application_no, item.spending_plan_id
        body = {"event_id": "EV-1", "application_no": number, "kind": "paid",
                "amount": "100000.00", "date": "2026-11-20", "voucher": "PZ001"}
        first, again = callback(client, **body), callback(client, **body)
        assert first.get_json() == {"duplicate": False, "status": "paid"}
        assert again.get_json() == {"duplicate": True, "status": "paid"}
        bad = client.post("/api/v1/budget_callback/payment", json=body,
                          headers={"X-Budget-Token": "wrong"})
        assert bad.status_code == 401
        over = callback(client, **{**body, "event_id": "EV-2", "amount": "0.01"})
        assert over.status_code == 422 and over.get_json()["message"] == "支付金额超过申请金额。"
        refund = callback(client, **{**body, "event_id": "EV-3", "kind": "refunded",
                                     "amount": "1000.00"})
        assert refund.status_code == 200
        with app.app_context():
            row = amounts(app.appbuilder.session, [spending])[spending]
        assert (row.payment_requested, row.paid) == (Decimal("100000.00"), Decimal("99000.00"))
        assert row.actual_available == row.plan_amount - Decimal("99000.00")
    finally:
        app.config["BUDGET_CALLBACK_TOKEN"] = ""


def test_print_form_and_scope(app: Flask, login_as: Any, filed_contract: int) -> None:
    pk = application(app, filed_contract, "100000.00")
    page = login_as("pds_clerk").get(f"/paymentview/print/{pk}").get_data(as_text=True)
    assert "政府采购资金支付申请表" in page and "4100100201000888888" in page
    assert "100,000.00 元" in page and "农民工工资专用账户" in page
    assert login_as("zz_clerk").get(f"/paymentview/print/{pk}").status_code == 404
    assert login_as("zz_clerk").get(f"/paymentview/show/{pk}").status_code == 404
    show = login_as("pds_clerk").get(f"/paymentview/show/{pk}").get_data(as_text=True)
    assert f'href="/paymentview/print/{pk}"' in show and "打印支付申请表" in show


def test_payment_form_offers_only_the_units_choices(login_as: Any) -> None:
    """The 合同 and 用款计划 pickers list the clerk's own unit's records only."""
    page = login_as("pds_clerk").get("/paymentview/add").get_data(as_text=True)
    assert "-PDS-00" in page
    assert "-ZZ-00" not in page and "-SJ-00" not in page
