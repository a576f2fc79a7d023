"""中标结果变更备案 through the REST API (JWT): the bid_change chain end to end.

Submit, 待办任务, 审核 (approve and both returns), 撤回, history, refusals that change nothing,
and two reviewers racing on the same task in real concurrent transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from io import BytesIO
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from models import BidChangeFiling, Operator, Project, WorkflowHistory, WorkflowTask

T = TypeVar("T")
SECRETS = ("scrypt", "pbkdf2", '"password"')
NOT_MINE = "这不是您的待办任务。"
HANDLED = "该任务已被处理"
OPINION_REQUIRED = "请填写审批意见。"
CANNOT_WITHDRAW = "已有审核人处理，不能撤回。"
REGION_NAMES = {"zz": "郑州市", "sj": "省直", "pds": "平顶山市"}
FILINGS = "/api/v1/bid_change_filing"
TASKS = "/api/v1/tasks/"

# The chain of workflows.yaml: step, its label, the post that acts and the actions offered.
CHAIN = [
    ("internal_review", "单位内部审核", "internal", "内部审核岗",
     [("approve", "同意"), ("return", "退回采购人")]),
    ("supervision_first", "监管部门初审", "sup_first", "监管部门初审岗",
     [("approve", "同意"), ("return", "退回采购人")]),
    ("supervision_review", "监管部门复核", "sup_review", "监管部门复核岗",
     [("approve", "同意"), ("return_first", "退回初审"), ("return", "退回采购人")]),
]
REVIEWERS = ("internal", "sup_first", "sup_review")


# --------------------------------------------------------------------------- helpers


def query(app: Flask, fn: Callable[[Session], T]) -> T:
    """Read the database in a fresh application context, as a separate request would."""
    from app.extensions import db

    with app.app_context():
        return fn(db.session)


def refusal(response: Any) -> tuple[str, str]:
    """(code, message) of a REST refusal, whose body is {"code", "message", "field"}."""
    body = response.get_json()
    return body["code"], body["message"]


def make_filing(app: Flask, prefix: str = "zz", project: int = 0,
                content: str = "变更中标供应商") -> int:
    """A draft filing of ``{prefix}_clerk``'s unit, saved through the filing service."""
    from app.extensions import db
    from app.services.bids import prepare_filing

    with app.app_context():
        session = db.session
        clerk = session.scalar(select(Operator).where(Operator.username == f"{prefix}_clerk"))
        assert clerk is not None
        projects = session.scalars(
            select(Project).where(Project.unit_id == clerk.unit_id).order_by(Project.id)).all()
        item = BidChangeFiling(project_id=projects[project].id, change_content=content,
                               change_reason="原中标供应商放弃中标资格", new_supplier="",
                               new_amount=None)
        upload = FileStorage(stream=BytesIO(b"%PDF-1.4 test"), filename="情况说明.pdf",
                             content_type="application/pdf")
        prepare_filing(session, item, clerk, upload, creating=True)
        session.add(item)
        session.commit()
        return item.id


def history_rows(app: Flask, filing_id: int) -> list[tuple[str, str]]:
    """(action, result) of every history line of a filing, straight from the database."""
    from app.services import workflow as flow

    def read(s: Session) -> list[tuple[str, str]]:
        instance = flow.instance_of(s, "bid_change_filing", filing_id)
        if instance is None:
            return []
        return [(h.action, h.result) for h in s.scalars(
            select(WorkflowHistory).where(WorkflowHistory.instance_id == instance.id)
            .order_by(WorkflowHistory.id))]

    return query(app, read)


def task_rows(app: Flask, filing_id: int) -> list[tuple[str, str, int]]:
    """(step, status, version) of every task of a filing, oldest first."""
    from app.services import workflow as flow

    def read(s: Session) -> list[tuple[str, str, int]]:
        instance = flow.instance_of(s, "bid_change_filing", filing_id)
        if instance is None:
            return []
        return [(t.step, t.status, t.version) for t in s.scalars(
            select(WorkflowTask).where(WorkflowTask.instance_id == instance.id)
            .order_by(WorkflowTask.id))]

    return query(app, read)


