"""操作人员管理: generated accounts, password policy, unit scope (pages, actions, REST), profile."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Operator, Post, Unit

T = TypeVar("T")
POLICY = "密码至少8位，且须包含字母、数字、符号中的至少两类。"
NEW_PASSWORD = "Xin@2026pw"
SECRETS = ("scrypt", "pbkdf2", '"password"')
ALERT = re.compile(r'<div class="alert[^"]*">(.*?)</div>', re.S)
ZZ_UNIT = "zz0101"  # 郑州市第一中学, the unit of zz_unitadmin, zz_clerk and zz_internal
FOREIGN = ["sj_clerk", "pds_internal", "zz_competent", "admin"]  # outside 郑州市第一中学


def query(app: Flask, fn: Callable[[Session], T]) -> T:
    """Read the database in a fresh application context, as a separate request would."""
    from app.extensions import db

    with app.app_context():
        return fn(db.session)


def ids(app: Flask) -> dict[str, int]:
    return query(app, lambda s: {o.username: o.id for o in s.scalars(select(Operator))})


def snapshot(app: Flask) -> list[tuple[Any, ...]]:
    """Every operator's stored state, to prove that a refused request changed nothing."""
    return query(app, lambda s: [
        (o.id, o.username, o.first_name, o.phone, o.unit_id, o.post_id, o.active,
         o.internal_review, o.password, tuple(r.id for r in o.unit_roles))
        for o in s.scalars(select(Operator).order_by(Operator.id))
    ])


def operator(app: Flask, username: str) -> dict[str, Any] | None:
    def read(s: Session) -> dict[str, Any] | None:
        o = s.scalar(select(Operator).where(Operator.username == username))
        if o is None:
            return None
        return {"name": o.first_name, "phone": o.phone, "unit": o.unit.code if o.unit else None,
                "post": o.post_code, "post_name": o.post.name, "internal": o.internal_review}
    return query(app, read)


def messages(response: Any) -> list[str]:
    """Flash messages and field errors shown on a page, as plain text."""
    found = ALERT.findall(response.get_data(as_text=True))
    return [html.unescape(" ".join(re.sub(r"<[^>]+>|&times;", "", m).split())) for m in found]


def can_log_in(app: Flask, username: str, password: str) -> bool:
    """Sign in through the login form; True when the panel lets the person in."""
    browser = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      browser.get("/login/").get_data(as_text=True))
    assert token
    response = browser.post("/login/", data={"csrf_token": token.group(1), "username": username,
                                             "password": password})
    return response.status_code == 302 and "/login" not in response.headers["Location"]


def assert_no_secrets(response: Any) -> None:
    body = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in body, f"{secret} leaked in {response.request.path}"


def new_operator(internal: str = "0", password: str = "Abc@12345", **extra: str) -> dict[str, str]:
    return {"first_name": "张三", "phone": "13912345678", "password": password,
            "conf_password": password, "internal_review": internal, **extra}


def test_unit_admin_adds_operators_with_generated_accounts(app: Flask, login_as: Any) -> None:
    web = login_as("zz_unitadmin")
    first = web.submit("/operatorview/add", new_operator("1", first_name="内审甲"), follow=True)
    assert {"增加成功", f"已为“内审甲”生成登录账号：{ZZ_UNIT}001"} <= set(messages(first))
    second = web.submit("/operatorview/add", new_operator("0", first_name="经办乙",
                                                          phone="13712345678"))
    assert second.status_code == 302

    assert operator(app, f"{ZZ_UNIT}001") == {
        "name": "内审甲", "phone": "13912345678", "unit": ZZ_UNIT, "post": "internal_reviewer",
        "post_name": "内部审核岗", "internal": True}
    assert operator(app, f"{ZZ_UNIT}002") == {
        "name": "经办乙", "phone": "13712345678", "unit": ZZ_UNIT, "post": "clerk",
        "post_name": "经办岗", "internal": False}
    home = login_as(f"{ZZ_UNIT}001", "Abc@12345").get("/").get_data(as_text=True)
    assert "郑州市第一中学" in home and "内部审核岗" in home
    assert can_log_in(app, f"{ZZ_UNIT}002", "Abc@12345")


