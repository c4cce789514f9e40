"""Command-line account management for scripted set-ups."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.accounts import roles, service, setup
from app.accounts.passwords import generate_password
from app.db import get_session
from app.dicts.service import get_region
from app.dicts.validators import is_valid_credit_code
from app.refusal import Refused

users = AppGroup("users", help="管理用户账号。")


@users.command("create", help="创建用户；不给 --password 时生成一次性密码并打印，首次登录须修改。")
@click.option("--username", required=True, help="登录名")
@click.option("--role", required=True, type=click.Choice(roles.ALL), help="角色")
@click.option("--region", "region_code", required=True, help="所属区域代码（省、市或区县）")
@click.option("--name", "display_name", default="", help="姓名或单位名称")
@click.option("--credit-code", default=None, help="统一社会信用代码（企业用户、服务商用户必填）")
@click.option("--phone", default="", help="联系电话")
@click.option("--password", default=None, help="初始密码（须符合密码策略）；不建议在命令行明文传递")
def create(username, role, region_code, display_name, credit_code, phone, password):
    session = get_session()
    region = get_region(region_code, session=session)
    if region is None or region.is_placeholder:
        raise click.ClickException(f"区域代码 {region_code} 不存在。")
    if credit_code and not is_valid_credit_code(credit_code.upper()):
        raise click.ClickException("统一社会信用代码格式或校验位不正确。")
    generated = password is None
    password = password or generate_password()
    try:
        user = service.create_user(
            session, actor=None, username=username, role=role, region_code=region_code,
            display_name=display_name, credit_code=credit_code.upper() if credit_code else None,
            phone=phone, password=password, must_change_password=True,
        )
    except Refused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已创建用户 {user.username}（{roles.LABELS[role]}，区域 {region_code}）。")
    if generated:
        click.echo(f"一次性密码：{password}（首次登录后须修改）")


@click.command("setup-code", help="重新生成首次运行页面所需的初始化口令（仅在尚无系统管理员时有效）。")
@with_appcontext
def setup_code():
    if not setup.needs_setup(get_session()):
        raise click.ClickException("系统管理员已存在，无需初始化。")
    code = setup.issue_code(Path(current_app.instance_path))
    click.echo(f"初始化口令：{code}")
