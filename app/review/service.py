"""Submitting, deciding and applying: the only way a library record's formal version changes, and the way
every other reviewed item (a review kind, app/review/kinds.py) is decided.

`submit()` and `apply_direct()` run inside the caller's write transaction (libraries.service.save, and
later the Excel import and the hub); the decisions open their own. Every decision is a conditional UPDATE
on the submission's open state, so of two officials deciding at once exactly one changes the row; the
other is told who decided, and nothing is applied twice. Applying, the decision row, the audit event and
the submitter's notification commit together.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import current_app, has_request_context
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from app.accounts import roles
from app.accounts.scope import region_covers
from app.audit.service import record as audit
from app.db import utcnow, write
from app.libraries import records
from app.libraries.registry import LIBRARIES, Library
from app.refusal import Refused
from app.review.kinds import KINDS, Kind
from app.review.models import (
    APPROVED,
    CITY,
    COUNTY,
    COUNTY_APPROVED,
    D_APPROVE,
    D_CONFIRM,
    D_DIRECT,
    D_REJECT,
    D_RETURN,
    D_SUBMIT,
    D_WITHDRAW,
    FORM,
    PENDING,
    REJECTED,
    RETURNED,
    SOURCE_LABELS,
    WITHDRAWN,
    Decision,
    Notification,
    Submission,
    open_submissions_of,
)
from app.review.notify import notify

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.libraries.records import RecordBase

LEVEL_CHOICES = {"city": (CITY,), "county": (COUNTY,), "county+city": (COUNTY, CITY)}
BULK_MAX = 1000
LEVEL_OF_ROLE = {roles.COUNTY_OFFICIAL: COUNTY, roles.CITY_ADMIN: CITY}



class AlreadyDecided(Refused):
    """Someone else decided this submission first (or it was withdrawn)."""


class NotInScope(LookupError):
    """The submission does not exist or lies outside the official's region: the views answer 404."""


# ----------------------------------------------------------------------------------------------- levels

def parse_levels(value: object) -> dict[str, tuple[str, ...]]:
    """REVIEW_LEVELS (`pilots=county+city,providers=city`, or a TOML table) → library → levels.
    A library it does not name takes its default; a wrong value raises ValueError with the reason."""
    items = {key: lib.review_levels for key, lib in LIBRARIES.items()}
    items.update((key, kind.review_levels) for key, kind in KINDS.items())
    if isinstance(value, dict):
        given = {str(k): str(v) for k, v in value.items()}
    else:
        given = {}
        for part in filter(None, (p.strip() for p in str(value or "").split(","))):
            if "=" not in part:
                raise ValueError(f"REVIEW_LEVELS 的“{part}”应写成 库=级别，例如 pilots=county+city")
            key, level = part.split("=", 1)
            given[key.strip()] = level.strip()
    for key, level in given.items():
        if key not in items:
            raise ValueError(f"REVIEW_LEVELS 中的库“{key}”不存在，可用：{', '.join(items)}")
        if level not in LEVEL_CHOICES:
            raise ValueError(f"REVIEW_LEVELS 中“{key}”的级别“{level}”无效，可用：{', '.join(LEVEL_CHOICES)}")
    items.update(given)
    return {key: LEVEL_CHOICES[level] for key, level in items.items()}


def steps_for(library: str, region_code: str) -> tuple[str, ...]:
    """Who decides a submission of `library` from `region_code`, in order. A record that sits at city level
    (no county in its code) has no county official over it: it goes to the city at once."""
    steps = current_app.extensions["smedt_review_levels"].get(library, (CITY,))
    is_county = not region_code.endswith("00")
    return tuple(s for s in steps if s != COUNTY or is_county) or (CITY,)


def level_of(user: User) -> str | None:
    return LEVEL_OF_ROLE.get(user.role)


# ------------------------------------------------------------------------------------------- submitting

def _link(lib: Library, record_id: int) -> str:
    return lib.record_url(record_id) if has_request_context() else ""


def _decision(session: Session, sub: Submission, user: User | None, decision: str, reason: str | None = None) -> None:
    assert sub.id is not None  # flushed
    session.add(Decision(submission_id=sub.id, actor_id=getattr(user, "id", None),
                         actor_name=getattr(user, "display_name", None) or getattr(user, "username", "") or "",
                         actor_role=getattr(user, "role", ""), decision=decision, reason=reason))


