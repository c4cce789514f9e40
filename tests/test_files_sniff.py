"""Content sniffing: the first bytes (and a zip's member names) must agree with the extension."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from app.files.sniff import extension, mismatch, zip_directory_size, zip_members


def png_bytes() -> bytes:
    """A real 1×1 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
            + chunk(b"IEND", b""))


def jpeg_bytes() -> bytes:
    """SOI, a JFIF APP0 segment and EOI: the header every JPEG starts with."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + bytes(480)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(46) + b"PE\x00\x00"


def zip_bytes(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.writestr(name, "<?xml version='1.0'?><x/>")
    return buf.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes("[Content_Types].xml", "_rels/.rels", "word/document.xml")


def xlsx_bytes() -> bytes:
    return zip_bytes("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")


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
