"""服务商库 records. The natural key is the unified social credit code."""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import select

from app.libraries.records import RecordBase, list_indexes


class Provider(RecordBase, table=True):
    __tablename__ = "provider"
    __table_args__ = (UniqueConstraint("credit_code"), *list_indexes("provider"))



def provider_names_in(names, *, session) -> set[str]:
    """Which of `names` the provider library holds (2.6: 需与服务商库名称一致), in one query."""
    names = list(names)
    if not names:
        return set()
    return set(session.exec(select(Provider.title).where(Provider.title.in_(names))))


def provider_names_like(q: str, *, session, limit: int = 20) -> list[str]:
    """Provider names containing `q`, those starting with it first, for a picker."""
    title = Provider.title
    stmt = select(title).where(title.is_not(None))
    if q:
        stmt = stmt.where(title.contains(q, autoescape=True))
    return list(session.exec(stmt.order_by(title.startswith(q, autoescape=True).desc(), title).limit(limit)))
