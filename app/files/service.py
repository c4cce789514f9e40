"""Saving an upload as a StoredFile, loading one within the user's scope, and size formatting."""
from __future__ import annotations

import unicodedata

from sqlmodel import Session, select
from werkzeug.datastructures import FileStorage

from app.accounts.scope import current_scope
from app.db import get_session, write
from app.dicts.spec_dicts import MB, entries
from app.files import sniff, storage
from app.files.models import StoredFile
from app.site.ids import parse_ids

MAX_NAME_CHARS = 100  # the spec: 文件名长度不能超过 100 字
MIMETYPES = {
    "txt": "text/plain; charset=utf-8", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
    "pdf": "application/pdf", "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class FileRejected(ValueError):
    """An upload refused for a reason the user can act on; `message` is shown to them."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def file_type_limit(file_type: int) -> tuple[str, int]:
    """The label and byte limit of a code of the spec's 文件类型表."""
    for entry in entries()["file_type"]:
        if entry.code == str(file_type):
            return entry.label, entry.max_bytes
    raise FileRejected("文件类型无效")


def clean_name(raw: str | None) -> str:
    """The name to keep: the last path component only (browsers on Windows may send a full path).

    The name is metadata for Content-Disposition and the wire; it never becomes a path on disk.
    """
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise FileRejected("文件名不能为空")
    if len(name) > MAX_NAME_CHARS:
        raise FileRejected(f"文件名不能超过 {MAX_NAME_CHARS} 个字符")
    # Cf includes the right-to-left override, which can disguise "exe.pdf" as "fdp.exe".
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in name):
        raise FileRejected("文件名不能包含控制字符")
    return name


def save_upload(file_storage: FileStorage, *, file_type: int, owner_region: str, owner_credit: str | None,
                user_id: int | None, session: Session) -> StoredFile:
    """Check and store one upload; raise FileRejected, leaving nothing on disk or in the database,
    when the name, category, content or size is not acceptable."""
    label, limit = file_type_limit(file_type)
    name = clean_name(file_storage.filename)
    ext = sniff.extension(name)
    if ext not in sniff.CATEGORIES:
        raise FileRejected("不支持的文件类别，只能上传 " + "、".join(sniff.CATEGORIES))
    try:
        with storage.spool(file_storage.stream, limit=limit) as spooled:
            if spooled.size == 0:
                raise FileRejected("文件内容为空")
            members = sniff.zip_members(spooled.path) if ext in sniff.ZIP_FOLDERS else None
            reason = sniff.mismatch(ext, spooled.head, complete=spooled.size == len(spooled.head),
                                    members=members)
            if reason:
                raise FileRejected(reason)
            row = StoredFile(sha256=spooled.sha256, size=spooled.size, category=ext, original_name=name,
                             file_type=file_type, uploaded_by=user_id, owner_region=owner_region,
                             owner_credit=owner_credit)
            with write(session):
                session.add(row)
                session.flush()
                # Placed inside the transaction: a failed move rolls the row back, so no row ever points
                # at a missing blob. (A failed commit after the move leaves an unreferenced blob, harmless.)
                storage.place(spooled)
    except storage.TooLarge:
        raise FileRejected(f"{label}不能超过 {limit // MB} MB") from None
    return row


def get_file_or_404(file_id: int) -> StoredFile:
    """The file, if the current user's scope covers its owning record; otherwise 404 (ids reveal nothing)."""
    return current_scope().load_or_404(get_session(), StoredFile, file_id, region_attr="owner_region",
                                       credit_attr="owner_credit")


def human_size(n: int) -> str:
    """A size for people: 512 B, 1.2 KB, 3.4 MB (binary units, as the spec's limits are)."""
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def wire_size(stored: StoredFile) -> str:
    """The spec's fileSize (VARCHAR, no unit given): the exact byte count as a decimal string, e.g.
    "1048576", which the receiving side can compare with the bytes it got."""
    return str(stored.size)


def adopt(file_ids, *, region: str, credit: str | None, session: Session) -> None:
    """The files a saved record refers to now belong to it: its scope decides who may download them.
    (Uploaded while the record was new, they belonged to the uploader's region until the save.)"""
    ids = parse_ids(file_ids)
    if not ids:
        return
    for stored in session.exec(select(StoredFile).where(StoredFile.id.in_(ids))):
        stored.owner_region, stored.owner_credit = region, credit
