"""The columns every library record shares, and the generic queries over them.

A record keeps the spec JSON it would push (`payload`, produced by its form's to_wire()), plus the few
columns lists, scope and natural keys need, derived from that payload when it is saved. The spec table
itself is declared once, as the library's form; it is not repeated here column by column.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel, select

from app.db import utcnow

DRAFT, SUBMITTED = "draft", "submitted"
STATUS_LABELS = {DRAFT: "草稿", SUBMITTED: "待审核"}


class RecordBase(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=DRAFT, max_length=16, index=True)
    region_code: str = Field(max_length=12, index=True)  # the most specific region known: scope
    credit_code: str | None = Field(default=None, max_length=18, index=True)  # the owning organisation
    # What lists show and search first; None while a draft lacks it (so unique natural keys ignore it).
    title: str | None = Field(default=None, max_length=255, index=True)
    industry: str | None = Field(default=None, max_length=100, index=True)
    payload: str = Field(default="{}", sa_type=Text)
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    submitted_at: datetime | None = None

    @property
    def wire(self) -> dict:
        return json.loads(self.payload)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


SORTS = {"-updated": ("updated_at", True), "title": ("title", False), "region": ("region_code", False)}


def records_query(model, *, visible, q: str = "", region_prefix: str = "", industry: str = "", status: str = "",
                  sort: str = "-updated", search_columns=()):
    """A library's list: `visible` is the caller's scope clause; the rest are the list's filters."""
    stmt = select(model).where(visible)
    if q:
        like = f"%{q}%"
        clause = model.title.ilike(like) | model.credit_code.ilike(like)
        for name in search_columns:
            clause = clause | getattr(model, name).ilike(like)
        stmt = stmt.where(clause)
    if region_prefix:
        stmt = stmt.where(model.region_code.startswith(region_prefix, autoescape=True))
    if industry:
        stmt = stmt.where(model.industry == industry)
    if status:
        stmt = stmt.where(model.status == status)
    column, descending = SORTS.get(sort, SORTS["-updated"])
    order = getattr(model, column)
    return stmt.order_by(order.desc() if descending else order, model.id.desc())


def find_by_key(model, *, session, exclude_id: int | None = None, **key) -> object | None:
    """The record with this natural key (other than `exclude_id`), if any."""
    stmt = select(model).where(*(getattr(model, k) == v for k, v in key.items()))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return session.exec(stmt).first()
