"""The national libraries' shared pages and saving; each library (providers, products, pilots, targets)
declares its form, its table and a descriptor, and registers here."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("libraries", __name__, url_prefix="/lib")


def init_app(app: Flask) -> None:
    from app.libraries import views  # noqa: F401
    from app.pilots import library as _pilots  # noqa: F401  (each registers its descriptor)
    from app.products import library as _products  # noqa: F401
    from app.providers import library as _providers  # noqa: F401
    from app.targets import library as _targets  # noqa: F401

    app.register_blueprint(bp)