@pytest.mark.parametrize("password", ["abcdefgh", "short1!", "12345678"])
def test_weak_initial_password_refused(app: Flask, login_as: Any, password: str) -> None:
    before = snapshot(app)
    response = login_as("zz_unitadmin").submit("/operatorview/add", new_operator(password=password))
    assert response.status_code == 200
    assert POLICY in messages(response)
    assert snapshot(app) == before


def test_mismatched_confirmation_refused(app: Flask, login_as: Any) -> None:
    before = snapshot(app)
    data = {**new_operator(), "conf_password": "Abc@12346"}
    response = login_as("zz_unitadmin").submit("/operatorview/add", data)
    assert response.status_code == 200
    assert "两次输入的密码不一致。" in messages(response)
    assert snapshot(app) == before


@pytest.mark.parametrize("phone", ["12345", "23912345678", "1391234567a", ""])
def test_bad_phone_refused(app: Flask, login_as: Any, phone: str) -> None:
    before = snapshot(app)
    response = login_as("zz_unitadmin").submit("/operatorview/add", new_operator(phone=phone),
                                               follow=True)
    assert "请输入11位手机号码。" in messages(response)
    assert snapshot(app) == before


def test_list_shows_only_own_unit(app: Flask, login_as: Any) -> None:
    people = ids(app)
    web = login_as("zz_unitadmin")

    def listed(path: str) -> set[int]:
        page = web.get(path).get_data(as_text=True)
        assert "省直经办人" not in page and "平顶山市" not in page
        return {int(pk) for pk in re.findall(r"/operatorview/show/(\d+)", page)}

    own = {people[name] for name in ("zz_clerk", "zz_internal", "zz_unitadmin")}
    assert listed("/operatorview/list/?psize_OperatorView=100") == own
    assert listed("/operatorview/list/?_flt_0_username=sj_clerk") == set()


