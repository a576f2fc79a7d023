"""角色定制: unit roles backed by FAB roles, their permissions, unit scope and deletion rules."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.permissions import OPERATOR_MANAGE, ROLE_MANAGE
from models import AppFunction, Operator, UnitRole

T = TypeVar("T")
ALERT = re.compile(r'<div class="alert[^"]*">(.*?)</div>', re.S)
ZZ_CLERK = {"first_name": "郑州市经办人", "phone": "13800000010", "internal_review": "0",
            "active": "y"}  # zz_clerk's demo values, sent back unchanged on edit


def query(app: Flask, fn: Callable[[Session], T]) -> T:
    """Read the database in a fresh application context, as a separate request would."""
    from app.extensions import db

    with app.app_context():
        return fn(db.session)


def function_ids(app: Flask) -> dict[str, int]:
    return query(app, lambda s: {f.code: f.id for f in s.scalars(select(AppFunction))})


def operator_id(app: Flask, username: str) -> int:
    return query(app, lambda s: s.scalar(select(Operator.id).where(Operator.username == username)))


def unit_roles(app: Flask) -> dict[str, dict[str, Any]]:
    """Every unit role by ``<unit code>/<name>``, with its FAB role and holders."""
    def read(s: Session) -> dict[str, dict[str, Any]]:
        holders = {o.id: {r.id for r in o.unit_roles} for o in s.scalars(select(Operator))}
        return {f"{r.unit.code}/{r.name}": {
            "id": r.id, "role": r.role.name if r.role else None,
            "functions": sorted(f.code for f in r.functions),
            "holders": sorted(op for op, held in holders.items() if r.id in held),
        } for r in s.scalars(select(UnitRole))}
    return query(app, read)


def fab_role(app: Flask, name: str) -> set[tuple[str, str]] | None:
    """The (permission, view) pairs of the FAB role ``name``, or None when it does not exist."""
    def read(s: Session) -> set[tuple[str, str]] | None:
        role = s.scalar(select(Role).where(Role.name == name))
        if role is None:
            return None
        return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
    return query(app, read)


def messages(response: Any) -> list[str]:
    """Flash messages and field errors shown on a page, as plain text."""
    found = ALERT.findall(response.get_data(as_text=True))
    return [html.unescape(" ".join(re.sub(r"<[^>]+>|&times;", "", m).split())) for m in found]


def add_role(app: Flask, web: Any, name: str, *codes: str) -> Any:
    """Submit the 增加角色 form with the given 功能权限 codes."""
    functions = function_ids(app)
    return web.submit("/unitroleview/add", {
        "name": name, "description": "测试角色", "functions": [str(functions[c]) for c in codes],
    }, follow=True)


def assign(web: Any, clerk: int, *role_ids: int) -> Any:
    """Edit zz_clerk keeping the other fields, with exactly ``role_ids`` as 角色."""
    data = {**ZZ_CLERK, "unit_roles": [str(pk) for pk in role_ids]}
    return web.submit(f"/operatorview/edit/{clerk}", data, follow=True)


def role_choices(web: Any, operator_pk: int) -> str:
    """The 角色 options offered on the operator edit form."""
    form = web.get(f"/operatorview/edit/{operator_pk}").get_data(as_text=True)
    choices = re.search(r'<select[^>]*name="unit_roles"[^>]*>(.*?)</select>', form, re.S)
    assert choices is not None
    return choices.group(1)


def test_role_grants_its_functions(app: Flask, login_as: Any, client: FlaskClient,
                                   api_token: Any) -> None:
    admin = login_as("zz_unitadmin")
    clerk_web = login_as("zz_clerk")
    assert clerk_web.get("/operatorview/list/").status_code == 403
    assert client.get("/api/v1/operator/", headers=api_token("zz_clerk")).status_code == 403

    assert "增加成功" in messages(add_role(app, admin, "人事管理", "operator_manage"))
    role = unit_roles(app)["zz0101/人事管理"]
    assert role["role"] == "zz0101/人事管理" and role["functions"] == ["operator_manage"]
    assert fab_role(app, "zz0101/人事管理") == set(OPERATOR_MANAGE)

    clerk = operator_id(app, "zz_clerk")
    assert "人事管理" in role_choices(admin, clerk)
    assert "修改成功" in messages(assign(admin, clerk, role["id"]))
    assert unit_roles(app)["zz0101/人事管理"]["holders"] == [clerk]
    assert clerk_web.get("/operatorview/list/").status_code == 200
    assert client.get("/api/v1/operator/", headers=api_token("zz_clerk")).status_code == 200
    assert clerk_web.get("/unitroleview/list/").status_code == 403


def test_ticking_more_functions_updates_the_fab_role(app: Flask, client: FlaskClient,
                                                     api_token: Any) -> None:
    headers = api_token("zz_unitadmin")
    functions = function_ids(app)
    created = client.post("/api/v1/unit_role/", headers=headers,
                          json={"name": "管理", "functions": [functions["role_manage"]]})
    assert created.status_code == 201
    assert fab_role(app, "zz0101/管理") == set(ROLE_MANAGE)
    changed = client.put(f"/api/v1/unit_role/{created.get_json()['id']}", headers=headers,
                         json={"name": "总管", "functions": [functions["operator_manage"],
                                                           functions["role_manage"]]})
    assert changed.status_code == 200
    assert fab_role(app, "zz0101/管理") is None
    assert fab_role(app, "zz0101/总管") == {*OPERATOR_MANAGE, *ROLE_MANAGE}


def test_duplicate_name_only_within_a_unit(app: Flask, login_as: Any, client: FlaskClient,
                                           api_token: Any) -> None:
    zz = login_as("zz_unitadmin")
    add_role(app, zz, "人事", "operator_manage")
    before = unit_roles(app)
    duplicate = add_role(app, zz, "人事", "role_manage")
    assert "本单位已有类别名称为“人事”的角色。" in messages(duplicate)
    padded = add_role(app, zz, "  人事 ", "role_manage")
    assert "本单位已有类别名称为“人事”的角色。" in messages(padded)
    rest = client.post("/api/v1/unit_role/", headers=api_token("zz_unitadmin"),
                       json={"name": "人事", "functions": []})
    assert (rest.status_code, rest.get_json()["message"]) == (
        422, "本单位已有类别名称为“人事”的角色。")
    assert unit_roles(app) == before

    assert "增加成功" in messages(add_role(app, login_as("sj_unitadmin"), "人事", "role_manage"))
    assert set(unit_roles(app)) == {"zz0101/人事", "sj0101/人事"}
    assert fab_role(app, "sj0101/人事") == set(ROLE_MANAGE)


def test_other_units_role_is_out_of_reach(app: Flask, login_as: Any, client: FlaskClient,
                                          api_token: Any) -> None:
    add_role(app, login_as("zz_unitadmin"), "人事", "operator_manage")
    pk = unit_roles(app)["zz0101/人事"]["id"]
    before = unit_roles(app), fab_role(app, "zz0101/人事")
    sj = login_as("sj_unitadmin")
    token = sj.token("/unitroleview/add")
    listed = sj.get("/unitroleview/list/").get_data(as_text=True)
    assert "人事" not in listed and f"/unitroleview/show/{pk}" not in listed
    attempts = {
        "show": sj.get(f"/unitroleview/show/{pk}"),
        "edit form": sj.get(f"/unitroleview/edit/{pk}"),
        "edit": sj.client.post(f"/unitroleview/edit/{pk}", data={
            "csrf_token": token, "name": "篡改", "description": "x", "functions": []}),
        "delete": sj.client.post(f"/unitroleview/delete/{pk}", data={"csrf_token": token}),
    }
    for what, response in attempts.items():
        assert response.status_code == 404, f"{what}: {response.status_code}"

    headers = api_token("sj_unitadmin")
    assert client.get("/api/v1/unit_role/", headers=headers).get_json()["count"] == 0
    assert client.get(f"/api/v1/unit_role/{pk}", headers=headers).status_code == 404
    put = client.put(f"/api/v1/unit_role/{pk}", headers=headers, json={"name": "篡改"})
    assert put.status_code == 404
    assert client.delete(f"/api/v1/unit_role/{pk}", headers=headers).status_code == 404
    assert (unit_roles(app), fab_role(app, "zz0101/人事")) == before


def test_other_units_role_cannot_be_assigned(app: Flask, login_as: Any, client: FlaskClient,
                                             api_token: Any) -> None:
    add_role(app, login_as("zz_unitadmin"), "人事", "operator_manage")
    pk = unit_roles(app)["zz0101/人事"]["id"]
    sj_clerk = operator_id(app, "sj_clerk")
    headers = api_token("sj_unitadmin")
    refused = "角色“人事”不属于本单位。"
    put = client.put(f"/api/v1/operator/{sj_clerk}", headers=headers, json={"unit_roles": [pk]})
    assert (put.status_code, put.get_json()["message"]) == (422, refused)
    post = client.post("/api/v1/operator/", headers=headers, json={
        "first_name": "新人", "phone": "13912345678", "password": "Abc@12345", "unit_roles": [pk]})
    assert (post.status_code, post.get_json()["message"]) == (422, refused)

    sj = login_as("sj_unitadmin")
    assert "人事" not in role_choices(sj, sj_clerk)
    edited = sj.submit(f"/operatorview/edit/{sj_clerk}", {
        "first_name": "省直经办人", "phone": "13800000002", "internal_review": "0",
        "active": "y", "unit_roles": str(pk)}, follow=True)
    assert "修改成功" not in messages(edited)  # refused, not silently dropped
    assert unit_roles(app)["zz0101/人事"]["holders"] == []
    assert query(app, lambda s: s.scalar(select(Operator).where(
        Operator.first_name == "新人"))) is None


def test_assigned_role_cannot_be_deleted(app: Flask, login_as: Any, client: FlaskClient,
                                         api_token: Any) -> None:
    web = login_as("zz_unitadmin")
    add_role(app, web, "人事", "operator_manage")
    pk = unit_roles(app)["zz0101/人事"]["id"]
    clerk = operator_id(app, "zz_clerk")
    assign(web, clerk, pk)
    refused = "角色“人事”仍分配给郑州市经办人等1人，请先取消分配。"

    deleted = web.submit("/unitroleview/add", {}, post_path=f"/unitroleview/delete/{pk}",
                         follow=True)
    assert refused in messages(deleted)
    rest = client.delete(f"/api/v1/unit_role/{pk}", headers=api_token("zz_unitadmin"))
    assert (rest.status_code, rest.get_json()["message"]) == (422, refused)
    assert unit_roles(app)["zz0101/人事"]["holders"] == [clerk]
    assert fab_role(app, "zz0101/人事") == set(OPERATOR_MANAGE)

    assert "修改成功" in messages(assign(web, clerk))
    assert login_as("zz_clerk").get("/operatorview/list/").status_code == 403
    deleted = web.submit("/unitroleview/add", {}, post_path=f"/unitroleview/delete/{pk}",
                         follow=True)
    assert "删除成功" in messages(deleted)
    assert unit_roles(app) == {}
    assert fab_role(app, "zz0101/人事") is None


def test_role_form_needs_only_name_and_functions(app: Flask, login_as: Any) -> None:
    web = login_as("zz_unitadmin")
    response = web.submit("/unitroleview/add", {
        "name": "人事", "functions": str(function_ids(app)["operator_manage"])}, follow=True)
    assert "增加成功" in messages(response)
    assert fab_role(app, "zz0101/人事") == set(OPERATOR_MANAGE)


def test_rest_info_offers_only_own_roles(app: Flask, login_as: Any, client: FlaskClient,
                                         api_token: Any) -> None:
    add_role(app, login_as("zz_unitadmin"), "人事", "operator_manage")
    info = client.get("/api/v1/operator/_info", headers=api_token("sj_unitadmin"))
    assert info.status_code == 200
    fields = [*info.get_json()["add_columns"], *info.get_json()["edit_columns"]]
    # /_info lists no related values any more: a field without them offers nothing.
    offered = [v for f in fields if f["name"] == "unit_roles" for v in f.get("values", [])]
    assert offered == []


def test_longest_name_in_a_long_coded_unit(app: Flask, login_as: Any, client: FlaskClient,
                                           api_token: Any) -> None:
    """类别名称 may have 50 characters and 单位编码 32; the FAB role name must still fit."""
    from app.services.operators import create_operator
    from app.services.organisation import validate_unit
    from models import Unit, UnitKind

    def long_coded_unit(s: Session) -> None:
        parent = s.scalar(select(Unit).where(Unit.code == "zz01"))
        unit = Unit(code="zz01_long_unit_code", name="长编码学校", kind=UnitKind.purchaser,
                    region=parent.region, parent=parent, active=True)
        validate_unit(s, unit)
        s.add(unit)
        create_operator(s, name="长编码管理员", phone="13900000001", password="Abc@12345",
                        post_code="unit_admin", unit=unit, username="long_admin")
        s.commit()

    query(app, long_coded_unit)
    web = login_as("long_admin", "Abc@12345")
    page = web.submit("/unitroleview/add", {"name": "甲" * 50, "description": "测试",
                                            "functions": "1"}, follow=True)
    # 64 characters for "<unit code>/<name>" leave 44 for the name in this unit.
    assert "类别名称不能超过44个字。" in messages(page)
    rest = client.post("/api/v1/unit_role/", headers=api_token("long_admin", "Abc@12345"),
                       json={"name": "乙" * 50, "functions": []})
    assert rest.status_code == 422
    assert rest.get_json()["message"] == "类别名称不能超过44个字。"
    ok = client.post("/api/v1/unit_role/", headers=api_token("long_admin", "Abc@12345"),
                     json={"name": "丙" * 44, "functions": []})
    assert ok.status_code == 201, ok.get_data(as_text=True)
