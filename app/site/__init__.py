"""Site-wide pieces: the base layout, home page, error pages, security headers, template helpers."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("site", __name__)


def init_app(app: Flask) -> None:
    from app.site import assets, errors, security, templating, views  # noqa: F401  (views registers routes)

    app.register_blueprint(bp)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    assets.init_app(app)
