"""资金支付申请: the amount bound, 支付申请 through the outbox, repeated callbacks, the print form."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.services import payments
from app.services.errors import ValidationFailed
from app.services.ledger import amounts
from app.services.outbox import deliver_pending
from app.transaction import run_each, unit_of_work
from models import Contract, MigrantAccount, OutboxMessage, PaymentApplication, Supplier
from tests.support.plans import operator
from tests.test_contracts import completed, contract

TOKEN = "callback-test-token-0123456789"


def orm() -> Any:
    """The app's session (inside an app context), untyped like the records tests poke at."""
    return db.session


@pytest.fixture
def filed_contract(app: Flask, login_as: Any) -> int:
    """An engineering contract of 500,000.00 with its wage account, filed and announced."""
    plan_id = completed(app, "B07000000", "500000.00")
    with app.test_request_context():
        session = orm()
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
        session = orm()
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
        assert len(list(orm().scalars(select(PaymentApplication)))) == 2


def test_payment_goes_to_the_wage_account_through_the_outbox(app: Flask,
                                                            filed_contract: int) -> None:
    pk = application(app, filed_contract, "100000.00")
    with app.app_context():
        session = orm()
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
            item = orm().get(PaymentApplication, pk)
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
            row = amounts(orm(), [spending])[spending]
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


def test_one_label_decides_the_delivery_state() -> None:
    from models.payments import delivery_state

    assert [delivery_state("draft", None), delivery_state("sent", None),
            delivery_state("sent", "pending"), delivery_state("sent", "failed"),
            delivery_state("sent", "delivered"), delivery_state("paid", "delivered"),
            delivery_state("returned", "delivered"), delivery_state("paid", "pending")] == [
        "草稿", "待发送", "待发送", "发送失败", "已送达", "已支付", "已退回", "已支付"]


def shown_states(app: Flask, web: Any, api: dict[str, str], pk: int) -> set[str]:
    """The 状态 of the application on its list row, show page, print form and REST answers."""
    with app.app_context():
        number = orm().get(PaymentApplication, pk).application_no
    listed = web.get("/paymentview/list/?psize_PaymentView=100").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", listed, re.S) if number in r)
    show = web.get(f"/paymentview/show/{pk}").get_data(as_text=True)
    printed = web.get(f"/paymentview/print/{pk}").get_data(as_text=True)
    client = app.test_client()
    one = client.get(f"/api/v1/payment/{pk}", headers=api).get_json()["result"]
    many = client.get("/api/v1/payment/", headers=api).get_json()["result"]
    states = {label for label in LABELS if label in row}
    states |= {label for label in LABELS if label in show}
    states |= set(re.findall(r'id="delivery-state">([^<]*)<', printed))
    states |= {one["delivery_state"]}
    states |= {r["delivery_state"] for r in many if r["application_no"] == number}
    for page in (row, show, printed):
        assert "已发送预算执行系统" not in page
    return states


LABELS = ("草稿", "待发送", "发送失败", "已送达", "已支付", "已退回")


def test_every_page_and_the_api_show_the_real_delivery_state(
        app: Flask, login_as: Any, api_token: Any, filed_contract: int) -> None:
    """No budget system configured: 待发送, not 已发送预算执行系统; then what really happened."""
    web, api = login_as("pds_clerk"), api_token("pds_clerk")
    pk = application(app, filed_contract, "100000.00")
    other = application(app, filed_contract, "50000.00")
    assert shown_states(app, web, api, pk) == {"待发送"}
    with app.app_context():
        session = orm()
        assert run_each(deliver_pending(session), session) == (0, 2)  # not configured
        assert shown_states(app, web, api, pk) == {"待发送"}
        message = session.scalar(select(OutboxMessage).where(
            OutboxMessage.key == session.get(PaymentApplication, other).application_no))
        message.status = "failed"  # what 20 failed attempts leave
        session.commit()

        class Received:
            def send(self, topic: str, payload: dict) -> None:
                pass

        later = session.scalar(select(OutboxMessage.next_attempt_on).where(
            OutboxMessage.status == "pending"))
        assert run_each(deliver_pending(session, Received(), now=later), session) == (1, 0)
    assert shown_states(app, web, api, pk) == {"已送达"}
    assert shown_states(app, web, api, other) == {"发送失败"}
    app.config["BUDGET_CALLBACK_TOKEN"] = TOKEN
    try:
        with app.app_context():
            numbers = [orm().get(PaymentApplication, n).application_no
                       for n in (pk, other)]
        client = app.test_client()
        assert callback(client, event_id="EV-P", application_no=numbers[0], kind="paid",
                        amount="100000.00", date="2026-11-20").status_code == 200
        assert callback(client, event_id="EV-R", application_no=numbers[1], kind="returned",
                        amount="50000.00", date="2026-11-20").status_code == 200
    finally:
        app.config["BUDGET_CALLBACK_TOKEN"] = ""
    assert shown_states(app, web, api, pk) == {"已支付"}
    assert shown_states(app, web, api, other) == {"已退回"}


def test_sending_says_it_waits_for_the_budget_system(app: Flask, login_as: Any,
                                                     filed_contract: int) -> None:
    web = login_as("pds_clerk")
    with app.app_context():
        session = orm()
        found = session.get(Contract, filed_contract)
        spending = found.fundings[0].spending_plan_id
    saved = web.submit("/paymentview/add", {"contract": str(filed_contract),
                                            "spending_plan": str(spending),
                                            "amount": "1000.00", "pay_to_migrant": "y"})
    assert saved.status_code == 302
    with app.app_context():
        pk = orm().scalar(select(PaymentApplication.id))
    assert "草稿" in web.get(f"/paymentview/show/{pk}").get_data(as_text=True)
    sent = web.submit(f"/paymentview/show/{pk}", {}, post_path=f"/paymentview/action/send/{pk}",
                      follow=True).get_data(as_text=True)
    assert re.search(r"支付申请ZF\d{14}已提交，状态：待发送。", sent), sent[-3000:]
