"""产品和解决方案库 records. The natural key is enterprise name + product name."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from app.libraries.records import RecordBase, list_indexes


class Product(RecordBase, table=True):
    __tablename__ = "product"
    # company_name is also searched (the library's search_columns): its list index carries it.
    __table_args__ = (UniqueConstraint("company_name", "title"), *list_indexes("product", "company_name"))

    company_name: str | None = Field(default=None, max_length=255, index=True)
