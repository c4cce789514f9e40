"""Docking to the upper platform: the national spec's push client (token, SM4 Authorization, push window
and weekly quota, outbox and worker, per-record results). The wire protocol itself, shared with the
receiving side (app.hub), is in protocol.py, authheader.py and sm4.py."""
from __future__ import annotations

import click
from flask import Blueprint, Flask

bp = Blueprint("docking", __name__, url_prefix="/docking")


def init_app(app: Flask) -> None:
    from app.docking import cli, settings, views, worker  # noqa: F401  (views registers routes)

    settings.check_startup(app.config)
    app.register_blueprint(bp)
    app.cli.add_command(cli.docking_cli)
    # The served platform runs the worker; a CLI command (migrations, `docking push` itself) does not.
    if worker.wanted(app) and click.get_current_context(silent=True) is None:
        worker.start(app)
