"""``flask workflows``: check the chains, draw them, and see what a change would affect."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.services.workflow_lint import check, diff
from app.services.workflow_registry import registry
from models import Post
from workflow.graph import to_svg

workflows_cli = AppGroup("workflows", help="审批流程（workflows.yaml）。")


@workflows_cli.command("check")
def check_command() -> None:
    """Lint every chain against the database; exits 1 when there are problems."""
    problems = check(db.session(), registry())
    for problem in problems:
        click.echo(problem)
    if problems:
        raise click.ClickException(f"发现{len(problems)}个问题。")
    click.echo("审批流程检查通过。")


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
