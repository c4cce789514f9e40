"""服务商库 records. The natural key is the unified social credit code."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint

from app.libraries.records import RecordBase, list_indexes


class Provider(RecordBase, table=True):
    __tablename__ = "provider"
    __table_args__ = (UniqueConstraint("credit_code"), *list_indexes("provider"))
