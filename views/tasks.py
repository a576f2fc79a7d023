"""待办任务, 已办任务, the review page (进入审批) and the content, history and chart of a record."""

from __future__ import annotations

import inspect
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access, permission_name
from markupsafe import Markup
from sqlalchemy import select

from app.scope import current_operator
from app.services import workbench
from app.services import workflow as flow
from app.services.base import page_number, paginate
from app.services.definitions import pinned_workflow, task_step
from app.services.errors import Conflict, ServiceError
from app.services.reminders import age_in_working_days
from app.services.workflow_registry import Summary, registry
from app.timezone import utcnow
from models import Post, TaskStatus, WorkflowInstance, WorkflowTask
from views.base import attempt
from workflow import Decision, Status, Workflow
from workflow.graph import END, START, to_svg
from workflow.paths import applicability

PAGE_SIZE = 50


def task_rows(session: Any, tasks: list[WorkflowTask], done: bool = False
              ) -> list[dict[str, Any]]:
    """A task list's rows: business type, what tells the record apart (项目名称, number,
    amount), unit, step, arrival, age in working days, deadline; for 已办任务 the result and
    opinion of the reviewer's act."""
    records = registry().records
    now = utcnow()
    told = workbench.summaries(session, [task.instance for task in tasks])
    acts = workbench.handled(session, tasks) if done else {}
    return [{
        "task": task,
        "kind": records[task.instance.record_type].label,
        "summary": told.get(task.instance_id, Summary("—")),
        "unit": task.instance.unit.name,
        "age": age_in_working_days(task, now),
        "overdue": task.escalated_on is not None or (task.due_on is not None
                                                     and task.due_on <= now),
        "act": acts.get(task.id),
    } for task in tasks]


def post_labels() -> dict[str, str]:
    """Chinese names of the posts, for the flowcharts."""
    session = current_app.appbuilder.session
    return {code: name for code, name in session.execute(select(Post.code, Post.name))}


def attachment_links(record_type: str, record: Any) -> list[tuple[str, str]]:
    """The record's attachments as (label, download URL) of the view that files the record.

    The service names each file by its kind (``explanation``, ``import_proof``…); which page
    serves it is for the views to know.
    """
    if record is None:
        return []
    # A view without attachments has ``download = None`` (FAB's own is switched off).
    view = next((v for v in current_app.appbuilder.baseviews
                 if getattr(v, "record_type", None) == record_type
                 and callable(getattr(v, "download", None))), None)
    if view is None:
        return []
    takes_kind = "kind" in inspect.signature(view.download).parameters
    return [(label, url_for(f"{view.endpoint}.download", pk=record.id,
                            **({"kind": kind} if takes_kind else {})))
            for label, kind in registry().records[record_type].attachments(record)]


def filing_view(record_type: str, permission: str = "can_show") -> Any:
    """The first view filing ``record_type`` on which the user holds ``permission``."""
    appbuilder = current_app.appbuilder
    return next((view for view in appbuilder.baseviews
                 if getattr(view, "record_type", None) == record_type
                 and appbuilder.sm.has_access(permission, view.class_permission_name)), None)


def record_url(record_type: str, pk: int) -> str | None:
    """The show page of a record in a view filing its type that the user may open."""
    view = filing_view(record_type)
    return url_for(f"{view.endpoint}.show", pk=pk) if view is not None else None


def record_detail(record_type: str, record: Any) -> Markup:
    """A record's content (fields, line tables, attachments): one partial for show and review."""
    kind = registry().records[record_type]
    return Markup(render_template(
        "workflow/record_detail.html", rows=kind.describe(record), tables=kind.tables(record),
        attachments=attachment_links(record_type, record)))


def record_chart(record_type: str, record: Any, instance: WorkflowInstance | None
                 ) -> tuple[Workflow, Markup]:
    """The chain of a record drawn for its own facts: only the steps its path goes through.

    A submitted record's chain is the version it was pinned to; a draft's is today's.
    """
    workflow = (pinned_workflow(instance) if instance
                else registry().loaded().for_record(record_type)[1])
    facts = registry().records[record_type].values(record)
    applies = applicability(workflow, facts, instance.step if instance else None)
    current = chart_position(instance) if instance else START
    return workflow, Markup(to_svg(workflow, current, post_labels(), applies))


