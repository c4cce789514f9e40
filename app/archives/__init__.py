"""一企一档 (spec 2.6): each enterprise's whole digital-transformation record, edited stage by stage."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("archives", __name__, url_prefix="/archives")


def init_app(app: Flask) -> None:
    from app.archives import views  # noqa: F401
    from app.archives.wire import check_mode

    check_mode(app.config["ARCHIVE_TRANS_RESULT"])  # a wrong setting stops the start, with its reason
    app.register_blueprint(bp)
