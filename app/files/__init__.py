"""Stored files of the national libraries (the spec's uploadFile): content-addressed blobs under the
instance folder, one row per upload, downloads limited to the owning record's scope."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("files", __name__, url_prefix="/files")


def init_app(app: Flask) -> None:
    from app.files import views  # noqa: F401  (registers the routes on bp)

    app.register_blueprint(bp)
