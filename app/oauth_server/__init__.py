"""The platform as an OAuth2 authorization server: third-party platforms sign their users in through it."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("oauth_server", __name__)  # no prefix: the metadata lives under /.well-known


def init_app(app: Flask) -> None:
    from app.oauth_server import service, views  # noqa: F401  (views registers routes)

    service.init_server(app)
    app.register_blueprint(bp)
