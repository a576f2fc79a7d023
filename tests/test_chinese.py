"""Every page a demo user can open is in Chinese and none answers with a server error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask_appbuilder import ModelView
from sqlalchemy import select

from models import CatalogueItem, Operator, Post, Region, SpendingPlan, Supplier, Unit
from models.mall import MallOffer, MallProduct
from tests.support.english import english_words

USERS = ["admin", "zz_unitadmin", "zz_clerk", "sj_sup_review", "pds_competent"]
EXTRA_PAGES = ["/", "/profile/userinfo/", "/profile/edit/form", "/resetmypassword/form",
               "/no-such-page", "/unitview/show/999999", "/tasks/", "/tasks/done", "/workflows/",
               "/spendingplanimport/", "/public/contracts/"]


def _data_words(session) -> set[str]:
    """Words that are data, not interface text: accounts and codes."""
    values = [*session.scalars(select(Operator.username)), *session.scalars(select(Unit.code)),
              *session.scalars(select(Region.code)), *session.scalars(select(Post.code)),
              *session.scalars(select(SpendingPlan.external_no)),
              *session.scalars(select(CatalogueItem.code)),
              *session.scalars(select(Supplier.credit_code)),
              # 网上商城 products: brands, models and configurations are the makers' words.
              *session.scalars(select(MallProduct.brand)),
              *session.scalars(select(MallProduct.model)),
              *session.scalars(select(MallProduct.configuration)),
              *session.scalars(select(MallOffer.supplier_sku))]
    # File formats are named as such in Chinese interfaces too.
    formats = {"pdf", "jpg", "jpeg", "png", "svg", "csv", "xlsx", "excel", "utf"}
    return formats | {w.lower() for v in values for w in re.findall(r"[A-Za-z]+", v)}


def _pages(app: Flask, session) -> list[str]:
    pages = list(EXTRA_PAGES)
    for view in app.appbuilder.baseviews:
        if not isinstance(view, ModelView):
            continue
        base = view.route_base
        pages += [f"{base}/list/", f"{base}/add"]
        first = session.scalar(select(view.datamodel.obj).limit(1))
        if first is not None:
            pk = view.datamodel.get_pk_value(first)
            pages += [f"{base}/show/{pk}", f"{base}/edit/{pk}"]
    return pages


@pytest.mark.parametrize("username", USERS)
def test_pages_are_chinese_and_never_fail(app: Flask, login_as, db_session, username: str) -> None:
    web = login_as(username)
    allowed = _data_words(db_session)
    for page in _pages(app, db_session):
        response = web.get(page, follow_redirects=True)
        assert response.status_code in (200, 403, 404), f"{page}: {response.status_code}"
        english = english_words(response.get_data(as_text=True), allowed)
        assert not english, f"{username} sees English on {page}: {sorted(english)}"


def test_login_page_and_failed_login_are_chinese(client) -> None:
    page = client.get("/login/").get_data(as_text=True)
    assert not english_words(page, set())
    failed = client.post("/login/", data={"username": "nobody", "password": "x"},
                         follow_redirects=True).get_data(as_text=True)
    assert not english_words(failed, set())


def test_every_rest_column_has_a_chinese_label(app: Any) -> None:
    """FAB would answer "Announced On" or "Plan Plan Number" for a column without a label."""
    from flask_appbuilder.api import ModelRestApi

    english = {}
    for view in app.appbuilder.baseviews:
        if isinstance(view, ModelRestApi):
            columns = {*view.list_columns, *view.show_columns}
            found = {c: str(view.label_columns.get(c, "")) for c in columns
                     if str(view.label_columns.get(c, "")).isascii()}
            if found:
                english[type(view).__name__] = found
    assert english == {}
