"""Static files under versioned URLs, cached by the browser for a year.

`url_for('static', filename='css/app.css')` gives /static/css/app.css?v=<first 12 hex digits of its
SHA-256>; a response to a URL carrying the current version may be kept a year without asking again
(`immutable`). A changed file gets a new URL, so a deployment never leaves a stale stylesheet behind.
"""
from __future__ import annotations

import hashlib
import os
import threading

from flask import Flask, Response, current_app, request

ONE_YEAR = 365 * 24 * 3600
_lock = threading.Lock()


def version_of(filename: str) -> str | None:
    """The content version of a static file (kept per app, recomputed when the file's mtime changes)."""
    folder = current_app.static_folder
    if not folder:
        return None
    path = os.path.join(folder, filename)
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    known: dict = current_app.extensions.setdefault("smedt_asset_versions", {})
    held = known.get(filename)
    if held is not None and held[0] == mtime:
        return held[1]
    with open(path, "rb") as fh:
        version = hashlib.sha256(fh.read()).hexdigest()[:12]
    with _lock:
        known[filename] = (mtime, version)
    return version


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = version_of(values["filename"])
        if version:
            values["v"] = version


def _cache_headers(response: Response) -> Response:
    if request.endpoint == "static" and response.status_code in (200, 304):
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args.get("v") == version_of(filename):
            response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"  # unversioned: ask again (a 304 when unchanged)
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_headers)
