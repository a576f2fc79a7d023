"""采购人注册 and 采购人注册审核: the public form, the 市采购办's review, the gate and the REST."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from stdnum.cn import uscc

from app.extensions import db
from app.services.errors import PermissionDenied
from app.services.operators import create_operator
from app.services.records import clerk_of
from app.services.registration import PENDING, registration_answer
from models import Intention, Operator, Region, SmsMessage, Unit, UnitRegistration, WorkflowTask
from tests.conftest import DEMO_PASSWORD, Web

FORM, API, LIST = "/register/unit/", "/api/v1/account/unit", "/unitregistrationview/list/"
ACTION = "/unitregistrationview/action_post"
PASSWORD = "Reg@2026x"
NAME = "郑州市文化广电和旅游局"  # the unit every test registers, code zz03, admin zz03001
NOTE = "单位地址不完整，请补充门牌号。"
PARENT = "上级单位须为本区划已注册的一级预算单位。"
ALERT = re.compile(r'<div class="alert[^"]*">(.*?)</div>', re.S)


def credit_code(body: str = "MA4400001", prefix: str = "11410100") -> str:
    """A 统一社会信用代码 (a government agency by default) with its check digit."""
    return prefix + body + uscc.calc_check_digit(prefix + body)


def wrong_check_digit(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def pk(app: Flask, model: type, code: str) -> int | None:
    """The id of the region or unit with ``code``."""
    with app.app_context():
        return app.appbuilder.session.scalar(select(model.id).where(model.code == code))


def unit_data(app: Flask, region: str = "zz", **overrides: Any) -> dict[str, Any]:
    """What a person types into 采购人注册 (a first-level unit unless parent_id is given)."""
    return {"region_id": pk(app, Region, region), "parent_id": 0, "name": NAME, "code": "zz03",
            "credit_code": credit_code(), "address": "郑州市中原区某路1号",
            "phone": "0371-66661234", "admin_name": "王管理", "admin_phone": "13611112222",
            "password": PASSWORD, "confirm": PASSWORD, **overrides}


def correction(app: Flask, **overrides: Any) -> dict[str, Any]:
    """The correction form of a returned registration as it opens (everything registered)."""
    return {"unit_name": NAME, "unit_code": "zz03", "region": str(pk(app, Region, "zz")),
            "parent": "__None", "credit_code": credit_code(), "address": "郑州市中原区某路1号",
            "phone": "0371-66661234", "admin_name": "王管理", "admin_phone": "13611112222",
            **overrides}


def counts(app: Flask) -> list[int]:
    """How many units, operators and registrations exist."""
    with app.app_context():
        session = app.appbuilder.session
        return [session.scalar(select(func.count(m.id))) for m in (Unit, Operator, UnitRegistration)]


def registration(app: Flask, code: str = "zz03") -> UnitRegistration | None:
    """The registration of unit ``code``, detached with its unit."""
    with app.app_context():
        session = app.appbuilder.session
        item = session.scalar(select(UnitRegistration).join(Unit).where(Unit.code == code))
        if item is not None:
            session.expunge(item.unit)
            session.expunge(item)
        return item


def open_task(app: Flask) -> WorkflowTask:
    with app.app_context():
        return app.appbuilder.session.scalar(select(WorkflowTask).where(
            WorkflowTask.status == "open", WorkflowTask.post_code == "office_reviewer"))


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def alerts(page: str) -> list[str]:
    """The flashed messages of a page, as plain text (the form always shows its help texts)."""
    return [html.unescape(re.sub(r"<[^>]+>|&times;|\s+", "", m)) for m in ALERT.findall(page)]


def register(app: Flask, **overrides: Any) -> str:
    """Post the public form as an anonymous visitor; returns the page."""
    data = {k: str(v) for k, v in unit_data(app, **overrides).items()}
    return text(Web(app.test_client()).submit(FORM, data))


def review(web: Web, task: WorkflowTask, **data: str) -> str:
    # The token comes from another page: after the task is handled its page redirects away.
    return text(web.submit("/profile/edit/form", {"version": str(task.version), **data},
                           post_path=f"/tasks/{task.id}/review", follow=True))


def add_clerk(admin: Web) -> None:
    """The unit administrator adds a clerk through 操作人员管理 (account zz03002)."""
    added = admin.submit("/operatorview/add", {
        "first_name": "李经办", "phone": "13622223333", "password": PASSWORD,
        "conf_password": PASSWORD, "internal_review": "0"}, follow=True)
    assert "已为“李经办”生成登录账号：zz03002" in alerts(text(added))


@pytest.fixture
def registered(app: Flask) -> int:
    """郑州市文化广电和旅游局 registered through the public form; its registration's id."""
    assert registration_answer("zz03001") in register(app)
    return registration(app).id


