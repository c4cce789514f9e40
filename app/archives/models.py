"""一企一档 records. The natural key is the enterprise's credit code, as for the pilot enterprise it
belongs to."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from app.libraries.records import RecordBase, list_indexes


class Archive(RecordBase, table=True):
    __tablename__ = "archive"
    __table_args__ = (UniqueConstraint("credit_code"), *list_indexes("archive"))

    progress: str = Field(default="", max_length=80)  # the keys of the completed stages, comma-separated
