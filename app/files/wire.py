"""Files on the docking wire. The spec's uploadFile (2.3, 2.6 fileList and contractInfo) has a `file`
attribute of type "file 对象" inside a JSON body; it travels as the file's bytes in standard Base64,
beside fileName, fileSize (the byte count) and fileCategory, so the receiving side can check all three.

`embed` turns a stored payload (where `file` is a StoredFile id) into that; `as_uploads` turns a received
one back into uploads that the declaration's StoredFileField stores and checks like a browser upload.
"""
from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable

from sqlmodel import Session
from werkzeug.datastructures import FileStorage

from app.files import storage
from app.files.models import StoredFile


def _is_upload_row(obj) -> bool:
    return isinstance(obj, dict) and "file" in obj and "fileType" in obj and "fileName" in obj


def _walk(obj, change: Callable[[dict], dict]):
    if _is_upload_row(obj):
        return change(obj)
    if isinstance(obj, dict):
        # A dict subclass keeps its class: app.archives.wire's "both" mode carries repeated keys in one.
        pairs = [(key, _walk(value, change)) for key, value in obj.items()]
        return dict(pairs) if type(obj) is dict else type(obj)(pairs)
    if isinstance(obj, list):
        return [_walk(item, change) for item in obj]
    return obj


def embed(payload, *, session: Session, root=None):
    """A copy of `payload` with every uploadFile's `file` id replaced by the file's Base64 content.
    A row whose file is gone keeps `file` null (the receiving side then refuses that record)."""

    def change(row: dict) -> dict:
        file_id = row.get("file")
        stored = session.get(StoredFile, file_id) if isinstance(file_id, int) else None
        content = None
        if stored is not None:
            content = base64.b64encode(storage.blob_path(stored.sha256, root).read_bytes()).decode("ascii")
        return {**row, "file": content}

    return _walk(payload, change)


class BadFileContent(ValueError):
    """A `file` that is not Base64."""


def as_uploads(payload):
    """A copy of a received payload with each `file` (Base64) as an upload named by its fileName; an
    empty `file` stays empty. Raises BadFileContent for content that is not Base64."""

    def change(row: dict) -> dict:
        content = row.get("file")
        if content in (None, ""):
            return {**row, "file": None}
        if not isinstance(content, str):
            raise BadFileContent(f"文件“{row.get('fileName') or ''}”的内容应为 Base64 文本")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadFileContent(f"文件“{row.get('fileName') or ''}”的内容不是有效的 Base64") from exc
        name = str(row.get("fileName") or "")
        return {**row, "file": FileStorage(stream=io.BytesIO(data), filename=name)}

    return _walk(payload, change)
