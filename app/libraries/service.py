"""The one way in for a library record (docs/ARCHITECTURE.md, "The one way in").

Whatever brings a record — the browser form, an archive stage, a lower platform's push, an Excel row —
hands its validated spec JSON to `ingest()`. `place()` decides where the record belongs and who owns it
(the same rules for every source), `ingest()` finds the record it updates, writes the working copy and
its files, and hands it to the review flow as its source asks, with the audit event, in one write
transaction.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from app.accounts import roles
from app.accounts.scope import region_covers
from app.audit.service import record as audit
from app.db import utcnow, write
from app.files.service import adopt
from app.libraries.records import DRAFT, RecordBase, find_by_key
from app.libraries.registry import Library
from app.refusal import Refused
from app.review import service as review
from app.review.models import FORM, HUB
from app.spec.form import SpecForm

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.hub.models import DockedPlatform

# (region, credit code) of the record a record belongs to (a product's provider), as Library.owner_of finds it.
Found = tuple[str, str | None] | None

OUTSIDE_PLATFORM = "不属于本平台所属地区"


@dataclass(frozen=True)
class Placement:
    """Where a record belongs (its region: the scope), who owns it, and the columns it is listed and keyed by."""

    region: str
    credit: str | None
    columns: dict
    key: dict  # the natural key: lib.natural_key's columns → values

    @property
    def complete_key(self) -> bool:
        return all(v is not None for v in self.key.values())


def columns_of(lib: Library, wire: dict) -> dict:
    """The record columns a spec JSON decides besides its payload: what lists show, filter and key on."""
    return {"title": wire.get(lib.title_attr) or None, "industry": lib.industry_of(wire) or None,
            **lib.extra_columns(wire)}


def _within(region: str | None, anchor: str) -> str | None:
    """`region` made as specific as `anchor` and never outside it: nothing said → the anchor; a region
    inside the anchor stays; one above it (a city where the account is a county) becomes the anchor."""
    if not region:
        return anchor
    if region_covers(anchor, region):
        return region
    if region_covers(region, anchor):
        return anchor
    return None


def _region(lib: Library, claimed: str | None, found: Found, *, anchor: str, record: RecordBase | None) -> str | None:
    """The record's region from what it says (`claimed`), the record it belongs to (`found`: a product's
    provider, an archive's pilot enterprise) and what it was, inside `anchor` (the account's or the
    pushing platform's region)."""
    said = found[0] if found else (claimed or (record.region_code if record is not None else None))
    region = _within(said, anchor)
    if region is None and found and not lib.credit_attr:
        # A product whose provider is registered elsewhere is still this account's record: only a record
        # that names its owner (credit_attr) must stay with the owner's region.
        region = _within(claimed, anchor)
    return region


def _credit(lib: Library, wire: dict, found: Found, *, actor: User, record: RecordBase | None,
            bound: bool) -> str | None:
    """The owning organisation's credit code; an organisation only ever files its own."""
    if lib.credit_attr:
        credit = str(wire.get(lib.credit_attr) or "").strip() or None
        if bound and credit != actor.credit_code:
            raise Refused(f"只能填报本单位（统一社会信用代码 {actor.credit_code}）的信息。", lib.credit_attr)
        return credit
    if bound:
        return actor.credit_code
    if found:
        return found[1]
    return record.credit_code if record is not None else None


def place(session: Session, lib: Library, wire: dict, *, actor: User, claimed_region: str | None = None,
          record: RecordBase | None = None, platform: DockedPlatform | None = None) -> Placement:
    """Where a record belongs. An account's records take their region from the account (an enterprise of
    长垣市 files in 长垣市 even when its form names only 新乡市); a pushing platform's from the platform's
    region. A region outside it is refused beside the 区域 field."""
    found = lib.owner_of(wire, session) if lib.owner_of else None
    bound = platform is None and actor is not None and actor.role in roles.BOUND_ROLES
    anchor = platform.region_code if platform is not None else actor.region_code
    region = _region(lib, claimed_region, found, anchor=anchor, record=record)
    if region is None:
        raise Refused(OUTSIDE_PLATFORM if platform is not None else
                      "所选地区不在本单位所在地区内。" if bound else "所选区域不在您的管辖范围内。", "region")
    return placed(lib, wire, region=region, credit=_credit(lib, wire, found, actor=actor, record=record, bound=bound))


def placed(lib: Library, wire: dict, *, region: str, credit: str | None) -> Placement:
    """The placement of `wire` once its region and owner are known."""
    columns = columns_of(lib, wire)
    key = {name: columns[name] if name in columns else (credit if name == "credit_code" else region)
           for name in lib.natural_key}
    return Placement(region, credit, columns, key)


def _file_ids(wire: dict) -> list[int]:
    """The stored files a spec JSON refers to (the `file` of every uploadFile row)."""
    return [row["file"] for value in wire.values() if isinstance(value, list)
            for row in value if isinstance(row, dict) and isinstance(row.get("file"), int)]


