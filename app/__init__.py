"""Application factory. Nothing happens at import time."""
from __future__ import annotations

from flask import Flask

from app import config as config_module


def create_app(test_config: dict | None = None) -> Flask:
    instance = config_module.instance_path()
    app = Flask(__name__, instance_path=str(instance))
    from app.site.ids import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added: every <int:…> is range-checked
    app.config.update(config_module.load_settings(instance, test_config))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="smedt_session",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        JSON_AS_ASCII=False,
    )

    from app import db, extensions, models  # noqa: F401  (models: every table on one metadata)

    db.init_app(app)
    extensions.init_app(app)

    from app import (
        accounts,
        archives,
        audit,
        demo,
        dicts,
        docking,
        evaluations,
        files,
        hub,
        libraries,
        oauth_client,
        oauth_server,
        review,
        site,
    )

    for area in (site, accounts, audit, dicts, files, libraries, archives, review, oauth_client, oauth_server, docking,
                 hub, evaluations):
        area.init_app(app)
    app.cli.add_command(demo.demo_command)
    return app