def _close_open(session: Session, lib: Library, record: RecordBase, *, user: User | None, reason: str) -> None:
    assert record.id is not None  # the callers' records are flushed
    for old in open_submissions_of(lib.key, record.id, session=session):
        old.status, old.awaiting, old.decided_at = WITHDRAWN, "", utcnow()
        old.decided_by_name = getattr(user, "display_name", None) or getattr(user, "username", "")
        _decision(session, old, user, D_WITHDRAW, reason)


def _new_submission(lib: Library, record: RecordBase, *, user: User | None, submitter_name: str | None,
                    source: str, status: str, levels: tuple[str, ...], awaiting: str) -> Submission:
    assert record.id is not None  # the callers' records are flushed
    return Submission(library=lib.key, record_id=record.id, title=record.title, payload=record.payload,
                      source=source, submitter_id=getattr(user, "id", None),
                      submitter_name=submitter_name or getattr(user, "display_name", None)
                      or getattr(user, "username", "") or "",
                      region_code=record.region_code, credit_code=record.credit_code, status=status,
                      levels="+".join(levels), awaiting=awaiting)


def submit(session: Session, lib: Library, record: RecordBase, *, user: User | None = None,
           submitter_name: str | None = None, source: str = FORM) -> Submission:
    """The record's current payload becomes a pending submission (inside the caller's transaction).

    A submission still open for the same record is withdrawn: what is reviewed is always the latest
    version the owner sent, and two open versions of one record could both be approved.
    """
    if source not in SOURCE_LABELS:
        raise ValueError(f"unknown source {source!r}")
    _close_open(session, lib, record, user=user, reason="已被新的提交取代")
    steps = steps_for(lib.key, record.region_code)
    sub = _new_submission(lib, record, user=user, submitter_name=submitter_name, source=source, status=PENDING,
                          levels=steps, awaiting=steps[0])
    session.add(sub)
    session.flush()
    _decision(session, sub, user, D_SUBMIT)
    record.status, record.submitted_at = records.SUBMITTED, utcnow()
    return sub


def apply_direct(session: Session, lib: Library, record: RecordBase, *, user: User, source: str = FORM) -> Submission:
    """An official's own entry: applied to the formal record at once, and recorded as an approved
    submission with its decision row, so the record's history stays complete."""
    _close_open(session, lib, record, user=user, reason="主管部门直接修改入库")
    sub = _new_submission(lib, record, user=user, submitter_name=None, source=source, status=APPROVED,
                          levels=(level_of(user) or CITY,), awaiting="")
    sub.decided_at, sub.decided_by_name = utcnow(), sub.submitter_name
    session.add(sub)
    session.flush()
    _decision(session, sub, user, D_DIRECT)
    _apply(session, lib, record, sub)
    record.submitted_at = utcnow()
    audit(session, "review.direct", actor=user, target_type=lib.key, target_id=record.id,
          region_code=record.region_code, detail={"submission": sub.id, "title": record.title})
    return sub


def withdraw(session: Session, lib: Library, record: RecordBase, *, user: User) -> None:
    """A draft saved over a submitted record takes the submission back (the owner is changing it)."""
    _close_open(session, lib, record, user=user, reason="改存为草稿")


def refresh_open(session: Session, lib: Library, record: RecordBase, *, user: User) -> None:
    """An official's evaluation saved without changing the status (submit=None): it is the officials' own
    part, so it joins the open submission's snapshot, or the formal record directly once it is formal."""
    assert record.id is not None  # the callers' records are flushed
    subs = open_submissions_of(lib.key, record.id, session=session)
    for sub in subs:
        sub.payload, sub.title = record.payload, record.title
    if not subs and record.status == records.APPROVED and user.role in roles.OFFICIALS:
        apply_direct(session, lib, record, user=user)


def _apply(session: Session, lib: Library, record: RecordBase, sub: Submission) -> None:
    record.formal_payload, record.formal_at = sub.payload, utcnow()
    record.status = records.APPROVED


def _user_name(user: User | None) -> str:
    return getattr(user, "display_name", None) or getattr(user, "username", "") or ""


def withdraw_item(session: Session, kind: Kind, item_id: int, *, user: User | None, reason: str) -> None:
    """Take back a kind's item still open in the queue (its owner changed it, or the area cancelled it)."""
    for old in open_submissions_of(kind.key, item_id, session=session):
        old.status, old.awaiting, old.decided_at, old.decided_by_name = WITHDRAWN, "", utcnow(), _user_name(user)
        _decision(session, old, user, D_WITHDRAW, reason)