def record_panel(record_type: str, record: Any, instance: WorkflowInstance | None) -> Markup:
    """History and flowchart of a record, for its show and review pages."""
    workflow, svg = record_chart(record_type, record, instance)
    return Markup(render_template(
        "workflow/panel.html", instance=instance, workflow=workflow, svg=svg,
        history=flow.history(current_app.appbuilder.session, instance) if instance else [],
    ))


def shown_record(pk: Any) -> tuple[str, Any] | None:
    """The record type and record of the show page being rendered, if it has a chain."""
    view = next((v for v in current_app.appbuilder.baseviews
                 if v.__class__.__name__ == request.blueprint), None)
    record_type = getattr(view, "record_type", None)
    if record_type is None:
        return None
    kind = registry().records[record_type]
    # The show view has found the record within the viewer's scope before rendering.
    return record_type, current_app.appbuilder.session.get(kind.model, int(pk))


def chart_position(instance: WorkflowInstance) -> str:
    """The box to highlight: the current step, 完成 when done, 提交 while with the applicant."""
    if instance.step:
        return instance.step
    return END if instance.status == Status.completed else START


class TaskView(BaseView):
    """待办任务 and 已办任务 of the signed-in reviewer."""

    route_base = "/tasks"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> str:
        return self._page(flow.open_tasks, "待办任务", done=False)

    @expose("/done")
    @has_access
    def done(self) -> str:
        return self._page(flow.done_tasks, "已办任务", done=True)

    def _page(self, query: Any, title: str, done: bool) -> str:
        session, actor = self.appbuilder.session, current_operator()
        try:
            number = page_number(request.args.get("page"))
        except ServiceError as exc:
            flash(exc.message, "warning")
            number = 1
        page = paginate(session, query(session, actor), number, PAGE_SIZE)
        return self.render_template("workflow/tasks.html", title=title, page=page,
                                    rows=task_rows(session, page.rows, done), done=done)

    @expose("/<int:pk>/record")
    @has_access
    @permission_name("done")
    def record(self, pk: int) -> str:
        """查看 the record of a task the reviewer handled or may handle (from 已办任务)."""
        session, actor = self.appbuilder.session, current_operator()
        task = session.get(WorkflowTask, pk)
        if task is None or actor is None or not (
                task.actor_id == actor.id
                or (task.post_code == actor.post_code and task.unit_id == actor.unit_id)):
            abort(404)
        instance = task.instance
        kind = registry().records[instance.record_type]
        record = session.get(kind.model, instance.record_id)
        if record is None:
            abort(404)
        return self.render_template(
            "workflow/task_record.html", title=f"{kind.label}：{kind.summary(record).title}",
            detail=record_detail(instance.record_type, record),
            panel=record_panel(instance.record_type, record, instance))

    @expose("/<int:pk>/review", methods=["GET", "POST"])
    @has_access
    def review(self, pk: int) -> Any:
        """进入审批: the record read-only, its history and chain, and the 审核 form."""
        session, actor = self.appbuilder.session, current_operator()
        try:
            task = flow.task_for(session, pk, actor)
        except ServiceError as exc:
            abort(exc.status)
        if task.status != TaskStatus.open:
            flash(flow.ALREADY_HANDLED, "warning")
            return redirect(url_for(".list"))
        if request.method == "POST":
            outcome = self._act(session, task, actor)
            if outcome is not None:
                return outcome
        instance = task.instance
        kind = registry().records[instance.record_type]
        record = session.get(kind.model, instance.record_id)
        step = task_step(task)
        if step is None:
            abort(404)
        return self.render_template(
            "workflow/review.html", title=f"进入审批：{kind.label}", task=task, step=step,
            detail=record_detail(instance.record_type, record),
            panel=record_panel(instance.record_type, record, instance), form=request.form,
        )

    def _act(self, session: Any, task: WorkflowTask, actor: Any) -> Response | None:
        form = request.form
        choices = {k.removeprefix("choice_"): v for k, v in form.items()
                   if k.startswith("choice_")}
        try:
            version = int(form.get("version", ""))
        except ValueError:
            version = -1
        decision = Decision(form.get("action", ""), form.get("opinion", ""), choices)
        refused = attempt(lambda work: flow.act_on_task(work, task.id, actor, decision, version))
        if isinstance(refused, Conflict):
            flash(refused.message, "warning")
            return redirect(url_for(".list"))
        if refused:
            flash(refused.message, "danger")
            return None
        flash("审核完成。", "success")
        return redirect(url_for(".list"))
