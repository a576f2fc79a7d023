"""Record pages show everything: a record's 查看 shows all that its review page (进入审批) shows,
and its flowchart is the path of that record only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from app.services import bids, changes, contracts, plans, registration
from app.services import workflow as flow
from app.services.workflow_registry import registry
from app.transaction import unit_of_work
from models import (
    Contract,
    Intention,
    PaymentApplication,
    ProcurementPlan,
    UnitRegistration,
    WorkflowTask,
)
from tests.support.filings import submitted_filings
from tests.support.plans import filed_plan, operator
from tests.test_changes import failed_plan, new_change, reduction
from tests.test_contracts import completed, contract
from tests.test_payments import application
from tests.test_payments import filed_contract as filed_contract  # a fixture
from tests.test_registration import PASSWORD, register
from views.charts import FACT_LABELS
from workflow.paths import fact_choices


class RecordText(HTMLParser):
    """The cells and links inside ``<div id="record">``: what the record partial shows."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.cells: list[str] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self.depth:
            self.depth += tag == "div"
            if tag in ("td", "th", "h5"):
                self._cell = []
            if tag == "a" and found.get("href"):
                self.links.append(found["href"] or "")
        elif tag == "div" and found.get("id") == "record":
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag in ("td", "th", "h5") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None
        self.depth -= tag == "div"

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def record_of(page: str) -> RecordText:
    parsed = RecordText()
    parsed.feed(page)
    assert parsed.cells, "the page has no record partial"
    return parsed


def open_task(app: Any, record_type: str, pk: int) -> int:
    with app.app_context():
        session = app.appbuilder.session
        instance = flow.instance_of(session, record_type, pk)
        assert instance is not None
        task: int = session.scalar(select(WorkflowTask.id).where(
            WorkflowTask.instance_id == instance.id, WorkflowTask.status == "open"))
        return task


def pages(app: Any, login_as: Any, record_type: str, pk: int, show: str, applicant: str,
          reviewer: str, *password: str) -> tuple[str, str]:
    """The review page of the record's open task and the applicant's show page."""
    task = open_task(app, record_type, pk)
    review = login_as(reviewer).get(f"/tasks/{task}/review")
    assert review.status_code == 200
    shown = login_as(applicant, *password).get(f"{show}/{pk}")
    assert shown.status_code == 200
    return review.get_data(as_text=True), shown.get_data(as_text=True)


def assert_show_has_all_of_review(review: str, shown: str) -> RecordText:
    on_review, on_show = record_of(review), record_of(shown)
    missing = [cell for cell in on_review.cells if cell not in on_show.cells]
    assert not missing, f"on the review page but not on the show page: {missing}"
    assert on_review.links == on_show.links  # the same scoped download links
    return on_show


def chart_steps(page: str) -> list[str]:
    chart = page[page.index('id="workflow-chart"'):]
    return re.findall(r'<g class="node[^"]*" data-step="([a-z_]+)"', chart)


def test_plan(app: Any, login_as: Any) -> None:
    pk = filed_plan(app, "zz_clerk")
    review, shown = pages(app, login_as, plans.RECORD, pk, "/procurementplanview/show",
                          "zz_clerk", "zz_competent")
    record = assert_show_has_all_of_review(review, shown)
    for cell in ("采购内容", "品目", "数量", "10", "金额（元）", "20,000.00", "公开招标",
                 "分散采购", "用款计划", "本次申请使用金额（元）", "财政资金", "自有资金",
                 "关联的采购意向", "是否有进口产品"):
        assert any(cell in c for c in record.cells), cell
    with app.app_context():
        plan = app.appbuilder.session.get(ProcurementPlan, pk)
        assert any(plan.intention.project_name in c for c in record.cells)
        assert any(plan.fundings[0].spending_plan.external_no in c for c in record.cells)
    assert "审批记录" in shown and "提交" in shown[shown.index('id="workflow-history"'):]
    # The planner of 郑州 sees its own path: no 单位内部审核, one supervision pair at most.
    steps = chart_steps(shown)
    assert steps == ["start", "competent", "division_first", "division_review", "end"]
    assert steps == chart_steps(review)
    assert "单位内部审核" not in shown[shown.index('id="workflow-chart"'):]
    assert 'class="node current" data-step="competent"' in shown


