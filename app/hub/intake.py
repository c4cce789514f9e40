"""Intake of a push: each object is validated with its library's declaration (the same as the browser
form, as for a submission: every Y field filled) and then goes in through the one way in for a record
(app.libraries.service.ingest, source 下级平台推送, submitted by the platform's bound account), which
places it in the platform's region, updates the record with its natural key or adds one, and makes it a
pending submission in the review queue. Approval then goes through the ordinary review flow.

Validation comes first, record by record: an invalid record fails alone. Files arrive as Base64 and are
stored as they are validated (app.files.fields stores an upload in its own short transaction, like a
browser upload; an unreferenced file is harmless). Then the whole batch is written in one write
transaction, with the call-log row and the audit event.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session
from werkzeug.datastructures import FileStorage
from wtforms import Field, FieldList, FormField
from wtforms.form import BaseForm

from app.accounts.models import User
from app.audit.service import record as audit
from app.db import write
from app.dicts.fields import RegionField
from app.dicts.service import get_region
from app.files.fields import Owner, uploads_for
from app.files.wire import BadFileContent, as_uploads
from app.hub.models import DockedPlatform, HubCall
from app.libraries.registry import Library
from app.libraries.service import Placement, claimed_region, ingest, place, placed
from app.refusal import Refused
from app.review.models import HUB
from app.spec import conform

log = logging.getLogger(__name__)


@dataclass
class Checked:
    """One pushed object after validation: what it will write, or why it failed."""

    index: int
    key: str
    name: str
    reason: str = ""
    warnings: list[str] = field(default_factory=list)  # attributes the table does not have (ignored)
    wire: dict | None = None
    placement: Placement | None = None
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

def first_error(form: BaseForm) -> str:
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


def _labelled(fld: Field, message: str) -> str:
    label = fld.label.text
    return message if label in message else f"{label}：{message}"


def _stray_file(obj: object) -> bool:
    """A `file` left that is neither Base64 content (now an upload) nor empty: a stored-file number or
    other value a lower platform must not use to point at files kept here."""
    if isinstance(obj, dict):
        if "file" in obj and obj["file"] is not None and not isinstance(obj["file"], FileStorage):
            return True
        return any(_stray_file(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_stray_file(v) for v in obj)
    return False


def _unknown_region(session: Session, form: Any, obj: dict) -> str | None:
    """A region code the record sends that is no GB/T 2260 code (nor the spec table's extra one)."""
    for fld in form:
        if not isinstance(fld, RegionField):
            continue
        for name in fld.part_names:
            value = str(obj.get(name) or "").strip()
            if value and get_region(value, session=session) is None:
                return f"{name}“{value[:20]}”不是 GB/T 2260 行政区划代码"
    return None


def check(session: Session, lib: Library, platform: DockedPlatform, index: int, obj: object, *, bound: User) -> Checked:
    """Validate one pushed object as a submission of `lib` from `platform`."""
    if not isinstance(obj, dict):
        return Checked(index, "", "", reason="记录应为 JSON 对象")
    out = Checked(index, lib.key_of(obj)[:255], lib.name_of(obj)[:255])
    try:
        problems = conform.check(conform.library_shape(lib.form), obj)
        out.warnings = [f"{p.message}，已忽略" for p in problems if p.unknown]
        wrong = [p.message for p in problems if not p.unknown]
        if wrong:  # as strict as the spec: an INT sent as text ('serviceType': '2') is refused
            out.reason = "；".join(wrong[:5])
            return out
        try:
            payload = as_uploads(obj)
        except BadFileContent as exc:
            out.reason = str(exc)
            return out
        if _stray_file(payload):
            out.reason = "文件内容（file）应为 Base64 文本"
            return out
        form = lib.form.from_wire(payload)
        unknown_region = _unknown_region(session, form, obj)
        if unknown_region:
            out.reason = unknown_region
            return out
        if lib.owner_of and lib.orphan_refused and lib.owner_of(obj, session) is None:
            out.reason = lib.orphan_refused.format(name=str(obj.get(lib.orphan_attr or "") or "")[:60])
            return out
        claimed = claimed_region(form)
        try:  # where it belongs decides who owns the files it carries, so it comes before validating them
            where = place(session, lib, obj, actor=bound, claimed_region=claimed, platform=platform)
        except Refused as refused:
            out.reason = str(refused)
            return out
        with uploads_for(Owner(where.region, where.credit, None)):
            valid = form.validate_for(submit=True)
        if not valid:
            out.reason = first_error(form)
            return out
        wire = form.to_wire()
        out.wire, out.result = wire, "ok"
        out.placement = placed(lib, wire, region=where.region, credit=where.credit)
    except Exception:  # a trust boundary: a record nothing anticipated fails alone, never the batch
        log.exception("下级平台推送的第 %s 条%s记录无法校验", index, lib.noun)
        out.reason, out.result = "记录内容无法处理，请核对是否符合接口规范", "fail"
    return out


# -------------------------------------------------------------------------------------------- writing

def _entry(c: Checked) -> dict:
    """The record's resultList entry; `warning` names what was ignored (attributes outside the table)."""
    entry = {"index": c.index, "key": c.key, "entName": c.name, "result": c.result, "reason": c.reason}
    if c.warnings:
        entry["warning"] = "；".join(c.warnings[:10])
    return entry


def receive(session: Session, lib: Library, platform: DockedPlatform, items: list, *, call: HubCall,
            started: float | None = None) -> Outcome:
    """Validate and write one push; `call` (its log row, filled in here) commits with the records."""
    bound = session.get(User, platform.bound_user_id)
    assert bound is not None  # a foreign key, and accounts are never deleted
    checked = [check(session, lib, platform, i, obj, bound=bound) for i, obj in enumerate(items)]
    added = updated = 0
    with write(session):
        for c in checked:
            if c.result != "ok":
                continue
            assert c.wire is not None  # checked "ok"
            try:
                with session.begin_nested():  # a refused record leaves nothing of itself behind
                    _, created = ingest(session, lib, c.wire, actor=bound, submit=True, source=HUB,
                                        platform=platform, placement=c.placement)
            except Refused as refused:
                c.result, c.reason = "fail", str(refused)
                continue
            c.result = "add" if created else "update"
            added, updated = added + created, updated + (not created)
        failed = [c for c in checked if c.result == "fail"]
        outcome = Outcome(added, updated, [c.name for c in failed],
                          [_entry(c) for c in checked])
        call.records, call.added, call.updated, call.failed = len(items), added, updated, len(failed)
        if started is not None:
            call.duration_ms = int((time.perf_counter() - started) * 1000)
        session.add(call)
        audit(session, "hub.receive", actor=bound, actor_name=f"平台:{platform.name}"[:64],
              target_type="hub_platform", target_id=platform.id, region_code=platform.region_code,
              detail={"library": lib.key, "records": len(items), "added": added, "updated": updated,
                      "failed": len(failed)})
    return outcome