def submit_item(session: Session, kind: Kind, item_id: int, *, title: str, payload: dict, region_code: str,
                credit_code: str | None = None, user: User | None = None, source: str = FORM) -> Submission:
    """Send an area's item to the two-level review (inside the caller's write transaction).

    `payload` is the snapshot the history keeps of what was submitted; `region_code` decides who reviews it
    (the officials over that region, county first where the kind's levels name a county step). A submission
    of the same item still open is withdrawn: the latest version is the one reviewed.
    """
    if kind.key not in KINDS:
        raise ValueError(f"unknown review kind {kind.key!r}")
    withdraw_item(session, kind, item_id, user=user, reason="已被新的提交取代")
    steps = steps_for(kind.key, region_code)
    sub = Submission(library=kind.key, record_id=item_id, title=title[:255], source=source,
                     payload=json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str),
                     submitter_id=getattr(user, "id", None), submitter_name=_user_name(user),
                     region_code=region_code, credit_code=credit_code, status=PENDING, levels="+".join(steps),
                     awaiting=steps[0])
    session.add(sub)
    session.flush()
    _decision(session, sub, user, D_SUBMIT)
    audit(session, "review.submit", actor=user, target_type=kind.key, target_id=item_id, region_code=region_code,
          detail={"submission": sub.id, "title": sub.title})
    return sub


# --------------------------------------------------------------------------------------------- deciding

def load_for(session: Session, submission_id: int, user: User) -> Submission:
    """The submission if the official's region covers it; NotInScope otherwise (the same for missing)."""
    # populate_existing: inside a write transaction this is the state no other writer can change any more.
    sub = session.get(Submission, submission_id, populate_existing=True)
    if sub is None or user.role not in roles.OFFICIALS or not region_covers(user.region_code, sub.region_code):
        raise NotInScope(submission_id)
    return sub


def _already(sub: Submission) -> AlreadyDecided:
    who = sub.decided_by_name or "其他人员"
    return AlreadyDecided(f"该申请已由{who}处理（{sub.status_label}），无需重复操作。")


def decide(session: Session, submission_id: int, *, user: User, decision: str, reason: str = "",
           bulk: bool = False) -> Submission:
    """通过 / 驳回 / 退回修改 one submission, in its own write transaction."""
    with write(session):
        sub = _decide(session, submission_id, user=user, decision=decision, reason=reason, bulk=bulk)
    return sub


def _checked_reason(decision: str, reason: str) -> str:
    reason = (reason or "").strip()
    if decision not in (D_APPROVE, D_REJECT, D_RETURN):
        raise Refused("请选择审核结果。")
    if decision in (D_REJECT, D_RETURN) and not reason:
        verb = "驳回" if decision == D_REJECT else "退回修改"
        raise Refused(f"{verb}时必须填写原因，提交人会看到它。", "reason")
    if len(reason) > 500:
        raise Refused("原因不能超过 500 字。", "reason")
    return reason


def _decidable(session: Session, submission_id: int, user: User) -> tuple[Submission, str]:
    """The submission and the official's level, if it is open and waits for that level."""
    sub = load_for(session, submission_id, user)
    level = level_of(user)
    if not sub.is_open:
        raise _already(sub)
    if level is None or sub.awaiting != level:
        if sub.awaiting == COUNTY:
            raise Refused("该申请等待区县主管部门初审。")
        raise Refused("该申请已通过区县初审，等待市级确认。" if COUNTY in sub.levels.split("+")
                      else "该申请由市级主管部门审核。")
    return sub, level


def _outcome(sub: Submission, level: str, decision: str, reason: str) -> dict:
    """The submission's new state: the next level after an approval, else where it ends."""
    if decision != D_APPROVE:
        return {"status": REJECTED if decision == D_REJECT else RETURNED, "awaiting": "", "reason": reason}
    steps = tuple(sub.levels.split("+"))
    later = steps[steps.index(level) + 1:] if level in steps else ()
    return {"status": COUNTY_APPROVED, "awaiting": later[0]} if later else {"status": APPROVED, "awaiting": ""}


def _write_outcome(session: Session, sub: Submission, values: dict, actor: str) -> None:
    """The conditional UPDATE is what makes the decision single: it changes the row only in the state this
    official saw. BEGIN IMMEDIATE already queues the writers; on a server database it alone holds."""
    values = dict(values, decided_at=utcnow(), decided_by_name=actor)
    result = session.exec(update(Submission).where(col(Submission.id) == sub.id,
                                                      col(Submission.status) == sub.status,
                                                      col(Submission.awaiting) == sub.awaiting).values(**values))
    if result.rowcount != 1:
        session.refresh(sub)
        raise _already(sub)
    for name, value in values.items():
        set_committed_value(sub, name, value)  # what the UPDATE wrote, without reading the row again


