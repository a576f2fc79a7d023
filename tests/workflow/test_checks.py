"""The checks start-up and ``flask workflows check`` share: every problem by its exact path.

No app is involved: record types are given as their condition field names.
"""

from __future__ import annotations

import pytest

from workflow import WorkflowConfigError, parse_workflows
from workflow.checks import check_references, check_structure
from workflow.conditions import field_paths

TEXT = """
workflows:
  plan:
    label: 采购计划备案
    record: procurement_plan
    on_complete: [generate_plan_number]
    steps:
      - id: competent
        label: 主管单位审核
        post: competent_reviewer
        scope: competent
        when: {field: competent_review, op: truthy}
        actions:
          - {id: approve, label: 同意, kind: approve}
          - {id: back, label: 退回采购人, kind: return_to_applicant}
      - id: supervision
        label: 监管单位初审
        post: supervision_first
        scope: supervision
        when:
          all:
            - {field: region, op: eq, value: zz}
            - any:
                - {field: has_imports, op: truthy}
                - not: {field: methods, op: all_in, value: [公开招标]}
        actions:
          - {id: approve, label: 同意, kind: approve}
          - {id: back, label: 退回采购人, kind: return_to_applicant}
"""
RECORDS = {"procurement_plan": {"competent_review", "region", "has_imports", "methods"}}
HOOKS = {"generate_plan_number"}


def chains(text: str = TEXT) -> dict:
    return dict(parse_workflows(text).workflows)


def test_a_valid_file_has_no_problems() -> None:
    assert check_references(chains(), HOOKS, RECORDS) == []
    assert check_structure(chains(), HOOKS, RECORDS) == []


def test_field_paths_walk_all_any_and_not() -> None:
    when = chains()["plan"].steps[1].when
    assert list(field_paths(when, "w")) == [
        ("w.all[0].field", "region"),
        ("w.all[1].any[0].field", "has_imports"),
        ("w.all[1].any[1].not.field", "methods"),
    ]
    assert list(field_paths(None, "w")) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("{field: competent_review, op: truthy}", "{field: typo, op: truthy}",
         "workflows.plan.steps[0].when.field: 业务对象“procurement_plan”没有字段“typo”"),
        ("{field: region, op: eq, value: zz}", "{field: area, op: eq, value: zz}",
         "workflows.plan.steps[1].when.all[0].field: 业务对象“procurement_plan”没有字段“area”"),
        ("{field: has_imports, op: truthy}", "{field: imports, op: truthy}",
         "workflows.plan.steps[1].when.all[1].any[0].field: 业务对象“procurement_plan”没有字段“imports”"),
        ("not: {field: methods,", "not: {field: method,",
         "workflows.plan.steps[1].when.all[1].any[1].not.field: 业务对象“procurement_plan”没有字段“method”"),
        ("record: procurement_plan", "record: purchase_plan",
         "workflows.plan.record: 未注册的业务对象“purchase_plan”（已注册：procurement_plan）"),
        ("on_complete: [generate_plan_number]", "on_complete: [generate_plan_number, publish]",
         "workflows.plan.on_complete[1]: 未注册的完成钩子“publish”（已注册：generate_plan_number）"),
    ],
)
def test_each_unknown_name_is_named_by_its_path(old: str, new: str, expected: str) -> None:
    text = TEXT.replace(old, new, 1)
    assert check_references(chains(text), HOOKS, RECORDS) == [expected]
    with pytest.raises(WorkflowConfigError) as caught:
        parse_workflows(text, HOOKS, RECORDS)
    assert caught.value.problems == [expected]


def test_none_skips_a_check() -> None:
    text = TEXT.replace("record: procurement_plan", "record: purchase_plan")
    text = text.replace("[generate_plan_number]", "[publish]")
    assert check_references(chains(text)) == []
    assert check_references(chains(text), hooks=HOOKS) == [
        "workflows.plan.on_complete[0]: 未注册的完成钩子“publish”（已注册：generate_plan_number）"
    ]


def test_all_problems_are_listed_together() -> None:
    text = TEXT.replace("{field: competent_review,", "{field: typo,")
    text = text.replace("{field: has_imports,", "{field: imports,")
    text = text.replace("[generate_plan_number]", "[publish]")
    assert check_references(chains(text), HOOKS, RECORDS) == [
        "workflows.plan.steps[0].when.field: 业务对象“procurement_plan”没有字段“typo”",
        "workflows.plan.steps[1].when.all[1].any[0].field: 业务对象“procurement_plan”没有字段“imports”",
        "workflows.plan.on_complete[0]: 未注册的完成钩子“publish”（已注册：generate_plan_number）",
    ]


def test_structure_adds_the_graph_lint() -> None:
    endless = TEXT.replace(
        "          - {id: approve, label: 同意, kind: approve}\n"
        "          - {id: back, label: 退回采购人, kind: return_to_applicant}\n",
        "          - {id: back, label: 退回采购人, kind: return_to_applicant}\n", 1)
    assert check_references(chains(endless), HOOKS, RECORDS) == []
    assert check_structure(chains(endless), HOOKS, RECORDS) == [
        "workflows.plan.steps[0]: 从步骤“competent”无法到达流程结束"
    ]