def test_registration_creates_an_inactive_unit_and_its_admin(
    app: Flask, registered: int, login_as: Any
) -> None:
    """The unit waits, inactive; its admin sees 审核中 and cannot edit or submit it again."""
    item = registration(app)
    assert item.status == "in_review" and item.unit.active is False
    assert item.unit.parent_id is None and item.credit_code == credit_code()
    admin = login_as("zz03001", PASSWORD)
    assert "本单位注册信息" in text(admin.get("/"))
    listed = text(admin.get(LIST))
    assert NAME in listed and "审核中" in listed and ">审核</a>" not in listed
    edited = admin.submit(LIST, correction(
        app, address="改", phone="0371-1"),
        post_path=f"/unitregistrationview/edit/{registered}", follow=True)
    assert "只有被退回的注册信息可以修改。" in alerts(text(edited))
    assert registration(app).address == "郑州市中原区某路1号"
    again = admin.submit(LIST, {"action": "submit", "rowid": str(registered)},
                         post_path=ACTION, follow=True)
    assert [m for m in alerts(text(again)) if m.endswith("：当前状态为“审核中”，不能提交。")]


def test_a_clerk_files_only_once_the_office_approved(app: Flask, registered: int,
                                                     login_as: Any) -> None:
    """The admin may add a clerk, but the clerk cannot file until the 市采购办 approves."""
    add_clerk(login_as("zz03001", PASSWORD))
    clerk = login_as("zz03002", PASSWORD)
    assert PENDING in alerts(text(clerk.get("/procurementplanview/add", follow_redirects=True)))
    with app.app_context():
        operator = app.appbuilder.session.scalar(
            select(Operator).where(Operator.username == "zz03002"))
        with pytest.raises(PermissionDenied, match=PENDING):
            clerk_of(operator)
    review(login_as("zz_office"), open_task(app), action="approve", opinion="同意")
    page = clerk.get("/procurementplanview/add")
    assert page.status_code == 200 and "增加采购计划备案" in text(page)


def test_a_clerk_of_a_pending_unit_cannot_add_intentions(app: Flask, registered: int,
                                                         login_as: Any) -> None:
    """意向公开 is business too: refused with the pending message, nothing is saved."""
    add_clerk(login_as("zz03001", PASSWORD))
    added = login_as("zz03002", PASSWORD).submit("/intentionview/add", {
        "project_name": "办公楼空调采购", "demand_summary": "采购壁挂式空调20台，含安装。",
        "budget_amount": "60000.00", "expected_month": "2026-12", "remark": ""}, follow=True)
    assert PENDING in alerts(text(added))
    with app.app_context():
        assert app.appbuilder.session.scalar(select(func.count(Intention.id)).where(
            Intention.project_name == "办公楼空调采购")) == 0


