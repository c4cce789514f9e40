"""绩效管理 records. The natural key is industry + sub-industry + region."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint

from app.libraries.records import RecordBase, list_indexes


class Target(RecordBase, table=True):
    __tablename__ = "performance_target"
    __table_args__ = (UniqueConstraint("industry", "title", "region_code"), *list_indexes("performance_target"))
