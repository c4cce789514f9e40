"""Demo evaluations for `run.py --demo`: self-assessments and on-site assessments of the demo enterprises at
every step of their life (in progress, awaiting the enterprise, awaiting the city, approved), made through
the same services as the pages, so the archive levels, audit events and notifications are real."""
from __future__ import annotations

import io
import json
from decimal import Decimal

from sqlmodel import Session, select
from werkzeug.datastructures import FileStorage

from app.accounts.models import get_user_by_username
from app.evaluations import evidence, onsite, service
from app.evaluations.answers import _in_band
from app.evaluations.models import AFTER, BEFORE, Evaluation
from app.evaluations.rules import band_of

# Answers by strength: (single-choice option index out of its options, multi-choice count, scene levels).
SCENES = {
    "low": [1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 2, 1, 1, 0],
    "mid": [2, 1, 2, 1, 2, 2, 2, 2, 1, 2, 2, 2, 3, 1, 2, 1],
    "high": [3, 2, 3, 2, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 3, 2],
}
SHARE = {"low": 0.35, "mid": 0.6, "high": 0.85}
NUMBERS = {
    "low": {"Q2.f2": "80", "Q2.f3": "14", "Q3.f2": "12", "Q11.f1": "60", "Q12.f1": "1000", "Q12.f2": "980",
            "Q13.f1": "96", "Q14.f1": "150", "Q14.f2": "9000", "Q14.f3": "150", "Q14.f4": "9000",
            "Q15.f1": "7600", "Q15.f2": "7500"},
    "mid": {"Q2.f2": "120", "Q2.f3": "60", "Q3.f2": "45", "Q11.f1": "260", "Q12.f1": "930", "Q12.f2": "1000",
            "Q13.f1": "98", "Q14.f1": "160", "Q14.f2": "16000", "Q14.f3": "158", "Q14.f4": "14500",
            "Q15.f1": "12400", "Q15.f2": "11800"},
    "high": {"Q2.f2": "150", "Q2.f3": "120", "Q3.f2": "110", "Q11.f1": "1200", "Q12.f1": "820", "Q12.f2": "1000",
             "Q13.f1": "99.2", "Q14.f1": "170", "Q14.f2": "26000", "Q14.f3": "168", "Q14.f4": "21000",
             "Q15.f1": "19000", "Q15.f2": "16500"},
}


def answers_for(rules, strength: str) -> dict:
    """A complete, plausible set of answers of the given strength."""
    share = SHARE[strength]
    q = {}
    for question in rules.questions:
        plain = [o for o in question.options if not o.exclusive]
        if question.type == "multi":
            k = max(1, round(len(plain) * share))
            q[question.id] = [o.key for o in plain[:k]]
        else:
            q[question.id] = question.options[min(len(question.options) - 1,
                                                  round((len(question.options) - 1) * share))].key
    numbers = dict(NUMBERS[strength])
    # The options the numbers give, so the demo answers agree with their own figures.
    for qid, check in service.A.cross_checks(rules, {"q": q, "f": numbers}).items():
        question = rules.question_by_id[qid]
        computed = check["computed"]
        for option in question.options:
            band = band_of(option.text)
            if band and computed.endswith("%") and _in_band(Decimal(computed[:-1]), band):
                q[qid] = option.key
            elif computed.startswith(option.text):
                q[qid] = option.key
    return {"q": q, "f": numbers, "s": {s.id: SCENES[strength][i] for i, s in enumerate(rules.scenes)}}


def _fill(session: Session, ev: Evaluation, strength: str) -> None:
    rules = service.rules_for(ev, session=session)
    ev.answers = json.dumps(answers_for(rules, strength), ensure_ascii=False)
    session.add(ev)
    session.commit()


def _self(session, username: str, stage: str, period: int, strength: str):
    user = get_user_by_username(username, session=session)
    ev = service.start_self(session, user, stage=stage, period=period)
    _fill(session, ev, strength)
    return service.complete(session, ev, user, pledge=True)


def _onsite(session, city, assessor_name: str, ent_name: str, stage: str, period: int, strength: str, until: str):
    assessor = get_user_by_username(assessor_name, session=session)
    ent = get_user_by_username(ent_name, session=session)
    ev = onsite.assign(session, city, credit_code=ent.credit_code, assessor_id=assessor.id, stage=stage, period=period)
    if until == "assigned":
        return ev
    _fill(session, ev, strength)
    for question_id, material in (("Q1", "网络拓扑图"), ("Q8", "参观交流照片")):
        upload = FileStorage(io.BytesIO(_cover_png(320, 200, (90, 120, 160))), filename=f"{material}.png")
        evidence.attach(session, ev, assessor, question_id=question_id, material=material, upload=upload)
    service.complete(session, ev, assessor, pledge=True)
    if until == "awaiting_enterprise":
        return ev
    onsite.confirm(session, ev, ent, agree=True, note="与现场核查情况一致。")
    if until == "awaiting_city":
        return ev
    from app.review.models import D_APPROVE, open_submissions_of
    from app.review.service import decide

    sub = open_submissions_of("evaluation", ev.id, session=session)[0]
    decide(session, sub.id, user=city, decision=D_APPROVE)
    session.refresh(ev)
    return ev


def _cover_png(*args):
    from app.demo import _cover_png as png  # the demo's own PNG maker (a real image, so the sniffing accepts it)

    return png(*args)


def load(session: Session) -> int:
    """Create the demo evaluations once; how many were created."""
    city = get_user_by_username("demo_city", session=session)
    crane = get_user_by_username("demo_ent_crane", session=session)
    if city is None or crane is None:
        return 0
    if session.exec(select(Evaluation.id).where(Evaluation.credit_code == crane.credit_code)).first():
        return 0
    made = [
        _self(session, "demo_ent_crane", BEFORE, 2024, "low"),
        _onsite(session, city, "demo_prov_cloud", "demo_ent_crane", BEFORE, 2024, "low", "approved"),
        _onsite(session, city, "demo_prov_cloud", "demo_ent_crane", AFTER, 2025, "high", "approved"),
        _self(session, "demo_ent_medical", AFTER, 2025, "mid"),
        _onsite(session, city, "demo_prov_iiot", "demo_ent_medical", BEFORE, 2025, "mid", "awaiting_city"),
        _self(session, "demo_ent_battery", BEFORE, 2025, "mid"),
        _onsite(session, city, "demo_prov_iiot", "demo_ent_battery", BEFORE, 2025, "mid", "assigned"),
        _onsite(session, city, "demo_prov_cloud", "demo_ent_flour", BEFORE, 2025, "low", "awaiting_enterprise"),
    ]
    return len(made)
