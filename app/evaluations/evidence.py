"""支撑材料 of an on-site assessment: one file per upload, attached to a question, checked like every upload
(app.files: name, real content against the extension) and against the index's own evidence rules."""
from __future__ import annotations

import os

from sqlmodel import Session

from app.audit.service import record as audit
from app.db import write
from app.evaluations import rules as R
from app.evaluations.models import EDITABLE, ONSITE, Evaluation, EvidenceFile
from app.files import sniff
from app.files.service import FileRejected, save_upload
from app.refusal import Refused


def settings(rules: R.Rules) -> dict:
    return (rules.data.get("platform_checks") or {}).get("evidence") or {
        "file_type": 6, "categories": list(sniff.CATEGORIES), "max_mb": 20}


def _size(upload) -> int:
    stream = upload.stream
    here = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(here)
    return size


def attach(session: Session, ev: Evaluation, user, *, question_id: str, material: str, upload) -> EvidenceFile:
    rules = R.rules_of(ev.rule_version, session=session)
    rule = settings(rules)
    if ev.kind != ONSITE or ev.status not in EDITABLE[ONSITE] or ev.assessor_id != user.id:
        raise Refused("只有被指派的评定人在评定进行中可以上传支撑材料。")
    if question_id not in rules.question_by_id:
        raise Refused("请选择支撑材料对应的题目。", "question_id")
    material = (material or "").strip()[:100]
    if upload is None or not upload.filename:
        raise Refused("请选择要上传的文件。", "file")
    ext = sniff.extension(upload.filename)
    if ext not in rule["categories"]:
        raise Refused("支撑材料只能是 " + "、".join(rule["categories"]) + " 文件。", "file")
    if _size(upload) > rule["max_mb"] * 1024 * 1024:
        raise Refused(f"支撑材料不能超过 {rule['max_mb']} MB。", "file")
    try:
        stored = save_upload(upload, file_type=int(rule["file_type"]), owner_region=ev.region_code,
                             owner_credit=ev.credit_code, user_id=user.id, session=session)
    except FileRejected as exc:
        raise Refused(exc.message, "file") from None
    with write(session):
        row = EvidenceFile(evaluation_id=ev.id, question_id=question_id, material=material or stored.original_name,
                           file_id=stored.id, uploaded_by_name=user.display_name or user.username)
        session.add(row)
        session.flush()
        audit(session, "evaluation.evidence", actor=user, target_type="evaluation", target_id=ev.id,
              region_code=ev.region_code, detail={"question": question_id, "file": stored.id,
                                                  "name": stored.original_name})
    return row
