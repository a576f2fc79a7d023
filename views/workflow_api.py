"""REST: the caller's tasks and the workflow endpoints every workflow record shares."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields

from app.scope import UNIT_SCOPE, current_operator
from app.services import bids, workbench
from app.services import workflow as flow
from app.services.base import page_number, paginate
from app.services.definitions import task_step
from app.services.errors import ServiceError
from app.services.workflow_registry import Summary
from app.timezone import to_business
from models import BidChangeAnnouncement, BidChangeFiling, WorkflowTask
from views.base import FILING_RULES
from views.bids import AnnouncementRules
from views.rest import ChineseApiErrors, ServiceRestApi
from views.schemas import AnnouncementBody
from workflow import Decision

API_PAGE_SIZE, API_MAX_PAGE_SIZE = 50, 100


class ActSchema(Schema):
    """Body of ``POST /api/v1/tasks/<id>/act``."""

    action = fields.String(required=True)
    opinion = fields.String(load_default="")
    version = fields.Integer(required=True)
    choices = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


def _state(instance: Any) -> dict[str, Any]:
    return {"status": instance.status, "step": instance.step}


def task_json(task: WorkflowTask, summary: Summary | None = None) -> dict[str, Any]:
    """A task as the API shows it, with the actions its step allows and what tells its record
    apart (``summary``: 项目名称, number, amount as on 待办任务)."""
    instance = task.instance
    step = task_step(task)
    actions = step.actions if step is not None else []
    return {
        "id": task.id,
        "workflow": instance.workflow,
        "record_type": instance.record_type,
        "record_id": instance.record_id,
        "unit": instance.unit.name,
        "title": summary.title if summary else "",
        "number": summary.number if summary else "",
        "amount": summary.amount if summary else "",
        "step": task.step,
        "step_label": task.step_label,
        "actions": [
            {"id": a.id, "label": a.label,
             "choices": [{"id": c.id, "label": c.label,
                          "options": [{"value": o.value, "label": o.label} for o in c.options]}
                         for c in a.choices]}
            for a in actions
        ],
        "version": task.version,
        "created_on": to_business(task.created_on).isoformat(),
    }


class TaskApi(ChineseApiErrors, BaseApi):
    """待办任务 over REST (JWT)."""

    resource_name = "tasks"
    openapi_spec_tag = "待办任务"
    allow_browser_login = False

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def list_tasks(self) -> Response:
        """The caller's open tasks, oldest first, a page at a time.
        ---
        get:
          parameters:
            - {in: query, name: page, schema: {type: integer, minimum: 1}}
            - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200:
              description: 待办任务
        """
        session, actor = self.appbuilder.session, current_operator()
        try:
            number = page_number(request.args.get("page"))
            size = page_number(request.args.get("page_size", API_PAGE_SIZE), "每页条数")
        except ServiceError as exc:
            return self.response(400, message=exc.message)
        if size > API_MAX_PAGE_SIZE:
            return self.response(400, message=f"每页条数不能超过{API_MAX_PAGE_SIZE}。")
        page = paginate(session, flow.open_tasks(session, actor), number, size)
        told = workbench.summaries(session, [t.instance for t in page.rows])
        return self.response(200, result=[task_json(t, told.get(t.instance_id))
                                          for t in page.rows], count=page.total,
                             page=page.number, page_size=page.size)

    @expose("/<int:pk>/act", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def act(self, pk: int) -> Response:
        """Act on a task at the version the caller saw.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: ActSchema
          responses:
            200:
              description: 新状态
            403:
              description: 不是本人的任务
            409:
              description: 该任务已被处理
            422:
              description: 未知的审批结果或缺少审批意见
        """
        try:
            body = ActSchema().load(request.get_json(silent=True) or {})
        except ValidationError as err:
            return self.response_422(message=err.messages)
        decision = Decision(body["action"], body["opinion"], body["choices"])
        return self.run(
            lambda session: flow.act_on_task(session, pk, current_operator(), decision,
                                             body["version"]),
            lambda _: self.response(
                200, result=_state(self.appbuilder.session.get(WorkflowTask, pk).instance)))


class WorkflowRecordApi(ServiceRestApi):
    """``/<id>/submit``, ``/<id>/withdraw`` and ``/<id>/history`` for a workflow record."""

    record_type: str
    state_rules = FILING_RULES
    # What 提交 does: send into the chain (a contract also publishes its announcement).
    submit_with = staticmethod(flow.submit_record)

    def _record(self, pk: int) -> Any:
        return self.datamodel.get(pk, self._base_filters)

    def _flow(self, pk: int, call: Any) -> Response:
        record = self._record(pk)
        if record is None:
            return self.response_404()
        return self.run(
            lambda session: call(session, self.record_type, record, current_operator()),
            lambda _: self.response(
                200, result=_state(flow.instance_of(self.db_session, self.record_type, pk))))

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    @permission_name("submit")
    def submit(self, pk: int) -> Response:
        """提交 the record into its chain.
        ---
        post:
          responses:
            200:
              description: 新状态
        """
        return self._flow(pk, self.submit_with)

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    @permission_name("withdraw")
    def withdraw(self, pk: int) -> Response:
        """撤回 the record before a reviewer acts.
        ---
        post:
          responses:
            200:
              description: 新状态
        """
        return self._flow(pk, flow.withdraw_record)

    @expose("/<int:pk>/history", methods=["GET"])
    @protect()
    @safe
    @permission_name("history")
    def history(self, pk: int) -> Response:
        """The record's approval history.
        ---
        get:
          responses:
            200:
              description: 审批记录
        """
        if self._record(pk) is None:
            return self.response_404()
        instance = flow.instance_of(self.db_session, self.record_type, pk)
        lines = flow.history(self.db_session, instance) if instance else []
        return self.response(200, result=[{
            "step": h.step, "step_label": h.step_label, "action": h.action, "result": h.result,
            "actor": h.actor_name, "post": h.post_name, "opinion": h.opinion,
            "time": to_business(h.created_on).isoformat(),
        } for h in lines])


class BidChangeFilingApi(WorkflowRecordApi):
    """中标结果变更备案 over REST: read, submit, withdraw and history (create in the panel)."""

    resource_name = "bid_change_filing"
    record_type = bids.RECORD
    datamodel = SQLAInterface(BidChangeFiling)
    base_filters = UNIT_SCOPE
    # No _info: a read-only resource would list every unit's projects as "add" choices.
    base_permissions = ["can_get", "can_submit", "can_withdraw", "can_history"]
    list_columns = show_columns = [
        "id", "project.code", "project.name", "change_content", "change_reason", "new_supplier",
        "new_amount", "explanation_name", "status", "created_on", "completed_on",
    ]
    list_title = show_title = _l("中标结果变更备案")
    openapi_spec_tag = "中标结果变更备案"


class BidChangeAnnouncementApi(AnnouncementRules, ServiceRestApi):
    """中标结果变更公告 over REST, behind the same gate as the panel."""

    resource_name = "bid_change_announcement"
    datamodel = SQLAInterface(BidChangeAnnouncement)
    base_filters = UNIT_SCOPE
    list_columns = show_columns = ["id", "project.code", "project.name", "title", "content",
                                   "published", "published_on"]
    body_schema = AnnouncementBody
    list_title = show_title = _l("中标结果变更公告")
    openapi_spec_tag = "中标结果变更公告"

    @expose("/<int:pk>/publish", methods=["POST"])
    @protect()
    @safe
    @permission_name("publish")
    def publish(self, pk: int) -> Response:
        """发布 an announcement whose filing has completed.
        ---
        post:
          responses:
            200:
              description: 已发布
            422:
              description: 备案尚未完成
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self.run(lambda session: bids.publish_announcement(session, item, self.actor),
                        lambda _: self.response(200, result={"published": True}))

