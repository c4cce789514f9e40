"""Sign-in through the provincial unified identity platform (统一身份认证), beside the local login."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("oauth_client", __name__, url_prefix="/oauth/idp")


def init_app(app: Flask) -> None:
    from flask_login import user_logged_in

    from app.oauth_client import views

    app.register_blueprint(bp)
    app.add_template_global(views.idp_offer)
    user_logged_in.connect(views.forget_provider_session, app)
