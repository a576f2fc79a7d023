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
