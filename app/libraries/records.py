"""The columns every library record shares, and the generic queries over them.

A record keeps the spec JSON it would push (`payload`, produced by its form's to_wire()), plus the few
columns lists, scope and natural keys need, derived from that payload when it is saved. The spec table
itself is declared once, as the library's form; it is not repeated here column by column.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Index, Text, text
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts.scope import PREFIX_INDEXED, PREFIX_LEVELS, prefix_expression, within_prefix
from app.db import utcnow

# The working copy's review state. `submitted` means a submission of it awaits review (app/review);
# the other three are the last decision on it. Only an approval writes the formal version below.
DRAFT, SUBMITTED, RETURNED, REJECTED, APPROVED = "draft", "submitted", "returned", "rejected", "approved"
STATUS_LABELS = {DRAFT: "草稿", SUBMITTED: "待审核", RETURNED: "已退回修改", REJECTED: "已驳回", APPROVED: "已入库"}


class RecordBase(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=DRAFT, max_length=16)  # indexed in list_indexes(), with the list order
    region_code: str = Field(max_length=12, index=True)  # the most specific region known: scope
    credit_code: str | None = Field(default=None, max_length=18, index=True)  # the owning organisation
    # What lists show and search first; None while a draft lacks it (so unique natural keys ignore it).
    title: str | None = Field(default=None, max_length=255, index=True)
    industry: str | None = Field(default=None, max_length=100)  # indexed in list_indexes()
    payload: str = Field(default="{}", sa_type=Text)
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)  # indexed in list_indexes()
    submitted_at: datetime | None = None
    # The formal library: the payload as last approved (app/review), None until a first approval. The
    # owner edits `payload` freely; only this version is pushed upward and shown by 查看报文.
    formal_payload: str | None = Field(default=None, sa_type=Text)
    formal_at: datetime | None = None

    @property
    def wire(self) -> dict:
        """The working copy (what its owner last saved)."""
        return json.loads(self.payload)

    @property
    def formal(self) -> dict | None:
        """The formal record's payload (what was approved), or None while nothing has been approved."""
        return json.loads(self.formal_payload) if self.formal_payload is not None else None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def list_indexes(table: str, *search_columns: str) -> tuple[Index, ...]:
    """The indexes behind a library's list (records_query), for the model's `__table_args__`.

    A list counts its matches and shows one page newest first (updated_at desc, id desc). Each index
    starts with what a query seeks on, then follows that order (so a page stops after its rows), then
    carries the columns the WHERE clause reads (the region and the keyword search's columns): counting
    and skipping non-matching rows then read the narrow index, never the wide rows with their payload.
    The region scope seeks its level's index, substr(region_code, 1, 2|4|6), which is in the list's order
    (app/accounts/scope.py within_prefix). `search_columns` are the library's own searched columns.
    """
    PREFIX_INDEXED.add(table)
    covered = ("region_code", "title", "credit_code", *search_columns)
    return (
        Index(f"ix_{table}_recent", "updated_at", "id", "region_code", "title", "credit_code", *search_columns),
        # The region scope seeks these: one per level of GB/T 2260 (province, city, county), each in the
        # list's order, so a page of 新乡市's records reads its 20 index entries, not the region's
        # (app/accounts/scope.py within_prefix).
        *(Index(f"ix_{table}_{level}_recent", text(prefix_expression(n)), "updated_at", "id", *covered)
          for level, n in PREFIX_LEVELS),
        Index(f"ix_{table}_status_recent", "status", "updated_at", "id", "region_code"),
        Index(f"ix_{table}_industry_recent", "industry", "updated_at", "id", "region_code"),
    )


R = TypeVar("R", bound=RecordBase)

SORTS = {"-updated": ("updated_at", True), "title": ("title", False), "region": ("region_code", False)}


def records_query(model: type[R], *, visible: ColumnElement[bool], q: str = "", region_prefix: str = "",
                  industry: str = "", status: str = "", sort: str = "-updated",
                  search_columns: Iterable[str] = ()) -> SelectOfScalar[R]:
    """A library's list: `visible` is the caller's scope clause; the rest are the list's filters."""
    stmt = select(model).where(visible)
    if q:
        like = f"%{q}%"
        clause = col(model.title).ilike(like) | col(model.credit_code).ilike(like)
        for name in search_columns:
            clause = clause | getattr(model, name).ilike(like)
        stmt = stmt.where(clause)
    if region_prefix:
        stmt = stmt.where(within_prefix(model.region_code, region_prefix))
    if industry:
        stmt = stmt.where(model.industry == industry)
    if status:
        stmt = stmt.where(model.status == status)
    column, descending = SORTS.get(sort, SORTS["-updated"])
    order = getattr(model, column)
    return stmt.order_by(order.desc() if descending else order, col(model.id).desc())


def find_by_key(model: type[R], *, session: Session, exclude_id: int | None = None, **key: object) -> R | None:
    """The record with this natural key (other than `exclude_id`), if any."""
    stmt = select(model).where(*(getattr(model, k) == v for k, v in key.items()))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return session.exec(stmt).first()
