"""现场评定: the city assigns an assessor (a service-provider account of its region) to an enterprise; the
assessor fills the index on site with evidence per question; the enterprise confirms (or objects, which
sends it back); the city decides. An approved 改造前/改造后 result fills the enterprise's archive.

The city decides in the review queue (app/review): a confirmed result is submitted there as the review
kind `evaluation` (app/evaluations/review_kind.py), and the queue's decision comes back to
`apply_decision` in the same transaction.
"""
from __future__ import annotations

from flask import has_request_context, url_for
from sqlmodel import Session, select

from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import region_covers
from app.audit.service import record as audit
from app.db import utcnow, write
from app.evaluations import rules as R
from app.evaluations.models import (
    APPROVED,
    ASSIGNED,
    AWAITING_CITY,
    AWAITING_ENTERPRISE,
    ONSITE,
    REJECTED,
    RETURNED,
    STAGE_LABELS,
    Evaluation,
)
from app.evaluations.service import change_status, check_stage_period, count, notify, profile
from app.refusal import Refused
from app.site.ids import parse_id


def _link(ev: Evaluation) -> str:
    return url_for("evaluations.overview", evaluation_id=ev.id) if has_request_context() else ""


def _name(user) -> str:
    return getattr(user, "display_name", None) or getattr(user, "username", "") or ""


def assessors_in(session: Session, region_code: str) -> list[User]:
    """The accounts a city may assign: service-provider accounts of its region (active)."""
    rows = session.exec(select(User).where(User.role == roles.PROVIDER).order_by(User.display_name, User.id))
    return [u for u in rows if region_covers(region_code, u.region_code) and getattr(u, "is_active", True)]


def assign(session: Session, official, *, credit_code: str, assessor_id, stage: str, period) -> Evaluation:
    """A new on-site assessment of an enterprise of the official's region, assigned to an assessor."""
    errors = {}
    known = profile(session, (credit_code or "").strip()) if credit_code else {}
    if not known:
        errors["credit_code"] = "请选择本地区试点企业库中的企业。"
    elif not region_covers(official.region_code, known["region_code"]):
        errors["credit_code"] = "该企业不在您的管辖范围内。"
    assessor_pk = parse_id(assessor_id)
    assessor = session.get(User, assessor_pk) if assessor_pk is not None else None
    if assessor is None or assessor.role != roles.PROVIDER:
        errors["assessor_id"] = "请选择评定人（服务商账号）。"
    elif not region_covers(official.region_code, assessor.region_code):
        errors["assessor_id"] = "所选评定人不在本地区范围内，不能指派。"
    try:
        year = check_stage_period(stage, period)
    except Refused as exc:
        errors[exc.field] = str(exc)
    if errors:
        field, message = next(iter(errors.items()))
        refused = Refused(message, field)
        refused.errors = errors
        raise refused
    with write(session):
        rules = R.current(session=session)
        ev = Evaluation(kind=ONSITE, stage=stage, period=year, status=ASSIGNED, region_code=known["region_code"],
                        credit_code=credit_code, company_name=known["company_name"], industry=known.get("industry"),
                        segment=known.get("segment"), assessor_id=assessor.id, assessor_name=_name(assessor),
                        assessor_org=assessor.display_name, assigned_by_name=_name(official),
                        rule_set_id=rules.id, rule_version=rules.version, created_by=official.id)
        session.add(ev)
        session.flush()
        notify(session, assessor.id, f"您被指派对“{ev.company_name}”开展{year} 年{STAGE_LABELS[stage]}现场评定。",
               _link(ev))
        for user in enterprise_users(session, credit_code):
            notify(session, user.id, f"{_name(official)}已安排{ev.assessor_name}对贵企业开展现场评定。", _link(ev))
        audit(session, "evaluation.assign", actor=official, target_type="evaluation", target_id=ev.id,
              region_code=ev.region_code, detail={"title": ev.title, "assessor": ev.assessor_name})
    return ev


def enterprise_users(session: Session, credit_code: str) -> list[User]:
    return list(session.exec(select(User).where(User.role == roles.ENTERPRISE, User.credit_code == credit_code)))


