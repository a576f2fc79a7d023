"""Transitions of the interpreter, on a 郑州-style plan chain. No app is involved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflow import (
    Decision,
    InstanceState,
    Status,
    WorkflowError,
    act,
    parse_workflows,
    submit,
    withdraw,
)
from workflow.conditions import ConditionError
from workflow.engine import ChoiceRequired, InvalidState, OpinionRequired, UnknownAction
from workflow.graph import lint, to_svg

PLAN = """
workflows:
  plan:
    label: 采购计划备案
    record: plan
    resubmit: returning_step
    on_complete: [generate_number]
    steps:
      - id: competent
        label: 主管单位审核
        post: competent_reviewer
        scope: competent
        actions:
          - {id: approve, label: 同意, kind: approve}
          - {id: back, label: 退回采购人, kind: return_to_applicant}
      - id: division_first
        label: 业务处室初审
        post: division_first
        scope: division
        actions:
          - {id: approve, label: 同意, kind: approve}
          - {id: back, label: 退回采购人, kind: return_to_applicant}
      - id: division_review
        label: 业务处室复核
        post: division_review
        scope: division
        actions:
          - {id: approve, label: 同意, kind: approve}
          - {id: back_first, label: 退回初审, kind: return_to_step, to: division_first}
      - id: supervision_first
        label: 监管单位初审
        post: supervision_first
        scope: supervision
        when: &needs_supervision
          any:
            - {field: has_imports, op: truthy}
            - {field: method, op: not_in, value: [公开招标, 网上商城, 协议供货]}
            - {field: amount, op: gte, value: 4000000}
        actions:
          - id: approve
            label: 同意
            kind: approve
            choices:
              - id: leader
                label: 是否上级领导审批
                options:
                  - {value: "yes", label: 是, next: supervision_review}
                  - {value: "no", label: 否, next: end}
      - id: supervision_review
        label: 监管单位复核
        post: supervision_review
        scope: supervision
        when: *needs_supervision
        actions:
          - {id: approve, label: 同意, kind: approve}
          - {id: back_first, label: 退回初审, kind: return_to_step, to: supervision_first}
