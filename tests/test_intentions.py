"""意向公开 in the panel: drafts, 公开, 撤回 with a reason, scope, and the 30/90-day link rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.services.errors import ValidationFailed
from app.services.intentions import LINK_MESSAGE, check_linkable, linkable_intentions
from app.timezone import business_today
from models import Intention, Operator

ADD = "/intentionview/add"
LIST = "/intentionview/list/"
VALID = {"project_name": "教学楼空调采购", "demand_summary": "采购壁挂式空调50台，含安装。",
         "budget_amount": "150000.50", "expected_month": "2026-12", "remark": "分两批交付"}


def text(response: Any) -> str:
    return response.get_data(as_text=True)


SEEDED: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _seeded(app: Flask) -> None:
    """The demo data brings published intentions; the tests look only at their own."""
    with app.app_context():
        SEEDED["last"] = app.appbuilder.session.scalar(select(func.max(Intention.id))) or 0


def rows(app: Flask) -> list[Intention]:
    """The intentions this test created, oldest first."""
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return list(session.scalars(
            select(Intention).where(Intention.id > SEEDED["last"]).order_by(Intention.id)))


def add(web: Any, **changes: str) -> Any:
    return web.submit(ADD, {**VALID, **changes}, follow=True)


def publish(web: Any, pk: int) -> Any:
    return web.submit(LIST, {}, post_path=f"/intentionview/action/publish/{pk}", follow=True)


def retract(web: Any, pk: int, reason: str) -> Any:
    # The token comes from the list: the form of a record that cannot be withdrawn redirects.
    return web.submit(LIST, {"reason": reason}, post_path=f"/intentionview/retract/{pk}",
                      follow=True)


def edit(web: Any, pk: int, **changes: str) -> Any:
    # The token comes from the list: the form of a record that cannot change redirects.
    return web.submit(LIST, {**VALID, **changes}, post_path=f"/intentionview/edit/{pk}",
                      follow=True)


def delete(web: Any, pk: int) -> Any:
    return web.submit(LIST, {}, post_path=f"/intentionview/delete/{pk}", follow=True)


@pytest.fixture
def clerk(login_as: Any) -> Any:
    return login_as("zz_clerk")


@pytest.fixture
def draft(app: Flask, clerk: Any) -> int:
    assert "增加成功" in text(add(clerk))
    return rows(app)[0].id


@pytest.fixture
def published(app: Flask, clerk: Any, draft: int) -> int:
    assert "已公开" in text(publish(clerk, draft))
    return draft


def test_clerk_adds_a_draft_of_the_unit(app: Flask, clerk: Any, draft: int) -> None:
    item = rows(app)[0]
    with app.app_context():
        operator = app.appbuilder.session.scalar(
            select(Operator).where(Operator.username == "zz_clerk"))
        assert item.unit_id == operator.unit_id and item.created_by_id == operator.id
    assert item.status == "draft" and item.published_on is None
    assert item.budget_amount == Decimal("150000.50") and isinstance(item.budget_amount, Decimal)
    assert (item.project_name, item.expected_month, item.remark) == (
        "教学楼空调采购", "2026-12", "分两批交付")
    page = text(clerk.get(LIST))
    assert "教学楼空调采购" in page and "150,000.50 元" in page and "草稿" in page
    form = text(clerk.get(ADD))
    assert 'name="expected_month"' in form and "2026-12" in form


@pytest.mark.parametrize(("field", "value", "message"), [
    ("project_name", "", "请填写采购项目名称。"),
    ("project_name", "   ", "请填写采购项目名称。"),
    ("project_name", "项" * 201, "采购项目名称不能超过200个字。"),
    ("demand_summary", "", "请填写采购需求概况。"),
    ("budget_amount", "", "请填写预算金额。"),
    ("budget_amount", "十五万", "预算金额必须是金额数字。"),
    ("budget_amount", "1e5", "预算金额必须是金额数字。"),
    ("budget_amount", "0", "预算金额必须大于0。"),
    ("budget_amount", "-100", "预算金额必须大于0。"),
    ("budget_amount", "100.005", "预算金额最多保留两位小数。"),
    ("budget_amount", "12345678901234567", "预算金额超出允许的范围。"),
    ("expected_month", "", "请填写预计采购时间。"),
    ("expected_month", "2026/12", "预计采购时间格式应为“年-月”，如 2026-12。"),
    ("expected_month", "2026-1", "预计采购时间格式应为“年-月”，如 2026-12。"),
    ("expected_month", "2026-12-01", "预计采购时间格式应为“年-月”，如 2026-12。"),
    ("expected_month", "2026-13", "预计采购时间不是有效的月份。"),
    ("expected_month", "2026-00", "预计采购时间不是有效的月份。"),
    ("remark", "备" * 2001, "备注不能超过2000个字。"),
])
def test_bad_input_is_refused_and_nothing_saved(app: Flask, clerk: Any, field: str, value: str,
                                                 message: str) -> None:
    page = text(add(clerk, **{field: value}))
    assert message in page and "增加成功" not in page
    assert rows(app) == []


def test_edit_a_draft_and_refuse_bad_changes(app: Flask, clerk: Any, draft: int) -> None:
    assert "修改成功" in text(edit(clerk, draft, budget_amount="2000", expected_month="2027-01"))
    item = rows(app)[0]
    assert (item.budget_amount, item.expected_month) == (Decimal("2000.00"), "2027-01")
    page = text(edit(clerk, draft, project_name="新名称", budget_amount="0.001"))
    assert "预算金额最多保留两位小数。" in page
    item = rows(app)[0]
    assert (item.project_name, item.budget_amount) == ("教学楼空调采购", Decimal("2000.00"))


def test_delete_a_draft(app: Flask, clerk: Any, draft: int) -> None:
    assert "删除成功" in text(delete(clerk, draft))
    assert rows(app) == []


def test_publish_stamps_today_in_shanghai_and_locks(app: Flask, clerk: Any, draft: int) -> None:
    page = text(publish(clerk, draft))
    today = business_today()
    assert f"教学楼空调采购：已公开，公开日期 {today:%Y-%m-%d}。" in page
    item = rows(app)[0]
    assert (item.status, item.published_on) == ("published", today)
    assert "已公开的采购意向不能修改，只能撤回。" in text(edit(clerk, draft, project_name="改"))
    assert "已公开的采购意向不能删除，只能撤回。" in text(delete(clerk, draft))
    assert "该采购意向已公开。" in text(publish(clerk, draft))
    item = rows(app)[0]
    assert (item.project_name, item.status, item.published_on) == (
        "教学楼空调采购", "published", today)


def test_publish_uses_the_shanghai_date_not_the_utc_date(app: Flask, clerk: Any, draft: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    instant = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 2026-03-02 01:30 in Shanghai

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)

    monkeypatch.setattr("app.timezone.datetime", Clock)
    assert business_today() == date(2026, 3, 2)
    publish(clerk, draft)
    assert rows(app)[0].published_on == date(2026, 3, 2)


def test_publish_from_the_list(app: Flask, clerk: Any, draft: int) -> None:
    page = text(clerk.submit(LIST, {"action": "publish", "rowid": str(draft)},
                             post_path="/intentionview/action_post", follow=True))
    assert "已公开" in page and rows(app)[0].status == "published"


def test_retract_with_a_reason(app: Flask, clerk: Any, published: int) -> None:
    show = text(clerk.get(f"/intentionview/show/{published}"))
    assert f"/intentionview/action/retract/{published}" in show and "撤回" in show
    button = clerk.submit(LIST, {}, post_path=f"/intentionview/action/retract/{published}")
    assert button.status_code == 302
    assert button.headers["Location"].endswith(f"/intentionview/retract/{published}")
    form = text(clerk.get(f"/intentionview/retract/{published}"))
    assert 'name="reason"' in form and 'name="csrf_token"' in form and "教学楼空调采购" in form
    for blank in ("", "   "):
        refused = retract(clerk, published, blank)
        assert refused.status_code == 200 and "请填写撤回原因。" in text(refused)
        assert rows(app)[0].status == "published"
    done = text(retract(clerk, published, "项目预算调整，暂缓采购"))
    assert "教学楼空调采购：已撤回。" in done
    item = rows(app)[0]
    assert (item.status, item.withdraw_reason) == ("withdrawn", "项目预算调整，暂缓采购")
    assert item.withdrawn_on is not None and item.published_on == business_today()
    show = text(clerk.get(f"/intentionview/show/{published}"))
    assert "项目预算调整，暂缓采购" in show and "已撤回" in show


def test_withdrawn_is_kept_and_final(app: Flask, clerk: Any, published: int) -> None:
    retract(clerk, published, "需求变化")
    assert "只有已公开的采购意向可以撤回。" in text(retract(clerk, published, "再次撤回"))
    assert "已撤回的采购意向不能再次公开。" in text(publish(clerk, published))
    assert "已撤回的采购意向不能修改。" in text(edit(clerk, published, project_name="改"))
    assert "已撤回的采购意向须保留，不能删除。" in text(delete(clerk, published))
    item = rows(app)[0]
    assert (item.project_name, item.status, item.withdraw_reason) == (
        "教学楼空调采购", "withdrawn", "需求变化")


def test_only_published_can_be_withdrawn(app: Flask, clerk: Any, draft: int) -> None:
    page = text(retract(clerk, draft, "不需要了"))
    assert "只有已公开的采购意向可以撤回。" in page
    assert (rows(app)[0].status, rows(app)[0].withdraw_reason) == ("draft", "")


def test_retract_needs_the_csrf_token(app: Flask, clerk: Any, published: int) -> None:
    response = clerk.client.post(f"/intentionview/retract/{published}", data={"reason": "x"})
    assert response.status_code == 400 and rows(app)[0].status == "published"


def test_other_units_cannot_reach_an_intention(app: Flask, published: int, draft: int,
                                               login_as: Any) -> None:
    other = login_as("sj_clerk")
    assert "教学楼空调采购" not in text(other.get(LIST))
    for path in (f"/intentionview/show/{draft}", f"/intentionview/edit/{draft}",
                 f"/intentionview/retract/{draft}"):
        assert other.get(path).status_code == 404, path
    token = other.token(ADD)
    for path, data in ((f"/intentionview/delete/{draft}", {}),
                       (f"/intentionview/edit/{draft}", VALID),
                       (f"/intentionview/retract/{draft}", {"reason": "越权"}),
                       (f"/intentionview/action/publish/{draft}", {}),
                       (f"/intentionview/action/retract/{draft}", {}),
                       ("/intentionview/action_post", {"action": "publish", "rowid": str(draft)})):
        assert other.client.post(path, data={"csrf_token": token, **data}).status_code == 404, path
    item = rows(app)[0]
    assert (item.status, item.project_name, item.withdraw_reason) == (
        "published", "教学楼空调采购", "")


def test_only_clerks_of_purchasing_units(app: Flask, login_as: Any) -> None:
    assert login_as("zz_internal").get(ADD).status_code == 403
    assert login_as("zz_sup_first").get(LIST).status_code == 403
    page = text(add(login_as("admin")))
    assert "只有采购单位经办岗可以办理采购意向。" in page and rows(app) == []


def _intentions(session: Any, days_ago: dict[str, int], today: date, unit_id: int,
                author: int, status: str = "published") -> dict[str, Intention]:
    made = {
        key: Intention(unit_id=unit_id, project_name=key, demand_summary="概况",
                       budget_amount=Decimal("1000.00"), expected_month="2026-12",
                       status=status, published_on=today - timedelta(days=days),
                       created_by_id=author)
        for key, days in days_ago.items()
    }
    session.add_all(made.values())
    session.commit()
    return made


def test_linkable_bounds_are_30_and_90_days_inclusive(app: Flask, db_session: Any) -> None:
    today = date(2040, 6, 15)  # far from the demo intentions, which are dated from the real today
    zz, sj = (db_session.scalar(select(Operator).where(Operator.username == name))
              for name in ("zz_clerk", "sj_clerk"))
    own = _intentions(db_session, {"d29": 29, "d30": 30, "d60": 60, "d90": 90, "d91": 91},
                      today, zz.unit_id, zz.id)
    gone = _intentions(db_session, {"withdrawn": 45}, today, zz.unit_id, zz.id, "withdrawn")
    draft = _intentions(db_session, {"draft": 45}, today, zz.unit_id, zz.id, "draft")
    other = _intentions(db_session, {"other": 45}, today, sj.unit_id, sj.id)

    found = linkable_intentions(db_session, zz.unit_id, today)
    assert [i.project_name for i in found] == ["d30", "d60", "d90"]
    assert [i.published_on for i in found] == [date(2040, 5, 16), date(2040, 4, 16),
                                               date(2040, 3, 17)]
    for key in ("d30", "d60", "d90"):
        assert check_linkable(db_session, own[key], zz.unit_id, today) is own[key]
        assert check_linkable(db_session, own[key].id, zz.unit_id, today) is own[key]
    refused = [own["d29"], own["d91"], gone["withdrawn"], draft["draft"], other["other"], None,
               own["d30"].id + 1000]
    for candidate in refused:
        with pytest.raises(ValidationFailed) as caught:
            check_linkable(db_session, candidate, zz.unit_id, today)
        assert caught.value.message == LINK_MESSAGE == "所选采购意向须为本单位公开满30天且不超过90天的意向。"
    assert [i.project_name for i in linkable_intentions(db_session, sj.unit_id, today)] == ["other"]


def test_api_is_read_only_and_scoped(app: Flask, clerk: Any, published: int, client: Any,
                                     api_token: Any) -> None:
    if not any(type(v).__name__ == "IntentionApi" for v in app.appbuilder.baseviews):
        pytest.skip("IntentionApi is not registered in app/registry.py yet")
    headers = api_token("zz_clerk")
    listed = client.get("/api/v1/intention/", headers=headers)
    assert listed.status_code == 200, listed.get_json()
    mine = [r for r in listed.get_json()["result"] if r["id"] == published]
    assert mine and mine[0]["status"] == "published" and mine[0]["project_name"] == "教学楼空调采购"
    assert Decimal(str(mine[0]["budget_amount"])) == Decimal("150000.50")
    shown = client.get(f"/api/v1/intention/{published}", headers=headers)
    assert shown.status_code == 200
    assert shown.get_json()["result"]["unit"]["name"] == "郑州市第一中学"
    other = api_token("sj_clerk")
    assert client.get(f"/api/v1/intention/{published}", headers=other).status_code == 404
    assert published not in [r["id"] for r in client.get("/api/v1/intention/", headers=other)
                             .get_json()["result"]]
    assert client.post("/api/v1/intention/", json=VALID, headers=headers).status_code == 405
    assert client.delete(f"/api/v1/intention/{published}", headers=headers).status_code == 405
    assert rows(app)[0].status == "published"