@pytest.mark.parametrize("target", FOREIGN)
def test_other_units_operator_is_out_of_reach(app: Flask, login_as: Any, target: str) -> None:
    pk = ids(app)[target]
    before = snapshot(app)
    web = login_as("zz_unitadmin")
    token = web.token("/operatorview/add")
    edit = {"csrf_token": token, "first_name": "篡改", "phone": "13900000000",
            "internal_review": "0", "active": "y"}
    reset = {"csrf_token": token, "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}
    attempts = {
        "show": web.get(f"/operatorview/show/{pk}"),
        "edit form": web.get(f"/operatorview/edit/{pk}"),
        "edit": web.client.post(f"/operatorview/edit/{pk}", data=edit),
        "delete": web.client.post(f"/operatorview/delete/{pk}", data={"csrf_token": token}),
        "reset form": web.get(f"/operatorview/resetpassword/{pk}"),
        "reset": web.client.post(f"/operatorview/resetpassword/{pk}", data=reset),
        "action": web.client.post(f"/operatorview/action/resetpassword/{pk}",
                                  data={"csrf_token": token}),
        "action_post": web.client.post("/operatorview/action_post", data={
            "csrf_token": token, "action": "resetpassword", "rowid": str(pk)}),
    }
    for what, response in attempts.items():
        assert response.status_code in (403, 404), f"{what}: {response.status_code}"
    assert attempts["action"].status_code == 404
    assert snapshot(app) == before
    assert can_log_in(app, target, "Demo@2026")


def test_rest_scope(app: Flask, client: FlaskClient, api_token: Any) -> None:
    headers = api_token("zz_unitadmin")
    listing = client.get("/api/v1/operator/?q=(page_size:100)", headers=headers)
    assert listing.status_code == 200
    body = listing.get_json()
    assert {r["username"] for r in body["result"]} == {"zz_clerk", "zz_internal", "zz_unitadmin"}
    assert {r["unit"]["name"] for r in body["result"]} == {"郑州市第一中学"}
    before = snapshot(app)
    for target in FOREIGN:
        pk = ids(app)[target]
        assert client.get(f"/api/v1/operator/{pk}", headers=headers).status_code == 404
        put = client.put(f"/api/v1/operator/{pk}", headers=headers, json={"first_name": "篡改"})
        assert put.status_code == 404
        assert client.delete(f"/api/v1/operator/{pk}", headers=headers).status_code == 404
    assert snapshot(app) == before


def test_unit_admin_cannot_touch_non_unit_posts(app: Flask, login_as: Any, client: FlaskClient,
                                                 api_token: Any) -> None:
    admin = login_as("admin")
    unit, post = query(app, lambda s: (
        s.scalar(select(Unit.id).where(Unit.code == ZZ_UNIT)),
        s.scalar(select(Post.id).where(Post.code == "unit_admin"))))
    added = admin.submit("/adminoperatorview/add", {
        "username": "zz_unitadmin2", "first_name": "副管理员", "phone": "13912340000",
        "unit": str(unit), "post": str(post), "password": "Abc@12345",
        "conf_password": "Abc@12345"})
    assert added.status_code == 302, messages(added)
    me, other = ids(app)["zz_unitadmin"], ids(app)["zz_unitadmin2"]
    before = snapshot(app)
    web = login_as("zz_unitadmin")
    guarded = "岗位为“单位管理员”的人员只能由系统管理员维护。"
    deleted = web.submit("/operatorview/add", {}, post_path=f"/operatorview/delete/{me}",
                         follow=True)
    assert "不能删除自己的账号。" in messages(deleted)
    deleted = web.submit("/operatorview/add", {}, post_path=f"/operatorview/delete/{other}",
                         follow=True)
    assert guarded in messages(deleted)
    for pk in (me, other):
        edited = web.submit(f"/operatorview/edit/{pk}", {
            "first_name": "改名", "phone": "13912345678", "internal_review": "1", "active": "y"},
            follow=True)
        assert guarded in messages(edited)
    headers = api_token("zz_unitadmin")
    put = client.put(f"/api/v1/operator/{other}", headers=headers, json={"first_name": "改名"})
    assert (put.status_code, put.get_json()["message"]) == (403, guarded)
    other_gone = client.delete(f"/api/v1/operator/{other}", headers=headers)
    assert (other_gone.status_code, other_gone.get_json()["message"]) == (403, guarded)
    gone = client.delete(f"/api/v1/operator/{me}", headers=headers)
    assert (gone.status_code, gone.get_json()["message"]) == (422, "不能删除自己的账号。")
    assert snapshot(app) == before


def test_rest_create_and_no_password_hash(app: Flask, client: FlaskClient, api_token: Any) -> None:
    headers = api_token("zz_unitadmin")
    weak = client.post("/api/v1/operator/", headers=headers, json={
        "first_name": "李四", "phone": "13912345678", "password": "abcdefgh"})
    assert (weak.status_code, weak.get_json()["message"]) == (422, POLICY)
    created = client.post("/api/v1/operator/", headers=headers, json={
        "first_name": "李四", "phone": "13912345678", "password": "Abc@12345",
        "internal_review": True})
    assert created.status_code == 201
    pk = created.get_json()["id"]
    assert created.get_json()["result"]["username"] == f"{ZZ_UNIT}001"
    assert operator(app, f"{ZZ_UNIT}001")["post"] == "internal_reviewer"
    updated = client.put(f"/api/v1/operator/{pk}", headers=headers,
                         json={"first_name": "李四四", "internal_review": False})
    assert updated.status_code == 200
    assert operator(app, f"{ZZ_UNIT}001")["post"] == "clerk"
    for response in (created, updated, client.get("/api/v1/operator/", headers=headers),
                     client.get(f"/api/v1/operator/{pk}", headers=headers),
                     client.get(f"/api/v1/operator/{ids(app)['zz_clerk']}", headers=headers)):
        assert response.status_code in (200, 201)
        assert_no_secrets(response)
    assert can_log_in(app, f"{ZZ_UNIT}001", "Abc@12345")


def test_admin_sees_all_and_clerk_sees_nothing(app: Flask, login_as: Any) -> None:
    page = login_as("admin").get("/adminoperatorview/list/?psize_AdminOperatorView=100")
    assert page.status_code == 200
    page_text = page.get_data(as_text=True)
    shown = {int(pk) for pk in re.findall(r"/adminoperatorview/show/(\d+)", page_text)}
    assert shown == set(ids(app).values())
    clerk = login_as("zz_clerk")
    assert clerk.get("/operatorview/list/").status_code == 403
    assert clerk.get("/adminoperatorview/list/").status_code == 403


def test_unit_admin_resets_clerk_password(app: Flask, login_as: Any) -> None:
    pk = ids(app)["zz_clerk"]
    web = login_as("zz_unitadmin")
    form = f"/operatorview/resetpassword/{pk}"
    weak = web.submit(form, {"password": "abcdefgh", "conf_password": "abcdefgh"})
    assert weak.status_code == 200 and POLICY in messages(weak)
    assert can_log_in(app, "zz_clerk", "Demo@2026")
    done = web.submit(form, {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}, follow=True)
    assert "已重置“郑州市经办人”（zz_clerk）的密码。" in messages(done)
    assert can_log_in(app, "zz_clerk", NEW_PASSWORD)
    assert not can_log_in(app, "zz_clerk", "Demo@2026")


def test_own_profile_and_password(app: Flask, login_as: Any) -> None:
    web = login_as("zz_clerk")
    info = web.get("/profile/userinfo/")
    assert info.status_code == 200 and "郑州市第一中学" in info.get_data(as_text=True)
    bad = web.submit("/profile/edit/form", {"first_name": "新名字", "phone": "123"}, follow=True)
    assert "请输入11位手机号码。" in messages(bad)
    assert operator(app, "zz_clerk")["name"] == "郑州市经办人"
    good = web.submit("/profile/edit/form", {"first_name": "新名字", "phone": "13711112222"},
                      follow=True)
    assert "个人信息已保存。" in messages(good)
    assert (operator(app, "zz_clerk")["name"], operator(app, "zz_clerk")["phone"]) == (
        "新名字", "13711112222")
    weak = web.submit("/resetmypassword/form", {
        "current_password": "Demo@2026", "password": "abcdefgh", "conf_password": "abcdefgh"})
    assert POLICY in messages(weak)
    assert can_log_in(app, "zz_clerk", "Demo@2026")
    changed = web.submit("/resetmypassword/form", {
        "current_password": "Demo@2026", "password": NEW_PASSWORD,
        "conf_password": NEW_PASSWORD}, follow=True)
    assert any(text.startswith("密码修改成功！") for text in messages(changed))
    assert can_log_in(app, "zz_clerk", NEW_PASSWORD)
    assert not can_log_in(app, "zz_clerk", "Demo@2026")


def test_delete_needs_a_csrf_token(app: Flask, login_as: Any) -> None:
    web = login_as("zz_unitadmin")
    pk = ids(app)["zz_internal"]
    web.get(f"/operatorview/delete/{pk}")
    web.client.post(f"/operatorview/delete/{pk}")
    web.client.post(f"/operatorview/delete/{pk}", data={"csrf_token": "forged"})
    assert operator(app, "zz_internal") is not None


def test_admin_blank_account_is_generated(app: Flask, login_as: Any) -> None:
    unit, post = query(app, lambda s: (
        s.scalar(select(Unit.id).where(Unit.code == ZZ_UNIT)),
        s.scalar(select(Post.id).where(Post.code == "clerk"))))
    response = login_as("admin").submit("/adminoperatorview/add", {
        "username": "", "first_name": "王五", "phone": "13912340000", "unit": str(unit),
        "post": str(post), "password": "Abc@12345", "conf_password": "Abc@12345"})
    assert response.status_code == 302, messages(response)
    assert operator(app, f"{ZZ_UNIT}001") is not None


@pytest.mark.parametrize("path, action", [
    ("/operatorview/action/nonexistent/{pk}", None),
    ("/operatorview/action_post", "nonexistent"),
    ("/operatorview/action_post", "resetpassword"),
])
def test_crafted_action_is_not_a_server_error(app: Flask, login_as: Any, path: str,
                                              action: str | None) -> None:
    pk = ids(app)["zz_clerk"]
    web = login_as("zz_unitadmin")
    data = {"csrf_token": web.token("/operatorview/add"), "rowid": str(pk)}
    response = web.client.post(path.format(pk=pk), data={**data, "action": action or ""})
    assert response.status_code < 500


def test_api_refuses_a_browser_session(login_as: Any) -> None:
    """The REST API takes JWT only; a signed-in browser cookie carries no CSRF protection."""
    web = login_as("zz_unitadmin")
    assert web.get("/api/v1/operator/").status_code == 401
    assert web.client.post("/api/v1/operator/", json={"first_name": "x"}).status_code == 401
