"""The national libraries' shared pages and saving; each library (providers, products, pilots, targets,
archives) declares its form, its table and a descriptor (registry.py), and all register from one list."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("libraries", __name__, url_prefix="/lib")


def init_app(app: Flask) -> None:
    from app.libraries import views  # noqa: F401
    from app.libraries.registry import load_all

    load_all()
    app.register_blueprint(bp)
