"""The audit log: who did what, when, from where, with what outcome."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("audit", __name__, url_prefix="/audit")


def init_app(app: Flask) -> None:
    from app.audit import views  # noqa: F401

    app.register_blueprint(bp)
