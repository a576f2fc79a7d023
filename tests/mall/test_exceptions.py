"""商城异常: raising one tells the order's creator and writes an order event; 处理 is the
unit's (or the administrator's) and happens once; 异常待办 and 商城异常 pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.mall import exceptions
from app.transaction import unit_of_work
from models import Notification
from models.mall import MallException, MallOrderEvent
from tests.mall.admin_support import build_exception, build_order, operator


def _order(app: Any, username: str = "pds_clerk") -> int:
    with app.test_request_context():
        s = app.appbuilder.session
        with unit_of_work(s):
            order = build_order(s, operator(s, username))
        return order.id


def _raise(app: Any, order_id: int, payload: Any = "") -> int:
    from models.mall import MallOrder
    with app.test_request_context():
        s = app.appbuilder.session
        with unit_of_work(s):
            order = s.get(MallOrder, order_id)
            row = exceptions.raise_exception(s, order, order.supplier_id, "amount_mismatch",
                                             "送达金额与订单快照不符", payload)
        return row.id


def test_raise_records_event_and_notifies_the_creator(app: Any, db_session: Any) -> None:
    order_id = _order(app)
    exc_id = _raise(app, order_id, {"amount": "1.00", "名称": "电脑"})
    row = db_session.get(MallException, exc_id)
    assert row.unit_id == db_session.get(MallException, exc_id).order.unit_id
    assert row.kind == "amount_mismatch" and row.resolved_on is None
    assert "电脑" in row.payload and '"amount": "1.00"' in row.payload
    event = db_session.scalar(select(MallOrderEvent).where(
        MallOrderEvent.order_id == order_id, MallOrderEvent.kind == "exception"))
    assert event.actor_kind == "supplier_api" and "送达金额与订单快照不符" in event.note
    clerk = operator(db_session, "pds_clerk")
    note = db_session.scalar(select(Notification).where(
        Notification.recipient_id == clerk.id, Notification.kind == "mall_exception"))
    assert note.link == f"/mall/orders/{order_id}" and "异常" in note.title


def test_raise_without_an_order(app: Any, db_session: Any) -> None:
    with app.test_request_context():
        s = app.appbuilder.session
        with unit_of_work(s):
            row = exceptions.raise_exception(s, None, None, "unknown_order", "订单不存在")
        assert row.unit_id is None and row.order_id is None


def test_resolve_once_by_the_unit(app: Any, db_session: Any) -> None:
    exc_id = _raise(app, _order(app))
    with app.test_request_context():
        s = app.appbuilder.session
        clerk = operator(s, "pds_clerk")
        with pytest.raises(ValidationFailed) as empty, unit_of_work(s):
            exceptions.resolve_exception(s, clerk, exc_id, "   ")
        assert empty.value.field == "resolution"
        with pytest.raises(NotFound), unit_of_work(s):
            exceptions.resolve_exception(s, operator(s, "zz_clerk"), exc_id, "已核实")
        with pytest.raises(NotFound), unit_of_work(s):
            exceptions.resolve_exception(s, clerk, "1 OR 1=1", "已核实")
        with pytest.raises(NotFound), unit_of_work(s):
            exceptions.resolve_exception(s, clerk, 2**40, "已核实")
        with pytest.raises(PermissionDenied), unit_of_work(s):
            exceptions.resolve_exception(s, None, exc_id, "已核实")
        with unit_of_work(s):
            exceptions.resolve_exception(s, clerk, exc_id, "已与供应商核实，按订单数量送达")
        with pytest.raises(Conflict), unit_of_work(s):
            exceptions.resolve_exception(s, operator(s, "admin"), exc_id, "再次处理")
    row = db_session.get(MallException, exc_id)
    assert row.resolution.startswith("已与供应商核实") and row.resolved_by.username == "pds_clerk"


def test_admin_resolves_any_unit(app: Any, db_session: Any) -> None:
    exc_id = _raise(app, _order(app, "zz_clerk"))
    with app.test_request_context():
        s = app.appbuilder.session
        with unit_of_work(s):
            exceptions.resolve_exception(s, operator(s, "admin"), exc_id, "管理员已处理")
    assert db_session.get(MallException, exc_id).resolved_on is not None


def test_open_exceptions_of_a_unit(app: Any, db_session: Any) -> None:
    mine = _raise(app, _order(app))
    theirs = _raise(app, _order(app, "zz_clerk"))
    clerk = operator(db_session, "pds_clerk")
    found = db_session.scalars(exceptions.open_exceptions(clerk.unit_id)).all()
    assert [row.id for row in found] == [mine]
    assert theirs in {row.id for row in db_session.scalars(exceptions.open_exceptions(None))}


def test_buyer_page_lists_and_resolves_own_only(app: Any, login_as: Any,
                                                db_session: Any) -> None:
    mine = _raise(app, _order(app))
    theirs = _raise(app, _order(app, "zz_clerk"))
    web = login_as("pds_clerk")
    assert "/mall/exceptions/" in web.get("/").get_data(as_text=True)  # 网上商城 › 异常待办
    page = web.get("/mall/exceptions/").get_data(as_text=True)
    assert f'data-exception="{mine}"' in page and f'data-exception="{theirs}"' not in page
    refused = web.submit("/mall/exceptions/", {"resolution": ""},
                         post_path=f"/mall/exceptions/{mine}/resolve")
    assert refused.status_code == 200 and "请填写处理结果" in refused.get_data(as_text=True)
    other = web.submit("/mall/exceptions/", {"resolution": "越权"},
                       post_path=f"/mall/exceptions/{theirs}/resolve", follow=True)
    assert other.status_code == 200 and "不属于本单位" in other.get_data(as_text=True)
    done = web.submit("/mall/exceptions/", {"resolution": "已核实"},
                      post_path=f"/mall/exceptions/{mine}/resolve", follow=True)
    assert "异常已处理" in done.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(MallException, mine).resolved_on is not None
    assert db_session.get(MallException, theirs).resolved_on is None


def test_admin_page_lists_every_unit(app: Any, login_as: Any) -> None:
    mine = _raise(app, _order(app))
    theirs = _raise(app, _order(app, "zz_clerk"))
    web = login_as("admin")
    page = web.get("/mall/admin/exceptions/").get_data(as_text=True)
    assert f'data-exception="{mine}"' in page and f'data-exception="{theirs}"' in page
    done = web.submit("/mall/admin/exceptions/", {"resolution": "管理员处理"},
                      post_path=f"/mall/admin/exceptions/{mine}/resolve", follow=True)
    assert "异常已处理" in done.get_data(as_text=True)
    assert f'data-exception="{mine}"' not in web.get("/mall/admin/exceptions/").get_data(
        as_text=True)
    assert f'data-exception="{mine}"' in web.get("/mall/admin/exceptions/?shown=all").get_data(
        as_text=True)
    assert login_as("pds_clerk").get("/mall/admin/exceptions/").status_code in (302, 403)


@pytest.mark.parametrize("path", [
    "/mall/exceptions/?page=abc", "/mall/exceptions/?page=99999999999999999999",
    "/mall/exceptions/?page=-1", "/mall/exceptions/99999999999/resolve",
])
def test_hostile_params_no_5xx(app: Any, login_as: Any, path: str) -> None:
    with app.test_request_context():
        s = app.appbuilder.session
        with unit_of_work(s):
            build_exception(s, build_order(s, operator(s, "pds_clerk")))
    web = login_as("pds_clerk")
    assert web.get(path).status_code < 500
    posted = web.submit("/mall/exceptions/", {"resolution": "x"}, post_path=path)
    assert posted.status_code < 500
