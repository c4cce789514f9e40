"""产品和解决方案库 records. The natural key is enterprise name + product name."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, select

from app.libraries.records import RecordBase, list_indexes


class Product(RecordBase, table=True):
    __tablename__ = "product"
    # company_name is also searched (the library's search_columns): its list index carries it.
    __table_args__ = (UniqueConstraint("company_name", "title"), *list_indexes("product", "company_name"))

    company_name: str | None = Field(default=None, max_length=255, index=True)


def product_names_of(providers, *, session) -> dict[str, list[str]]:
    """The product names of each named provider (2.6: 需与产品库名称一致), by provider, in name order."""
    out: dict[str, list[str]] = {}
    if not providers:
        return out
    stmt = (select(Product.company_name, Product.title)
            .where(Product.company_name.in_(list(providers)), Product.title.is_not(None))
            .order_by(Product.company_name, Product.title))
    for company, title in session.exec(stmt):
        out.setdefault(company, []).append(title)
    return out
