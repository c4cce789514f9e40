"""save_upload: content-addressed storage, refusals that leave nothing behind, streaming of large files."""
from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest
from sqlmodel import select
from werkzeug.datastructures import FileStorage

from app.files import storage
from app.files.models import StoredFile
from app.files.service import FileRejected, human_size, save_upload, wire_size
from tests.samples import EXE, PDF, docx_bytes, png_bytes

MB = 1024 * 1024
ENT = "914403001922038216"


def upload(db, name, data, *, file_type=4, stream=None):
    fs = FileStorage(stream=stream or io.BytesIO(data), filename=name)
    return save_upload(fs, file_type=file_type, owner_region="410783", owner_credit=ENT, user_id=7, session=db)


def files_on_disk(app) -> list[Path]:
    root = Path(app.instance_path) / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_file_is_stored_under_its_hash_not_its_name(app, db):
    stored = upload(db, "产品介绍.docx", docx_bytes())
    sha = stored.sha256
    assert files_on_disk(app) == [Path(app.instance_path) / "files" / sha[:2] / sha[2:4] / sha]
    assert files_on_disk(app)[0].read_bytes() == docx_bytes()
    row = db.get(StoredFile, stored.id)
    assert (row.original_name, row.category, row.size, row.file_type) == ("产品介绍.docx", "docx",
                                                                          len(docx_bytes()), 4)
    assert (row.owner_region, row.owner_credit, row.uploaded_by) == ("410783", ENT, 7)
    assert row.uploaded_at.tzinfo is not None


def test_the_same_bytes_twice_share_one_blob_but_make_two_rows(app, db):
    first, second = upload(db, "a.pdf", PDF), upload(db, "b.pdf", PDF, file_type=5)
    assert first.id != second.id and first.sha256 == second.sha256
    assert len(files_on_disk(app)) == 1
    assert len(db.exec(select(StoredFile)).all()) == 2


@pytest.mark.parametrize(("name", "data", "file_type", "message"), [
    ("cover.png", png_bytes() + bytes(MB + 1 - len(png_bytes())), 3, "服务商产品封面文件不能超过 1 MB"),
    ("setup.pdf", EXE, 4, "文件内容与扩展名不符：内容不是 PDF 文件"),
    ("empty.pdf", b"", 4, "文件内容为空"),
    ("x" * 97 + ".pdf", PDF, 4, "文件名不能超过 100 个字符"),
    ("setup.exe", EXE, 4, "不支持的文件类别，只能上传 txt、jpg、jpeg、png、pdf、doc、docx、xls、xlsx"),
    ("noext", PDF, 4, "不支持的文件类别，只能上传 txt、jpg、jpeg、png、pdf、doc、docx、xls、xlsx"),
    ("", PDF, 4, "文件名不能为空"),
    ("report\u202efdp.exe", PDF, 4, "文件名不能包含控制字符"),  # shows as "reportexe.pdf"
    ("a.pdf", PDF, 9, "文件类型无效"),
])
def test_a_refused_upload_leaves_nothing_behind(app, db, name, data, file_type, message):
    with pytest.raises(FileRejected) as refused:
        upload(db, name, data, file_type=file_type)
    assert refused.value.message == message
    assert files_on_disk(app) == []  # no blob and no temporary leftovers
    assert db.exec(select(StoredFile)).all() == []


def test_a_cover_of_exactly_one_megabyte_is_accepted(db):
    assert upload(db, "cover.png", png_bytes() + bytes(MB - len(png_bytes())), file_type=3).size == MB


def test_a_name_of_exactly_100_characters_is_accepted(db):
    assert upload(db, "名" * 96 + ".pdf", PDF).original_name == "名" * 96 + ".pdf"


@pytest.mark.parametrize(("sent", "kept"), [("../../etc/passwd.txt", "passwd.txt"),
                                            ("C:\\Users\\张三\\报告.txt", "报告.txt")])
def test_a_path_in_the_name_is_reduced_to_its_last_part(app, db, sent, kept):
    stored = upload(db, sent, b"root:x:0:0\n")
    assert stored.original_name == kept
    assert [p.parent.parent.parent for p in files_on_disk(app)] == [Path(app.instance_path) / "files"]
    assert not (Path(app.instance_path).parent / "etc").exists()


class GeneratorStream(io.RawIOBase):
    """A readable stream over a generator of chunks, so a test can send 60 MB that never exist at once."""

    def __init__(self, chunks):
        self._chunks, self._pending, self.consumed = chunks, b"", 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n], self._pending = self._pending[:n], self._pending[n:]
        self.consumed += n
        return n


def pdf_of(size):
    yield PDF
    left = size - len(PDF)
    while left:
        yield bytes(min(left, 1024 * 1024))
        left -= min(left, 1024 * 1024)


def test_a_60_mb_upload_is_streamed_not_held_in_memory(app, db):
    tracemalloc.start()
    try:
        stored = upload(db, "介绍.pdf", None, file_type=4, stream=GeneratorStream(pdf_of(60 * MB)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stored.size == 60 * MB
    assert peak < 10 * MB
    assert files_on_disk(app)[0].stat().st_size == 60 * MB


def test_a_60_mb_upload_over_a_50_mb_limit_stops_early(app, db):
    stream = GeneratorStream(pdf_of(60 * MB))
    with pytest.raises(FileRejected, match="质量测试类型文件不能超过 50 MB"):
        upload(db, "测试.pdf", None, file_type=1, stream=stream)
    assert stream.consumed <= 50 * MB + storage.CHUNK  # the last 10 MB were never read
    assert files_on_disk(app) == []


@pytest.mark.parametrize(("n", "text"), [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"),
                                         (int(1.2 * MB), "1.2 MB"), (100 * MB, "100.0 MB"),
                                         (3 * 1024 * MB, "3.0 GB")])
def test_human_size(n, text):
    assert human_size(n) == text


def test_the_wire_size_is_the_byte_count(db):
    assert wire_size(upload(db, "a.pdf", PDF)) == str(len(PDF))
