"""Saving a library record from its validated form: scope, binding, natural key, audit — one place."""
from __future__ import annotations

import json

from sqlmodel import Session

from app.accounts import roles
from app.accounts.scope import Scope
from app.audit.service import record as audit
from app.db import utcnow, write
from app.files.service import adopt
from app.libraries.records import DRAFT, find_by_key
from app.libraries.registry import Library
from app.review import service as review


class RecordRefused(ValueError):
    """A save the rules refuse; `field` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def _owner(lib: Library, form, wire: dict, *, record, user, session: Session) -> tuple[str, str | None]:
    """The record's region (scope) and owning organisation's credit code."""
    region = getattr(form, "region", None)
    region_code = region.data if region is not None and region.data else (
        record.region_code if record is not None else user.region_code)
    found = lib.owner_of(wire, session) if lib.owner_of else None
    if lib.credit_attr:  # the record names its owner; a record it belongs to may say where (archives)
        return (found[0] if found else region_code), wire.get(lib.credit_attr) or None
    if user.role == lib.owner_role:
        return region_code, user.credit_code
    return found or (region_code, record.credit_code if record is not None else None)


def _file_ids(wire: dict) -> list[int]:
    """The stored files a spec JSON refers to (the `file` of every uploadFile row)."""
    return [row["file"] for value in wire.values() if isinstance(value, list)
            for row in value if isinstance(row, dict) and isinstance(row.get("file"), int)]


def columns_of(lib: Library, wire: dict) -> dict:
    """The record columns a spec JSON decides besides its payload: what lists show, filter and key on."""
    return {"title": wire.get(lib.title_attr) or None, "industry": lib.industry_of(wire) or None,
            **lib.extra_columns(wire)}


def natural_key_of(lib: Library, columns: dict, *, region: str, credit: str | None) -> dict:
    """The record's natural key (lib.natural_key's columns) from its columns, owner and region."""
    return {name: columns[name] if name in columns else (credit if name == "credit_code" else region)
            for name in lib.natural_key}


def write_working_copy(session: Session, record, wire: dict, *, region: str, credit: str | None,
                       columns: dict) -> None:
    """Set a record's working copy (payload, derived columns, owner) and give it the files it names."""
    record.region_code, record.credit_code = region, credit
    for name, value in columns.items():
        setattr(record, name, value)
    record.payload = json.dumps(wire, ensure_ascii=False)
    record.updated_at = utcnow()
    adopt(_file_ids(wire), region=region, credit=credit, session=session)


def owner_for_new(lib: Library, user) -> tuple[str, str | None]:
    """(region, credit) an upload made while creating a record belongs to, before the form is saved."""
    return user.region_code, user.credit_code if user.role == lib.owner_role else None


def save(lib: Library, form, *, user, session: Session, submit: bool | None, record=None, detail: dict | None = None):
    """Create or update a record from `form` (already validated for `submit`); returns the record.
    `submit` None keeps the record's status (an official's evaluation of a submitted archive).
    `submit` True sends it for review (app/review.service.submit), or applies it at once for an official."""
    wire = form.to_wire()
    scope = Scope(user.role, user.region_code, user.credit_code)
    region, credit = _owner(lib, form, wire, record=record, user=user, session=session)
    if user.role in roles.BOUND_ROLES:
        if lib.credit_attr and credit != user.credit_code:
            raise RecordRefused(f"只能填报本单位（统一社会信用代码 {user.credit_code}）的信息。", lib.credit_attr)
        credit = user.credit_code
    elif not scope.covers_region(region):
        raise RecordRefused("所选区域不在您的管辖范围内。", "region")
    columns = columns_of(lib, wire)
    key = natural_key_of(lib, columns, region=region, credit=credit)
    with write(session):
        if all(v is not None for v in key.values()) and find_by_key(
                lib.model, session=session, exclude_id=record.id if record else None, **key):
            raise RecordRefused(f"同一{lib.noun}已存在，不能重复登记。", lib.key_fields[0])
        created = record is None
        if created:
            record = lib.model(created_by=user.id, region_code=region)
            session.add(record)
        write_working_copy(session, record, wire, region=region, credit=credit, columns=columns)
        session.flush()
        # Only a review decision writes the formal record (app/review): an organisation's submission waits
        # in the queue, an official's own entry is applied at once and still recorded as a submission.
        # Saving a draft over a submitted record takes it back: what was submitted is no longer there.
        if submit and user.role in roles.OFFICIALS:
            review.apply_direct(session, lib, record, user=user)
        elif submit:
            review.submit(session, lib, record, user=user)
        elif submit is False:
            review.withdraw(session, lib, record, user=user)
            record.status = DRAFT
        else:
            review.refresh_open(session, lib, record, user=user)
        audit(session, f"{lib.key}.{'submit' if submit else 'create' if created else 'update'}", actor=user,
              target_type=lib.key, target_id=record.id, region_code=region,
              detail={"title": record.title, "credit_code": credit, **(detail or {})})
    return record
