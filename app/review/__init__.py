"""The review queue: submissions from enterprises, providers, imports and lower platforms wait here until an
official of their region decides; only an approval writes a library's formal record."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("review", __name__, url_prefix="/review")


def init_app(app: Flask) -> None:
    from app.accounts.sessions import add_user_extra
    from app.review import views  # noqa: F401
    from app.review.kinds import load_all as load_kinds
    from app.review.models import unread_subquery
    from app.review.service import parse_levels

    # After the libraries registered, with every area's review kinds: a wrong REVIEW_LEVELS stops the start.
    load_kinds()
    app.extensions["smedt_review_levels"] = parse_levels(app.config["REVIEW_LEVELS"])
    app.context_processor(views.template_context)
    # The top bar's unread count comes with the login session's own query (app/accounts/sessions.py).
    add_user_extra("unread_notifications", unread_subquery)
    app.add_template_global(views.record_review, "record_review")
    app.register_blueprint(bp)
