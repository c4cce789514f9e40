"""产品和解决方案库 records. The natural key is enterprise name + product name."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from app.libraries.records import RecordBase


class Product(RecordBase, table=True):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("company_name", "title"),)

    company_name: str | None = Field(default=None, max_length=255, index=True)
