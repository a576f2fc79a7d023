"""商城订单监督 and 商城统计: a 监管部门 sees its region's submitted orders only, overdue
payments, per-unit figures; the pages answer hostile input without a server error."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.services.errors import NotFound, PermissionDenied
from app.services.mall import admin
from app.timezone import business_today
from app.transaction import unit_of_work
from models.mall import MallOrder, OrderStatus
from tests.mall.admin_support import build_order, operator


def _orders(app: Any) -> dict[str, int]:
    """pds: one submitted, one draft, one overdue accepted (non-lowest, above median), one
    accepted not yet due; zz: one overdue accepted."""
    today = business_today()
    with app.test_request_context():
        s = app.appbuilder.session
        pds, zz = operator(s, "pds_clerk"), operator(s, "zz_clerk")
        with unit_of_work(s):
            made = {
                "pds_submitted": build_order(s, pds),
                "pds_draft": build_order(s, pds, OrderStatus.draft),
                "pds_overdue": build_order(s, pds, OrderStatus.accepted, quantity=2,
                                           non_lowest_code="compatibility", above_median=True,
                                           lines=2),
                "pds_not_due": build_order(s, pds, OrderStatus.accepted,
                                           due_on=today + timedelta(days=5),
                                           non_lowest_code="delivery"),
                "zz_overdue": build_order(s, zz, OrderStatus.accepted),
            }
        return {name: order.id for name, order in made.items()}


def test_scope_of_a_supervision_post(app: Any, db_session: Any) -> None:
    ids = _orders(app)
    sup = operator(db_session, "pds_sup_first")
    seen = set(db_session.scalars(admin.orders_in_scope(sup).with_only_columns(
        MallOrder.id)))
    assert {ids["pds_submitted"], ids["pds_overdue"], ids["pds_not_due"]} <= seen
    assert ids["zz_overdue"] not in seen and ids["pds_draft"] not in seen
    everything = set(db_session.scalars(admin.orders_in_scope(operator(db_session, "admin"))
                                        .with_only_columns(MallOrder.id)))
    assert set(ids.values()) <= everything
    assert not db_session.scalars(admin.orders_in_scope(operator(db_session, "pds_clerk"))).all()
    with pytest.raises(NotFound):
        admin.supervised_order(db_session, sup, ids["zz_overdue"])
    with pytest.raises(NotFound):
        admin.supervised_order(db_session, sup, ids["pds_draft"])
    with pytest.raises(PermissionDenied):
        admin.supervised_order(db_session, operator(db_session, "pds_clerk"), ids["pds_overdue"])
    assert admin.supervised_order(db_session, sup, ids["pds_overdue"]).id == ids["pds_overdue"]


def test_overdue_payments(app: Any, db_session: Any) -> None:
    ids = _orders(app)
    today = business_today()
    late = [o.id for o in db_session.scalars(
        admin.overdue_payments(operator(db_session, "pds_sup_review"), today))]
    assert late == [ids["pds_overdue"]]
    everywhere = {o.id for o in db_session.scalars(
        admin.overdue_payments(operator(db_session, "admin"), today))}
    assert {ids["pds_overdue"], ids["zz_overdue"]} <= everywhere
    assert ids["pds_not_due"] not in everywhere


def test_unit_summary_figures(app: Any, db_session: Any) -> None:
    ids = _orders(app)
    rows = admin.unit_summary(db_session, operator(db_session, "pds_sup_first"),
                              business_today())
    pds = operator(db_session, "pds_clerk").unit_id
    assert [row.unit_id for row in rows] == [pds]
    row = rows[0]
    overdue = db_session.get(MallOrder, ids["pds_overdue"])
    not_due = db_session.get(MallOrder, ids["pds_not_due"])
    assert row.orders == 3  # the draft is not counted
    assert row.amount == overdue.amount + not_due.amount  # 待电商确认 is not bought yet
    assert row.overdue == 1 and row.overdue_amount == overdue.amount
    assert row.non_lowest == 3 and row.reasons == {"compatibility": 2, "delivery": 1}
    assert row.above_median == 2
    assert isinstance(row.amount, Decimal)


def test_supervision_pages(app: Any, login_as: Any) -> None:
    ids = _orders(app)
    web = login_as("pds_sup_first")
    menu = web.get("/").get_data(as_text=True)
    assert "/mall/supervision/orders/" in menu and "/mall/supervision/stats/" in menu
    page = web.get("/mall/supervision/orders/").get_data(as_text=True)
    assert f'data-order="{ids["pds_overdue"]}"' in page
    assert f'data-order="{ids["zz_overdue"]}"' not in page
    assert f'data-order="{ids["pds_draft"]}"' not in page
    late = web.get("/mall/supervision/orders/?overdue=1").get_data(as_text=True)
    assert f'data-order="{ids["pds_overdue"]}"' in late
    assert f'data-order="{ids["pds_not_due"]}"' not in late
    waiting = web.get("/mall/supervision/orders/?status=awaiting_confirmation").get_data(
        as_text=True)
    assert f'data-order="{ids["pds_submitted"]}"' in waiting
    assert f'data-order="{ids["pds_overdue"]}"' not in waiting
    show = web.get(f"/mall/supervision/orders/{ids['pds_overdue']}")
    text = show.get_data(as_text=True)
    assert show.status_code == 200 and "价格依据" in text and "高于中位价" in text
    assert "需与现有设备型号一致" in text
    assert web.get(f"/mall/supervision/orders/{ids['zz_overdue']}").status_code == 404
    assert web.get(f"/mall/supervision/orders/{ids['pds_draft']}").status_code == 404
    stats = web.get("/mall/supervision/stats/").get_data(as_text=True)
    assert 'class="stat-overdue"' in stats and "与现有设备兼容" in stats
    assert login_as("pds_clerk").get("/mall/supervision/orders/").status_code in (302, 403)
    admin_page = login_as("admin").get("/mall/supervision/orders/").get_data(as_text=True)
    assert f'data-order="{ids["zz_overdue"]}"' in admin_page


@pytest.mark.parametrize("query", [
    "?status=nonsense", "?status=draft", "?unit=abc", "?unit=99999999999999999999",
    "?page=abc", "?page=0", "?page=99999", "?overdue=yes&unit=-1", "?status=%00",
])
def test_supervision_list_hostile(app: Any, login_as: Any, query: str) -> None:
    ids = _orders(app)
    web = login_as("pds_sup_first")
    response = web.get(f"/mall/supervision/orders/{query}")
    assert response.status_code < 500
    if query.startswith("?unit=") and response.status_code == 200:
        # a unit outside the scope is refused, never shown
        assert f'data-order="{ids["zz_overdue"]}"' not in response.get_data(as_text=True)


def test_unit_filter_outside_scope_is_refused(app: Any, login_as: Any) -> None:
    ids = _orders(app)
    zz_unit = None
    with app.test_request_context():
        zz_unit = operator(app.appbuilder.session, "zz_clerk").unit_id
    page = login_as("pds_sup_first").get(f"/mall/supervision/orders/?unit={zz_unit}")
    text = page.get_data(as_text=True)
    assert "不在监管范围内" in text and f'data-order="{ids["zz_overdue"]}"' not in text


@pytest.mark.parametrize("path", ["/mall/supervision/orders/99999999999",
                                  "/mall/supervision/orders/0",
                                  "/mall/supervision/stats/?x=%00"])
def test_supervision_show_hostile(app: Any, login_as: Any, path: str) -> None:
    assert login_as("pds_sup_first").get(path).status_code < 500


def test_pages_are_chinese(app: Any, login_as: Any) -> None:
    from tests.mall.admin_support import build_exception
    from tests.support.english import english_words

    ids = _orders(app)
    with app.test_request_context():
        s = app.appbuilder.session
        with unit_of_work(s):
            build_exception(s, s.get(MallOrder, ids["pds_overdue"]))
    allowed = {"sc"}  # the order numbers' prefix
    pages = {"admin": ["/mall/admin/policies/", "/mall/admin/policies/add",
                       "/mall/admin/policies/default", "/mall/admin/exceptions/",
                       "/mall/admin/exceptions/?shown=all", "/mall/supervision/orders/",
                       f"/mall/supervision/orders/{ids['pds_overdue']}",
                       "/mall/supervision/stats/"],
             "pds_clerk": ["/mall/exceptions/", "/"]}
    for username, paths in pages.items():
        web = login_as(username)
        for path in paths:
            response = web.get(path)
            assert response.status_code == 200, path
            found = english_words(response.get_data(as_text=True), allowed)
            assert not found, (username, path, found)
