"""Paging of list queries, shared by every list page."""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from math import ceil

from sqlalchemy.sql import Select
from sqlmodel import Session, func, select


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(stmt: Select, *, session: Session, page: int, per_page: int, total: int | None = None,
             count_key: tuple[str, Hashable] | None = None) -> Page:
    """Run `stmt` for one page; `page` is clamped into range so a stale link still shows something.

    `total`, when the caller already knows it (the review queue's counters), saves the COUNT. A first
    page that is not full already holds every match, so its total needs no COUNT either: looking up
    one enterprise by name or credit code then reads the records once, not twice.

    `count_key` (generation name, key of the scope and filters) keeps the COUNT in memory until the
    table changes (app/listcache.py): paging through a city's records counts them once.
    """
    first = list(session.exec(stmt.limit(per_page))) if page <= 1 and total is None else None
    if first is not None and len(first) < per_page:
        return Page(first, len(first), 1, per_page)
    if total is None:
        def count() -> int:
            return session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()

        if count_key is None:
            total = count()
        else:
            from app.listcache import cached_total

            total = cached_total(count_key[0], count_key[1], session=session)(count)
    page = min(max(1, page), max(1, ceil(total / per_page)))
    items = first if first is not None else list(session.exec(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)
