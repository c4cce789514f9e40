"""Intake of a push: each object is validated with its library's declaration (the same as the browser
form, as for a submission: every Y field filled), its working copy is created or updated by its natural
key, and it becomes a pending submission in the review queue (source 下级平台推送, submitted by the
platform, notifications to the bound account). Approval then goes through the ordinary review flow.

Validation comes first, record by record: an invalid record fails alone. Files arrive as Base64 and are
stored as they are validated (app.files.fields stores an upload in its own short transaction, like a
browser upload; an unreferenced file is harmless). Then the whole batch is written in one write
transaction: one query finds the records that already exist for all natural keys of the batch, every
record and submission is added, and the call-log row and the audit event commit with them.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import tuple_
from sqlmodel import Session, select
from werkzeug.datastructures import FileStorage
from wtforms import FieldList, FormField

from app.accounts.models import User
from app.accounts.scope import region_covers
from app.audit.service import record as audit
from app.db import write
from app.docking import protocol
from app.files.fields import Owner, uploads_for
from app.files.wire import BadFileContent, as_uploads
from app.hub.models import DockedPlatform, HubCall
from app.libraries.registry import Library
from app.libraries.service import columns_of, natural_key_of, write_working_copy
from app.review import service as review
from app.review.models import HUB

log = logging.getLogger(__name__)
OUTSIDE_REGION = "不属于本平台所属地区"
KEY_CHUNK = 400  # natural keys per lookup query, well inside SQLite's bound-parameter limit


@dataclass
class Checked:
    """One pushed object after validation: what it will write, or why it failed."""

    index: int
    key: str
    name: str
    reason: str = ""
    wire: dict | None = None
    region: str = ""
    credit: str | None = None
    columns: dict = field(default_factory=dict)
    natural: tuple = ()
    result: str = "fail"


@dataclass
class Outcome:
    added: int
    updated: int
    failed_names: list[str]
    results: list[dict]

    @property
    def failed(self) -> int:
        return len(self.failed_names)


# ------------------------------------------------------------------------------------------- checking

def first_error(form) -> str:
    """The first field error of a validated form, named by the field's label (nested rows included)."""
    for fld in form:
        if not fld.errors:
            continue
        if isinstance(fld, FieldList):
            own = [e for e in fld.errors if isinstance(e, str)]
            if own:
                return _labelled(fld, own[0])
            for n, entry in enumerate(fld.entries, start=1):
                inner = first_error(entry.form) if isinstance(entry, FormField) else (
                    entry.errors[0] if entry.errors else "")
                if inner:
                    return f"{fld.label.text}第 {n} 项：{inner}"
        elif isinstance(fld, FormField):
            inner = first_error(fld.form)
            if inner:
                return f"{fld.label.text}：{inner}"
        else:
            errors = fld.errors if isinstance(fld.errors, list) else [fld.errors]
            return _labelled(fld, str(errors[0]))
    return "内容不符合规范"


def _labelled(fld, message: str) -> str:
    label = fld.label.text
    return message if label in message else f"{label}：{message}"


def _place(region: str | None, platform_region: str) -> str | None:
    """The record's region: what the record itself says, made as specific as the platform's region
    (a county platform's provider carries only its cityCode on the wire), and never outside it."""
    if not region:
        return platform_region
    if region_covers(platform_region, region):
        return region
    if region_covers(region, platform_region):
        return platform_region
    return None


