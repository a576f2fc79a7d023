"""供应商中心 → 订单 and → 接口令牌 pages: tabs, the order page and its actions by hand,
scope, and the token secret shown once."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.support.fake_supplier import (
    API,
    HUAWEI,
    JINGCAI,
    SUCAI,
    FakeSupplier,
    order_row,
    order_submitted,
)

SECRET = re.compile(r"sk_[A-Za-z0-9_-]{40,}")


def _html(answer: Any) -> str:
    return answer.get_data(as_text=True)


def test_orders_by_tab_and_only_the_suppliers_own(app: Flask,
                                                  login_as: Callable[..., Any]) -> None:
    order_no = order_submitted(app)
    other = order_submitted(app, credit_code=SUCAI, items={"启天M437": 1})
    web = login_as(JINGCAI)
    page = _html(web.get("/mall/supplier/orders/"))
    for tab in ("待确认", "已确认", "配送中", "待验收", "已完成", "已关闭"):
        assert tab in page
    assert order_no in page and other not in page
    assert order_no not in _html(web.get("/mall/supplier/orders/?tab=closed"))
    assert web.get("/mall/supplier/orders/?tab=nonsense&page=x").status_code == 200
    other_id = order_row(app, other)["id"]
    assert web.get(f"/mall/supplier/orders/{other_id}").status_code == 404
    assert web.get("/mall/supplier/orders/99999999999").status_code == 404
    assert web.get("/mall/supplier/orders/abc").status_code == 404
    own = f"/mall/supplier/orders/{order_row(app, order_no)['id']}"
    refused = web.submit(own, {"version": "0"},
                         post_path=f"/mall/supplier/orders/{other_id}/confirm")
    assert refused.status_code == 404
    assert order_row(app, other)["status"] == "awaiting_confirmation"


def test_a_buyer_has_no_supplier_pages(app: Flask, login_as: Callable[..., Any]) -> None:
    web = login_as("pds_clerk")
    for path in ("/mall/supplier/orders/", "/mall/supplier/tokens/"):
        answer = web.get(path)
        assert answer.status_code in (302, 403) or "没有权限" in _html(answer), path


def test_confirm_ship_split_and_deliver_by_hand(app: Flask,
                                                login_as: Callable[..., Any]) -> None:
    order_no = order_submitted(app, items={HUAWEI: 3})
    row = order_row(app, order_no)
    web = login_as(JINGCAI)
    show = f"/mall/supplier/orders/{row['id']}"
    page = _html(web.get(show))
    assert 'id="confirm-form"' in page and 'id="reject-form"' in page
    assert 'id="ship-form"' not in page
    assert "平顶山市新华区建设路1号" in page and "13800000001" in page
    stale = web.submit(show, {"version": str(row["version"] + 5)}, post_path=f"{show}/confirm")
    assert stale.status_code == 200 and "刷新" in _html(stale)
    done = web.submit(show, {"version": str(row["version"])}, post_path=f"{show}/confirm")
    assert done.status_code == 302
    page = _html(web.get(show))
    assert "已确认" in page and 'id="confirm-form"' not in page and 'id="ship-form"' in page
    version = order_row(app, order_no)["version"]
    line_id = row["lines"][0][0]
    missing = web.submit(show, {"version": str(version), "waybill": " ",
                                f"qty_{line_id}": "1"}, post_path=f"{show}/ship")
    assert "请填写运单号" in _html(missing)
    too_many = web.submit(show, {"version": str(version), "waybill": "SF001",
                                 f"qty_{line_id}": "9"}, post_path=f"{show}/ship")
    assert "超过待发货" in _html(too_many) and 'value="SF001"' in _html(too_many)
    first = web.submit(show, {"version": str(version), "waybill": "SF001", "carrier": "顺丰",
                              f"qty_{line_id}": "1"}, post_path=f"{show}/ship")
    assert first.status_code == 302
    version = order_row(app, order_no)["version"]
    web.submit(show, {"version": str(version), "waybill": "SF002", f"qty_{line_id}": "2"},
               post_path=f"{show}/ship")
    page = _html(web.get(show))
    assert "SF001" in page and "SF002" in page and 'id="ship-form"' not in page
    assert order_row(app, order_no)["lines"] == [(line_id, 3, 3, 0)]
    for _ in range(2):
        version = order_row(app, order_no)["version"]
        shipment = re.search(r'name="shipment_id" value="(\d+)"', _html(web.get(show)))
        assert shipment
        web.submit(show, {"version": str(version), "shipment_id": shipment.group(1)},
                   post_path=f"{show}/deliver")
    after = order_row(app, order_no)
    assert after["status"] == "awaiting_acceptance" and after["lines"] == [(line_id, 3, 3, 3)]
    assert "待验收" in _html(web.get("/mall/supplier/orders/?tab=acceptance"))


def test_reject_needs_a_reason(app: Flask, login_as: Callable[..., Any]) -> None:
    order_no = order_submitted(app)
    row = order_row(app, order_no)
    web = login_as(JINGCAI)
    show = f"/mall/supplier/orders/{row['id']}"
    refused = web.submit(show, {"version": str(row["version"]), "reason": ""},
                         post_path=f"{show}/reject")
    assert "请填写拒单原因" in _html(refused)
    assert order_row(app, order_no)["status"] == "awaiting_confirmation"
    done = web.submit(show, {"version": str(row["version"]), "reason": "该型号停产"},
                      post_path=f"{show}/reject", follow=True)
    assert "已拒单" in _html(done) and "该型号停产" in _html(done)
    assert order_row(app, order_no)["status"] == "rejected"
    assert order_no in _html(web.get("/mall/supplier/orders/?tab=closed"))


def test_tokens_issue_once_list_and_revoke(app: Flask, login_as: Callable[..., Any]) -> None:
    web = login_as(JINGCAI)
    assert "尚未签发接口令牌" in _html(web.get("/mall/supplier/tokens/"))
    blank = web.submit("/mall/supplier/tokens/", {"name": " "},
                       post_path="/mall/supplier/tokens/issue")
    assert "请填写令牌名称" in _html(blank) and not SECRET.search(_html(blank))
    issued = web.submit("/mall/supplier/tokens/", {"name": "订单系统"},
                        post_path="/mall/supplier/tokens/issue")
    assert issued.headers["Cache-Control"] == "no-store"
    found = SECRET.search(_html(issued))
    assert found
    secret = found.group(0)
    listing = _html(web.get("/mall/supplier/tokens/"))
    assert secret not in listing and secret[:8] in listing and "订单系统" in listing
    fake = FakeSupplier(app, secret)
    assert fake.pull().status_code == 200
    token_id = re.search(r'data-token="(\d+)"', listing)
    assert token_id
    web.submit("/mall/supplier/tokens/", {}, post_path=f"/mall/supplier/tokens/"
                                                       f"{token_id.group(1)}/revoke")
    assert "已吊销" in _html(web.get("/mall/supplier/tokens/"))
    assert fake.pull().status_code == 401
    # Another supplier cannot revoke it, nor see it.
    other = login_as(SUCAI)
    assert f'data-token="{token_id.group(1)}"' not in _html(other.get("/mall/supplier/tokens/"))
    answer = other.submit("/mall/supplier/tokens/", {},
                          post_path=f"/mall/supplier/tokens/{token_id.group(1)}/revoke",
                          follow=True)
    assert "接口令牌不存在" in _html(answer)
    assert app.test_client().get(f"{API}/orders/").status_code == 401
