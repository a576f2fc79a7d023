"""A record's flowchart is its own path, with its branch labels on the chart (issue 15 item 12).

The 郑州 clerk opens a filed plan's 查看: no 单位内部审核 (郑州 plans never have one), one
监管 pair at most, and 是/否 written on the branches. The 审批流程图 page draws a chosen variant.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from app.services import plans
from tests.browser.conftest import open_menu, sign_in, switch_to
from tests.support.english import english_words
from tests.support.plans import filed_plan
from tests.test_record_pages import open_task

UNLINKED: dict[str, Any] = {"linked": False, "intention_id": None, "unlinked_reason": "本项目为年度内临时需求"}


def english(page) -> set[str]:
    """Latin words a person would read on the page (file types and 用款计划 numbers aside)."""
    return english_words(page.content(), {"pdf", "jpg", "png", "svg", "yk", "zz", "pds"})


def chart_steps(page) -> list[str]:
    return page.locator("#workflow-chart svg g.node").evaluate_all(
        "nodes => nodes.map(n => n.dataset.step)")


def visible_labels(page, scope: str) -> list[str]:
    """The branch labels drawn as text (not tooltips) that the reader can actually see."""
    labels = page.locator(f"{scope} svg text.edge-label")
    return [labels.nth(n).text_content() or "" for n in range(labels.count())
            if labels.nth(n).is_visible()]


def test_a_zhengzhou_plan_shows_its_own_path(app: Any, page) -> None:
    pk = filed_plan(app, "zz_clerk", **UNLINKED)
    sign_in(page, "zz_clerk")
    open_menu(page, "计划管理", "采购计划备案")
    page.goto(f"/procurementplanview/show/{pk}")
    chart = page.locator("#workflow-chart")
    expect(chart.locator("svg")).to_have_count(1)
    assert chart_steps(page) == ["start", "unlinked_supervision_first",
                                 "unlinked_supervision_review", "competent", "division_first",
                                 "division_review", "end"]
    drawn = chart.locator("svg").text_content() or ""
    assert "单位内部审核" not in drawn and drawn.count("监管单位初审") == 1
    expect(chart.locator("g.node.current")).to_have_attribute(
        "data-step", "unlinked_supervision_first")
    labels = visible_labels(page, "#workflow-chart")
    assert "同意（是否上级领导审批：是）" in labels and "同意（是否上级领导审批：否）" in labels
    assert "退回采购人" in labels and "退回初审" in labels
    # The content the reviewer sees is on the clerk's page too.
    record = page.locator("#record")
    expect(record.locator("table.record-lines[data-title='采购内容'] tbody tr")).to_have_count(1)
    expect(record).to_contain_text("不关联意向原因")
    assert not english(page), f"English on the plan page: {english(page)}"
    page.screenshot(path="test-results/flowchart_record.png", full_page=True)


def test_a_linked_zhengzhou_plan_has_no_supervision(app: Any, page) -> None:
    pk = filed_plan(app, "zz_clerk")
    task = open_task(app, plans.RECORD, pk)
    sign_in(page, "zz_competent")
    open_menu(page, "工作台", "待办任务")
    page.locator(f"tr[data-task='{task}']").locator("a:has-text('进入审批')").click()
    page.wait_for_load_state()
    assert chart_steps(page) == ["start", "competent", "division_first", "division_review", "end"]
    assert "同意" in visible_labels(page, "#workflow-chart")
    switch_to(page, "zz_clerk")
    page.goto(f"/procurementplanview/show/{pk}")
    assert chart_steps(page) == ["start", "competent", "division_first", "division_review", "end"]


def test_the_charts_page_draws_a_chosen_variant(page) -> None:
    sign_in(page, "zz_competent")
    open_menu(page, "工作台", "审批流程图")
    plan = page.locator("#chain-plan")
    everything = plan.locator("svg g.node").count()
    plan.locator("select[name=region]").select_option(label="郑州市")
    plan.locator("select[name=linked]").select_option(label="否")
    plan.locator("button:has-text('显示该情形')").click()
    page.wait_for_load_state()
    plan = page.locator("#chain-plan")
    expect(plan.locator(".variant-caption")).to_have_text(
        "当前显示：所属区划：郑州市、是否关联采购意向：否")
    steps = plan.locator("svg g.node").evaluate_all("nodes => nodes.map(n => n.dataset.step)")
    assert steps == ["start", "unlinked_supervision_first", "unlinked_supervision_review",
                     "competent", "division_first", "division_review", "end"], steps
    assert len(steps) < everything
    expect(plan.locator("select[name=linked] option:checked")).to_have_text("否")
    assert "同意（是否上级领导审批：否）" in visible_labels(page, "#chain-plan")
    # Other chains keep their whole chart; the form answers only the chain it belongs to.
    expect(page.locator("#chain-bid_change svg g.node")).to_have_count(5)
    assert not english(page), f"English on the charts page: {english(page)}"
    page.screenshot(path="test-results/flowchart_variant.png", full_page=True)
