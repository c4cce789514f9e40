"""Downloading a stored file."""
from __future__ import annotations

from flask import abort, current_app, send_file
from flask_login import login_required

from app.files import bp, storage
from app.files.models import StoredFile
from app.files.service import MIMETYPES, get_file_or_404


@bp.get("/<int:file_id>")
@login_required
def download(file_id: int):
    """The file as an attachment under its original name, if it belongs to a record the user may see."""
    return send_stored(get_file_or_404(file_id))


def send_stored(stored: StoredFile):
    """A stored file as an attachment under its original name (the caller has checked the user may see it)."""
    path = storage.blob_path(stored.sha256)
    if not path.is_file():
        current_app.logger.error("stored file %s: blob %s is missing", stored.id, stored.sha256)
        abort(404)
    response = send_file(path, mimetype=MIMETYPES[stored.category], as_attachment=True,
                         download_name=stored.original_name, conditional=True)
    response.cache_control.private = True  # scoped content: never kept by a shared proxy
    return response