def _target(session: Session, lib: Library, where: Placement, *, record: RecordBase | None, source: str,
            anchor: str) -> tuple[RecordBase, str]:
    """(the record to write, its region): `record` itself, or for a push or an import the record with the
    same natural key (a form refuses a duplicate instead), or a new one."""
    if record is not None:
        session.refresh(record)  # what this write changes, read inside its transaction (db.write's `fresh`)
        if where.complete_key and find_by_key(lib.model, session=session, exclude_id=record.id, **where.key):
            raise Refused(f"同一{lib.noun}已存在，不能重复登记。", lib.key_fields[0])
        return record, where.region
    existing = find_by_key(lib.model, session=session, **where.key) if where.complete_key else None
    if existing is None:
        record = lib.model(region_code=where.region)
        session.add(record)
        return record, where.region
    if source == FORM:
        raise Refused(f"同一{lib.noun}已存在，不能重复登记。", lib.key_fields[0])
    if region_covers(anchor, existing.region_code):
        return existing, where.region
    if region_covers(existing.region_code, anchor):
        return existing, existing.region_code  # a record of the city stays with the city
    raise Refused(f"该{lib.noun}已由其他地区登记，{OUTSIDE_PLATFORM}", "region")


def ingest(session: Session, lib: Library, wire: dict, *, actor: User, submit: bool | None, source: str = FORM,
           claimed_region: str | None = None, record: RecordBase | None = None,
           platform: DockedPlatform | None = None, placement: Placement | None = None,
           detail: dict | None = None) -> tuple[RecordBase, bool]:
    """Create or update a record from its validated spec JSON; returns (record, created).

    `submit`: True sends it for review (an official's own entry from a form is applied at once), False
    keeps it a draft (taking back an open submission), None keeps its status (an official's evaluation of a
    submitted archive). A push always becomes a pending submission of the platform's bound account.
    `placement` is `place()`'s answer when the caller needed it earlier (a push validates files first).
    Joins the caller's write transaction when there is one (a pushed batch commits as one).
    """
    where = placement or place(session, lib, wire, actor=actor, claimed_region=claimed_region, record=record,
                               platform=platform)
    anchor = platform.region_code if platform is not None else actor.region_code
    with write(session):
        record, region = _target(session, lib, where, record=record, source=source, anchor=anchor)
        created = record.id is None
        if created:
            record.created_by = getattr(actor, "id", None) if platform is None else None
        record.region_code, record.credit_code = region, where.credit
        for name, value in where.columns.items():
            setattr(record, name, value)
        record.payload = json.dumps(wire, ensure_ascii=False)
        record.updated_at = utcnow()
        adopt(_file_ids(wire), region=region, credit=where.credit, session=session)
        session.flush()
        _hand_to_review(session, lib, record, actor=actor, submit=submit, source=source, platform=platform)
        verb = "submit" if submit else "create" if created else "update"
        audit(session, f"{lib.key}.{verb}", actor=actor, target_type=lib.key, target_id=record.id, region_code=region,
              actor_name=f"平台:{platform.name}"[:64] if platform is not None else None,
              detail={"title": record.title, "credit_code": where.credit, "source": source, **(detail or {})})
    return record, created


def _hand_to_review(session: Session, lib: Library, record: RecordBase, *, actor: User, submit: bool | None,
                    source: str, platform: DockedPlatform | None) -> None:
    # Only a review decision writes the formal record (app/review): an organisation's submission waits
    # in the queue, an official's own entry is applied at once and still recorded as a submission.
    # Saving a draft over a submitted record takes it back: what was submitted is no longer there.
    if platform is not None:
        review.submit(session, lib, record, user=actor, submitter_name=platform.name, source=HUB)
    elif submit and actor.role in roles.OFFICIALS:
        review.apply_direct(session, lib, record, user=actor, source=source)
    elif submit:
        review.submit(session, lib, record, user=actor, source=source)
    elif submit is False:
        review.withdraw(session, lib, record, user=actor)
        record.status = DRAFT
    else:
        review.refresh_open(session, lib, record, user=actor)


def owner_for_new(lib: Library, user: User) -> tuple[str, str | None]:
    """(region, credit) an upload made while creating a record belongs to, before the form is saved."""
    return user.region_code, user.credit_code if user.role == lib.owner_role else None


def save(lib: Library, form: SpecForm, *, user: User, session: Session, submit: bool | None,
         record: RecordBase | None = None, detail: dict | None = None) -> RecordBase:
    """A browser form's way in (a library page or an archive stage): its region field, if any, is what the
    record claims. Returns the record."""
    saved, _ = ingest(session, lib, form.to_wire(), actor=user, submit=submit, record=record,
                      claimed_region=claimed_region(form), detail=detail)
    return saved


def claimed_region(form: SpecForm) -> str | None:
    """The region a form's 区域 picker names, if the library's form has one (the wire names no county)."""
    region = getattr(form, "region", None)
    return (region.data or None) if region is not None else None