def test_office_returns_then_approves(app: Flask, registered: int, login_as: Any) -> None:
    """退回 needs an opinion; the admin corrects and resubmits; 审核通过 activates the unit."""
    office = login_as("zz_office")
    assert "采购人注册审核" in text(office.get("/"))
    listed = text(office.get(LIST))
    assert NAME in listed and f"/unitregistrationview/review/{registered}" in listed
    tasks = text(office.get("/tasks/"))
    assert "采购人注册" in tasks and NAME in tasks
    task = open_task(app)
    opened = office.get(f"/unitregistrationview/review/{registered}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/tasks/{task.id}/review")
    page = text(office.get(f"/tasks/{task.id}/review"))
    assert credit_code() in page and "zz03001" in page
    assert office.get(f"/unitregistrationview/edit/{registered}").status_code == 403
    assert "请填写审批意见。" in review(office, task, action="return", opinion="")
    assert registration(app).status == "in_review"
    assert "审核完成。" in review(office, task, action="return", opinion=NOTE)
    assert registration(app).status == "returned"
    assert "暂无待办任务。" in text(office.get("/tasks/"))

    admin = login_as("zz03001", PASSWORD)
    assert NOTE in text(admin.get(f"/unitregistrationview/show/{registered}"))
    form, fields = f"/unitregistrationview/edit/{registered}", correction(
        app, address="某路1号院2号楼")
    bad = admin.submit(form, {**fields, "credit_code": wrong_check_digit(credit_code())},
                       follow=True)
    assert "统一社会信用代码校验位不正确，请核对。" in alerts(text(bad))
    assert "修改成功" in alerts(text(admin.submit(form, fields, follow=True)))
    assert registration(app).address == "某路1号院2号楼"
    submitted = admin.submit(LIST, {"action": "submit", "rowid": str(registered)},
                             post_path=ACTION, follow=True)
    assert [m for m in alerts(text(submitted)) if m.endswith("：已提交，等待审核。")]
    assert registration(app).status == "in_review"

    assert "审核完成。" in review(office, open_task(app), action="approve", opinion="同意")
    item = registration(app)
    assert item.status == "completed" and item.completed_on is not None and item.unit.active
    assert "已完成" in text(admin.get(LIST))


def test_a_returned_registration_corrects_everything_it_registered(
    app: Flask, registered: int, login_as: Any
) -> None:
    """Not only 信用代码/地址/电话: the unit's name, code, region, parent and administrator."""
    review(login_as("zz_office"), open_task(app), action="return", opinion=NOTE)
    admin = login_as("zz03001", PASSWORD)
    form = f"/unitregistrationview/edit/{registered}"
    opened = text(admin.get(form))
    for field, value in (("unit_name", NAME), ("unit_code", "zz03"), ("admin_name", "王管理"),
                         ("admin_phone", "13611112222")):
        assert re.search(rf'name="{field}"[^>]*value="{value}"', opened), field
    assert re.search(r'<option selected value="\d+">郑州市</option>', opened)
    refused = admin.submit(form, correction(app, parent=str(pk(app, Unit, "pds01"))), follow=True)
    assert PARENT in alerts(text(refused))
    refused = admin.submit(form, correction(app, admin_phone="1361111"), follow=True)
    unchanged = registration(app)
    assert unchanged is not None and unchanged.unit.name == NAME
    assert "修改成功" not in alerts(text(refused))
    saved = admin.submit(form, correction(
        app, unit_name="郑州市第九中学", unit_code="zz0109", parent=str(pk(app, Unit, "zz01")),
        admin_name="王新", admin_phone="13611113333"), follow=True)
    assert "修改成功" in alerts(text(saved))
    item = registration(app, "zz0109")
    assert item is not None
    assert (item.unit.name, item.unit.code, item.unit.parent_id) == (
        "郑州市第九中学", "zz0109", pk(app, Unit, "zz01"))
    with app.app_context():
        account = db.session.get(Operator, item.admin_id)
        assert account is not None
        assert (account.first_name, account.phone) == ("王新", "13611113333")
    submitted = admin.submit(LIST, {"action": "submit", "rowid": str(registered)},
                             post_path=ACTION, follow=True)
    assert [m for m in alerts(text(submitted)) if m.endswith("：已提交，等待审核。")]