def city_officials(session: Session, region_code: str) -> list[User]:
    rows = session.exec(select(User).where(User.role == roles.CITY_ADMIN))
    return [u for u in rows if region_covers(u.region_code, region_code)]


def notify_enterprise_to_confirm(session: Session, ev: Evaluation) -> None:
    for user in enterprise_users(session, ev.credit_code):
        notify(session, user.id, f"{ev.assessor_name}已提交对贵企业的现场评定结果，请查看并确认。", _link(ev))


def confirm(session: Session, ev: Evaluation, user, *, agree: bool, note: str = "") -> Evaluation:
    """The enterprise confirms the on-site result (it goes to the city), or objects with a note (it goes
    back to the assessor)."""
    note = (note or "").strip()
    if not agree and not note:
        raise Refused("有异议时请写明异议内容，评定人会看到它。", "note")
    if len(note) > 500:
        raise Refused("说明不能超过 500 字。", "note")
    with write(session):
        if agree:
            from app.evaluations.review_kind import ONSITE_REVIEW
            from app.review.service import submit_item

            change_status(session, ev, AWAITING_ENTERPRISE, {"status": AWAITING_CITY, "confirmed_at": utcnow(),
                                                             "confirmed_by_name": _name(user), "reason": note or None})
            submit_item(session, ONSITE_REVIEW, ev.id, title=ev.title, region_code=ev.region_code,
                        credit_code=ev.credit_code, user=user, payload=_snapshot(ev))
            for official in city_officials(session, ev.region_code):
                notify(session, official.id, f"“{ev.company_name}”已确认现场评定结果，等待市级审核。", _link(ev))
        else:
            change_status(session, ev, AWAITING_ENTERPRISE, {"status": RETURNED, "reason": f"企业异议：{note}"})
            notify(session, ev.assessor_id, f"“{ev.company_name}”对现场评定结果有异议：{note}", _link(ev))
        audit(session, "evaluation.confirm" if agree else "evaluation.object", actor=user, target_type="evaluation",
              target_id=ev.id, region_code=ev.region_code,
              detail={"title": ev.title, **({"note": note} if note else {})})
    return ev


def _snapshot(ev: Evaluation) -> dict:
    """What the queue's history keeps of the confirmed result."""
    result = ev.result_data or {}
    return {"evaluation": ev.id, "company": ev.company_name, "stage": ev.stage, "period": ev.period,
            "assessor": ev.assessor_name, "rule_version": ev.rule_version, "level": result.get("level_name"),
            "base_score": result.get("base_score")}


def apply_decision(session: Session, ev: Evaluation, official, *, status: str, reason: str,
                   submitter_id: int | None) -> None:
    """The city's decision from the review queue, carried to the evaluation inside the queue's transaction
    (the queue has checked the official, the reason and that nobody decided first, and notified the
    enterprise user who confirmed). An approval counts the result and fills the archive's level."""
    from app.evaluations.archive_link import fill_archive

    change_status(session, ev, AWAITING_CITY, {"status": status, "decided_at": utcnow(),
                                               "decided_by_name": _name(official), "reason": reason or None})
    filled = None
    if status == APPROVED:
        count(session, ev)
        filled = fill_archive(session, ev, actor=official)
    text = {APPROVED: "已审核通过", RETURNED: f"被退回修改，原因：{reason}",
            REJECTED: f"被驳回，原因：{reason}"}[status]
    for user in enterprise_users(session, ev.credit_code):
        if user.id != submitter_id:
            notify(session, user.id, f"贵企业的{ev.stage_label}现场评定结果{text}", _link(ev))
    notify(session, ev.assessor_id, f"您对“{ev.company_name}”的现场评定结果{text}", _link(ev))
    if filled:
        audit(session, "evaluation.archive", actor=official, target_type="evaluation", target_id=ev.id,
              region_code=ev.region_code, detail={"title": ev.title, "level": ev.level, "archive": filled})


def awaiting_city_query(region_prefix: str):
    return (select(Evaluation).where(Evaluation.status == AWAITING_CITY,
                                     Evaluation.region_code.startswith(region_prefix, autoescape=True))
            .order_by(Evaluation.confirmed_at, Evaluation.id))