"""
WF = parse_workflows(PLAN).get("plan")
PLAIN = {"has_imports": False, "method": "公开招标", "amount": Decimal("100000.00")}
IMPORTS = {**PLAIN, "has_imports": True}


def run(state: InstanceState, fields: dict, *decisions: Decision) -> InstanceState:
    for decision in decisions:
        state = act(WF, state, fields, decision).state
    return state


def test_submit_opens_the_first_step() -> None:
    moved = submit(WF, InstanceState(), PLAIN)
    assert moved.state == InstanceState(Status.in_review, "competent")
    assert moved.task.post == "competent_reviewer" and moved.task.scope.value == "competent"
    assert moved.result == "提交"


def test_optional_step_is_skipped_and_completion_runs_hooks() -> None:
    state = submit(WF, InstanceState(), PLAIN).state
    state = run(state, PLAIN, Decision("approve"), Decision("approve"))
    done = act(WF, state, PLAIN, Decision("approve"))
    assert done.completed and done.hooks == ("generate_number",)


def test_supervision_applies_and_the_choice_picks_the_next_step() -> None:
    state = run(submit(WF, InstanceState(), IMPORTS).state, IMPORTS,
                Decision("approve"), Decision("approve"), Decision("approve"))
    assert state.step == "supervision_first"
    with pytest.raises(ChoiceRequired, match="请选择“是否上级领导审批”。"):
        act(WF, state, IMPORTS, Decision("approve"))
    to_leader = act(WF, state, IMPORTS, Decision("approve", choices={"leader": "yes"}))
    assert to_leader.state.step == "supervision_review"
    finished = act(WF, state, IMPORTS, Decision("approve", choices={"leader": "no"}))
    assert finished.completed


def test_amount_threshold_uses_decimals() -> None:
    big = {**PLAIN, "amount": Decimal("4000000.00")}
    state = run(submit(WF, InstanceState(), big).state, big,
                Decision("approve"), Decision("approve"), Decision("approve"))
    assert state.step == "supervision_first"


def test_returns_need_an_opinion() -> None:
    state = submit(WF, InstanceState(), PLAIN).state
    with pytest.raises(OpinionRequired, match="请填写审批意见。"):
        act(WF, state, PLAIN, Decision("back", opinion="  "))
    returned = act(WF, state, PLAIN, Decision("back", opinion="材料不全"))
    assert returned.state == InstanceState(Status.returned, None, "competent")
    assert returned.task is None and returned.result == "退回采购人"


def test_return_to_an_earlier_step() -> None:
    state = run(submit(WF, InstanceState(), PLAIN).state, PLAIN,
                Decision("approve"), Decision("approve"))
    back = act(WF, state, PLAIN, Decision("back_first", opinion="金额有误"))
    assert back.state.step == "division_first" and back.task.post == "division_first"


def test_resubmit_goes_back_to_the_returning_step() -> None:
    state = run(submit(WF, InstanceState(), PLAIN).state, PLAIN, Decision("approve"))
    returned = act(WF, state, PLAIN, Decision("back", opinion="补充材料")).state
    assert submit(WF, returned, PLAIN).state.step == "division_first"
    restart = WF.model_copy(update={"resubmit": "restart"})
    assert submit(restart, returned, PLAIN).state.step == "competent"


def test_refusals() -> None:
    with pytest.raises(InvalidState, match="当前状态为“审核中”，不能提交。"):
        submit(WF, InstanceState(Status.in_review, "competent"), PLAIN)
    with pytest.raises(UnknownAction, match="“主管单位审核”没有“publish”这个审批结果。"):
        act(WF, InstanceState(Status.in_review, "competent"), PLAIN, Decision("publish"))
    with pytest.raises(InvalidState, match="该记录不在审核中。"):
        act(WF, InstanceState(Status.completed), PLAIN, Decision("approve"))
    state = run(submit(WF, InstanceState(), PLAIN).state, PLAIN,
                Decision("approve"), Decision("approve"))
    with pytest.raises(ConditionError, match="记录没有字段“method”"):
        act(WF, state, {"has_imports": False}, Decision("approve"))


def test_a_condition_error_is_a_refusal_like_any_other() -> None:
    """Whoever handles :class:`WorkflowError` (the adapter's 422) handles conditions too."""
    assert issubclass(ConditionError, WorkflowError)
    state = run(submit(WF, InstanceState(), PLAIN).state, PLAIN,
                Decision("approve"), Decision("approve"))
    with pytest.raises(WorkflowError) as caught:
        act(WF, state, {"has_imports": False}, Decision("approve"))
    assert isinstance(caught.value, ConditionError)
    assert (caught.value.code, caught.value.message) == ("condition", "记录没有字段“method”")


def test_withdraw_only_before_a_reviewer_acts() -> None:
    state = submit(WF, InstanceState(), PLAIN).state
    assert withdraw(state, reviewer_has_acted=False).state.status is Status.withdrawn
    with pytest.raises(InvalidState, match="已有审核人处理，不能撤回。"):
        withdraw(state, reviewer_has_acted=True)
    again = submit(WF, InstanceState(Status.withdrawn), PLAIN)
    assert again.state.step == "competent"


def test_lint_finds_unreachable_and_endless_steps() -> None:
    assert lint("plan", WF) == []
    looping = PLAN.replace(
        "          - {id: approve, label: 同意, kind: approve}\n          - {id: back_first, label: 退回初审, kind: return_to_step, to: supervision_first}",
        "          - {id: back_first, label: 退回初审, kind: return_to_step, to: supervision_first}")
    broken = parse_workflows(looping).get("plan")
    assert lint("plan", broken) == [
        "workflows.plan.steps[4]: 从步骤“supervision_review”无法到达流程结束"
    ]
    skipping = parse_workflows(
        "workflows:\n  w:\n    label: 测试\n    record: r\n    steps:\n"
        + "".join(
            f"      - id: {step}\n        label: {step}\n        post: clerk\n"
            f"        scope: own_unit\n        actions:\n"
            f"          - {{id: ok, label: 同意, kind: approve{extra}}}\n"
            for step, extra in (("a", ", next: c"), ("b", ""), ("c", ""))
        )
    ).get("w")
    assert lint("w", skipping) == ["workflows.w.steps[1]: 步骤“b”不可达"]


def test_svg_highlights_the_current_step() -> None:
    svg = to_svg(WF, current="division_review")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'class="node current" data-step="division_review"' in svg
    assert "监管单位初审" in svg and "退回初审" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_list_operators() -> None:
    from workflow.conditions import holds
    from workflow.schema import Compare

    standard = ["公开招标", "网上商城采购", "协议供货"]
    all_in = Compare(field="methods", op="all_in", value=standard)
    any_in = Compare(field="methods", op="any_in", value=["询价"])
    assert holds(all_in, {"methods": ["公开招标", "协议供货"]})
    assert not holds(all_in, {"methods": ["公开招标", "询价"]})
    assert holds(any_in, {"methods": ["公开招标", "询价"]})
    with pytest.raises(ConditionError, match="需要列表字段和列表值"):
        holds(any_in, {"methods": "询价"})
