"""审批流程图: every chain of workflows.yaml, one variant at a time, drawn locally as SVG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, abort, request
from flask_appbuilder import BaseView, expose, has_access
from markupsafe import Markup
from sqlalchemy import select

from app.services.workflow_registry import registry
from models import Region
from views.tasks import post_labels
from workflow import Workflow
from workflow.graph import to_svg
from workflow.paths import FactChoice, applicability, chosen_facts, fact_choices

# What people call the facts the chains' conditions read (see the record types' fields).
FACT_LABELS = {
    "region": "所属区划",
    "linked": "是否关联采购意向",
    "has_internal_reviewer": "本单位设有内部审核岗",
    "competent_review": "审核流程（主管部门审核）",
    "is_subordinate": "是否下级预算单位",
    "has_imports": "是否有进口产品",
    "methods": "采购方式",
    "failed_was_tender": "失败项目原为招标",
    "supplier_changes": "是否变更中标供应商",
}
ANY = "不限"


@dataclass(frozen=True)
class Variant:
    """One chain on the page: its form (facts and answers) and the chart for those answers."""

    name: str
    label: str
    choices: list[tuple[str, str, list[tuple[str, str]]]]  # field, label, (key, label) options
    answers: dict[str, str]
    chosen: list[str]  # "所属区划：郑州市", for the caption
    svg: Markup


def _region_names(session: Any) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Region.code, Region.name))}


def _answers(name: str) -> dict[str, str]:
    """The submitted answers, for the chain the form was submitted for only."""
    if request.args.get("chain") != name:
        return {}
    return {key: value for key, value in request.args.items() if key != "chain"}


def variant(name: str, workflow: Workflow, answers: dict[str, str],
            posts: dict[str, str], regions: dict[str, str]) -> Variant:
    """The chart of ``workflow`` for the facts the answers stand for (all of it without any)."""
    offered: list[FactChoice] = [c for c in fact_choices(workflow) if c.field in FACT_LABELS]
    facts = chosen_facts(offered, answers)

    def shown(choice: FactChoice, label: str) -> str:
        return regions.get(label, label) if choice.field == "region" else label

    choices = [(c.field, FACT_LABELS[c.field], [(o.key, shown(c, o.label)) for o in c.options])
               for c in offered]
    chosen = [f"{label}：{text}" for field, label, options in choices
              for key, text in options if answers.get(field) == key]
    svg = Markup(to_svg(workflow, post_labels=posts, applies=applicability(workflow, facts)))
    kept = {c.field: answers[c.field] for c in offered if c.field in facts}
    return Variant(name, workflow.label, choices, kept, chosen, svg)


class WorkflowChartView(BaseView):
    """流程图: every chain of workflows.yaml; a chain's form picks the variant it draws."""

    route_base = "/workflows"
    default_view = "charts"

    @expose("/")
    @has_access
    def charts(self) -> str:
        posts, regions = post_labels(), _region_names(self.appbuilder.session)
        variants = [variant(name, wf, _answers(name), posts, regions)
                    for name, wf in registry().loaded().workflows.items()]
        return self.render_template("workflow/charts.html", title="审批流程图",
                                    variants=variants, any_label=ANY)

    @expose("/<name>.svg")
    @has_access
    def chart(self, name: str) -> Response:
        """One chain as an SVG file, for the answers in the query string (as on the page)."""
        loaded = registry().loaded()
        if name not in loaded.workflows:
            abort(404)
        answers = {k: v for k, v in request.args.items() if k != "chain"}
        drawn = variant(name, loaded.get(name), answers, post_labels(), {})
        return Response(str(drawn.svg), mimetype="image/svg+xml")
