"""Loading workflows.yaml: every error names its exact path. No app is involved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workflow import WorkflowConfigError, load_workflows, parse_workflows

ROOT = Path(__file__).resolve().parents[2]

VALID = """
workflows:
  bid_change:
    label: 中标结果变更备案
    record: bid_change_filing
    steps:
      - id: first
        label: 初审
        post: supervision_first
        scope: supervision
        actions:
          - {id: approve, label: 同意, kind: approve}
          - {id: back, label: 退回采购人, kind: return_to_applicant}
      - id: second
        label: 复核
        post: supervision_review
        scope: supervision
        actions:
          - {id: approve, label: 同意, kind: approve}
          - {id: back_first, label: 退回初审, kind: return_to_step, to: first}
"""


def problems(text: str, hooks: set[str] | None = None) -> list[str]:
    with pytest.raises(WorkflowConfigError) as caught:
        parse_workflows(text, hooks)
    return caught.value.problems


def test_the_shipped_file_is_valid() -> None:
    loaded = load_workflows(ROOT / "workflows.yaml", {
        "record_completion", "generate_plan_number", "apply_method_change",
        "apply_spending_reduction", "approve_unit_registration"})
    assert "bid_change" in loaded.workflows
    assert len(loaded.hashes["bid_change"]) == 16


def test_valid_file_and_stable_version() -> None:
    first, again = parse_workflows(VALID), parse_workflows(VALID + "\n# comment\n")
    assert first.hashes == again.hashes
    changed = parse_workflows(VALID.replace("label: 复核", "label: 终审"))
    assert changed.hashes["bid_change"] != first.hashes["bid_change"]


def test_return_target_error_names_the_exact_path() -> None:
    broken = VALID.replace("to: first", "to: nowhere")
    assert problems(broken) == [
        "workflows.bid_change.steps[1].actions[1].to: “nowhere”不是本步骤之前的步骤"
    ]


def test_unknown_key_is_refused_with_its_path() -> None:
    broken = VALID.replace("scope: supervision\n        actions:\n          - {id: approve, label: 同意, kind: approve}\n          - {id: back,",
                           "scope: supervision\n        colour: red\n        actions:\n          - {id: approve, label: 同意, kind: approve}\n          - {id: back,", 1)
    assert problems(broken) == ["workflows.bid_change.steps[0].colour: 不允许的键"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("scope: supervision", "scope: everywhere",
         "workflows.bid_change.steps[0].scope: 取值只能是 'own_unit', 'competent', 'division', "
         "'supervision'、'office'"),
        ("kind: return_to_applicant", "kind: return_to_step",
         "workflows.bid_change.steps[0].actions[1].to: 退回到指定步骤时必须填写 to"),
        ("id: second", "id: first", "workflows.bid_change.steps[1].id: 步骤“first”重复"),
        ("post: supervision_first", "post: Supervision",
         "workflows.bid_change.steps[0].post: 只能由小写字母、数字和下划线组成，以字母开头"),
    ],
)
def test_field_errors(old: str, new: str, expected: str) -> None:
    assert expected in problems(VALID.replace(old, new, 1))


def test_jumps_only_forward_and_choices_are_checked() -> None:
    text = VALID.replace(
        "{id: approve, label: 同意, kind: approve}\n          - {id: back,",
        "{id: approve, label: 同意, kind: approve, next: first}\n          - {id: back,", 1)
    assert problems(text) == [
        "workflows.bid_change.steps[0].actions[0].next: “first”不是本步骤之后的步骤（只能向后跳转或填 end）"
    ]


def test_condition_errors_have_short_paths() -> None:
    text = VALID.replace("scope: supervision\n", "scope: supervision\n        when: {all: [{field: 1x}]}\n", 1)
    assert problems(text) == [
        "workflows.bid_change.steps[0].when.all[0].field: 只能由小写字母、数字和下划线组成，以字母开头"
    ]


def test_unregistered_hook_is_named() -> None:
    text = VALID.replace("    record: bid_change_filing\n",
                         "    record: bid_change_filing\n    on_complete: [publish]\n")
    assert problems(text, {"generate_number"}) == [
        "workflows.bid_change.on_complete[0]: 未注册的完成钩子“publish”（已注册：generate_number）"
    ]


def test_return_opinion_cannot_be_switched_off() -> None:
    text = VALID.replace("kind: return_to_applicant}", "kind: return_to_applicant, opinion_required: false}")
    assert problems(text) == [
        "workflows.bid_change.steps[0].actions[1].opinion_required: 退回必须填写审批意见，不能设为 false"
    ]


def test_yaml_syntax_error_names_the_line() -> None:
    assert problems("workflows: [unclosed")[0].startswith("第1行")


def test_nothing_is_evaluated() -> None:
    """A Python expression in a condition is a string value, never code."""
    text = VALID.replace("scope: supervision\n",
                         "scope: supervision\n        when: {field: amount, op: gt, value: \"__import__('os')\"}\n", 1)
    loaded = parse_workflows(text)
    assert loaded.get("bid_change").steps[0].when.value == "__import__('os')"


def test_interpreter_imports_nothing_of_the_project_nor_flask_or_sqlalchemy() -> None:
    forbidden = ("flask", "sqlalchemy", "app", "models", "views", "config", "wsgi", "bench")
    code = ("import sys, pkgutil, importlib, workflow; "
            "[importlib.import_module(m.name) for m in pkgutil.iter_modules(workflow.__path__, 'workflow.')]; "
            f"bad = [m for m in sys.modules if m.split('.')[0] in {forbidden!r}]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
