"""Docking to the upper platform: the national spec's push client (token, SM4 Authorization, push window
and weekly quota, outbox and worker, per-record results). The wire protocol itself, shared with the
receiving side (app.hub), is in protocol.py, authheader.py and sm4.py."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("docking", __name__, url_prefix="/docking")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
