"""``flask workflows check|diagram|diff`` and the start-up check of workflows.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app.services.workflow_registry import registry
from tests.support.filings import submitted_filings
from workflow import WorkflowConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_check_names_units_without_an_internal_reviewer(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["workflows", "check"])
    assert result.exit_code == 1
    assert ("workflows.bid_change.steps[0]（单位内部审核）: “郑州外国语学校”没有内部审核岗"
            in result.output)
    assert "郑州市第一中学" not in result.output  # the demo unit with a reviewer passes


def test_diagram_prints_svg_and_refuses_unknown_names(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["workflows", "diagram", "bid_change"])
    assert result.exit_code == 0 and result.output.startswith("<svg")
    target = tmp_path / "chain.svg"
    assert runner.invoke(args=["workflows", "diagram", "bid_change", "-o", str(target)]).exit_code == 0
    assert "监管部门复核" in target.read_text(encoding="utf-8")
    unknown = runner.invoke(args=["workflows", "diagram", "nope"])
    assert unknown.exit_code == 1 and "没有名为“nope”的流程（现有：bid_change、plan、method_change、spending_reduction、contract、unit_registration）" in unknown.output


def test_diff_lists_instances_a_change_would_leave_on_the_old_version(
    app: Flask, tmp_path: Path
) -> None:
    [filing_id] = submitted_filings(app)
    runner = app.test_cli_runner()
    assert "没有在办记录受影响" in runner.invoke(args=["workflows", "diff"]).output
    changed = tmp_path / "workflows.yaml"
    text = (ROOT / "workflows.yaml").read_text(encoding="utf-8")
    changed.write_text(text.replace("label: 单位内部审核", "label: 内部审核"), encoding="utf-8")
    original = app.config["WORKFLOWS_FILE"]
    with app.app_context():
        registry().load(str(changed))
    try:
        output = runner.invoke(args=["workflows", "diff"]).output
    finally:
        with app.app_context():
            registry().load(original)
    assert "1条在办记录仍按原版本流转" in output
    assert f"bid_change_filing#{filing_id} 郑州市第一中学 状态=in_review 当前步骤=internal_review" in output


def test_a_broken_file_stops_start_up_with_the_exact_path(tmp_path: Path) -> None:
    from app import create_app

    broken = tmp_path / "workflows.yaml"
    text = (ROOT / "workflows.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("to: supervision_first", "to: supervision_last", 1),
                      encoding="utf-8")
    with pytest.raises(WorkflowConfigError) as caught:
        create_app({"WORKFLOWS_FILE": str(broken), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert str(caught.value) == (
        "workflows.bid_change.steps[2].actions[1].to: “supervision_last”不是本步骤之前的步骤"
    )


def start_up_problems(tmp_path: Path, *changes: tuple[str, str]) -> list[str]:
    """The problems ``create_app`` refuses to start with, for the shipped file so changed."""
    from app import create_app

    text = (ROOT / "workflows.yaml").read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    broken = tmp_path / "workflows.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(WorkflowConfigError) as caught:
        create_app({"WORKFLOWS_FILE": str(broken), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_an_unknown_condition_field_stops_start_up(tmp_path: Path) -> None:
    # The anchor is used by the next step too: each use is named.
    assert start_up_problems(tmp_path, (
        "when: &failed_tender {field: failed_was_tender, op: truthy}",
        "when: &failed_tender {field: typo}",
    )) == [
        "workflows.method_change.steps[1].when.field: 业务对象“method_change”没有字段“typo”",
        "workflows.method_change.steps[2].when.field: 业务对象“method_change”没有字段“typo”",
    ]


def test_an_unknown_field_inside_all_any_not_is_named_by_its_path(tmp_path: Path) -> None:
    assert start_up_problems(
        tmp_path,
        ("- {field: competent_review, op: truthy}", "- {field: typo, op: truthy}"),
        ("not: {field: methods, op: all_in", "not: {field: method, op: all_in"),
    ) == [
        "workflows.plan.steps[3].when.any[1].field: 业务对象“procurement_plan”没有字段“typo”",
        "workflows.plan.steps[6].when.all[2].any[1].not.field: 业务对象“procurement_plan”没有字段“method”",
        "workflows.plan.steps[7].when.all[2].any[1].not.field: 业务对象“procurement_plan”没有字段“method”",
    ]


def test_an_unknown_hook_or_record_type_stops_start_up(tmp_path: Path) -> None:
    assert start_up_problems(
        tmp_path,
        ("on_complete: [record_completion]", "on_complete: [record_completion, publish]"),
        ("record: contract\n", "record: contract_filing\n"),
    ) == [
        "workflows.bid_change.on_complete[1]: 未注册的完成钩子“publish”（已注册：apply_method_change、"
        "apply_spending_reduction、approve_unit_registration、generate_plan_number、record_completion）",
        "workflows.contract.record: 未注册的业务对象“contract_filing”（已注册：bid_change_filing、"
        "contract、method_change、procurement_plan、spending_reduction、unit_registration）",
    ]


def test_a_step_that_cannot_end_stops_start_up(tmp_path: Path) -> None:
    # The graph lint of `flask workflows check` runs at start-up too.
    assert start_up_problems(tmp_path, (
        "      - id: supervision_review\n"
        "        label: 监管部门复核\n"
        "        post: supervision_review\n"
        "        scope: supervision\n"
        "        reminder: {after_days: 3, repeat_days: 2, escalate_days: 5}\n"
        "        actions:\n"
        "          - {id: approve, label: 同意, kind: approve}\n",
        "      - id: supervision_review\n"
        "        label: 监管部门复核\n"
        "        post: supervision_review\n"
        "        scope: supervision\n"
        "        reminder: {after_days: 3, repeat_days: 2, escalate_days: 5}\n"
        "        actions:\n",
    )) == [
        "workflows.bid_change.steps[0]: 从步骤“internal_review”无法到达流程结束",
        "workflows.bid_change.steps[1]: 从步骤“supervision_first”无法到达流程结束",
        "workflows.bid_change.steps[2]: 从步骤“supervision_review”无法到达流程结束",
    ]