def test_plan_query_shows_the_same(app: Any, login_as: Any) -> None:
    pk = filed_plan(app, "zz_clerk")
    _, shown = pages(app, login_as, plans.RECORD, pk, "/procurementplanview/show", "zz_clerk",
                     "zz_competent")
    queried = login_as("zz_clerk").get(f"/planqueryview/show/{pk}").get_data(as_text=True)
    assert record_of(queried).cells == record_of(shown).cells


def test_a_draft_shows_its_content_and_the_path_it_will_take(app: Any, login_as: Any) -> None:
    pk = filed_plan(app, "pds_clerk", submit=False)
    shown = login_as("pds_clerk").get(f"/procurementplanview/show/{pk}").get_data(as_text=True)
    assert "办公家具采购" in record_of(shown).cells
    assert 'id="workflow-history"' not in shown  # nothing was submitted yet
    assert chart_steps(shown) == ["start", "internal_review", "competent", "division_first",
                                  "division_review", "end"]
    assert 'class="node current" data-step="start"' in shown


def test_contract(app: Any, login_as: Any) -> None:
    plan_id = completed(app)
    with app.test_request_context():
        session = app.appbuilder.session
        pk = contract(session, plan_id, "20000.00", "15000.00").id
        with unit_of_work(session):
            contracts.file_and_announce(session, contracts.RECORD, session.get(Contract, pk),
                                        operator(session, "pds_clerk"))
    review, shown = pages(app, login_as, contracts.RECORD, pk, "/contractview/show",
                          "pds_clerk", "pds_sup_first")
    record = assert_show_has_all_of_review(review, shown)
    assert "备案明细" in record.cells and "15,000.00 元" in record.cells
    assert any(c.startswith("本合同拟使用计划金额") for c in record.cells)
    assert any(c.endswith("：合同.pdf") for c in record.cells) and record.links


def test_bid_change_filing(app: Any, login_as: Any) -> None:
    pk = submitted_filings(app)[0]
    review, shown = pages(app, login_as, bids.RECORD, pk, "/bidchangefilingview/show",
                          "zz_clerk", "zz_internal")
    record = assert_show_has_all_of_review(review, shown)
    assert "变更事项" in record.cells and "供应商更名0" in record.cells


def test_method_change(app: Any, login_as: Any) -> None:
    pk = new_change(app, failed_plan(app))
    review, shown = pages(app, login_as, changes.METHOD_CHANGE, pk, "/methodchangeview/show",
                          "pds_clerk", "pds_internal")
    record = assert_show_has_all_of_review(review, shown)
    assert "变更后采购方式" in record.cells and record.links
    # A failed tender goes on to supervision: the chart says so, without 视条件.
    assert chart_steps(shown) == ["start", "internal_review", "supervision_check",
                                  "supervision_approval", "end"]


def test_spending_reduction(app: Any, login_as: Any) -> None:
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = operator(session, "pds_clerk")
        with unit_of_work(session):
            item = reduction(app, "100.00")(session, clerk)
            flow.submit_record(session, changes.REDUCTION, item, clerk)
        pk = item.id
    review, shown = pages(app, login_as, changes.REDUCTION, pk, "/spendingreductionview/show",
                          "pds_clerk", "pds_internal")
    record = assert_show_has_all_of_review(review, shown)
    assert "调减金额" in record.cells and "100.00 元" in record.cells


def test_unit_registration(app: Any, login_as: Any) -> None:
    register(app)
    with app.app_context():
        item = app.appbuilder.session.scalar(select(UnitRegistration).order_by(
            UnitRegistration.id.desc()))
        pk, admin = item.id, item.admin.username
    review, shown = pages(app, login_as, registration.RECORD, pk,
                          "/unitregistrationview/show", admin, "zz_office", PASSWORD)
    record = assert_show_has_all_of_review(review, shown)
    assert "统一社会信用代码" in record.cells


