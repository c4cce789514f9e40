"""Home page."""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from app.accounts import setup
from app.db import get_session
from app.dicts import service as dicts_service
from app.site import bp


@bp.get("/")
def index():
    """Sends a visitor to the first-run page, the login page or their workbench."""
    if setup.needs_setup(get_session()):
        return redirect(url_for("accounts.setup"))
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for("site.home"))


@bp.get("/home")
@login_required
def home():
    """The user's workbench: who they are, the region they act for, and where to go next."""
    region = dicts_service.region_label(current_user.region_code, session=get_session())
    return render_template("site/home.html", region_label=region)
