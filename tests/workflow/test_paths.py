"""A record's path through its chain, and the variants of the 审批流程图 page. No app involved."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from workflow import (
    Decision,
    InstanceState,
    Status,
    act,
    load_workflows,
    parse_workflows,
    submit,
)
from workflow.graph import edges, to_svg
from workflow.paths import OTHER, applicability, chosen_facts, fact_choices

CHAINS = load_workflows(str(Path(__file__).parents[2] / "workflows.yaml"))
PLAN = CHAINS.get("plan")
STANDARD = ["公开招标"]
BASE: dict[str, Any] = {
    "region": "zz", "linked": True, "has_imports": False, "methods": STANDARD,
    "competent_review": False, "is_subordinate": False, "has_internal_reviewer": True,
    "total_amount": 100,
}


def nodes(svg: str) -> list[str]:
    return re.findall(r'data-step="([a-z_]+)"', svg)


def visited(workflow: Any, facts: dict[str, Any], leader: str) -> list[str]:
    """The steps the engine opens when every reviewer approves (answering 是否上级领导审批)."""
    state = submit(workflow, InstanceState(), facts).state
    seen: list[str] = []
    while state.status is Status.in_review and state.step is not None:
        seen.append(state.step)
        state = act(workflow, state, facts, Decision("approve", choices={"leader": leader})).state
    return seen


ZZ_LINKED = BASE
ZZ_UNLINKED = {**BASE, "linked": False}
ZZ_SUPERVISED = {**BASE, "methods": ["公开招标", "竞争性谈判"]}
OTHER_REGION = {**BASE, "region": "pds", "has_internal_reviewer": False}
OTHER_WITH_REVIEWS = {**BASE, "region": "pds", "competent_review": True}


@pytest.mark.parametrize("facts", [ZZ_LINKED, ZZ_UNLINKED, ZZ_SUPERVISED, OTHER_REGION,
                                   OTHER_WITH_REVIEWS])
@pytest.mark.parametrize("leader", ["yes", "no"])
def test_the_path_is_what_the_engine_runs(facts: dict[str, Any], leader: str) -> None:
    applies = applicability(PLAN, facts)
    assert None not in applies.values()  # every fact known: the path is settled
    drawn = nodes(to_svg(PLAN, applies=applies))
    assert set(visited(PLAN, facts, leader)) <= set(drawn)
    assert drawn == ["start", *(s for s, on in applies.items() if on), "end"]


def test_a_zhengzhou_plan_never_shows_the_internal_review() -> None:
    for facts in (ZZ_LINKED, ZZ_UNLINKED, ZZ_SUPERVISED):
        svg = to_svg(PLAN, applies=applicability(PLAN, facts))
        assert "internal_review" not in nodes(svg) and "单位内部审核" not in svg
        assert svg.count("监管单位初审") <= 1  # one supervision pair at most, not both
    assert nodes(to_svg(PLAN, applies=applicability(PLAN, ZZ_LINKED))) == [
        "start", "competent", "division_first", "division_review", "end"]


def test_the_other_regions_internal_review_follows_the_flag() -> None:
    with_reviewer = {**OTHER_REGION, "has_internal_reviewer": True}
    assert "internal_review" in nodes(to_svg(PLAN, applies=applicability(PLAN, with_reviewer)))
    assert nodes(to_svg(PLAN, applies=applicability(PLAN, OTHER_REGION))) == [
        "start", "division_first", "division_review", "end"]


def test_branch_labels_are_text_not_tooltips() -> None:
    svg = to_svg(PLAN, applies=applicability(PLAN, ZZ_UNLINKED))
    labels = re.findall(r'<text class="edge-label"[^>]*>([^<]+)</text>', svg)
    assert "同意（是否上级领导审批：是）" in labels and "同意（是否上级领导审批：否）" in labels
    assert "退回采购人" in labels and "退回初审" in labels


def test_unknown_facts_keep_a_step_open_and_dashed() -> None:
    applies = applicability(PLAN, {"region": "zz"})
    assert applies["internal_review"] is False and applies["competent"] is True
    assert applies["unlinked_supervision_first"] is None
    svg = to_svg(PLAN, applies=applies)
    assert "监管单位初审（supervision_first）（视条件）" in svg and 'stroke-dasharray="6,4"' in svg
    # Without facts the chart is the whole chain, as before.
    assert nodes(to_svg(PLAN)) == ["start", *(s.id for s in PLAN.steps), "end"]


def test_the_current_step_stays_on_the_chart() -> None:
    applies = applicability(PLAN, OTHER_REGION, current="competent")
    assert applies["competent"] is None
    assert 'class="node current" data-step="competent"' in to_svg(PLAN, "competent",
                                                                  applies=applies)


def test_incomparable_values_leave_the_step_open() -> None:
    chain = parse_workflows("""
workflows:
  w:
    label: 测试
    record: r
    steps:
      - id: big
        label: 大额审核
        post: p
        scope: supervision
        when: {field: amount, op: gte, value: 100}
        actions: [{id: ok, label: 同意, kind: approve}]
""").get("w")
    assert applicability(chain, {"amount": "很多"}) == {"big": None}
    assert applicability(chain, {"amount": 100}) == {"big": True}
    assert applicability(chain, {"amount": 99}) == {"big": False}
    assert fact_choices(chain) == []  # thresholds stay open on the charts page


def test_edges_of_a_path_never_leave_it() -> None:
    applies = applicability(PLAN, OTHER_REGION)
    on_path = {s for s, on in applies.items() if on} | {"start", "end", "applicant"}
    assert all({e.source, e.target} <= on_path for e in edges(PLAN, applies))


def test_fact_choices_offer_each_variant() -> None:
    choices = {c.field: c for c in fact_choices(PLAN)}
    assert list(choices) == ["region", "linked", "has_internal_reviewer", "competent_review",
                             "is_subordinate", "has_imports", "methods"]
    assert [(o.key, o.label) for o in choices["region"].options] == [("v0", "zz"),
                                                                     ("other", "其他")]
    assert [o.label for o in choices["linked"].options] == ["是", "否"]
    assert choices["methods"].options[0].value == ["公开招标", "网上商城采购", "协议供货"]
    facts = chosen_facts(list(choices.values()),
                         {"region": "v0", "linked": "no", "methods": "other", "x": "y",
                          "has_imports": "bogus"})
    assert facts == {"region": "zz", "linked": False, "methods": [OTHER]}
    applies = applicability(PLAN, facts)
    assert applies["unlinked_supervision_first"] is True and applies["internal_review"] is False
    other = applicability(PLAN, chosen_facts(list(choices.values()), {"region": "other"}))
    assert other["competent"] is None and other["unlinked_supervision_first"] is False


def test_a_chain_without_conditions_offers_nothing() -> None:
    assert fact_choices(CHAINS.get("contract")) == []
    assert chosen_facts([], {"region": "v0"}) == {}