def columns_shown(page: str, item: Any, skip: set[str]) -> list[str]:
    """The stored text columns of ``item`` whose value is missing from ``page``."""
    return [c.name for c in item.__table__.columns if c.name not in skip
            and isinstance(getattr(item, c.name), str) and getattr(item, c.name)
            and getattr(item, c.name) not in page]


def test_intention_shows_every_column(app: Any, login_as: Any) -> None:
    """采购意向 has no review page: its 查看 lists every column of the record."""
    with app.app_context():
        session = app.appbuilder.session
        item = session.scalar(select(Intention).where(
            Intention.unit_id == operator(session, "zz_clerk").unit_id).order_by(Intention.id))
        page = login_as("zz_clerk").get(f"/intentionview/show/{item.id}").get_data(as_text=True)
        assert not columns_shown(page, item, {"status"})
        assert item.project_name in page and "预算金额" in page


def test_payment_shows_every_column(app: Any, login_as: Any, filed_contract: int) -> None:
    """支付 has no review page either: its 查看 lists the payee and the amounts."""
    pk = application(app, filed_contract, "1000.00")
    page = login_as("pds_clerk").get(f"/paymentview/show/{pk}").get_data(as_text=True)
    with app.app_context():
        item = app.appbuilder.session.get(PaymentApplication, pk)
        assert not columns_shown(page, item, {"status"})
        assert "1,000.00" in page and item.payee_account in page


def test_every_condition_field_is_offered_in_chinese(app: Any) -> None:
    """A field a chain's `when` reads gets a Chinese label, or the charts page cannot offer it."""
    with app.app_context():
        for workflow in registry().loaded().workflows.values():
            assert {c.field for c in fact_choices(workflow)} <= set(FACT_LABELS), workflow.label


def section(page: str, chain: str) -> str:
    start = page.index(f'id="chain-{chain}"')
    return page[start:page.index("</section>", start)]


def test_the_charts_page_draws_the_chosen_variant(login_as: Any) -> None:
    web = login_as("zz_competent")
    whole = web.get("/workflows/").get_data(as_text=True)
    assert "当前显示：全部情形" in whole and "（视条件）" in section(whole, "plan")
    chosen = web.get("/workflows/?chain=plan&region=v0&linked=no").get_data(as_text=True)
    plan = section(chosen, "plan")
    assert "当前显示：所属区划：郑州市、是否关联采购意向：否" in plan
    assert chart_steps(plan.replace("<svg", 'id="workflow-chart"<svg', 1)) == [
        "start", "unlinked_supervision_first", "unlinked_supervision_review", "competent",
        "division_first", "division_review", "end"]
    assert '<option value="no" selected>否</option>' in plan
    # The answers are the plan chain's: the others stay whole.
    assert section(chosen, "bid_change") == section(whole, "bid_change")
    svg = web.get("/workflows/plan.svg?region=v0&linked=no")
    assert svg.mimetype == "image/svg+xml"
    assert 'data-step="linked_supervision_first"' not in svg.get_data(as_text=True)
    assert 'data-step="linked_supervision_first"' in web.get(
        "/workflows/plan.svg").get_data(as_text=True)


@pytest.mark.parametrize(("query", "caption"), [
    ("chain=plan&region=bogus&linked=", "当前显示：全部情形"),
    ("chain=nope&region=v0", "当前显示：全部情形"),
    ("chain=plan&region=v0&region=other&methods=%E5%90%A6", "当前显示：所属区划：郑州市"),
])
def test_odd_answers_are_ignored(login_as: Any, query: str, caption: str) -> None:
    web = login_as("zz_competent")
    answer = web.get(f"/workflows/?{query}")
    assert answer.status_code == 200
    assert f"{caption}</p>" in section(answer.get_data(as_text=True), "plan")
    assert web.get("/workflows/nope.svg").status_code == 404