def assert_no_secrets(response: Any) -> None:
    body = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in body, f"{secret} leaked in {response.request.path}"


class Api:
    """One person's REST client: JWT on every call, and no response may leak a secret."""

    def __init__(self, app: Flask, headers: dict[str, str], username: str) -> None:
        self.client = app.test_client()
        self.headers = headers
        self.username = username

    def get(self, path: str) -> Any:
        response = self.client.get(path, headers=self.headers)
        assert_no_secrets(response)
        return response

    def post(self, path: str, json: Any = None) -> Any:
        response = self.client.post(path, headers=self.headers, json=json)
        assert_no_secrets(response)
        return response

    # the workflow endpoints
    def tasks(self) -> list[dict[str, Any]]:
        response = self.get(TASKS)
        assert response.status_code == 200, (self.username, response.get_json())
        return response.get_json()["result"]

    def act(self, task_id: int, action: str, version: int, opinion: str = "",
            **extra: Any) -> Any:
        return self.post(f"{TASKS}{task_id}/act",
                         json={"action": action, "version": version, "opinion": opinion, **extra})

    def submit(self, filing_id: int) -> Any:
        return self.post(f"{FILINGS}/{filing_id}/submit")

    def withdraw(self, filing_id: int) -> Any:
        return self.post(f"{FILINGS}/{filing_id}/withdraw")

    def history(self, filing_id: int) -> list[dict[str, Any]]:
        response = self.get(f"{FILINGS}/{filing_id}/history")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["result"]

    def show(self, filing_id: int) -> dict[str, Any]:
        response = self.get(f"{FILINGS}/{filing_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["result"]


@pytest.fixture
def api(app: Flask, api_token: Callable[[str], dict[str, str]]) -> Callable[[str], Api]:
    """``api("zz_internal")`` gives that person's JWT client (tokens cached per test)."""
    cache: dict[str, Api] = {}

    def _api(username: str) -> Api:
        if username not in cache:
            cache[username] = Api(app, api_token(username), username)
        return cache[username]

    return _api


def only_task(person: Api, filing_id: int) -> dict[str, Any]:
    """The single open task of ``person``, which must belong to ``filing_id``."""
    tasks = person.tasks()
    assert len(tasks) == 1, (person.username, tasks)
    assert tasks[0]["record_id"] == filing_id
    return tasks[0]


def assert_no_tasks(*people: Api) -> None:
    for person in people:
        assert person.tasks() == [], person.username


def advance(api: Callable[[str], Api], prefix: str, filing_id: int, role: str,
            action: str = "approve", opinion: str = "") -> dict[str, Any]:
    """``{prefix}_{role}`` acts on its only task; returns the new state."""
    reviewer = api(f"{prefix}_{role}")
    task = only_task(reviewer, filing_id)
    response = reviewer.act(task["id"], action, task["version"], opinion)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["result"]


def submitted(api: Callable[[str], Api], app: Flask, prefix: str = "zz") -> int:
    """A new filing of ``prefix``, submitted by its clerk and waiting at internal review."""
    filing_id = make_filing(app, prefix)
    response = api(f"{prefix}_clerk").submit(filing_id)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == {"status": "in_review", "step": "internal_review"}
    return filing_id


def unit_name(app: Flask, username: str) -> str:
    return query(app, lambda s: s.scalar(
        select(Operator).where(Operator.username == username)).unit.name)


# --------------------------------------------------------------------------- 1. the full chain


@pytest.mark.parametrize("prefix", ["zz", "sj", "pds"])
def test_full_chain_through_the_api(app, api, prefix):
    others = [p for p in REGION_NAMES if p != prefix]
    region = REGION_NAMES[prefix]
    filing_id = make_filing(app, prefix)
    clerk = api(f"{prefix}_clerk")
    assert clerk.show(filing_id)["status"] == "draft"
    assert clerk.history(filing_id) == []

    submit = clerk.submit(filing_id)
    assert submit.status_code == 200, submit.get_json()
    assert submit.get_json()["result"] == {"status": "in_review", "step": "internal_review"}
    assert clerk.show(filing_id)["status"] == "in_review"
    # Outsiders: every other post of the region, and the same posts of the other regions.
    outsiders = [api(f"{p}_{role}") for p in others for role in REVIEWERS]

    for index, (step, label, role, _post, actions) in enumerate(CHAIN):
        reviewer = api(f"{prefix}_{role}")
        task = only_task(reviewer, filing_id)
        assert task["workflow"] == "bid_change"
        assert task["record_type"] == "bid_change_filing"
        assert task["step"] == step and task["step_label"] == label
        assert task["unit"] == unit_name(app, f"{prefix}_clerk")
        assert [(a["id"], a["label"]) for a in task["actions"]] == actions
        assert all(a["choices"] == [] for a in task["actions"])
        assert task["version"] == 1 and isinstance(task["id"], int)
        waiting = [api(f"{prefix}_{r}") for r in REVIEWERS if r != role]
        assert_no_tasks(clerk, *waiting, *outsiders)

        response = reviewer.act(task["id"], "approve", task["version"])
        assert response.status_code == 200, response.get_json()
        following = CHAIN[index + 1][0] if index + 1 < len(CHAIN) else None
        expected = {"status": "in_review", "step": following} if following else \
            {"status": "completed", "step": None}
        assert response.get_json()["result"] == expected

    assert_no_tasks(clerk, *(api(f"{prefix}_{r}") for r in REVIEWERS), *outsiders)
    shown = clerk.show(filing_id)
    assert shown["status"] == "completed" and shown["completed_on"]

    lines = clerk.history(filing_id)
    assert [(h["action"], h["result"], h["step"]) for h in lines] == [
        ("submit", "提交", None),
        ("approve", "同意", "internal_review"),
        ("approve", "同意", "supervision_first"),
        ("approve", "同意", "supervision_review"),
    ]
    assert [(h["actor"], h["post"]) for h in lines] == [
        (f"{region}经办人", "经办岗"),
        (f"{region}内审员", "内部审核岗"),
        (f"{region}监管初审人", "监管部门初审岗"),
        (f"{region}监管复核人", "监管部门复核岗"),
    ]
    assert [h["step_label"] for h in lines[1:]] == [c[1] for c in CHAIN]
    assert all(h["time"] for h in lines)
    # The chain is over: nothing more to act on, and the filing cannot be sent again.
    again = clerk.submit(filing_id)
    assert again.status_code == 422 and "不能提交" in again.get_json()["message"]
    assert len(clerk.history(filing_id)) == 4


def test_other_units_never_see_the_task_or_the_record(app, api):
    filing_id = submitted(api, app, "zz")
    for username in ("sj_internal", "pds_internal", "zz_sup_first", "zz_sup_review",
                     "sj_sup_first", "zz_clerk", "zz_competent", "zz_div_first"):
        assert api(username).tasks() == [], username
    for username in ("sj_clerk", "pds_clerk"):
        foreign = api(username)
        assert foreign.get(f"{FILINGS}/{filing_id}").status_code == 404
        assert foreign.get(f"{FILINGS}/{filing_id}/history").status_code == 404
        listing = foreign.get(f"{FILINGS}/")
        assert listing.status_code == 200
        assert filing_id not in listing.get_json()["ids"]
    assert filing_id in api("zz_clerk").get(f"{FILINGS}/").get_json()["ids"]


# --------------------------------------------------------------------------- 2. refusals


def test_refused_actions_change_nothing(app, api):
    filing_id = submitted(api, app)
    internal = api("zz_internal")
    task = only_task(internal, filing_id)
    url_task, version = task["id"], task["version"]

    def unchanged() -> None:
        assert history_rows(app, filing_id) == [("submit", "提交")]
        assert task_rows(app, filing_id) == [("internal_review", "open", 1)]
        assert internal.tasks() == [task]
        assert api("zz_clerk").show(filing_id)["status"] == "in_review"
        assert_no_tasks(api("zz_sup_first"), api("zz_sup_review"))

    # Another post of another unit, the same post of other units, and the clerk of the unit.
    for username in ("zz_sup_first", "zz_sup_review", "sj_internal", "pds_internal",
                     "zz_clerk"):
        refused = api(username).act(url_task, "approve", version)
        assert refused.status_code == 403, (username, refused.get_json())
        assert refusal(refused) == ("forbidden", NOT_MINE)
        unchanged()

    for stale in (version - 1, version + 1, 99):
        refused = internal.act(url_task, "approve", stale)
        assert refused.status_code == 409
        assert refusal(refused) == ("conflict", HANDLED)
        unchanged()

    unknown = internal.act(url_task, "reject", version)
    assert unknown.status_code == 422
    assert refusal(unknown) == ("invalid", "“单位内部审核”没有“reject”这个审批结果。")
    unchanged()
    # return_first belongs to 监管部门复核 only.
    elsewhere = internal.act(url_task, "return_first", version, "退回初审")
    assert elsewhere.status_code == 422
    unchanged()

    for opinion in ("", "   \n "):
        refused = internal.act(url_task, "return", version, opinion)
        assert refused.status_code == 422
        assert refusal(refused) == ("invalid", OPINION_REQUIRED)
        unchanged()

    for body in ({}, {"action": "approve"}, {"version": version},
                 {"action": "approve", "version": "eins"}):
        malformed = internal.post(f"{TASKS}{url_task}/act", json=body)
        assert malformed.status_code == 422, body
        unchanged()

    missing = internal.act(999999, "approve", 1)
    assert missing.status_code == 404
    unchanged()

    # Acting twice with the version seen: the first wins, the second is told it was handled.
    first = internal.act(url_task, "approve", version)
    assert first.status_code == 200
    second = internal.act(url_task, "approve", version)
    assert second.status_code == 409
    assert refusal(second) == ("conflict", HANDLED)
    assert history_rows(app, filing_id) == [("submit", "提交"), ("approve", "同意")]
    assert task_rows(app, filing_id) == [("internal_review", "done", 2),
                                         ("supervision_first", "open", 1)]
    assert_no_tasks(internal)
    only_task(api("zz_sup_first"), filing_id)


def test_a_later_step_refuses_the_earlier_reviewer(app, api):
    filing_id = submitted(api, app)
    advance(api, "zz", filing_id, "internal")
    task = only_task(api("zz_sup_first"), filing_id)
    for username in ("zz_internal", "zz_sup_review", "sj_sup_first"):
        refused = api(username).act(task["id"], "approve", task["version"])
        assert refused.status_code == 403
        assert refusal(refused) == ("forbidden", NOT_MINE)
    assert len(history_rows(app, filing_id)) == 2
    assert api("zz_sup_first").tasks() == [task]


# --------------------------------------------------------------------------- 3. returns


def test_return_to_applicant_edit_and_resubmit(app, api, login_as):
    filing_id = submitted(api, app)
    clerk = api("zz_clerk")
    advance(api, "zz", filing_id, "internal")

    web = login_as("zz_clerk")
    edit_path = f"/bidchangefilingview/edit/{filing_id}"
    project_id = query(app, lambda s: s.get(BidChangeFiling, filing_id).project_id)
    form = {"project": str(project_id), "change_content": "在审时修改",
            "change_reason": "原中标供应商放弃中标资格", "new_supplier": "", "new_amount": ""}
    # While in review the filing cannot change.
    # (No edit form is offered: its GET answers the filing's page; a POST is refused.)
    show_path = f"/bidchangefilingview/show/{filing_id}"
    in_review = web.client.post(edit_path, data={"csrf_token": web.token(show_path), **form},
                                content_type="multipart/form-data", follow_redirects=True)
    assert "不能修改" in in_review.get_data(as_text=True)
    assert clerk.show(filing_id)["change_content"] == "变更中标供应商"

    sup_first = api("zz_sup_first")
    task = only_task(sup_first, filing_id)
    returned = sup_first.act(task["id"], "return", task["version"], "  情况说明未加盖公章  ")
    assert returned.status_code == 200, returned.get_json()
    assert returned.get_json()["result"] == {"status": "returned", "step": None}
    assert clerk.show(filing_id)["status"] == "returned"
    assert_no_tasks(*(api(f"zz_{r}") for r in REVIEWERS))
    last = clerk.history(filing_id)[-1]
    assert (last["action"], last["result"], last["step"], last["step_label"]) == \
        ("return", "退回采购人", "supervision_first", "监管部门初审")
    assert (last["actor"], last["post"], last["opinion"]) == \
        ("郑州市监管初审人", "监管部门初审岗", "情况说明未加盖公章")

    # The clerk edits the returned filing in the panel, with a new explanation file.
    assert web.get(edit_path).status_code == 200
    saved = web.client.post(edit_path, data={
        "csrf_token": web.token(edit_path), **form, "change_content": "补充加盖公章的情况说明",
        "explanation": (BytesIO(b"%PDF-1.4 x"), "情况说明（盖章）.pdf"),
    }, content_type="multipart/form-data")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    shown = clerk.show(filing_id)
    assert shown["change_content"] == "补充加盖公章的情况说明"
    assert shown["explanation_name"] == "情况说明（盖章）.pdf"
    assert shown["status"] == "returned"

    again = clerk.submit(filing_id)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["result"] == {"status": "in_review", "step": "internal_review"}
    task = only_task(api("zz_internal"), filing_id)
    assert task["step"] == "internal_review" and task["version"] == 1
    assert_no_tasks(api("zz_sup_first"), api("zz_sup_review"))
    assert [(h["action"], h["result"]) for h in clerk.history(filing_id)] == [
        ("submit", "提交"), ("approve", "同意"), ("return", "退回采购人"), ("submit", "提交"),
    ]
    for role in REVIEWERS:
        advance(api, "zz", filing_id, role)
    assert clerk.show(filing_id)["status"] == "completed"


def test_return_to_first_review(app, api):
    filing_id = submitted(api, app)
    advance(api, "zz", filing_id, "internal")
    advance(api, "zz", filing_id, "sup_first")
    sup_review = api("zz_sup_review")
    task = only_task(sup_review, filing_id)

    blank = sup_review.act(task["id"], "return_first", task["version"], "")
    assert blank.status_code == 422 and refusal(blank) == ("invalid", OPINION_REQUIRED)
    assert len(history_rows(app, filing_id)) == 3

    back = sup_review.act(task["id"], "return_first", task["version"], "金额核对有误")
    assert back.status_code == 200, back.get_json()
    assert back.get_json()["result"] == {"status": "in_review", "step": "supervision_first"}
    assert_no_tasks(sup_review, api("zz_internal"), api("zz_clerk"))
    again = only_task(api("zz_sup_first"), filing_id)
    assert again["step"] == "supervision_first" and again["step_label"] == "监管部门初审"
    assert again["id"] != task["id"] and again["version"] == 1
    last = api("zz_clerk").history(filing_id)[-1]
    assert (last["action"], last["result"], last["step"], last["opinion"], last["actor"]) == \
        ("return_first", "退回初审", "supervision_review", "金额核对有误", "郑州市监管复核人")
    assert api("zz_clerk").show(filing_id)["status"] == "in_review"
    # The old 监管部门复核 task is closed: acting on it again is refused.
    stale = sup_review.act(task["id"], "approve", task["version"])
    assert stale.status_code == 409 and refusal(stale) == ("conflict", HANDLED)

    advance(api, "zz", filing_id, "sup_first")
    assert advance(api, "zz", filing_id, "sup_review") == {"status": "completed", "step": None}
    assert [h["result"] for h in api("zz_clerk").history(filing_id)] == \
        ["提交", "同意", "同意", "退回初审", "同意", "同意"]


# --------------------------------------------------------------------------- 4. withdraw


def test_withdraw_before_anyone_acts(app, api):
    filing_id = submitted(api, app)
    clerk, internal = api("zz_clerk"), api("zz_internal")
    task = only_task(internal, filing_id)

    withdrawn = clerk.withdraw(filing_id)
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["result"] == {"status": "withdrawn", "step": None}
    assert clerk.show(filing_id)["status"] == "withdrawn"
    assert_no_tasks(internal)
    assert task_rows(app, filing_id) == [("internal_review", "cancelled", 2)]
    assert [(h["action"], h["result"], h["actor"]) for h in clerk.history(filing_id)] == [
        ("submit", "提交", "郑州市经办人"), ("withdraw", "撤回", "郑州市经办人")]
    # The withdrawn task can no longer be acted on.
    late = internal.act(task["id"], "approve", task["version"])
    assert late.status_code == 409 and refusal(late) == ("conflict", HANDLED)
    twice = clerk.withdraw(filing_id)
    assert twice.status_code == 422 and "不能撤回" in twice.get_json()["message"]
    assert len(clerk.history(filing_id)) == 2

    # Withdrawn is editable and can be sent again.
    again = clerk.submit(filing_id)
    assert again.status_code == 200
    assert only_task(internal, filing_id)["id"] != task["id"]


def test_withdraw_after_a_reviewer_acted_is_refused(app, api):
    filing_id = submitted(api, app)
    clerk = api("zz_clerk")
    advance(api, "zz", filing_id, "internal")
    before = task_rows(app, filing_id)

    refused = clerk.withdraw(filing_id)
    assert 400 <= refused.status_code < 500
    assert refused.get_json()["message"] == CANNOT_WITHDRAW
    assert clerk.show(filing_id)["status"] == "in_review"
    assert task_rows(app, filing_id) == before
    assert history_rows(app, filing_id) == [("submit", "提交"), ("approve", "同意")]
    assert only_task(api("zz_sup_first"), filing_id)["step"] == "supervision_first"


def test_withdraw_of_a_draft_and_by_strangers(app, api):
    filing_id = make_filing(app)
    draft = api("zz_clerk").withdraw(filing_id)
    assert draft.status_code == 422
    assert refusal(draft) == ("invalid", "该记录尚未提交，不能撤回。")

    assert api("zz_clerk").submit(filing_id).status_code == 200
    for username in ("sj_clerk", "pds_clerk"):
        foreign = api(username)
        assert foreign.withdraw(filing_id).status_code == 404
        assert foreign.submit(filing_id).status_code == 404
    # A reviewer of the unit has no 撤回 right at all.
    assert api("zz_internal").withdraw(filing_id).status_code in (403, 404)
    assert history_rows(app, filing_id) == [("submit", "提交")]
    assert only_task(api("zz_internal"), filing_id)["version"] == 1


# --------------------------------------------------------------------------- 5. concurrency


def race(app: Flask, calls: list[tuple[dict[str, str], str, Any]]) -> list[Any]:
    """POST every (headers, path, json) at the same moment, each from its own thread and test
    client; returns (status, json, text) per call, in order."""
    start = threading.Barrier(len(calls), timeout=20)
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        headers, path, body = calls[index]
        client = app.test_client()
        try:
            start.wait()
            response = client.post(path, headers=headers, json=body)
            results[index] = (response.status_code, response.get_json(silent=True),
                              response.get_data(as_text=True))
        except Exception as exc:  # pragma: no cover - shows in the assertion
            results[index] = (None, None, repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    for result in results:
        for secret in SECRETS:
            assert secret not in (result[2] or "")
    return results


def add_second_internal_reviewer(app: Flask) -> None:
    from app.demo import DEMO_PASSWORD
    from app.extensions import db
    from app.services.operators import create_operator

    with app.app_context():
        session = db.session
        clerk = session.scalar(select(Operator).where(Operator.username == "zz_clerk"))
        create_operator(session, name="郑州市内审员乙", phone="13900000001",
                        password=DEMO_PASSWORD, post_code="internal_reviewer", unit=clerk.unit,
                        username="zz_internal2")
        session.commit()


@pytest.mark.parametrize("gate", ["request", "version_checked"])
@pytest.mark.parametrize("reviewers", ["same_reviewer", "two_reviewers"])
def test_concurrent_approvals_exactly_one_wins(app, api, api_token, database, monkeypatch,
                                                reviewers, gate):
    """Two requests act on the same task with the same version in concurrent transactions.

    ``request`` starts both HTTP requests together (a Barrier); ``version_checked`` also holds
    both requests after they passed the version check and before they write, so the
    conditional update alone must decide the winner.
    """
    if reviewers == "two_reviewers":
        add_second_internal_reviewer(app)
        names = ["zz_internal", "zz_internal2"]
    else:
        names = ["zz_internal", "zz_internal"]
    filing_id = submitted(api, app)
    task = only_task(api("zz_internal"), filing_id)
    if reviewers == "two_reviewers":
        assert only_task(api("zz_internal2"), filing_id) == task

    if gate == "version_checked":
        from app.services import workflow as flow

        gate_barrier = threading.Barrier(2, timeout=20)
        original = flow._engine

        def gated(call: Any, *args: Any) -> Any:
            if call is flow.engine_act:
                gate_barrier.wait()
            return original(call, *args)

        monkeypatch.setattr(flow, "_engine", gated)

    # Each thread: its own test client and its own JWT (a separate login, even for one person).
    body = {"action": "approve", "version": task["version"]}
    results = race(app, [
        (api_token(name), f"{TASKS}{task['id']}/act", {**body, "opinion": f"同意{index}"})
        for index, name in enumerate(names)
    ])

    statuses = sorted(r[0] for r in results)
    assert statuses == [200, 409], (database.backend, results)
    loser = next(r for r in results if r[0] == 409)
    assert (loser[1]["code"], loser[1]["message"]) == ("conflict", HANDLED)
    winner = next(r for r in results if r[0] == 200)
    assert winner[1]["result"] == {"status": "in_review", "step": "supervision_first"}
    assert history_rows(app, filing_id) == [("submit", "提交"), ("approve", "同意")]
    assert task_rows(app, filing_id) == [("internal_review", "done", 2),
                                         ("supervision_first", "open", 1)]
    opinions = [h["opinion"] for h in api("zz_clerk").history(filing_id)]
    assert opinions[1] in ("同意0", "同意1")
    only_task(api("zz_sup_first"), filing_id)
    assert_no_tasks(*(api(name) for name in set(names)))
    count = query(app, lambda s: s.scalar(
        select(func.count()).select_from(WorkflowTask).where(WorkflowTask.status == "open")))
    assert count == 1


def hold_first_lookup(monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    """Make every request wait, right after its first ``instance_of`` (before any write),
    until ``parties`` requests got there: they all decide on the same state."""
    from app.services import workflow as flow

    gate = threading.Barrier(parties, timeout=20)
    seen = threading.local()
    original = flow.instance_of

    def held(*args: Any) -> Any:
        found = original(*args)
        if not getattr(seen, "done", False):
            seen.done = True
            gate.wait()
        return found

    monkeypatch.setattr(flow, "instance_of", held)


def open_task_count(app: Flask) -> int:
    return query(app, lambda s: s.scalar(
        select(func.count()).select_from(WorkflowTask).where(WorkflowTask.status == "open")))


@pytest.mark.parametrize("definition", ["first_ever", "already_stored"])
def test_concurrent_first_submissions_answer_one_200_and_no_500(app, api, api_token,
                                                                monkeypatch, database,
                                                                definition):
    if definition == "already_stored":
        other = make_filing(app, project=1)
        assert api("zz_clerk").submit(other).status_code == 200
    filing_id = make_filing(app)
    path = f"{FILINGS}/{filing_id}/submit"
    calls = [(api_token("zz_clerk"), path, None), (api_token("zz_clerk"), path, None)]
    hold_first_lookup(monkeypatch, 2)
    results = race(app, calls)
    monkeypatch.undo()
    statuses = sorted(r[0] for r in results)
    assert 500 not in statuses, (database.backend, results)
    assert statuses[0] == 200 and 400 <= statuses[1] < 500, (database.backend, results)
    assert history_rows(app, filing_id) == [("submit", "提交")]
    assert len(task_rows(app, filing_id)) == 1


def test_concurrent_resubmissions_open_one_task(app, api, api_token, monkeypatch, database):
    filing_id = submitted(api, app)
    advance(api, "zz", filing_id, "internal", "return", "请补充材料")
    assert api("zz_clerk").show(filing_id)["status"] == "returned"
    path = f"{FILINGS}/{filing_id}/submit"
    calls = [(api_token("zz_clerk"), path, None), (api_token("zz_clerk"), path, None)]
    hold_first_lookup(monkeypatch, 2)
    results = race(app, calls)
    monkeypatch.undo()
    statuses = sorted(r[0] for r in results)
    assert 500 not in statuses, (database.backend, results)
    assert statuses[0] == 200 and 400 <= statuses[1] < 500, (database.backend, results)
    assert [a for a, _ in history_rows(app, filing_id)] == ["submit", "return", "submit"]
    assert open_task_count(app) == 1


def test_withdraw_racing_an_approval_is_refused(app, api, api_token, monkeypatch, database):
    """撤回 checked 'nobody acted yet', then the reviewer approves, then 撤回 writes."""
    from app.services import workflow as flow

    filing_id = submitted(api, app)
    internal = api("zz_internal")
    task = only_task(internal, filing_id)
    checked, approved = threading.Event(), threading.Event()
    original = flow._reviewer_has_acted

    def held(*args: Any) -> Any:
        acted = original(*args)
        checked.set()
        approved.wait(20)
        return acted

    monkeypatch.setattr(flow, "_reviewer_has_acted", held)
    headers = api_token("zz_clerk")
    outcome: list[Any] = []

    def withdraw() -> None:
        response = app.test_client().post(f"{FILINGS}/{filing_id}/withdraw", headers=headers)
        outcome.append((response.status_code, response.get_json(silent=True)))

    thread = threading.Thread(target=withdraw)
    thread.start()
    try:
        assert checked.wait(20)
        approval = internal.act(task["id"], "approve", task["version"])
    finally:
        approved.set()
        thread.join(60)
    monkeypatch.undo()
    assert approval.status_code == 200, approval.get_json()
    assert outcome and 400 <= outcome[0][0] < 500, (database.backend, outcome)
    assert outcome[0][1]["message"] == CANNOT_WITHDRAW
    assert api("zz_clerk").show(filing_id)["status"] == "in_review"
    assert history_rows(app, filing_id) == [("submit", "提交"), ("approve", "同意")]
    assert only_task(api("zz_sup_first"), filing_id)["step"] == "supervision_first"


# --------------------------------------------------------------------------- 6. no secrets


def test_rest_responses_never_contain_password_hashes(app, api):
    filing_id = submitted(api, app)
    advance(api, "zz", filing_id, "internal")
    clerk = api("zz_clerk")
    responses = [
        clerk.get(f"{FILINGS}/"),
        clerk.get(f"{FILINGS}/{filing_id}"),
        clerk.get(f"{FILINGS}/_info"),
        clerk.get(f"{FILINGS}/{filing_id}/history"),
        clerk.get(f"{FILINGS}/?q=(columns:!(id,status,created_by))"),
        clerk.withdraw(filing_id),
        api("zz_sup_first").get(TASKS),
        api("zz_sup_first").act(1, "approve", 999),
        api("zz_internal").act(1, "return", 1, ""),
        api("sj_clerk").get(f"{FILINGS}/{filing_id}"),
    ]
    for response in responses:
        assert_no_secrets(response)
    assert clerk.get(f"{FILINGS}/{filing_id}").status_code == 200
