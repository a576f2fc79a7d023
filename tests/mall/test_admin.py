"""商城规则: only the administrator saves them, every range is checked in Chinese, a region's
row overrides the default; the pages; and the 工作台's mall counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.mall import admin, core
from app.timezone import business_today
from app.transaction import unit_of_work
from models import Region
from models.mall import MallPolicy, OrderStatus
from tests.mall.admin_support import build_exception, build_order, operator

GOOD = {"confirm_hours": "24", "acceptance_pay_days": "45", "sme_delivery_pay_days": "30",
        "remind_days_before": "5", "evaluation_days": "15", "median_margin_percent": "20",
        "median_action": "flag", "idle_delist_days": "180"}


def _region(session: Any, code: str) -> Region:
    return session.scalar(select(Region).where(Region.code == code))


@pytest.mark.parametrize(("name", "value", "words"), [
    ("confirm_hours", "0", "1到720"), ("confirm_hours", "721", "1到720"),
    ("acceptance_pay_days", "91", "1到90"), ("sme_delivery_pay_days", "61", "1到60"),
    ("sme_delivery_pay_days", "0", "1到60"), ("remind_days_before", "31", "0到30"),
    ("evaluation_days", "0", "1到90"), ("median_margin_percent", "101", "0到100"),
    ("idle_delist_days", "3651", "0到3650"), ("confirm_hours", "abc", "整数"),
    ("confirm_hours", "-1", "整数"), ("confirm_hours", "1.5", "整数"),
    ("confirm_hours", "", "请填写"), ("confirm_hours", "１２", "整数"),
    ("median_action", "", "请选择"), ("median_action", "delete", "请选择"),
])
def test_policy_ranges_are_checked(name: str, value: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        admin.policy_values({**GOOD, name: value})
    assert refused.value.field == name and words in refused.value.message


def test_only_the_administrator_saves_and_a_region_overrides(app: Any,
                                                            db_session: Any) -> None:
    with app.test_request_context():
        s = app.appbuilder.session
        pds = _region(s, "pds")
        with pytest.raises(PermissionDenied), unit_of_work(s):
            admin.save_policy(s, operator(s, "pds_clerk"), None, GOOD)
        with pytest.raises(PermissionDenied), unit_of_work(s):
            admin.save_policy(s, operator(s, "pds_sup_first"), pds.id, GOOD)
        with pytest.raises(NotFound), unit_of_work(s):
            admin.save_policy(s, operator(s, "admin"), 999999, GOOD)
        with pytest.raises(NotFound), unit_of_work(s):
            admin.save_policy(s, operator(s, "admin"), "1", GOOD)
        with unit_of_work(s):
            admin.save_policy(s, operator(s, "admin"), pds.id,
                              {**GOOD, "sme_delivery_pay_days": 20})
        with unit_of_work(s):  # saving again changes the same row
            admin.save_policy(s, operator(s, "admin"), pds.id,
                              {**GOOD, "sme_delivery_pay_days": "25"})
        with unit_of_work(s):
            admin.save_policy(s, operator(s, "admin"), None, {**GOOD, "confirm_hours": "72"})
        assert core.policy_for(s, pds.id).sme_delivery_pay_days == 25
        assert core.policy_for(s, _region(s, "zz").id).confirm_hours == 72
        rows = admin.policies(s)
        assert rows[0].region_id is None
        assert len([r for r in rows if r.region_id == pds.id]) == 1


def test_policy_pages(app: Any, login_as: Any, db_session: Any) -> None:
    web = login_as("admin")
    page = web.get("/mall/admin/policies/")
    assert page.status_code == 200 and "默认" in page.get_data(as_text=True)
    form = web.get("/mall/admin/policies/add").get_data(as_text=True)
    assert '<option value="" selected>请选择</option>' in form
    pds = _region(db_session, "pds")
    refused = web.submit("/mall/admin/policies/add",
                         {**GOOD, "region_id": str(pds.id), "sme_delivery_pay_days": "90"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "1到60" in text and 'value="90"' in text
    blank = web.submit("/mall/admin/policies/add", {**GOOD, "region_id": ""})
    assert "请选择区划" in blank.get_data(as_text=True)
    saved = web.submit("/mall/admin/policies/add", {**GOOD, "region_id": str(pds.id)})
    assert saved.status_code == 302
    row = db_session.scalar(select(MallPolicy).where(MallPolicy.region_id == pds.id))
    assert row.median_action == "flag" and row.confirm_hours == 24
    again = web.submit("/mall/admin/policies/add", {**GOOD, "region_id": str(pds.id)})
    assert "已有商城规则" in again.get_data(as_text=True)
    edited = web.submit(f"/mall/admin/policies/{row.id}", {**GOOD, "confirm_hours": "12"})
    assert edited.status_code == 302
    db_session.expire_all()
    assert db_session.get(MallPolicy, row.id).confirm_hours == 12
    default = web.submit("/mall/admin/policies/default", {**GOOD, "evaluation_days": "30"})
    assert default.status_code == 302


def test_policy_pages_are_the_administrators(app: Any, login_as: Any) -> None:
    web = login_as("pds_clerk")
    assert web.get("/mall/admin/policies/").status_code in (302, 403)
    assert web.get("/mall/admin/policies/add").status_code in (302, 403)


@pytest.mark.parametrize("path", [
    "/mall/admin/policies/99999999999", "/mall/admin/policies/0", "/mall/admin/policies/abc",
    "/mall/admin/policies/add?region_id=%00",
])
def test_policy_pages_hostile(app: Any, login_as: Any, path: str) -> None:
    web = login_as("admin")
    assert web.get(path).status_code < 500
    posted = web.submit("/mall/admin/policies/add",
                        {**GOOD, "region_id": "99999999999999", "confirm_hours": "9" * 40})
    assert posted.status_code == 200


def test_workbench_shows_mall_work(app: Any, login_as: Any) -> None:
    with app.test_request_context():
        s = app.appbuilder.session
        clerk = operator(s, "pds_clerk")
        with unit_of_work(s):
            build_exception(s, build_order(s, clerk))
            build_order(s, clerk, OrderStatus.awaiting_acceptance)
            soon = business_today() + timedelta(days=3)
            build_order(s, clerk, OrderStatus.accepted, due_on=soon)
            build_order(s, clerk, OrderStatus.accepted, due_on=soon + timedelta(days=9))
            build_order(s, clerk, OrderStatus.paid)
            build_order(s, operator(s, "zz_clerk"), OrderStatus.paid)
    page = login_as("pds_clerk").get("/").get_data(as_text=True)
    assert 'id="mall-work"' in page
    assert '<td data-mall="exceptions"><a href="/mall/exceptions/">1</a></td>' in page
    assert f'<span id="mall-pay-due">{soon}</span>' in page
    for name, n in (("to_accept", 1), ("to_pay", 2), ("to_evaluate", 1)):
        cell = page.split(f'data-mall="{name}">', 1)[1].split("</td>", 1)[0]
        assert f">{n}<" in cell or cell.startswith(str(n)), (name, cell)
    assert 'id="mall-work"' not in login_as("sj_clerk").get("/").get_data(as_text=True)
