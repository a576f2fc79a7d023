"""中标结果变更备案 in the panel: filing, scope, attachments, review page and the gate."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import (
    BidChangeAnnouncement,
    BidChangeFiling,
    Project,
    Unit,
    WorkflowInstance,
    WorkflowTask,
)

PDF = b"%PDF-1.4\n% test\n"
ADD = "/bidchangefilingview/add"


def project_id(app: Flask, unit_code: str = "zz0101") -> int:
    with app.app_context():
        session = app.appbuilder.session
        return session.scalar(select(Project.id).join(Unit).where(Unit.code == unit_code)
                              .order_by(Project.id))


def add_filing(web: Any, project: int, content: bytes | None = PDF,
               filename: str = "情况说明（盖章）.pdf", **extra: str) -> Any:
    data: dict[str, Any] = {"csrf_token": web.token(ADD), "project": str(project),
                            "change_content": "中标供应商名称变更", "change_reason": "供应商工商更名",
                            "new_supplier": "", "new_amount": "", **extra}
    if content is not None:
        data["explanation"] = (io.BytesIO(content), filename)
    return web.client.post(ADD, data=data, content_type="multipart/form-data",
                           follow_redirects=True)


def filings(app: Flask) -> list[BidChangeFiling]:
    with app.app_context():
        return list(app.appbuilder.session.scalars(select(BidChangeFiling)))


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def submit(web: Any, filing_id: int) -> Any:
    return web.submit("/bidchangefilingview/list/", {"action": "submit", "rowid": str(filing_id)},
                      post_path="/bidchangefilingview/action_post", follow=True)


def open_task(app: Flask) -> WorkflowTask:
    with app.app_context():
        return app.appbuilder.session.scalar(
            select(WorkflowTask).where(WorkflowTask.status == "open"))


def review(web: Any, task: WorkflowTask, **data: str) -> Any:
    # The token comes from another page: after the task is handled its page redirects away.
    path = f"/tasks/{task.id}/review"
    return web.submit("/profile/edit/form", {"version": str(task.version), **data},
                      post_path=path, follow=True)


@pytest.fixture
def clerk(login_as: Any) -> Any:
    return login_as("zz_clerk")


@pytest.fixture
def filed(app: Flask, clerk: Any) -> int:
    """A saved (not yet submitted) filing of 郑州市第一中学."""
    assert "增加成功" in text(add_filing(clerk, project_id(app)))
    return filings(app)[0].id


def test_clerk_files_with_the_original_file_name(app: Flask, filed: int) -> None:
    filing = filings(app)[0]
    assert filing.explanation_name == "情况说明（盖章）.pdf" and filing.status == "draft"
    assert filing.explanation_path.endswith(".pdf") and "情况说明" not in filing.explanation_path


@pytest.mark.parametrize(("content", "name", "message"), [
    (None, "x.pdf", "请上传加盖单位公章的情况说明材料。"),
    (b"MZ\x90\x00evil", "evil.exe.pdf", "加盖单位公章的情况说明材料的内容与文件类型不符，请上传真实的 PDF、JPG、PNG 文件。"),
    (PDF, "说明.docx", "加盖单位公章的情况说明材料只能是 PDF、JPG、PNG 文件。"),
    (b"", "空.pdf", "加盖单位公章的情况说明材料是空文件。"),
])
def test_bad_attachments_are_refused(app: Flask, clerk: Any, content: bytes | None, name: str,
                                     message: str) -> None:
    response = add_filing(clerk, project_id(app), content, name)
    assert message in text(response)
    assert filings(app) == []


def test_only_own_projects_and_only_clerks(app: Flask, clerk: Any, login_as: Any) -> None:
    response = add_filing(clerk, project_id(app, "sj0101"))
    assert filings(app) == [] and "增加成功" not in text(response)
    assert login_as("zz_internal").get(ADD).status_code == 403


def test_other_units_cannot_reach_a_filing(app: Flask, filed: int, login_as: Any) -> None:
    other = login_as("sj_clerk")
    assert "中标供应商名称变更" not in text(other.get("/bidchangefilingview/list/"))
    for path in (f"/bidchangefilingview/show/{filed}", f"/bidchangefilingview/edit/{filed}",
                 f"/bidchangefilingview/download/{filed}"):
        assert other.get(path).status_code == 404, path
    token = other.token(ADD)
    for path, data in ((f"/bidchangefilingview/delete/{filed}", {}),
                       ("/bidchangefilingview/action_post", {"action": "submit", "rowid": str(filed)})):
        assert other.client.post(path, data={"csrf_token": token, **data}).status_code == 404
    assert filings(app)[0].status == "draft"


def test_submit_review_and_lock(app: Flask, clerk: Any, filed: int, login_as: Any) -> None:
    assert "已提交，等待审核。" in text(submit(clerk, filed))
    # The edit form is no longer offered; a POST anyway is refused by the service.
    assert clerk.get(f"/bidchangefilingview/edit/{filed}").status_code == 302
    edited = clerk.submit(f"/bidchangefilingview/show/{filed}",
                          {"project": str(project_id(app)), "change_content": "改",
                           "change_reason": "改"},
                          post_path=f"/bidchangefilingview/edit/{filed}", follow=True)
    assert "当前状态为“审核中”，不能修改。" in text(edited)
    deleted = clerk.submit("/bidchangefilingview/list/", {},
                           post_path=f"/bidchangefilingview/delete/{filed}", follow=True)
    assert "已提交过的备案不能删除" in text(deleted)
    internal = login_as("zz_internal")
    home = text(internal.get("/"))
    assert '<span class="badge" id="todo-count">1</span>' in home and "进入审批" in home
    task = open_task(app)
    page = text(internal.get(f"/tasks/{task.id}/review"))
    assert "情况说明（盖章）.pdf" in page and 'class="node current" data-step="internal_review"' in page
    download = internal.get(f"/bidchangefilingview/download/{filed}")
    assert download.status_code == 200 and download.data == PDF
    assert login_as("pds_sup_first").get(f"/bidchangefilingview/download/{filed}").status_code == 404


def test_review_page_keeps_the_opinion_and_refuses_a_second_act(
    app: Flask, clerk: Any, filed: int, login_as: Any
) -> None:
    submit(clerk, filed)
    internal, task = login_as("zz_internal"), open_task(app)
    refused = text(review(internal, task, action="return", opinion=""))
    assert "请填写审批意见。" in refused
    kept = text(review(internal, task, action="return", opinion="   "))
    assert "请填写审批意见。" in kept
    done = text(review(internal, task, action="approve", opinion="同意备案"))
    assert "审核完成。" in done
    again = text(review(internal, task, action="approve", opinion="再次"))
    assert "该任务已被处理" in again
    with app.app_context():
        count = app.appbuilder.session.scalar(
            select(func.count(WorkflowTask.id)).join(WorkflowInstance)
            .where(WorkflowInstance.record_id == filed,
                   WorkflowInstance.record_type == "bid_change_filing"))
    assert count == 2  # the internal review and the supervision task it opened


def complete(app: Flask, login_as: Any) -> None:
    for username in ("zz_internal", "zz_sup_first", "zz_sup_review"):
        assert "审核完成。" in text(review(login_as(username), open_task(app), action="approve",
                                           opinion="同意"))


def test_announcement_gate(app: Flask, clerk: Any, filed: int, login_as: Any) -> None:
    data = {"project": str(project_id(app)), "title": "中标结果变更公告", "content": "变更如下"}
    refused = clerk.submit("/bidchangeannouncementview/add", data, follow=True)
    assert "该项目的中标结果变更备案尚未完成，不能新增中标结果变更公告。" in text(refused)
    submit(clerk, filed)
    complete(app, login_as)
    assert filings(app)[0].status == "completed" and filings(app)[0].completed_on
    assert "增加成功" in text(clerk.submit("/bidchangeannouncementview/add", data, follow=True))
    with app.app_context():
        announcement = app.appbuilder.session.scalar(select(BidChangeAnnouncement))
    published = clerk.submit("/bidchangeannouncementview/list/",
                             {"action": "publish", "rowid": str(announcement.id)},
                             post_path=f"/bidchangeannouncementview/action/publish/{announcement.id}",
                             follow=True)
    assert "公告已发布。" in text(published)
    edited = clerk.submit("/bidchangeannouncementview/list/", data,
                          post_path=f"/bidchangeannouncementview/edit/{announcement.id}",
                          follow=True)
    assert "公告已发布，不能修改。" in text(edited)


def test_gate_holds_in_the_api(app: Flask, clerk: Any, filed: int, login_as: Any,
                               client: Any, api_token: Any) -> None:
    headers = api_token("zz_clerk")
    body = {"project": project_id(app), "title": "中标结果变更公告", "content": "变更如下"}
    refused = client.post("/api/v1/bid_change_announcement/", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["message"] == "该项目的中标结果变更备案尚未完成，不能新增中标结果变更公告。"
    submit(clerk, filed)
    complete(app, login_as)
    created = client.post("/api/v1/bid_change_announcement/", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    other = client.post(f"/api/v1/bid_change_announcement/{pk}/publish",
                        headers=api_token("sj_clerk"))
    assert other.status_code == 404
    published = client.post(f"/api/v1/bid_change_announcement/{pk}/publish", headers=headers)
    assert published.status_code == 200
    edit = client.put(f"/api/v1/bid_change_announcement/{pk}", json={"title": "改"},
                      headers=headers)
    assert edit.status_code == 422 and edit.get_json()["message"] == "公告已发布，不能修改。"


def test_history_is_append_only(app: Flask, clerk: Any, filed: int) -> None:
    from models import HistoryIsAppendOnly, WorkflowHistory

    submit(clerk, filed)
    with app.app_context():
        session = app.appbuilder.session
        line = session.scalar(select(WorkflowHistory))
        line.opinion = "篡改"
        with pytest.raises(HistoryIsAppendOnly):
            session.flush()
        session.rollback()
        session.delete(session.scalar(select(WorkflowHistory)))
        with pytest.raises(HistoryIsAppendOnly):
            session.flush()
        session.rollback()


def test_openapi_lists_the_workflow_endpoints(client: Any, api_token: Any) -> None:
    spec = client.get("/api/v1/_openapi", headers=api_token("admin")).get_json()
    paths = set(spec["paths"])
    for path in ("/tasks/", "/tasks/{pk}/act", "/bid_change_filing/{pk}/submit",
                 "/bid_change_filing/{pk}/withdraw", "/bid_change_filing/{pk}/history",
                 "/bid_change_announcement/{pk}/publish"):
        assert f"/api/v1{path}" in paths, sorted(paths)