def _apply_outcome(session: Session, lib: Library, sub: Submission, reason: str) -> str:
    """Carry the decision to the record; the submitter's notification text."""
    # The record as it is now, inside this transaction: an owner may have re-submitted since it was read.
    record = session.get(lib.model, sub.record_id, populate_existing=True)
    noun, title = lib.noun, sub.title or "未命名"
    if sub.status == APPROVED:
        if record is not None:
            _apply(session, lib, record, sub)
        return f"您提交的{noun}“{title}”已审核通过，已进入正式库。"
    if sub.status == COUNTY_APPROVED:
        return f"您提交的{noun}“{title}”已通过区县初审，等待市级确认。"
    if record is not None:
        record.status = records.REJECTED if sub.status == REJECTED else records.RETURNED
    verb = "被驳回" if sub.status == REJECTED else "被退回修改"
    return f"您提交的{noun}“{title}”{verb}，原因：{reason}"


def _kind_outcome(session: Session, kind: Kind, sub: Submission, reason: str, user: User) -> str:
    """Carry the decision to a kind's item (its hook); the submitter's notification text."""
    kind.decided(session, sub, user)
    noun, title = kind.noun, sub.title or "未命名"
    if sub.status == APPROVED:
        return f"您提交的{noun}“{title}”已审核通过。"
    if sub.status == COUNTY_APPROVED:
        return f"您提交的{noun}“{title}”已通过区县初审，等待市级确认。"
    verb = "被驳回" if sub.status == REJECTED else "被退回修改"
    return f"您提交的{noun}“{title}”{verb}，原因：{reason}"


AUDIT_ACTIONS = {D_CONFIRM: "review.confirm", D_APPROVE: "review.approve", D_REJECT: "review.reject",
                 D_RETURN: "review.return"}


def _decide(session: Session, submission_id: int, *, user: User, decision: str, reason: str, bulk: bool) -> Submission:
    reason = _checked_reason(decision, reason)
    sub, level = _decidable(session, submission_id, user)
    _write_outcome(session, sub, _outcome(sub, level, decision, reason),
                   getattr(user, "display_name", None) or user.username)
    # A city approval after a county one confirms it (审核 → 确认): the history names the two steps apart.
    stored = D_CONFIRM if decision == D_APPROVE and level == CITY and COUNTY in sub.levels.split("+") else decision
    _decision(session, sub, user, stored, reason or None)
    lib = LIBRARIES.get(sub.library)
    if lib is not None:
        text, link = _apply_outcome(session, lib, sub, reason), _link(lib, sub.record_id)
    else:
        kind = KINDS[sub.library]
        text = _kind_outcome(session, kind, sub, reason, user)
        link = kind.url(sub.record_id) if has_request_context() else ""
    notify(session, sub.submitter_id, text, link)
    detail = {"submission": sub.id, "title": sub.title, "status": sub.status,
              **({"reason": reason} if reason else {}), **({"bulk": True} if bulk else {})}
    audit(session, AUDIT_ACTIONS[stored], actor=user, target_type=sub.library, target_id=sub.record_id,
          region_code=sub.region_code, detail=detail)
    return sub


def bulk_approve(session: Session, submission_ids: Iterable[int], *, user: User) -> tuple[list[Submission], list[str]]:
    """通过 every selected submission the official may decide, in one transaction; ([approved], [why not])."""
    ids = list(dict.fromkeys(submission_ids))[:BULK_MAX]
    done, skipped = [], []
    with write(session):
        for sid in ids:
            try:
                done.append(_decide(session, sid, user=user, decision=D_APPROVE, reason="", bulk=True))
            except NotInScope:
                skipped.append(f"申请 {sid} 不存在或不在您的管辖范围内。")
            except Refused as exc:
                skipped.append(f"申请 {sid}：{exc}")
        audit(session, "review.bulk_approve", actor=user, target_type="review", target_id="",
              region_code=user.region_code, detail={"approved": [s.id for s in done], "skipped": len(skipped)})
    return done, skipped


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of the user as read; how many changed."""
    stmt = update(Notification).where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
    if notification_id is not None:
        stmt = stmt.where(col(Notification.id) == notification_id)
    with write(session):
        return session.exec(stmt.values(read_at=utcnow())).rowcount
