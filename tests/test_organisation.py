"""区划管理, 单位管理 and 业务处室分管 through the web pages, as admin and as everyone else."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Post, Region, Unit

OPTION = re.compile(r'<option(?: selected)? value="([^"]*)">([^<]*)</option>')
NON_ADMINS = ["zz_clerk", "zz_unitadmin", "zz_sup_first", "zz_div_first", "zz_office"]
VIEWS = {"regionview": ("region", "zz"), "unitview": ("unit", "zz0101"),
         "divisionview": ("unit", "zzd1"), "postview": ("post", None)}
PAGES = ["list/", "add", "edit/{pk}", "show/{pk}", "delete/{pk}"]
UNIT_COUNT = 29  # demo units in 省直, 郑州市 and 平顶山市


def visible(html: str) -> str:
    """The text a person sees: no scripts, no tags, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def send(web: Any, form_path: str, data: dict[str, Any], post_path: str | None = None) -> str:
    """Submit a form like a browser, follow the redirect and return the visible page text."""
    response = web.submit(form_path, data, post_path=post_path, follow=True)
    assert response.status_code == 200, response.status_code
    return visible(response.get_data(as_text=True))


def delete(web: Any, view: str, pk: int) -> str:
    """Delete a record with a form token, as the list page's 删除 button does."""
    return send(web, f"/{view}/add", {}, post_path=f"/{view}/delete/{pk}")


