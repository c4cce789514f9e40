"""Command-line set-up of docked platforms, for scripted installations: whoever runs these has the server
console (like `users create`), so one person may register and approve; both are audited as 命令行."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.accounts.models import get_user_by_username
from app.db import get_session
from app.hub import service
from app.hub.models import DockedPlatform
from app.refusal import Refused

hub_cli = AppGroup("hub", help="接收下级平台推送：登记、批准下级平台，开启或关闭对接。")


def _platform(platform_id: int) -> DockedPlatform:
    platform = get_session().get(DockedPlatform, platform_id)
    if platform is None:
        raise click.ClickException(f"平台 {platform_id} 不存在。")
    return platform


@hub_cli.command("register", help="登记下级平台（待审批），打印其编号。")
@click.option("--name", required=True, help="平台名称")
@click.option("--domain", required=True, help="平台域名（即 Authorization 中的平台信息）")
@click.option("--bound-user", required=True, help="绑定的市级管理员或区县主管部门账号的登录名")
@click.option("--ip", default="", help="允许的来源 IP，多个用空格分隔；默认不限")
@click.option("--window", default=None, help="推送时段 HH:MM-HH:MM（北京时间），默认 HUB_WINDOW；00:00-24:00 为全天")
@click.option("--weekly-quota", type=int, default=None, help="每周推送次数，默认 HUB_WEEKLY_QUOTA")
@click.option("--max-bytes", type=int, default=None, help="单次请求字节上限，默认 HUB_MAX_REQUEST_BYTES")
def register(name: str, domain: str, bound_user: str, ip: str, window: str | None, weekly_quota: int | None,
             max_bytes: int | None) -> None:
    session = get_session()
    user = get_user_by_username(bound_user, session=session)
    try:
        platform = service.register(session, actor=None, name=name, domain=domain, bound_user=user, ip=ip,
                                    push_window=window, weekly_quota=weekly_quota, max_bytes=max_bytes)
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已登记平台 {platform.id}（{platform.name}，地区 {platform.region_code}），等待批准。")


@hub_cli.command("approve", help="批准下级平台，把配置文件（含密钥，只此一次）写到 --out。")
@click.argument("platform_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="配置文件的保存路径")
@click.option("--base-url", default="",
              help="下级平台访问本平台的地址，如 https://szzx.xinxiang.gov.cn；默认 PUBLIC_URL")
def approve(platform_id: int, out: Path, base_url: str) -> None:
    if base_url:
        current_app.config["PUBLIC_URL"] = base_url
    try:
        creds = service.approve(get_session(), _platform(platform_id), actor=None)
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
    # Created owner-only before a byte is written: the file holds the secret and the SM4 key.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(creds.config_text)
    click.echo(f"已批准平台 {platform_id}，登录名 {creds.platform.username}；配置文件已写入 {out}（请妥善保管）。")


@hub_cli.command("docking", help="开启（on）或关闭（off）对接。")
@click.argument("state", type=click.Choice(["on", "off"]))
def docking(state: str) -> None:
    service.set_docking(get_session(), enabled=state == "on", actor=None)
    click.echo("已开启对接。" if state == "on" else "已关闭对接。")
