"""待办任务, 已办任务, the review page (进入审批) and the flowcharts of the chains."""

from __future__ import annotations

import inspect
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from app.scope import current_operator
from app.services import workflow as flow
from app.services.base import page_number, paginate
from app.services.definitions import pinned_workflow, task_step
from app.services.errors import Conflict, ServiceError
from app.services.reminders import age_in_working_days
from app.services.workflow_registry import registry
from app.timezone import utcnow
from models import Post, TaskStatus, WorkflowInstance, WorkflowTask
from views.base import attempt
from workflow import Decision, Status
from workflow.graph import END, START, to_svg

PAGE_SIZE = 50


def task_rows(session: Any, tasks: list[WorkflowTask]) -> list[dict[str, Any]]:
    """A task list's rows: business type, unit, step, arrival, age in working days, deadline."""
    records = registry().records
    now = utcnow()
    return [{
        "task": task,
        "kind": records[task.instance.record_type].label,
        "unit": task.instance.unit.name,
        "age": age_in_working_days(task, now),
        "overdue": task.escalated_on is not None or (task.due_on is not None
                                                     and task.due_on <= now),
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


def record_panel(instance: WorkflowInstance | None,
                 attachments: list[tuple[str, str]] | None = None) -> Markup:
    """Attachments, history and flowchart of a record, for its show and review pages."""
    if instance is None and not attachments:
        return Markup("")
    workflow = pinned_workflow(instance) if instance else None
    return Markup(render_template(
        "workflow/panel.html",
        attachments=attachments or [],
        history=flow.history(current_app.appbuilder.session, instance) if instance else [],
        svg=Markup(to_svg(workflow, chart_position(instance), post_labels())) if instance else "",
        workflow=workflow,
    ))


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
                                    rows=task_rows(session, page.rows), done=done)

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
            rows=kind.describe(record),
            attachments=attachment_links(instance.record_type, record),
            panel=record_panel(instance), form=request.form,
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


class WorkflowChartView(BaseView):
    """流程图: every chain of workflows.yaml, drawn locally as SVG."""

    route_base = "/workflows"
    default_view = "charts"

    @expose("/")
    @has_access
    def charts(self) -> str:
        loaded = registry().workflows
        posts = post_labels()
        charts = [(wf.label, name, Markup(to_svg(wf, post_labels=posts)))
                  for name, wf in loaded.workflows.items()]
        return self.render_template("workflow/charts.html", title="审批流程图", charts=charts)

    @expose("/<name>.svg")
    @has_access
    def chart(self, name: str) -> Response:
        """One chain as an SVG file."""
        loaded = registry().workflows
        if name not in loaded.workflows:
            abort(404)
        return Response(to_svg(loaded.get(name), post_labels=post_labels()),
                        mimetype="image/svg+xml")


def open_task_count(session: Any, actor: Any) -> int:
    """How many tasks wait for the actor (the badge on the home page)."""
    query = (flow.open_tasks(session, actor).options(lazyload("*"))
             .with_only_columns(func.count()).order_by(None))
    return int(session.scalar(query) or 0)
