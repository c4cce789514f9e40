"""One row per uploaded file; the library records reference StoredFile.id."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import utcnow


class StoredFile(SQLModel, table=True):
    __tablename__ = "stored_file"

    id: int | None = Field(default=None, primary_key=True)
    # Not unique: the same bytes may belong to several records; they share one blob on disk.
    sha256: str = Field(max_length=64, index=True)
    size: int  # bytes
    category: str = Field(max_length=8)  # the spec's fileCategory: txt, jpg, jpeg, png, pdf, doc, docx, xls, xlsx
    original_name: str = Field(max_length=100)  # metadata only, never part of a path
    file_type: int  # the spec's 文件类型表, 1–6
    uploaded_by: int | None = None  # user id; no FK, the row outlives accounts
    uploaded_at: datetime = Field(default_factory=utcnow)
    owner_region: str = Field(max_length=12, index=True)  # region of the owning record, for scope checks
    owner_credit: str | None = Field(default=None, max_length=18, index=True)
