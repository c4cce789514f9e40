"""What a file really is, judged from its first bytes, and whether that agrees with its extension.

Pure functions over bytes (plus `zip_members`, which needs the whole file because a zip's table of
contents sits at its end). An .exe renamed .pdf, a PNG renamed .jpg or a plain zip renamed .docx are
all refused.
"""
from __future__ import annotations

import codecs
import os
import zipfile
from collections.abc import Collection
from contextlib import ExitStack

CATEGORIES = ("txt", "jpg", "jpeg", "png", "pdf", "doc", "docx", "xls", "xlsx")  # the spec's fileCategory

_JPEG, _PNG, _PDF = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97-2003: doc and xls share the container
_ZIP = b"PK\x03\x04"
_MAGIC = {"jpg": _JPEG, "jpeg": _JPEG, "png": _PNG, "pdf": _PDF, "doc": _OLE2, "xls": _OLE2,
          "docx": _ZIP, "xlsx": _ZIP}
# Office Open XML: a zip whose parts live in a folder named after the application.
ZIP_FOLDERS = {"docx": "word/", "xlsx": "xl/"}
_NOUNS = {"txt": "文本文件", "jpg": "JPEG 图片", "jpeg": "JPEG 图片", "png": "PNG 图片", "pdf": "PDF 文件",
          "doc": "Word 文档（doc）", "xls": "Excel 表格（xls）", "docx": "Word 文档（docx）",
          "xlsx": "Excel 表格（xlsx）"}
# zipfile reads a zip's whole table of contents into memory, with an object per entry; a 100 MB upload
# could list over a million. A real docx/xlsx lists a few dozen parts in a few KiB, so anything beyond
# this is refused before zipfile sees it.
MAX_ZIP_DIRECTORY = 1024 * 1024


def extension(name: str) -> str:
    """The lower-case extension without the dot, '' when there is none."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def looks_like_text(head: bytes, *, complete: bool) -> bool:
    """No NUL bytes, and decodes as UTF-8 or GB18030.

    When `head` is only the start of the file (`complete=False`), a character cut at its end is fine.
    """
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        return True
    return False


def is_office_open_xml(ext: str, members: Collection[str]) -> bool:
    folder = ZIP_FOLDERS[ext]
    return "[Content_Types].xml" in members and any(name.startswith(folder) for name in members)


def mismatch(ext: str, head: bytes, *, complete: bool, members: Collection[str] | None = None) -> str | None:
    """Why the content is not a `.ext` file, or None when it is.

    `members` are the zip's member names (see zip_members), needed for docx and xlsx only.
    """
    if ext == "txt":
        ok = looks_like_text(head, complete=complete)
    else:
        ok = head.startswith(_MAGIC[ext])
        if ok and ext in ZIP_FOLDERS:
            ok = members is not None and is_office_open_xml(ext, members)
    if ok:
        return None
    noun = _NOUNS[ext]
    return f"文件内容与扩展名不符：内容不是{' ' if noun[0].isascii() else ''}{noun}"


def zip_members(file) -> list[str] | None:
    """The member names of a zip (a path or a seekable binary file), or None when it is not a readable
    zip with a table of contents of at most MAX_ZIP_DIRECTORY bytes."""
    try:
        with ExitStack() as stack:
            fh = stack.enter_context(open(file, "rb")) if isinstance(file, str | os.PathLike) else file
            end = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, end - 22 - 0xFFFF))  # the end record plus the longest possible comment
            size = zip_directory_size(fh.read())
            if size is None or size > MAX_ZIP_DIRECTORY:
                return None
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                return zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def zip_directory_size(tail: bytes) -> int | None:
    """The size of the table of contents, from the end record in a zip's last bytes (None: no end record,
    or a zip64 archive, whose true size lives elsewhere)."""
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) - i < 22 or tail[max(0, i - 20):i].startswith(b"PK\x06\x07"):
        return None
    return int.from_bytes(tail[i + 12:i + 16], "little")
