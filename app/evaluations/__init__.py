"""数字化水平评测: the 2024 national digital-level index as versioned rule data, self-assessment and on-site
assessment (现场评定), the scored report, and the distribution analysis for officials."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")


def init_app(app: Flask) -> None:
    from app.evaluations import views  # noqa: F401

    app.register_blueprint(bp)
