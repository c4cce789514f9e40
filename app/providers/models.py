"""服务商库 records. The natural key is the unified social credit code."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import select

from app.libraries.records import RecordBase, list_indexes


class Provider(RecordBase, table=True):
    __tablename__ = "provider"
    __table_args__ = (UniqueConstraint("credit_code"), *list_indexes("provider"))



def provider_exists(name: str, *, session) -> bool:
    """Whether the provider library holds a provider of this name (2.6: 需与服务商库名称一致)."""
    return session.exec(select(Provider.id).where(Provider.title == name)).first() is not None


def provider_names_like(q: str, *, session, limit: int = 20) -> list[str]:
    """Provider names containing `q`, those starting with it first, for a picker."""
    title = Provider.title
    stmt = select(title).where(title.is_not(None))
    if q:
        stmt = stmt.where(title.contains(q, autoescape=True))
    return list(session.exec(stmt.order_by(title.startswith(q, autoescape=True).desc(), title).limit(limit)))