def test_the_list_action_names_the_registration_in_chinese(app: Flask, registered: int,
                                                           login_as: Any) -> None:
    """提交 on the list names the record as people read it, not as Python prints it."""
    again = login_as("zz03001", PASSWORD).submit(
        LIST, {"action": "submit", "rowid": str(registered)}, post_path=ACTION, follow=True)
    found = [m for m in alerts(text(again)) if m.endswith("：当前状态为“审核中”，不能提交。")]
    assert found and re.fullmatch(r"[^A-Za-z<>]+：当前状态为“审核中”，不能提交。", found[0])


def test_a_second_level_unit_registers_under_a_first_level_unit(app: Flask) -> None:
    """郑州市教育局 (zz01) is registered: a school may register under it."""
    page = register(app, parent_id=pk(app, Unit, "zz01"), code="zz0109", name="郑州市第九中学")
    assert registration_answer("zz0109001") in page
    item = registration(app, "zz0109")
    assert item.unit.parent_id == pk(app, Unit, "zz01") and not item.unit.active
    assert item.status == "in_review"


@pytest.mark.parametrize(("parent", "web_message"), [
    ("sj01", PARENT),  # a first-level unit of another region (the form offers every region's)
    ("zz0101", "不是有效的选择。"),  # a second-level unit: not offered
    ("zz03", "不是有效的选择。"),  # a first-level unit whose own registration is pending
])
def test_the_parent_must_be_a_registered_first_level_unit_of_the_region(
    app: Flask, client: Any, parent: str, web_message: str
) -> None:
    """Form and API refuse any other parent; nothing is created."""
    if parent == "zz03":
        register(app)
        assert NAME not in text(client.get(FORM))
    assert "郑州市教育局" in text(client.get(FORM))
    before = counts(app)
    data = {"parent_id": pk(app, Unit, parent), "code": "zz0109", "name": "郑州市第九中学"}
    page = register(app, **data)
    assert web_message in (alerts(page) if web_message == PARENT else page)
    assert "注册申请已受理" not in page
    answer = client.post(API, json=unit_data(app, **data))
    assert answer.status_code == 422 and answer.get_json()["message"] == PARENT
    assert counts(app) == before


@pytest.mark.parametrize(("overrides", "message"), [
    ({"region": "sj"}, "省直尚未设置市采购办，无法送审。"),  # no 市采购办 at all
    ({"region": "pds"}, "“平顶山市政府采购办公室”尚未配置市采购办审核岗，无法送审。"),
    ({"code": "zz01"}, "单位编码“zz01”已存在。"),
    ({"name": "郑州市教育局"}, "郑州市已有名为“郑州市教育局”的单位。"),
    ({"credit_code": wrong_check_digit(credit_code())}, "统一社会信用代码校验位不正确，请核对。"),
    ({"credit_code": "1141010"}, "统一社会信用代码应为18位数字或大写字母。"),
    ({"password": "abcdefgh", "confirm": "abcdefgh"},
     "密码至少8位，且须包含字母、数字、符号中的至少两类。"),
    ({"confirm": "Reg@2026y"}, "两次输入的密码不一致。"),
    ({"admin_phone": "1361111222"}, "请输入管理员的11位手机号码。"),
    ({"admin_phone": "23611112222"}, "请输入管理员的11位手机号码。"),
])
def test_bad_input_is_refused(app: Flask, client: Any, overrides: dict[str, str],
                              message: str) -> None:
    """Each refusal names the problem in Chinese, in the form and in the API; nothing is kept."""
    before = counts(app)
    page = register(app, **overrides)
    assert message in alerts(page) and "注册申请已受理" not in page
    answer = client.post(API, json=unit_data(app, **overrides))
    assert answer.status_code == 422 and answer.get_json()["message"] == message
    assert counts(app) == before


