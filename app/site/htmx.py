"""Rendering helpers for the htmx conventions (docs/ARCHITECTURE.md, "Conventions")."""
from __future__ import annotations

from collections.abc import Callable

from flask import flash, make_response, redirect, render_template, request
from flask.typing import ResponseReturnValue


def wants_fragment() -> bool:
    """True for an htmx request that should get a partial (not a history restore, not a boosted page)."""
    hx = request.htmx
    return bool(hx) and not hx.history_restore_request and not hx.boosted


def render(full: str, fragment: str, **context):
    """The partial alone for htmx requests, the whole page otherwise; always `Vary: HX-Request`."""
    response = make_response(render_template(fragment if wants_fragment() else full, **context))
    response.vary.add("HX-Request")
    return response


def answer(message: str, category: str, *, fragment: Callable[[], ResponseReturnValue],
           redirect_to: str) -> ResponseReturnValue:
    """The answer to an action: an htmx request gets `fragment()` (which shows the message itself); a
    plain form post flashes the message and redirects (post → redirect → get)."""
    if wants_fragment():
        return fragment()
    flash(message, category)
    return redirect(redirect_to)
