"""Reference data: administrative regions, GB/T 4754 industries, the spec's section-3 dictionaries,
the staff pages that show them and the picker fields every form uses."""
from __future__ import annotations

import click
from flask import Blueprint, Flask
from flask.cli import AppGroup

bp = Blueprint("dicts", __name__, url_prefix="/dicts")
cli = AppGroup("dicts", help="参考字典：行政区划、国民经济行业分类、对接规范字典。")


@cli.command("load")
def load_command() -> None:
    """加载或更新参考数据（可重复执行，只写入有变化的行）。"""
    from app.db import get_session
    from app.dicts.loader import load_reference_data, summary

    click.echo(summary(load_reference_data(get_session())))


def init_app(app: Flask) -> None:
    from app.dicts import views  # noqa: F401  (registers the routes on bp)

    app.register_blueprint(bp)
    app.cli.add_command(cli)
