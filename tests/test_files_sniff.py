"""Content sniffing: the first bytes (and a zip's member names) must agree with the extension."""
from __future__ import annotations

import io
import struct

import pytest

from app.files.sniff import extension, mismatch, zip_directory_size, zip_members
from tests.samples import EXE, OLE2, PDF, docx_bytes, jpeg_bytes, png_bytes, xlsx_bytes, zip_bytes


def check(name: str, data: bytes) -> str | None:
    """What save_upload asks of sniff for a whole file held in memory."""
    ext = extension(name)
    members = zip_members(io.BytesIO(data)) if ext in {"docx", "xlsx"} else None
    return mismatch(ext, data[:65536], complete=len(data) <= 65536, members=members)


@pytest.mark.parametrize(("name", "data"), [
    ("说明.txt", "数字化转型服务说明\n第二行".encode()),
    ("说明-gbk.txt", "数字化转型服务说明，国标编码".encode("gb18030")),
    ("photo.jpg", jpeg_bytes()), ("photo.JPEG", jpeg_bytes()), ("cover.png", png_bytes()),
    ("report.pdf", PDF), ("old.doc", OLE2), ("old.xls", OLE2),
    ("contract.docx", docx_bytes()), ("sheet.xlsx", xlsx_bytes()),
])
def test_matching_content_is_accepted(name, data):
    assert check(name, data) is None


@pytest.mark.parametrize(("name", "data", "message"), [
    ("setup.pdf", EXE, "文件内容与扩展名不符：内容不是 PDF 文件"),
    ("cover.jpg", png_bytes(), "文件内容与扩展名不符：内容不是 JPEG 图片"),
    ("cover.png", jpeg_bytes(), "文件内容与扩展名不符：内容不是 PNG 图片"),
    ("plain.docx", zip_bytes("readme.txt", "data/a.bin"), "文件内容与扩展名不符：内容不是 Word 文档（docx）"),
    ("sheet.docx", xlsx_bytes(), "文件内容与扩展名不符：内容不是 Word 文档（docx）"),
    ("doc.xlsx", docx_bytes(), "文件内容与扩展名不符：内容不是 Excel 表格（xlsx）"),
    ("new.doc", docx_bytes(), "文件内容与扩展名不符：内容不是 Word 文档（doc）"),
    ("junk.txt", bytes(range(256)) * 4, "文件内容与扩展名不符：内容不是文本文件"),
    ("junk2.txt", b"\xff\xfe\x80\x81\xff" * 100, "文件内容与扩展名不符：内容不是文本文件"),
    ("setup.txt", EXE, "文件内容与扩展名不符：内容不是文本文件"),
    ("truncated.docx", docx_bytes()[:40], "文件内容与扩展名不符：内容不是 Word 文档（docx）"),
])
def test_other_content_is_refused(name, data, message):
    assert check(name, data) == message


def test_a_character_cut_at_the_end_of_the_sniffed_bytes_is_still_text():
    head = ("中" * 40000).encode("gb18030")[:65535]  # two bytes a character: the last one is cut in half
    assert mismatch("txt", head, complete=False) is None
    assert mismatch("txt", head, complete=True) is not None  # as a whole file, a half character is junk


def test_a_zip_with_a_huge_table_of_contents_is_not_opened():
    data = docx_bytes()
    assert zip_directory_size(data) < 1024
    # Claim a 2 GB central directory in the end record: refused before zipfile allocates anything.
    end = data.rfind(b"PK\x05\x06")
    forged = data[:end + 12] + struct.pack("<I", 2**31) + data[end + 16:]
    assert zip_members(io.BytesIO(forged)) is None


@pytest.mark.parametrize(("name", "ext"), [("a.PDF", "pdf"), ("a.tar.gz", "gz"), ("noext", ""),
                                           (".pdf", ""), ("a.", "")])
def test_extension(name, ext):
    assert extension(name) == ext
