"""`flask scheduler`: the single scheduler process (see app/scheduler.py)."""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app.scheduler import JOBS, build_scheduler, make_lock, run_job


@click.command("scheduler")
@click.option("--once", is_flag=True, help="每个定时任务运行一次后退出。")
@click.option("--exit-if-locked", is_flag=True, help="已有调度进程时直接退出，不待命。")
@click.option("--standby-seconds", default=30, show_default=True,
              help="待命时每隔多少秒尝试接管。")
@with_appcontext
def scheduler_command(once: bool, exit_if_locked: bool, standby_seconds: int) -> None:
    """Run the reminder, SMS, outbox and digest jobs; only one such process works at a time."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Job results are logged at INFO; a scheduler process should show them.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    lock = make_lock(app)
    while not lock.acquire():
        click.echo("另一个调度进程正在运行，本进程" + ("退出。" if exit_if_locked else "待命。"),
                   err=False)
        if exit_if_locked:
            return
        time.sleep(standby_seconds)
    click.echo("已获得调度锁，调度进程开始运行。")
    try:
        if once:
            for job_id, *_ in JOBS:
                click.echo(f"{job_id}：{run_job(app, job_id)}")
            return
        scheduler = build_scheduler(app, lock)

        def stop(*_: Any) -> None:
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        scheduler.start()
        if getattr(scheduler, "lost_lock", False):
            raise click.ClickException("调度锁已丢失，调度进程已停止。")
    finally:
        lock.release()