def test_others_cannot_see_the_registration(app: Flask, registered: int, login_as: Any,
                                            client: Any, api_token: Any) -> None:
    """Another unit's admin and another region's 市采购办 get nothing; 404 on the record."""
    with app.app_context():
        session = app.appbuilder.session
        create_operator(session, name="平顶山采购办审核人", phone="13655556666",
                        password=DEMO_PASSWORD, post_code="office_reviewer",
                        unit=session.get(Unit, pk(app, Unit, "pdscgb")), username="pds_office")
        session.commit()
    for username in ("zz_unitadmin", "pds_office"):
        web = login_as(username)
        assert NAME not in text(web.get(LIST)), username
        assert web.get(f"/unitregistrationview/show/{registered}").status_code == 404
    assert login_as("pds_office").get(f"/unitregistrationview/review/{registered}")\
        .status_code == 404
    admin = login_as("zz_unitadmin")
    assert admin.get(f"/unitregistrationview/edit/{registered}").status_code == 404
    # The admin's own list is empty, so the CSRF token comes from another form.
    posted = admin.submit("/operatorview/add", {"action": "submit", "rowid": str(registered)},
                          post_path=ACTION)
    assert posted.status_code == 404
    headers = api_token("zz_unitadmin")
    for path in ("", "/history"):
        answer = client.get(f"/api/v1/unit_registration/{registered}{path}", headers=headers)
        assert answer.status_code == 404, path
    assert client.post(f"/api/v1/unit_registration/{registered}/submit",
                       headers=headers).status_code == 404
    office = login_as("zz_office")
    assert NAME in text(office.get(f"/unitregistrationview/show/{registered}"))


def act(client: Any, headers: dict[str, str], action: str, opinion: str) -> Any:
    """Act on the 市采购办's open task at the version the task list gave."""
    task = client.get("/api/v1/tasks/", headers=headers).get_json()["result"][0]
    return client.post(f"/api/v1/tasks/{task['id']}/act", headers=headers,
                       json={"action": action, "opinion": opinion, "version": task["version"]})


def test_the_api_registers_and_the_office_reviews(app: Flask, client: Any,
                                                  api_token: Any) -> None:
    """POST /account/unit, then 退回 and 审核通过 through /tasks/, with the history."""
    created = client.post(API, json=unit_data(app))
    assert created.status_code == 201
    assert created.get_json() == {"username": "zz03001",
                                  "message": registration_answer("zz03001")}
    admin = api_token("zz03001", PASSWORD)
    own = client.get("/api/v1/unit_registration/", headers=admin).get_json()
    assert own["count"] == 1 and own["result"][0]["unit"] == {"code": "zz03", "name": NAME}
    pk_ = own["result"][0]["id"]
    office = api_token("zz_office")
    tasks = client.get("/api/v1/tasks/", headers=office).get_json()["result"]
    assert [(t["record_type"], t["record_id"], t["unit"]) for t in tasks] == [
        ("unit_registration", pk_, NAME)]
    assert {a["id"]: a["label"] for a in tasks[0]["actions"]} == {
        "approve": "审核通过", "return": "退回"}
    refused = act(client, office, "return", " ")
    assert refused.status_code == 422 and refused.get_json()["message"] == "请填写审批意见。"
    returned = act(client, office, "return", NOTE)
    assert returned.status_code == 200 and returned.get_json()["result"]["status"] == "returned"

    history = client.get(f"/api/v1/unit_registration/{pk_}/history", headers=admin).get_json()
    assert [(h["action"], h["opinion"]) for h in history["result"]] == [
        ("submit", ""), ("return", NOTE)]
    again = client.post(f"/api/v1/unit_registration/{pk_}/submit", headers=admin)
    assert again.status_code == 200 and again.get_json()["result"]["status"] == "in_review"
    approved = act(client, office, "approve", "同意")
    assert approved.status_code == 200 and approved.get_json()["result"]["status"] == "completed"
    assert registration(app).unit.active is True
    lines = client.get(f"/api/v1/unit_registration/{pk_}/history", headers=office).get_json()
    assert [h["action"] for h in lines["result"]] == ["submit", "return", "submit", "approve"]
    assert client.get("/api/v1/tasks/", headers=office).get_json()["result"] == []


