"""Flask CLI commands: setup, demo data and operator administration."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from app.cli_scheduler import scheduler_command
from app.cli_workflows import workflows_cli
from app.extensions import db
from app.services.errors import ServiceError
from app.transaction import run_each, unit_of_work

T = TypeVar("T")


def run_command(command: Callable[[Session], T]) -> T:
    """The CLI door: the command in one unit of work; a refusal ends the command in Chinese."""
    try:
        with unit_of_work() as session:
            return command(session)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc


def register_cli(app: Flask) -> None:
    """Attach the project's commands to ``flask``."""
    app.cli.add_command(setup_command)
    app.cli.add_command(demo_cli)
    app.cli.add_command(operators_cli)
    app.cli.add_command(workflows_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(sms_cli)
    app.cli.add_command(scheduler_command)


@click.command("setup")
def setup_command() -> None:
    """Create or update posts, functions, roles and permissions (idempotent)."""
    from app.setup import sync_security

    sync_security(current_app.appbuilder)
    click.echo("岗位、功能权限与角色已同步。")


demo_cli = AppGroup("demo", help="演示数据。")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo regions, units and accounts (refused in production mode)."""
    from app.demo import DEMO_PASSWORD, DemoAlreadyLoaded, load_demo

    if current_app.config["PRODUCTION"]:
        raise click.ClickException("生产模式下不能导入演示数据。")
    try:
        accounts = load_demo(db.session)
    except DemoAlreadyLoaded as exc:
        click.echo(str(exc))
        return
    click.echo(f"已导入演示数据，{len(accounts)}个账号，密码均为 {DEMO_PASSWORD}")


operators_cli = AppGroup("operators", help="操作人员管理。")


@operators_cli.command("create-admin")
@click.option("--username", default="admin", show_default=True, help="登录账号")
@click.option("--name", default="系统管理员", show_default=True, help="姓名")
@click.option("--phone", required=True, help="手机号码")
@click.password_option("--password", help="密码（至少8位，含字母、数字、符号中的两类）")
def create_admin(username: str, name: str, phone: str, password: str) -> None:
    """Create a system administrator; the password policy applies."""
    from app.permissions import SYS_ADMIN
    from app.services.operators import create_operator

    run_command(lambda session: create_operator(
        session, name=name, phone=phone, password=password, post_code=SYS_ADMIN, unit=None,
        username=username))
    click.echo(f"系统管理员 {username} 已创建。")


outbox_cli = AppGroup("outbox", help="发件箱。")


@outbox_cli.command("deliver")
def outbox_deliver() -> None:
    """Send the due outbox messages once (run it from cron or the scheduler)."""
    from app.services.outbox import deliver_pending

    delivered, failed = run_each(deliver_pending(db.session))
    click.echo(f"已送达{delivered}条，未送达{failed}条。")


sms_cli = AppGroup("sms", help="短信。")


@sms_cli.command("deliver")
def sms_deliver() -> None:
    """Send the due SMS once, and redact temporary passwords that expired unused."""
    from app.services.accounts import expire_temporary_passwords
    from app.services.sms import deliver_sms

    delivered, failed = run_each(deliver_sms(db.session))
    expired = run_command(expire_temporary_passwords)
    click.echo(f"短信已发送{delivered}条，失败{failed}条；过期临时密码{expired}个。")
