"""Rendering helpers for the htmx conventions of DESIGN.md."""
from __future__ import annotations

from flask import make_response, render_template, request


def wants_fragment() -> bool:
    """True for an htmx request that should get a partial (not a history restore, not a boosted page)."""
    hx = request.htmx
    return bool(hx) and not hx.history_restore_request and not hx.boosted


def render(full: str, fragment: str, **context):
    """The partial alone for htmx requests, the whole page otherwise; always `Vary: HX-Request`."""
    response = make_response(render_template(fragment if wants_fragment() else full, **context))
    response.vary.add("HX-Request")
    return response
