"""The receiving side of the national docking spec: this platform as the upper platform of county
platforms (docked-platform registration and approval, token, triple authentication, limits, intake into
the review queue, call log)."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("hub", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