def test_the_office_reads_registrations_over_rest(app: Flask, client: Any,
                                                  api_token: Any) -> None:
    """The 市采购办 lists and reads its region's registrations through the API."""
    assert client.post(API, json=unit_data(app)).status_code == 201
    office = api_token("zz_office")
    listed = client.get("/api/v1/unit_registration/", headers=office)
    assert listed.status_code == 200 and listed.get_json()["count"] == 1
    shown = client.get(f"/api/v1/unit_registration/{registration(app).id}", headers=office)
    assert shown.status_code == 200 and shown.get_json()["result"]["unit"]["name"] == NAME


def test_schema_errors_are_in_chinese(app: Flask, client: Any) -> None:
    """Missing and mistyped fields come back per field, in Chinese; nothing is created."""
    before = counts(app)
    body = unit_data(app, region_id="郑州")
    del body["name"]
    answer = client.post(API, json=body)
    assert answer.status_code == 422 and answer.get_json()["errors"] == {
        "name": ["必填项，不能缺少。"], "region_id": ["应为整数。"]}
    empty = client.post(API, json={}).get_json()["errors"]
    assert set(empty) == set(unit_data(app)) - {"parent_id"}
    assert set(map(tuple, empty.values())) == {("必填项，不能缺少。",)}
    assert counts(app) == before


def test_registrations_are_rate_limited(app: Flask, client: Any) -> None:
    """REGISTRATION_RATE_LIMIT "2 per hour": the third attempt gets 429 in Chinese."""
    app.config["REGISTRATION_RATE_LIMIT"] = "2 per hour"
    assert client.post(API, json=unit_data(app)).status_code == 201
    second = unit_data(app, code="zz04", name="郑州市体育局", credit_code=credit_code("MA4400002"))
    assert client.post(API, json=second).status_code == 201
    before = counts(app)
    third = {"code": "zz05", "name": "郑州市民政局", "credit_code": credit_code("MA4400003")}
    answer = client.post(API, json=unit_data(app, **third))
    assert answer.status_code == 429 and answer.get_json()["message"] == "操作过于频繁，请稍后再试。"
    page = register(app, **third)
    assert "操作过于频繁，请稍后再试。" in alerts(page) and "注册申请已受理" not in page
    assert counts(app) == before


@pytest.mark.parametrize("via", ["web", "api"])
def test_a_registered_credit_code_answers_like_a_new_one(app: Flask, client: Any,
                                                         via: str) -> None:
    """The same 统一社会信用代码 again (another unit code and name): the answer of a new
    registration, nothing created, and the first registration's administrator told by SMS."""
    assert client.post(API, json=unit_data(app)).status_code == 201
    before = counts(app)
    other = {"code": "zz04", "name": "郑州市体育局", "admin_phone": "13622220000"}
    if via == "api":
        answer = client.post(API, json=unit_data(app, **other))
        assert answer.status_code == 201
        assert answer.get_json() == {"username": "zz04001",
                                     "message": registration_answer("zz04001")}
    else:
        page = register(app, **other)
        assert registration_answer("zz04001") in page and not alerts(page)
    assert counts(app) == before and registration(app, "zz04") is None
    with app.app_context():
        sms = db.session.scalars(select(SmsMessage).where(
            SmsMessage.purpose == "registration_notice")).all()
        assert [m.phone for m in sms] == ["13611112222"]
        assert f"统一社会信用代码{credit_code()}申请采购人注册" in sms[0].body
    # The input is checked as for a new code: a weak password is refused all the same.
    weak = client.post(API, json=unit_data(app, **other, password="abcdefgh",
                                           confirm="abcdefgh"))
    assert weak.status_code == 422
    assert weak.get_json()["message"] == "密码至少8位，且须包含字母、数字、符号中的至少两类。"