def _stray_file(obj) -> bool:
    """A `file` left that is neither Base64 content (now an upload) nor empty: a stored-file number or
    other value a lower platform must not use to point at files kept here."""
    if isinstance(obj, dict):
        if "file" in obj and obj["file"] is not None and not isinstance(obj["file"], FileStorage):
            return True
        return any(_stray_file(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_stray_file(v) for v in obj)
    return False


def check(session: Session, lib: Library, platform: DockedPlatform, index: int, obj) -> Checked:
    """Validate one pushed object as a submission of `lib` from `platform`."""
    if not isinstance(obj, dict):
        return Checked(index, "", "", reason="记录应为 JSON 对象")
    out = Checked(index, protocol.natural_key(lib.key, obj)[:255], protocol.entity_name(lib.key, obj)[:255])
    try:
        try:
            payload = as_uploads(obj)
        except BadFileContent as exc:
            out.reason = str(exc)
            return out
        if _stray_file(payload):
            out.reason = "文件内容（file）应为 Base64 文本"
            return out
        form = lib.form.from_wire(payload)
        found = lib.owner_of(obj, session) if lib.owner_of else None
        region_field = getattr(form, "region", None)
        own = region_field.data if region_field is not None else None
        region = _place(found[0] if found else own, platform.region_code)
        if region is None and found and not lib.credit_attr:
            # A product whose provider is registered in another region is still this platform's record:
            # only a record that names its owner (credit_attr) must stay with the owner's region.
            region = _place(own, platform.region_code)
        if region is None:
            out.reason = OUTSIDE_REGION
            return out
        credit = (str(obj.get(lib.credit_attr) or "").strip() or None) if lib.credit_attr else (
            found[1] if found else None)
        with uploads_for(Owner(region, credit, None)):
            valid = form.validate_for(submit=True)
        if not valid:
            out.reason = first_error(form)
            return out
        wire = form.to_wire()
        if lib.credit_attr:
            credit = wire.get(lib.credit_attr) or None
        columns = columns_of(lib, wire)
        out.natural = tuple(natural_key_of(lib, columns, region=region, credit=credit).values())
        out.wire, out.region, out.credit, out.columns, out.result = wire, region, credit, columns, "ok"
    except Exception:  # a trust boundary: a record nothing anticipated fails alone, never the batch
        log.exception("下级平台推送的第 %s 条%s记录无法校验", index, lib.noun)
        out.reason, out.result = "记录内容无法处理，请核对是否符合接口规范", "fail"
    return out


# -------------------------------------------------------------------------------------------- writing

def _existing(session: Session, lib: Library, keys: list[tuple]) -> dict[tuple, object]:
    """The records that already exist for these natural keys, in a few queries for the whole batch."""
    model, names = lib.model, lib.natural_key
    found: dict[tuple, object] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), KEY_CHUNK):
        chunk = unique[start:start + KEY_CHUNK]
        if len(names) == 1:
            clause = getattr(model, names[0]).in_([k[0] for k in chunk])
        else:
            clause = tuple_(*(getattr(model, n) for n in names)).in_(chunk)
        for row in session.exec(select(model).where(clause)):
            found[tuple(getattr(row, n) for n in names)] = row
    return found


def receive(session: Session, lib: Library, platform: DockedPlatform, items: list, *, call: HubCall,
            started: float | None = None) -> Outcome:
    """Validate and write one push; `call` (its log row, filled in here) commits with the records."""
    checked = [check(session, lib, platform, i, obj) for i, obj in enumerate(items)]
    added = updated = 0
    with write(session):
        bound = session.get(User, platform.bound_user_id)
        existing = _existing(session, lib, [c.natural for c in checked if c.result == "ok"])
        for c in checked:
            if c.result != "ok":
                continue
            rec = existing.get(c.natural)
            region = c.region
            if rec is not None and not region_covers(platform.region_code, rec.region_code):
                if not region_covers(rec.region_code, platform.region_code):
                    c.result, c.reason = "fail", f"该{lib.noun}已由其他地区登记，{OUTSIDE_REGION}"
                    continue
                region = rec.region_code  # a record of the platform's city stays with the city
            if rec is None:
                rec = lib.model(region_code=region)
                session.add(rec)
                existing[c.natural] = rec
                c.result = "add"
                added += 1
            else:
                c.result = "update"
                updated += 1
            write_working_copy(session, rec, c.wire, region=region, credit=c.credit, columns=c.columns)
            session.flush()
            review.submit(session, lib, rec, user=bound, submitter_name=platform.name, source=HUB)
        failed = [c for c in checked if c.result == "fail"]
        outcome = Outcome(added, updated, [c.name for c in failed],
                          [{"index": c.index, "key": c.key, "entName": c.name, "result": c.result,
                            "reason": c.reason} for c in checked])
        call.records, call.added, call.updated, call.failed = len(items), added, updated, len(failed)
        if started is not None:
            call.duration_ms = int((time.perf_counter() - started) * 1000)
        session.add(call)
        audit(session, "hub.receive", actor=bound, actor_name=f"平台:{platform.name}"[:64],
              target_type="hub_platform", target_id=platform.id, region_code=platform.region_code,
              detail={"library": lib.key, "records": len(items), "added": added, "updated": updated,
                      "failed": len(failed)})
    return outcome