def options(web: Any, form_path: str, field: str) -> dict[str, str]:
    """Label → posted value of a select on a form page."""
    html = web.get(form_path).get_data(as_text=True)
    select_html = re.search(rf'<select[^>]* name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, f"no select {field} on {form_path}"
    return {label: value for value, label in OPTION.findall(select_html.group(1))}


def unit_id(session: Any, code: str) -> int:
    return session.scalar(select(Unit.id).where(Unit.code == code))


def unit(session: Any, code: str) -> Unit:
    session.expire_all()
    return session.scalars(select(Unit).where(Unit.code == code)).one()


def count(session: Any, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def competents(session: Any, code: str) -> list[str]:
    return [c.code for c in unit(session, code).competents]


@pytest.fixture
def admin(login_as: Callable[..., Any]) -> Any:
    return login_as("admin")


@pytest.fixture
def unit_form(admin: Any) -> Callable[..., dict[str, Any]]:
    """Data for /unitview/add: a new first-level 采购单位 in 郑州市, ids read from the form."""
    regions = options(admin, "/unitview/add", "region")
    parents = options(admin, "/unitview/add", "parent")

    def build(region: str = "郑州市", parent: str | None = None, **fields: Any) -> dict[str, Any]:
        data = {"code": "zz03", "name": "郑州市体育局", "kind": "purchaser",
                "region": regions[region], "active": "y"}
        if parent is not None:
            data["parent"] = parents[parent]
        return {**data, **fields}

    return build


# 区划管理 ------------------------------------------------------------------------------------


def test_region_is_created_and_listed(admin: Any, db_session: Any) -> None:
    page = send(admin, "/regionview/add",
                {"code": "ly", "name": "洛阳市", "short_name": "洛", "sort_order": "3"})
    assert "增加成功" in page
    assert "ly 洛阳市 洛" in visible(admin.get("/regionview/list/").get_data(as_text=True))
    region = db_session.scalars(select(Region).where(Region.code == "ly")).one()
    assert (region.name, region.short_name, region.sort_order) == ("洛阳市", "洛", 3)


@pytest.mark.parametrize(("fields", "message"), [
    ({"code": "ZZ"}, "区划代码“zz”已存在。"),  # lower-cased by the service, then found
    ({"name": " 郑州市 "}, "区划名称“郑州市”已存在。"),  # stripped by the service, then found
    ({"code": "1ly"}, "区划代码只能由小写字母和数字组成，以字母开头，不超过16位。"),
    ({"code": "zz"}, "已经存在"),  # the form's own uniqueness check answers first
    ({"name": "郑州市"}, "已经存在"),
])
def test_region_duplicate_or_bad_code_is_refused(admin: Any, db_session: Any,
                                                 fields: dict[str, str], message: str) -> None:
    data = {"code": "ly", "name": "洛阳市", "short_name": "洛", "sort_order": "3", **fields}
    page = send(admin, "/regionview/add", data)
    assert message in page and "增加成功" not in page
    assert count(db_session, Region) == 3


def test_region_with_units_cannot_be_deleted(admin: Any, db_session: Any) -> None:
    zz = db_session.scalar(select(Region.id).where(Region.code == "zz"))
    page = delete(admin, "regionview", zz)
    assert "区划“郑州市”下还有10个单位，不能删除。" in page
    assert count(db_session, Region) == 3

    send(admin, "/regionview/add", {"code": "ly", "name": "洛阳市", "short_name": "洛",
                                    "sort_order": "3"})
    ly = db_session.scalar(select(Region.id).where(Region.code == "ly"))
    assert "删除成功" in delete(admin, "regionview", ly)
    assert count(db_session, Region) == 3


# 单位管理 ------------------------------------------------------------------------------------


def test_units_are_created_first_and_second_level(admin: Any, db_session: Any,
                                                  unit_form: Callable[..., dict]) -> None:
    assert "增加成功" in send(admin, "/unitview/add", unit_form())
    assert "增加成功" in send(admin, "/unitview/add", unit_form(
        parent="郑州市教育局", code="zz0103", name="郑州市第二中学"))
    assert unit(db_session, "zz03").is_first_level
    second = unit(db_session, "zz0103")
    assert (second.parent.code, second.region.code) == ("zz01", "zz")


def test_parent_choices_are_first_level_units_only(admin: Any) -> None:
    parents = options(admin, "/unitview/add", "parent")
    assert "郑州市教育局" in parents and parents["（无）"] == "__None"
    assert "郑州市第一中学" not in parents and "郑州市财政局行政政法处" not in parents


@pytest.mark.parametrize(("fields", "message"), [
    ({"parent": "河南省教育厅"}, "主管单位必须与本单位属于同一区划。"),
    ({"kind": "supervision"},
     "郑州市已设置监管部门“郑州市财政局政府采购监督管理处”，每个区划只能有一个监管部门。"),
    ({"code": "a b"}, "单位编码只能由字母、数字、下划线或连字符组成，长度2至32位。"),
    ({"code": "z"}, "单位编码只能由字母、数字、下划线或连字符组成，长度2至32位。"),
    ({"kind": "division", "parent": "郑州市教育局"}, "只有采购单位可以设置主管单位。"),
    ({"name": "郑州市教育局"}, "郑州市已有名为“郑州市教育局”的单位。"),
    ({"code": "zz01"}, "已经存在"),
])
def test_unit_breaking_a_rule_is_refused(admin: Any, db_session: Any, unit_form: Callable,
                                         fields: dict[str, str], message: str) -> None:
    page = send(admin, "/unitview/add", unit_form(**fields))
    assert message in page and "增加成功" not in page
    assert count(db_session, Unit) == UNIT_COUNT


def test_second_level_unit_cannot_be_parent(admin: Any, db_session: Any,
                                            unit_form: Callable[..., dict]) -> None:
    """A 二级单位 is not offered as 主管单位; posting its id anyway is refused."""
    data = {**unit_form(), "parent": str(unit_id(db_session, "zz0101"))}
    assert "无效的选项" in send(admin, "/unitview/add", data)
    assert count(db_session, Unit) == UNIT_COUNT


def test_unit_edit_rules(admin: Any, db_session: Any, unit_form: Callable[..., dict]) -> None:
    """A 主管单位 with subordinates cannot get a parent; the 监管部门 itself may be saved."""
    zz01 = unit_id(db_session, "zz01")
    data = unit_form(parent="郑州市卫生健康委员会", code="zz01", name="郑州市教育局")
    page = send(admin, f"/unitview/edit/{zz01}", data)
    assert "“郑州市教育局”下设有下级单位，不能再设置主管单位。" in page
    assert unit(db_session, "zz01").parent_id is None

    zzjg = unit_id(db_session, "zzjg")
    data = unit_form(code="zzjg", name="郑州市财政局采购监管处", kind="supervision")
    assert "修改成功" in send(admin, f"/unitview/edit/{zzjg}", data)
    assert unit(db_session, "zzjg").name == "郑州市财政局采购监管处"


@pytest.mark.parametrize(("code", "message"), [
    ("zz01", "“郑州市教育局”下还有下级单位，不能删除。"),
    ("zz0101", "“郑州市第一中学”下还有操作人员，不能删除；可将其停用。"),
    ("zzd2", "“郑州市财政局社会保障处”仍有业务处室分管关系，请先解除。"),
    ("zz02", "“郑州市卫生健康委员会”下还有下级单位，不能删除。"),
])
def test_unit_delete_is_refused(admin: Any, db_session: Any, code: str, message: str) -> None:
    page = delete(admin, "unitview", unit_id(db_session, code))
    assert message in page and "删除成功" not in page
    assert count(db_session, Unit) == UNIT_COUNT


def test_unused_unit_is_deleted(admin: Any, db_session: Any, unit_form: Callable) -> None:
    send(admin, "/unitview/add", unit_form())
    page = delete(admin, "unitview", unit_id(db_session, "zz03"))
    assert "删除成功" in page and count(db_session, Unit) == UNIT_COUNT


# 业务处室分管 --------------------------------------------------------------------------------


@pytest.mark.parametrize(("chosen", "message"), [
    (["zz01"], "“郑州市教育局”已由“郑州市财政局行政政法处”分管，请先在该处室中解除。"),
    (["zz02", "zz01"], "“郑州市教育局”已由“郑州市财政局行政政法处”分管，请先在该处室中解除。"),
    (["sj01"], "“河南省教育厅”不属于郑州市。"),
])
def test_division_competent_refused(admin: Any, db_session: Any, chosen: list[str],
                                    message: str) -> None:
    zzd2 = unit_id(db_session, "zzd2")
    data = {"competents": [str(unit_id(db_session, code)) for code in chosen]}
    page = send(admin, f"/divisionview/edit/{zzd2}", data)
    assert message in page and "修改成功" not in page
    assert competents(db_session, "zzd1") == ["zz01"]
    assert competents(db_session, "zzd2") == ["zz02"]


def test_division_competents_reassigned(admin: Any, db_session: Any) -> None:
    zzd1, zzd2 = unit_id(db_session, "zzd1"), unit_id(db_session, "zzd2")
    choices = options(admin, f"/divisionview/edit/{zzd2}", "competents")
    assert "郑州市教育局" in choices and "郑州市第一中学" not in choices
    assert "修改成功" in send(admin, f"/divisionview/edit/{zzd1}", {"competents": []})
    data = {"competents": [choices["郑州市卫生健康委员会"], choices["郑州市教育局"]]}
    assert "修改成功" in send(admin, f"/divisionview/edit/{zzd2}", data)
    assert competents(db_session, "zzd1") == []
    assert competents(db_session, "zzd2") == ["zz01", "zz02"]


def test_division_second_level_unit_is_refused(admin: Any, db_session: Any) -> None:
    zzd2 = unit_id(db_session, "zzd2")
    page = send(admin, f"/divisionview/edit/{zzd2}",
                {"competents": [str(unit_id(db_session, "zz0101"))]})
    assert "修改成功" not in page
    assert competents(db_session, "zzd2") == ["zz02"]


# Access --------------------------------------------------------------------------------------


def page_urls(session: Any) -> list[str]:
    """Every page of the four views, with the id of a real record."""
    keys = {"region": lambda code: session.scalar(select(Region.id).where(Region.code == code)),
            "unit": lambda code: unit_id(session, code),
            "post": lambda code: session.scalar(select(func.min(Post.id)))}
    urls = []
    for view, (kind, code) in VIEWS.items():
        pk = keys[kind](code)
        urls += [f"/{view}/{page.format(pk=pk)}" for page in PAGES]
    return urls


@pytest.mark.parametrize("username", NON_ADMINS)
def test_non_admins_are_refused(login_as: Callable, db_session: Any, username: str) -> None:
    web = login_as(username)
    token = web.token("/profile/edit/form")  # a valid CSRF token, so only the post decides
    for url in page_urls(db_session):
        assert web.get(url).status_code in (403, 404), url
        if "/list" not in url and "/show" not in url:
            data = {"csrf_token": token, "code": "xx", "name": "x"}
            assert web.client.post(url, data=data).status_code in (403, 404), url
    assert (count(db_session, Region), count(db_session, Unit)) == (3, UNIT_COUNT)


def test_anonymous_is_sent_to_login(client: FlaskClient, db_session: Any) -> None:
    for url in page_urls(db_session):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login/"), url


# Rendering -----------------------------------------------------------------------------------


def test_lists_and_details_speak_chinese(admin: Any, db_session: Any) -> None:
    """Booleans read 是/否; None, True, False and list reprs never reach the page."""
    unit(db_session, "pds0101").active = False
    db_session.add(Region(code="ly", name="洛阳市", short_name="洛", sort_order=3))
    db_session.commit()
    ly = db_session.scalar(select(Region.id).where(Region.code == "ly"))
    units = visible(admin.get("/unitview/list/").get_data(as_text=True))
    assert "pds0101 平顶山市第一中学 采购单位 平顶山市 平顶山市教育局 否" in units
    assert "pds01 平顶山市教育局 采购单位 平顶山市 是" in units
    divisions = visible(admin.get("/divisionview/list/").get_data(as_text=True))
    assert "zzd1 郑州市财政局行政政法处 郑州市 郑州市教育局" in divisions
    pages = [units, divisions] + [
        visible(admin.get(url).get_data(as_text=True)) for url in (
            "/regionview/list/", "/postview/list/", f"/regionview/show/{ly}",
            f"/unitview/show/{unit_id(db_session, 'zz01')}",
            f"/divisionview/show/{unit_id(db_session, 'zzd2')}")]
    for text in pages:
        assert not re.search(r"\b(None|True|False)\b|\[", text), text


# Known defects -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_delete_needs_a_form_token(admin: Any, db_session: Any, method: str) -> None:
    db_session.add(Region(code="ly", name="洛阳市", short_name="洛", sort_order=3))
    db_session.commit()
    ly = db_session.scalar(select(Region.id).where(Region.code == "ly"))
    getattr(admin.client, method)(f"/regionview/delete/{ly}")
    assert count(db_session, Region) == 4


@pytest.mark.parametrize("kind", [None, "bogus"])
def test_unit_form_without_valid_kind_is_not_a_500(admin: Any, db_session: Any,
                                                   unit_form: Callable, kind: str | None) -> None:
    data = unit_form(kind=kind)
    if kind is None:
        del data["kind"]
    assert admin.submit("/unitview/add", data).status_code == 200
    assert count(db_session, Unit) == UNIT_COUNT


def test_unit_can_be_deactivated(admin: Any, db_session: Any, unit_form: Callable) -> None:
    data = unit_form(parent="郑州市教育局", code="zz0102", name="郑州外国语学校")
    del data["active"]  # an unticked checkbox is not posted at all
    assert "修改成功" in send(admin, f"/unitview/edit/{unit_id(db_session, 'zz0102')}", data)
    assert unit(db_session, "zz0102").active is False


@pytest.mark.parametrize("change", [{"region": "平顶山市"}, {"kind": "division"}])
def test_competent_with_subordinates_keeps_region_and_kind(
        admin: Any, db_session: Any, unit_form: Callable, change: dict[str, str]) -> None:
    data = unit_form(code="zz01", name="郑州市教育局", **change)
    page = send(admin, f"/unitview/edit/{unit_id(db_session, 'zz01')}", data)
    zz01 = unit(db_session, "zz01")
    assert "修改成功" not in page
    assert (zz01.region.code, zz01.kind.name) == ("zz", "purchaser")


@pytest.mark.parametrize("text", [">__None<", "\\u003e__None\\u003c", "Are you sure"])
def test_unit_list_has_no_untranslated_text(admin: Any, text: str) -> None:
    """The 主管单位 search filter and the delete confirmation are read by people."""
    assert text not in admin.get("/unitview/list/").get_data(as_text=True)
