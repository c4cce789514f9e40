"""试点企业库 records. The natural key is the enterprise's credit code."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint

from app.libraries.records import RecordBase, list_indexes


class PilotEnterprise(RecordBase, table=True):
    __tablename__ = "pilot_enterprise"
    __table_args__ = (UniqueConstraint("credit_code"), *list_indexes("pilot_enterprise"))
