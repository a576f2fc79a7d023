"""``flask workflows``: check the chains, draw them, and see what a change would affect."""

from __future__ import annotations

from pathlib import Path
from unicodedata import east_asian_width

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.services.workflow_lint import Coverage, check, coverage, diff
from app.services.workflow_registry import registry
from models import Post
from workflow.graph import to_svg

workflows_cli = AppGroup("workflows", help="审批流程（workflows.yaml）。")


@workflows_cli.command("check")
@click.option("--strict", is_flag=True,
              help="单位缺少岗位（送审时会被拒绝）也视为失败")
def check_command(strict: bool) -> None:
    """Lint every chain (exits 1 on a structural problem) and print each unit's coverage.

    A missing post is refused cleanly at submission (尚未配置…，无法送审): it is listed, and
    fails only with ``--strict``.
    """
    session = db.session()
    problems = check(session, registry())
    for problem in problems:
        click.echo(problem)
    table = coverage(session, registry())
    gaps = [row for row in table if not row.complete]
    click.echo("组织覆盖（单位 × 流程）：")
    click.echo(_table(table))
    if gaps:
        click.echo("缺少的岗位或单位（办理到该步骤时提示“…，无法送审”）：")
        for gap in dict.fromkeys(gap.message for row in gaps for gap in row.gaps):
            click.echo(f"  {gap}")
    if problems:
        raise click.ClickException(f"发现{len(problems)}个结构问题。")
    if gaps and strict:
        raise click.ClickException(f"{len(gaps)}个单位×流程缺少岗位（--strict）。")
    if gaps:
        click.echo(f"审批流程结构检查通过；{len(gaps)}个单位×流程缺少岗位，"
                   "加 --strict 时视为失败。")
    else:
        click.echo("审批流程检查通过：每个单位的每个流程都可以完成。")


def _width(text: str) -> int:
    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def _table(rows: list[Coverage]) -> str:
    """Units down, chains across, columns padded by display width (a CJK character is two)."""
    chains = list(dict.fromkeys(row.workflow for row in rows))
    cells: dict[str, dict[str, str]] = {}
    for row in rows:
        cells.setdefault(row.unit, {})[row.workflow] = row.summary()
    lines = [["单位", *chains]] + [[unit, *(by[c] for c in chains)] for unit, by in cells.items()]
    widths = [max(_width(line[i]) for line in lines) for i in range(len(lines[0]))]
    padded = ("  ".join(cell + " " * (w - _width(cell))
                        for cell, w in zip(line, widths, strict=True)) for line in lines)
    return "\n".join(line.rstrip() for line in padded)


@workflows_cli.command("diagram")
@click.argument("name")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="写入SVG文件（默认输出到屏幕）")
def diagram_command(name: str, output: Path | None) -> None:
    """Draw the chain NAME as an SVG flowchart."""
    loaded = registry().loaded()
    if name not in loaded.workflows:
        known = "、".join(loaded.workflows) or "无"
        raise click.ClickException(f"没有名为“{name}”的流程（现有：{known}）。")
    posts = {code: name for code, name in db.session.execute(select(Post.code, Post.name))}
    svg = to_svg(loaded.get(name), post_labels=posts)
    if output is None:
        click.echo(svg)
    else:
        output.write_text(svg, encoding="utf-8")
        click.echo(f"已写入 {output}")


@workflows_cli.command("diff")
def diff_command() -> None:
    """List in-flight records pinned to a definition that differs from workflows.yaml."""
    affected = diff(db.session(), registry())
    if not affected:
        click.echo("没有在办记录受影响：所有在办记录的流程版本与 workflows.yaml 一致。")
        return
    click.echo(f"{len(affected)}条在办记录仍按原版本流转（新版本只用于新提交）：")
    for row in affected:
        note = "" if row.step_still_exists else "（新版本已无此步骤）"
        click.echo(f"  {row.workflow} {row.record_type}#{row.record_id} {row.unit} "
                   f"状态={row.status} 当前步骤={row.step or '—'}{note}")
