"""数字化水平评测: the 2024 national digital-level index as versioned rule data, self-assessment and on-site
assessment (现场评定), the scored report, and the distribution analysis for officials."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")


def init_app(app: Flask) -> None:
    from app.evaluations import views  # noqa: F401

    app.add_template_global(_evaluation_sources, "evaluation_sources")
    app.register_blueprint(bp)


def _evaluation_sources(credit_code: str) -> dict:
    """For the archive's page: the approved on-site evaluations its digital levels came from."""
    from app.db import get_session
    from app.evaluations.archive_link import sources_of

    return sources_of(credit_code, session=get_session())
