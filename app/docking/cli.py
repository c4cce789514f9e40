"""`flask --app app docking push` (one pass, for cron set-ups) and `flask --app app docking status`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.db import get_session
from app.docking import passes, status
from app.docking.settings import load_config

docking_cli = AppGroup("docking", help="推送到上级平台（国家平台对接）")


@docking_cli.command("push")
@click.option("--max-batches", type=int, default=None, help="最多调用上级平台的次数（默认不限，直到没有可推送的数据）")
def push_command(max_batches: int | None) -> None:
    """推送一轮：在推送时段和本周次数之内发送排队的数据。"""
    session = get_session()
    summary = passes.run_pass(session, load_config(session), max_batches=max_batches)
    click.echo(summary.text())


@docking_cli.command("status")
def status_command() -> None:
    """显示推送队列、推送时段、本周已用次数、暂停状态和最近的批次。"""
    session = get_session()
    for line in status.lines(status.current(session, load_config(session))):
        click.echo(line)
