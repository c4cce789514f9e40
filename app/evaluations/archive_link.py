"""An approved on-site 改造前/改造后 result written into the enterprise's 一企一档 (spec 2.6):
transInfo.degitalLevel / transResult.degitalLevel and their names, through the libraries' one way in
(app.libraries.service.ingest), so the archive's review state and audit stay as for any official's edit."""
from __future__ import annotations

from sqlmodel import Session, select

from app.archives.models import Archive
from app.db import utcnow
from app.dicts.spec_dicts import entries
from app.evaluations import rules as R
from app.evaluations.models import AFTER, APPROVED, BEFORE, ONSITE, Evaluation
from app.libraries.records import find_by_key
from app.libraries.registry import LIBRARIES

# The archive object and the name attribute of each stage (2.6 spells the name differently in each).
TARGETS = {BEFORE: ("transInfo", "degitalLevelName"), AFTER: ("transResultAfter", "digitalLevelName")}


def level_code(rules: R.Rules, level: int) -> str:
    return (rules.data.get("archive_level_codes") or {}).get("codes", {}).get(str(level), "")


def level_label(code: str) -> str:
    return next((e.label for e in entries()["digital_level"] if e.code == code), code)


def fill_archive(session: Session, ev: Evaluation, *, actor) -> int | None:
    """Write the level into the archive (created with the enterprise's name if it has none yet); the
    archive's id, or None for a yearly check. Runs inside the caller's write transaction."""
    from app.libraries.service import ingest

    if ev.stage not in TARGETS or ev.level is None:
        return None
    rules = R.rules_of(ev.rule_version, session=session)
    code = level_code(rules, ev.level)
    obj_key, name_key = TARGETS[ev.stage]
    record = find_by_key(Archive, session=session, credit_code=ev.credit_code)
    wire = record.wire if record is not None else {"companyName": ev.company_name, "creditCode": ev.credit_code}
    obj = dict(wire.get(obj_key) or {})
    obj["degitalLevel"], obj[name_key] = code, level_label(code)
    wire[obj_key] = obj
    saved, _ = ingest(session, LIBRARIES["archives"], wire, actor=actor, submit=None, record=record,
                      claimed_region=ev.region_code,
                      detail={"evaluation": ev.id, "from": f"{ev.stage_label}现场评定", "level": code})
    ev.archive_filled_at = utcnow()
    return saved.id


def sources_of(credit_code: str, *, session) -> dict[str, Evaluation]:
    """Which approved on-site evaluation last filled each stage's level of this enterprise's archive."""
    rows = session.exec(select(Evaluation).where(
        Evaluation.credit_code == credit_code, Evaluation.kind == ONSITE, Evaluation.status == APPROVED,
        Evaluation.archive_filled_at.is_not(None)).order_by(Evaluation.archive_filled_at))
    return {ev.stage: ev for ev in rows}
