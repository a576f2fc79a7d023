"""``flask workflows check|diagram|diff``, unit coverage, and the start-up check of workflows.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update

from app.extensions import db
from app.services.workflow_registry import registry
from models import Unit, UnitKind
from tests.support.filings import submitted_filings
from workflow import WorkflowConfigError
from workflow.conditions import could_hold
from workflow.schema import AllOf, AnyOf, NotOf

ROOT = Path(__file__).resolve().parents[1]


def row_of(output: str, unit: str) -> list[str]:
    """The cells of ``unit``'s row in the coverage table (columns are two or more spaces apart)."""
    [line] = [line for line in output.splitlines() if line.startswith(unit + " ")]
    return re.split(r" {2,}", line)


def test_check_passes_on_the_demo_data_and_prints_each_units_coverage(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["workflows", "check"])
    assert result.exit_code == 0, result.output
    assert row_of(result.output, "单位") == [
        "单位", "中标结果变更备案", "采购计划备案", "采购失败方式变更", "用款计划调减", "合同备案",
        "采购人注册审核"]
    assert row_of(result.output, "郑州市第一中学") == ["郑州市第一中学"] + ["可以完成"] * 6
    # Submission refuses these cleanly (尚未配置内部审核岗，无法送审): listed, not failed.
    assert row_of(result.output, "郑州外国语学校")[1] == "缺少内部审核岗"
    assert ("workflows.bid_change.steps[0]（单位内部审核）: “郑州外国语学校”没有内部审核岗"
            in result.output)
    # A plan of a unit without an internal reviewer skips 单位内部审核 (its `when`): no gap.
    assert row_of(result.output, "平顶山市教育局")[2] == "可以完成"
    assert "workflows.plan.steps[2]" not in result.output
    # 主管单位审核 of a first-level unit depends on the plan's 主管部门审核 choice.
    assert row_of(result.output, "平顶山市卫生健康委员会")[2] == (
        "缺少主管单位审核岗（部分记录）、业务处室初审岗、业务处室复核岗")
    assert ("workflows.plan.steps[3]（主管单位审核）: “平顶山市卫生健康委员会”没有主管单位审核岗"
            "（仅部分记录经过此步骤）" in result.output)
    # A region without the unit a scope needs.
    assert row_of(result.output, "河南省实验中学")[6] == "缺少市采购办"
    assert "workflows.unit_registration.steps[0]（市采购办审核）: 省直尚未设置市采购办，无法送审。" \
        in result.output
    assert result.output.rstrip().endswith(
        "审批流程结构检查通过；66个单位×流程缺少岗位，加 --strict 时视为失败。")


def test_strict_fails_on_coverage_gaps_and_passes_once_every_post_is_there(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["workflows", "check", "--strict"])
    assert result.exit_code == 1
    assert "66个单位×流程缺少岗位（--strict）。" in result.output
    with app.app_context():
        # Only the demo unit that has every post of its own stays; the rest are retired.
        db.session.execute(update(Unit).where(Unit.kind == UnitKind.purchaser,
                                              Unit.name != "郑州市第一中学").values(active=False))
        db.session.commit()
    result = runner.invoke(args=["workflows", "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("审批流程检查通过：每个单位的每个流程都可以完成。")


def test_a_structural_problem_fails_without_strict(app: Flask, tmp_path: Path) -> None:
    changed = tmp_path / "workflows.yaml"
    text = (ROOT / "workflows.yaml").read_text(encoding="utf-8")
    changed.write_text(text.replace("escalate_to: supervision_review}",
                                    "escalate_to: chief}", 1), encoding="utf-8")
    original = app.config["WORKFLOWS_FILE"]
    with app.app_context():
        registry().load(str(changed))
    try:
        result = app.test_cli_runner().invoke(args=["workflows", "check"])
    finally:
        with app.app_context():
            registry().load(original)
    assert result.exit_code == 1
    assert "workflows.bid_change.steps[1].reminder.escalate_to: 岗位“chief”不存在" in result.output
    assert "发现1个结构问题。" in result.output


def test_a_condition_is_settled_by_the_fields_known_or_left_open() -> None:
    # 单位内部审核 of a plan: outside 郑州, and only when the unit has an internal reviewer.
    plan = AllOf.model_validate({"all": [
        {"field": "region", "op": "ne", "value": "zz"},
        {"field": "has_internal_reviewer", "op": "truthy"}]})
    assert could_hold(plan, {"region": "zz"}) is False
    assert could_hold(plan, {"region": "pds", "has_internal_reviewer": False}) is False
    assert could_hold(plan, {"region": "pds", "has_internal_reviewer": True}) is True
    either = AnyOf.model_validate({"any": [{"field": "region", "op": "eq", "value": "zz"},
                                           {"field": "competent_review", "op": "truthy"}]})
    assert could_hold(either, {"region": "zz"}) is True
    assert could_hold(either, {"region": "pds"}) is None
    assert could_hold(NotOf.model_validate({"not": either}), {"region": "pds"}) is None
    assert could_hold(None, {}) is True


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
