"""Accounts: users, roles, region scope, local login with server-side sessions, first run."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("accounts", __name__)


def init_app(app: Flask) -> None:
    from app.accounts import cli, sessions, views  # noqa: F401  (register routes, loader, commands)

    app.register_blueprint(bp)
    app.cli.add_command(cli.users)
    app.cli.add_command(cli.setup_code)
