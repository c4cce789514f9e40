"""The receiving side of the national docking spec: this platform as the upper platform of county
platforms (docked-platform registration and approval, token, triple authentication, limits, intake into
the review queue, call log)."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("hub", __name__)


def init_app(app: Flask) -> None:
    from app.hub import api, openapi, views  # noqa: F401  (routes)
    from app.hub.cli import hub_cli
    from app.hub.service import check_settings

    check_settings(app.config)
    app.register_blueprint(bp)
    app.cli.add_command(hub_cli)
