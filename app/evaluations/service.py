"""Starting, saving and completing an evaluation: the steps are saved as they are filled, and completing
scores the answers with the evaluation's own rule version and keeps the result as a snapshot.

Every change runs in one write transaction with its audit event; a refused step stores nothing.
"""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import update
from sqlmodel import Session, select

from app.audit.service import record as audit
from app.db import utcnow, write
from app.evaluations import answers as A
from app.evaluations import rules as R
from app.evaluations import scoring
from app.evaluations.models import (
    BEFORE,
    DRAFT,
    EDITABLE,
    FINAL,
    ONSITE,
    SELF,
    STAGE_LABELS,
    Evaluation,
    EvaluationFact,
    earlier_counted,
)
from app.pilots.models import PilotEnterprise
from app.refusal import Refused
from app.review.notify import notify as send


def this_year() -> int:
    tz = current_app.config.get("TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return datetime.now(ZoneInfo(tz)).year


def profile(session: Session, credit_code: str) -> dict:
    """What the platform knows of an enterprise from its pilot-enterprise record (the approved version when
    there is one): name, region, GB/T 4754 industry and segment."""
    row = session.exec(select(PilotEnterprise).where(PilotEnterprise.credit_code == credit_code)).first()
    if row is None:
        return {}
    wire = row.formal or row.wire
    return {"company_name": wire.get("companyName") or row.title or "", "region_code": row.region_code,
            "industry": row.industry, "segment": wire.get("industrySegments") or None}


def rules_for(ev: Evaluation, *, session) -> R.Rules:
    return R.rules_of(ev.rule_version, session=session)


def check_stage_period(stage: str, period) -> int:
    if stage not in STAGE_LABELS:
        raise Refused("请选择评测阶段。", "stage")
    try:
        year = int(period)
    except (TypeError, ValueError):
        raise Refused("请填写评测年度（四位数字）。", "period") from None
    if not 2020 <= year <= this_year():
        raise Refused(f"评测年度应在 2020–{this_year()} 年之间。", "period")
    return year


def start_self(session: Session, user, *, stage: str, period) -> Evaluation:
    """An enterprise's new self-assessment, or its draft of the same stage and year if it has one."""
    year = check_stage_period(stage, period)
    with write(session):
        draft = session.exec(select(Evaluation).where(
            Evaluation.credit_code == user.credit_code, Evaluation.kind == SELF, Evaluation.stage == stage,
            Evaluation.period == year, Evaluation.status == DRAFT)).first()
        if draft is not None:
            return draft
        known = profile(session, user.credit_code)
        rules = R.current(session=session)
        ev = Evaluation(kind=SELF, stage=stage, period=year, status=DRAFT,
                        region_code=known.get("region_code") or user.region_code, credit_code=user.credit_code,
                        company_name=known.get("company_name") or user.display_name or user.credit_code,
                        industry=known.get("industry"), segment=known.get("segment"),
                        rule_set_id=rules.id, rule_version=rules.version, created_by=user.id)
        session.add(ev)
        session.flush()
        audit(session, "evaluation.start", actor=user, target_type="evaluation", target_id=ev.id,
              region_code=ev.region_code, detail={"title": ev.title, "rule_version": rules.version})
    return ev


def can_edit(ev: Evaluation, user) -> bool:
    """The enterprise edits its own self-assessment; the assigned assessor the on-site one, while open."""
    if ev.status not in EDITABLE[ev.kind]:
        return False
    if ev.kind == SELF:
        return user.credit_code == ev.credit_code and user.role == "enterprise"
    return user.id == ev.assessor_id


def save_step(session: Session, ev: Evaluation, user, step: A.Step, form) -> tuple[dict, dict[str, str]]:
    """Lay one step's answers over the stored ones. With a refusal nothing is stored and the posted values
    come back (with the other answers) to be shown again beside their messages."""
    rules = rules_for(ev, session=session)
    merged, errors = A.read_step(rules, step, form, ev.answer_data)
    if errors:
        return merged, errors
    with write(session):
        session.refresh(ev)
        if not can_edit(ev, user):
            raise Refused("该评测已提交，不能再修改。")
        ev.answers = json.dumps(merged, ensure_ascii=False)
        ev.updated_at = utcnow()
    return merged, {}


def facts(result: dict, rules: R.Rules) -> dict:
    """The columns the analysis aggregates, copied from a scored result."""
    out = {"level": result["level"], "base_score": float(result["base_score"])}
    for i, dim in enumerate(result["dimensions"], 1):
        out[f"d{i}"] = float(dim["score"])
    for item in result["items"]:
        out[f"q{rules.question_by_id[item['id']].order}"] = float(item["score"])
    for scene in result["scenes"]:
        out[f"s{int(scene['id'][1:])}"] = scene["level"]
    for row in result["rows"]:
        out[f"c{row['level']}"] = bool(row["constrained_ok"])
    return out


def scored(ev: Evaluation, *, session) -> dict:
    """The evaluation's answers scored with its own rule version, with the cross-check warnings."""
    rules = rules_for(ev, session=session)
    answers = ev.answer_data
    result = scoring.score(rules, answers)
    result["checks"] = A.cross_checks(rules, answers)
    return result


def complete(session: Session, ev: Evaluation, user, *, pledge: bool) -> Evaluation:
    """The result step: every question and scene answered and the 真实性承诺 given, the result is scored and
    kept. A self-assessment is then final; an on-site one goes to the enterprise to confirm."""
    rules = rules_for(ev, session=session)
    gaps = A.missing(rules, ev.answer_data)
    if gaps:
        raise Refused("还有未作答的题目：" + "、".join(gaps[:8]) + ("等" if len(gaps) > 8 else "") + "。", "missing")
    if not pledge:
        raise Refused("请阅读并勾选真实性承诺后再生成评测结果。", "pledge")
    from app.evaluations.onsite import notify_enterprise_to_confirm

    with write(session):
        session.refresh(ev)
        if not can_edit(ev, user):
            raise Refused("该评测已提交，不能重复提交。")
        result = scored(ev, session=session)
        ev.result = json.dumps(result, ensure_ascii=False)
        ev.level, ev.base_score = result["level"], float(result["base_score"])
        now = utcnow()
        ev.pledge_at = ev.completed_at = ev.updated_at = now
        if ev.kind == SELF:
            ev.status = FINAL[SELF]
            count(session, ev)
        else:
            ev.status = "awaiting_enterprise"
            notify_enterprise_to_confirm(session, ev)
        audit(session, "evaluation.complete" if ev.kind == SELF else "evaluation.onsite_submit", actor=user,
              target_type="evaluation", target_id=ev.id, region_code=ev.region_code,
              detail={"title": ev.title, "level": result["level_name"], "base_score": result["base_score"],
                      "rule_version": ev.rule_version})
    return ev


def count(session: Session, ev: Evaluation) -> None:
    """This final result replaces the earlier ones of the same enterprise, kind, stage and year, in the
    evaluation list and in the analysis's facts."""
    for old in earlier_counted(ev, session=session):
        old.counted = False
        stale = session.get(EvaluationFact, old.id)
        if stale is not None:
            session.delete(stale)
    ev.counted = True
    session.add(fact_of(ev, rules_for(ev, session=session)))


def fact_of(ev: Evaluation, rules: R.Rules) -> EvaluationFact:
    return EvaluationFact(evaluation_id=ev.id, kind=ev.kind, stage=ev.stage, period=ev.period,
                          region_code=ev.region_code, credit_code=ev.credit_code, industry=ev.industry,
                          segment=ev.segment, **facts(ev.result_data, rules))


def notify(session: Session, user_id: int | None, text: str, link: str = "") -> None:
    if user_id is not None:
        send(session, user_id, text, link)


def change_status(session: Session, ev: Evaluation, expected: str, values: dict) -> None:
    """A conditional UPDATE: the change happens only from the state the actor saw (of two officials
    deciding at once, one wins; the other is told)."""
    result = session.execute(update(Evaluation).where(Evaluation.id == ev.id, Evaluation.status == expected)
                             .values(**values, updated_at=utcnow()))
    if result.rowcount != 1:
        session.refresh(ev)
        raise Refused(f"该评测当前状态为“{ev.status_label}”，已由他人处理，无需重复操作。")
    session.refresh(ev)


__all__ = ["BEFORE", "ONSITE", "start_self", "save_step", "complete", "profile", "facts", "scored"]
