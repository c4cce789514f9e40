"""The outbox: queuing approved records, claiming a batch with a lease, building its JSON under the size
limit, sending it, and writing each record's result (DESIGN.md "Life of a record").

One batch goes through four short steps, and the HTTP call is never inside a write transaction:

1. claim (write): inside the push window and the weekly quota, lease up to N due items of one library
   and reserve the call as a `docking_batch` row (so a crash mid-call still counts against the quota);
2. build (read): each record's formal spec JSON with its files as Base64, encoded once, added while the
   body stays under the request limit; the items that do not fit are released at once;
3. send: the token (cached), the SM4 Authorization header, the POST;
4. finish (write): the answer decides every item of the batch (sent / failed / retry / dead-letter /
   rescheduled), each record's push state, the batch row and the audit event, in one transaction.

Only the worker holding an item's lease may finish it, so two workers never send the same item at once;
a lease left by a killed worker expires and the item is claimed again.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from sqlalchemy import delete, or_, update
from sqlmodel import Session, select

from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import region_covers, region_prefix
from app.audit.service import record as audit
from app.db import utcnow, write
from app.docking import client, protocol
from app.docking.models import (
    ADDED,
    B_OK,
    B_REFUSED,
    B_RESCHEDULED,
    B_RETRY,
    B_SENDING,
    B_SPLIT,
    B_UNAUTHORIZED,
    DEAD,
    DROPPED,
    FAILED,
    NONE,
    QUEUED,
    SENT,
    UPDATED,
    DockingState,
    OutboxItem,
    PushBatch,
    PushState,
    calls_in_week,
    due_query,
    get_state,
    next_attempt,
    open_items_of,
    states_for,
)
from app.docking.settings import DockingConfig
from app.files.wire import embed
from app.libraries.records import records_query
from app.libraries.registry import LIBRARIES, Library
from app.review.models import Notification

log = logging.getLogger(__name__)

CHUNK = 200  # records read per query while queuing or building: never all of them at once
BACKOFF_CAP_MINUTES = 60
KEYS_SHOWN = 20  # natural keys kept on a batch row and in its audit event
INTERRUPTED = "interrupted"


def clock() -> datetime:
    """Now, aware UTC. One function so a test can move time (the window, the quota week, back-off)."""
    return utcnow()


def owner_id() -> str:
    """Who holds a lease: host, process and thread, so two workers anywhere never share one."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def _state(session: Session) -> DockingState:
    state = get_state(session=session)
    if state is None:
        state = DockingState()
        session.add(state)
        session.flush()
    return state


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ------------------------------------------------------------------------------------------- queuing

@dataclass
class QueueResult:
    queued: int = 0
    already: int = 0  # waiting already, not yet sent: not queued twice
    skipped: int = 0  # not approved (no formal version) or outside the user's region


def queue(session: Session, lib: Library, record_ids: Iterable[int], *, actor, scope_prefix: str) -> QueueResult:
    """Put records' formal versions in the outbox. Only approved records inside `scope_prefix` are taken;
    a record already waiting (unclaimed) is not queued twice, while a record in flight or already sent is
    queued again and will travel with its formal version as it is when its batch is built."""
    ids = sorted(set(int(i) for i in record_ids))
    result = QueueResult()
    model = lib.model
    now = clock()
    with write(session):
        for chunk in _chunks(ids, 500):
            rows = session.exec(select(model.id, model.region_code, model.formal_payload).where(
                model.id.in_(chunk), model.formal_payload.is_not(None),
                model.region_code.startswith(scope_prefix, autoescape=True))).all()
            result.skipped += len(chunk) - len(rows)
            waiting = {item.record_id for item in open_items_of(lib.key, chunk, session=session)
                       if item.lease_until is None or item.lease_until < now}
            states = states_for(lib.key, chunk, session=session)
            new_items = []
            for record_id, region, formal in rows:
                state = states.get(record_id) or PushState(library=lib.key, record_id=record_id)
                state.state, state.reason, state.updated_at = QUEUED, None, now
                session.add(state)
                if record_id in waiting:
                    result.already += 1
                    continue
                obj = lib.spec_json(json.loads(formal))
                new_items.append({"library": lib.key, "record_id": record_id, "region_code": region,
                                  "natural_key": protocol.natural_key(lib.key, obj)[:255],
                                  "entity_name": protocol.entity_name(lib.key, obj)[:255], "state": QUEUED,
                                  "attempts": 0, "next_attempt_at": now, "queued_at": now,
                                  "queued_by": getattr(actor, "id", None)})
            if new_items:
                session.execute(OutboxItem.__table__.insert(), new_items)
            result.queued += len(new_items)
        audit(session, "docking.queue", actor=actor, actor_name=None if actor else "命令行", target_type=lib.key,
              region_code=getattr(actor, "region_code", "") or "",
              detail={"library": lib.key, "queued": result.queued, "already": result.already,
                      "skipped": result.skipped})
    return result


def queue_matching(session: Session, lib: Library, stmt, *, actor, scope_prefix: str) -> QueueResult:
    """Queue every record a list query matches (推送全部符合条件的记录), reading ids page by page."""
    ids: list[int] = []
    last = None
    id_stmt = stmt.with_only_columns(lib.model.id).order_by(None).order_by(lib.model.id)
    while True:
        page = id_stmt.where(lib.model.id > last) if last is not None else id_stmt
        chunk = list(session.exec(page.limit(5000)))
        if not chunk:
            break
        ids.extend(chunk)
        last = chunk[-1]
    return queue(session, lib, ids, actor=actor, scope_prefix=scope_prefix)


# ------------------------------------------------------------------------------------------- claiming

@dataclass
class Blocked:
    reason: str  # idle | waiting (for a back-off or a rescheduled time) | paused | window | quota | unconfigured
    until: datetime | None = None


@dataclass
class Claim:
    batch_id: int
    library: str
    item_ids: list[int]
    week: str


def _reschedule_due(session: Session, now: datetime, until: datetime) -> None:
    session.execute(update(OutboxItem).where(OutboxItem.state == QUEUED, OutboxItem.next_attempt_at < until,
                                             or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now))
                    .values(next_attempt_at=until))


def _quota_reopens(conf: DockingConfig, now: datetime) -> datetime:
    return conf.window.next_open(protocol.next_week_start(now))


def claim(session: Session, conf: DockingConfig, *, owner: str, now: datetime | None = None) -> Claim | Blocked:
    """Lease the next batch's items and reserve its call, or say why nothing may be sent now. Items
    waiting outside the window or beyond the quota are rescheduled to when sending may resume."""
    now = now or clock()
    # A read first: an idle poll (every DOCKING_POLL_SECONDS) must not take the write lock.
    state = get_state(session=session)
    idle = None
    if state is not None and state.paused:
        idle = Blocked("paused")
    elif not conf.configured:
        idle = Blocked("unconfigured")
    elif session.exec(due_query(now).limit(1)).first() is None:
        later = next_attempt(region_prefix="", session=session)
        idle = Blocked("waiting", later) if later is not None else Blocked("idle")
    session.commit()
    if idle is not None:
        return idle
    with write(session):
        state = _state(session)
        # Calls a killed worker reserved and never finished: they counted; show them as interrupted.
        session.execute(update(PushBatch).where(PushBatch.outcome == B_SENDING,
                                                PushBatch.started_at < now - timedelta(seconds=conf.lease_seconds))
                        .values(outcome=INTERRUPTED, finished_at=now))
        if state.paused:
            return Blocked("paused")
        if not conf.configured:
            return Blocked("unconfigured")
        first = session.exec(due_query(now).order_by(OutboxItem.next_attempt_at, OutboxItem.id).limit(1)).first()
        if first is None:
            later = next_attempt(region_prefix="", session=session)
            return Blocked("waiting", later) if later is not None else Blocked("idle")
        if not conf.window.contains(now):
            until = conf.window.next_open(now)
            _reschedule_due(session, now, until)
            return Blocked("window", until)
        week = protocol.iso_week(now)
        if state.quota_used_week == week or calls_in_week(week, session=session) >= conf.weekly_quota:
            until = _quota_reopens(conf, now)
            _reschedule_due(session, now, until)
            return Blocked("quota", until)
        limit = min(conf.batch_max_records, state.batch_limit or conf.batch_max_records)
        ids = list(session.exec(due_query(now).where(OutboxItem.library == first.library)
                                .with_only_columns(OutboxItem.id).order_by(OutboxItem.id).limit(limit)))
        lease_until = now + timedelta(seconds=conf.lease_seconds)
        # Conditional: inside BEGIN IMMEDIATE no other writer runs, and the condition keeps it honest anyway.
        session.execute(update(OutboxItem).where(
            OutboxItem.id.in_(ids), OutboxItem.state == QUEUED,
            or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now))
            .values(lease_owner=owner, lease_until=lease_until))
        batch = PushBatch(library=first.library, week=week, owner=owner, started_at=now, outcome=B_SENDING)
        session.add(batch)
        session.flush()
        return Claim(batch.id, first.library, ids, week)


# ------------------------------------------------------------------------------------------- building

@dataclass
class Built:
    body: bytes = b""
    included: list[OutboxItem] = field(default_factory=list)
    keys: dict[int, tuple[str, str]] = field(default_factory=dict)  # item id → (natural key, entity name)
    leftover: list[int] = field(default_factory=list)  # did not fit: released for the next batch
    refused: dict[int, str] = field(default_factory=dict)  # item id → why it cannot be sent at all


def encode(obj) -> bytes:
    """One record's spec JSON as sent (json.dumps honours app.archives.wire's repeated-key objects)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build(session: Session, conf: DockingConfig, batch: Claim, *, owner: str) -> Built:
    """The batch's body: records in id order, each encoded once, while the JSON array stays within
    the request limit. Reads records CHUNK at a time; only the body itself is held."""
    lib = LIBRARIES[batch.library]
    items = list(session.exec(select(OutboxItem).where(OutboxItem.id.in_(batch.item_ids),
                                                       OutboxItem.lease_owner == owner)
                              .order_by(OutboxItem.id)))
    out = Built()
    parts: list[bytes] = []
    size = 2  # "[" and "]"
    full = False
    for chunk in _chunks(items):
        if full:  # the body is complete: the rest waits for the next batch, unread
            out.leftover.extend(item.id for item in chunk)
            continue
        records = {r.id: r for r in session.exec(select(lib.model).where(
            lib.model.id.in_([i.record_id for i in chunk])))}
        for item in chunk:
            if full:
                out.leftover.append(item.id)
                continue
            rec = records.get(item.record_id)
            formal = lib.formal_json(rec) if rec is not None else None
            if formal is None:
                out.refused[item.id] = "记录已不存在或尚未入库，无法推送。"
                continue
            data = encode(embed(formal, session=session))
            if len(data) + 2 > conf.max_request_bytes:
                out.refused[item.id] = (f"单条数据 {len(data) / 1048576:.1f} MB，超过单次请求上限 "
                                        f"{conf.max_request_bytes / 1048576:.1f} MB，无法推送。")
                continue
            extra = len(data) + (1 if parts else 0)
            if size + extra > conf.max_request_bytes:
                full = True
                out.leftover.append(item.id)
                continue
            parts.append(data)
            size += extra
            out.included.append(item)
            out.keys[item.id] = (protocol.natural_key(lib.key, formal)[:255],
                                 protocol.entity_name(lib.key, formal)[:255])
        for rec in records.values():
            session.expunge(rec)  # keep the identity map from holding every record of a large batch
    out.body = b"[" + b",".join(parts) + b"]"
    session.commit()  # end the read transaction before the HTTP call
    return out


# ------------------------------------------------------------------------------------------- results

def record_results(library: str, items: list[tuple[str, str, bool]], body: dict) -> list[tuple[str, str | None]]:
    """Each pushed record's (result, reason) from an OK answer, in request order. `items` are
    (natural key, entity name, pushed successfully before) in request order.

    The answer's `resultList` (this platform's extension, see protocol.result_body) decides when present.
    Otherwise the spec's fields: a record whose name is in `faidEntName` failed; the others succeeded,
    as added when `addTotal` covers all of them, as updated when the update count does, else added if the
    record was never pushed successfully before and updated if it was."""
    results = body.get("resultList")
    if isinstance(results, list) and results:
        by_key = {str(r.get("key")): r for r in results if isinstance(r, dict) and r.get("key") not in (None, "")}
        out = []
        for index, (key, _name, _before) in enumerate(items):
            entry = by_key.get(key)
            if entry is None:
                entry = next((r for r in results if isinstance(r, dict) and r.get("index") == index), None)
            if entry is None and index < len(results) and isinstance(results[index], dict):
                entry = results[index]
            verdict = str((entry or {}).get("result") or "")
            if verdict == "add":
                out.append((ADDED, None))
            elif verdict == "update":
                out.append((UPDATED, None))
            else:
                reason = (entry or {}).get("reason") or ("上级平台未返回该条记录的结果" if entry is None else "")
                out.append((FAILED, str(reason or "上级平台校验未通过")))
        return out
    failed_names = {str(n) for n in (body.get("faidEntName") or []) if n not in (None, "")}
    ok = [not (name in failed_names or key in failed_names) for key, name, _ in items]
    succeeded = sum(ok)
    added, updated = protocol.total(body, "addTotal"), protocol.updated_total(library, body)
    out = []
    for (_key, _name, before), success in zip(items, ok, strict=True):
        if not success:
            out.append((FAILED, "上级平台校验未通过"))
        elif succeeded and added == succeeded:
            out.append((ADDED, None))
        elif succeeded and updated == succeeded:
            out.append((UPDATED, None))
        else:
            out.append((UPDATED if before else ADDED, None))
    return out


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), BACKOFF_CAP_MINUTES))


@dataclass
class Outcome:
    """What one call's answer means for its batch, decided before the finishing transaction."""

    kind: str  # ok | quota | split | window | unauthorized | transient
    answer: client.UploadAnswer | None = None
    error: str = ""  # a failure without an answer (timeout, connection), in Chinese


def classify(answer: client.UploadAnswer) -> Outcome:
    code = answer.code
    if protocol.is_ok(code) and answer.http_status < 400 and answer.body is not None:
        return Outcome("ok", answer)
    kinds = {protocol.QUOTA_USED: "quota", protocol.TOO_MUCH_DATA: "split", protocol.OUTSIDE_WINDOW: "window",
             protocol.UNAUTHORIZED: "unauthorized"}
    if answer.http_status == 403:
        return Outcome("unauthorized", answer)
    return Outcome(kinds.get(code, "transient"), answer)


def _message(outcome: Outcome) -> str:
    answer = outcome.answer
    if answer is None:
        return outcome.error
    body_message = (answer.body or {}).get("message") if answer.body else None
    text = body_message or protocol.SPEC_MESSAGES.get(answer.code) or answer.text[:200] or f"HTTP {answer.http_status}"
    return f"{answer.code} {text}"


def _region_of(codes: Iterable[str]) -> str:
    """The smallest region code holding all of `codes` (a county, city or province; "" if none)."""
    codes = sorted(set(codes))
    if not codes:
        return ""
    if len(codes) == 1:
        return codes[0]
    if len({c[:4] for c in codes}) == 1:
        return codes[0][:4] + "00"
    if len({c[:2] for c in codes}) == 1:
        return codes[0][:2] + "0000"
    return ""


PUSH_CENTRE = "/docking/push"  # the notification's link (a worker has no request to build URLs from)


def _notify_admins(session: Session, region_code: str, text: str, link: str = PUSH_CENTRE) -> None:
    admins = session.exec(select(User).where(User.role == roles.CITY_ADMIN, User.is_active.is_(True)))
    for admin in admins:
        if not region_code or region_covers(admin.region_code, region_code):
            session.add(Notification(user_id=admin.id, text=text, link=link[:255]))


def pause(session: Session, conf: DockingConfig, reason: str, *, link: str = PUSH_CENTRE) -> None:
    """Stop pushing until an administrator saves the settings or presses 恢复推送; tell the city's
    administrators. Runs inside the caller's write transaction."""
    state = _state(session)
    if state.paused:
        return
    state.paused, state.paused_reason, state.paused_at = True, reason, clock()
    _notify_admins(session, conf.region_code, f"推送到上级平台已暂停：{reason}", link)
    audit(session, "docking.paused", actor_name="推送服务", target_type="docking_setting", outcome="failure",
          region_code=conf.region_code, detail={"reason": reason})


def resume(session: Session, *, actor) -> bool:
    """恢复推送; False when it was not paused."""
    with write(session):
        state = _state(session)
        if not state.paused:
            return False
        reason = state.paused_reason
        state.paused, state.paused_reason, state.paused_at = False, "", None
        audit(session, "docking.resume", actor=actor, target_type="docking_setting", detail={"was": reason})
    return True


def _owned(session: Session, ids: Iterable[int], owner: str) -> list[OutboxItem]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.exec(select(OutboxItem).where(OutboxItem.id.in_(ids), OutboxItem.lease_owner == owner,
                                                      OutboxItem.state == QUEUED).order_by(OutboxItem.id)))


def _release(item: OutboxItem, at: datetime) -> None:
    item.lease_owner, item.lease_until, item.next_attempt_at = None, None, at


def _set_state(session: Session, items: list[OutboxItem], now: datetime) -> None:
    """Each finished item's record shows its result, unless the record is queued again meanwhile."""
    if not items:
        return
    library = items[0].library
    ids = [i.record_id for i in items]
    states = states_for(library, ids, session=session)
    still_waiting = {i.record_id for i in open_items_of(library, ids, session=session) if i.id not in
                     {x.id for x in items}}
    for item in items:
        state = states.get(item.record_id) or PushState(library=library, record_id=item.record_id)
        if item.state == SENT:
            state.last_success, state.pushed_at, state.reason = item.result, now, None
            state.state = item.result
        elif item.state in (FAILED, DEAD):
            state.state, state.reason = FAILED, item.message
        state.state = QUEUED if item.record_id in still_waiting else state.state
        state.updated_at = now
        session.add(state)


def _fail_item(item: OutboxItem, now: datetime, reason: str, code: str | None = None, *, dead: bool = False) -> None:
    item.state = DEAD if dead else FAILED
    item.message, item.code, item.finished_at = reason, code, now
    item.lease_owner, item.lease_until = None, None


def release_unsent(session: Session, batch: Claim, built: Built, *, owner: str) -> None:
    """After building: free what did not fit, fail what cannot be sent; drop the reservation if nothing
    is left to send (no call is made then)."""
    now = clock()
    with write(session):
        touched = []
        for item in _owned(session, [*built.leftover, *built.refused], owner):
            if item.id in built.refused:
                _fail_item(item, now, built.refused[item.id])
                touched.append(item)
            else:
                _release(item, now)
        _set_state(session, touched, now)
        if not built.included:
            session.execute(delete(PushBatch).where(PushBatch.id == batch.batch_id))


def reserve_again(session: Session, conf: DockingConfig, batch: Claim, *, owner: str) -> Claim | None:
    """A second call for the same items (after a 403 and a new token): reserve it against the quota."""
    now = clock()
    with write(session):
        week = protocol.iso_week(now)
        state = _state(session)
        if state.quota_used_week == week or calls_in_week(week, session=session) >= conf.weekly_quota:
            return None
        row = PushBatch(library=batch.library, week=week, owner=owner, started_at=now, outcome=B_SENDING)
        session.add(row)
        session.flush()
        return Claim(row.id, batch.library, batch.item_ids, week)


@dataclass
class BatchReport:
    batch_id: int
    library: str
    records: int
    outcome: str
    added: int = 0
    updated: int = 0
    failed: int = 0
    message: str = ""


def finish(session: Session, conf: DockingConfig, batch: Claim, built: Built, outcome: Outcome, *,
           owner: str, pause_on_403: bool = False) -> BatchReport:
    """Write what the answer means for every item of the batch, the records' push states, the batch row
    and the audit event, in one transaction."""
    now = clock()
    answer = outcome.answer
    message = _message(outcome)
    lib = LIBRARIES[batch.library]
    with write(session):
        items = _owned(session, [i.id for i in built.included], owner)
        row = session.get(PushBatch, batch.batch_id)
        report = BatchReport(batch.batch_id, batch.library, len(items), outcome.kind, message=message)
        finished: list[OutboxItem] = []
        state = _state(session)
        if outcome.kind == "ok":
            # Results follow the request's order, so they are worked out for every record that was sent.
            before = states_for(lib.key, [i.record_id for i in built.included], session=session)
            keyed = [(*built.keys[i.id], bool(before.get(i.record_id) and before[i.record_id].last_success))
                     for i in built.included]
            verdicts = dict(zip((i.id for i in built.included), record_results(lib.key, keyed, answer.body),
                                strict=True))
            for item in items:
                (key, name), (result, reason) = built.keys[item.id], verdicts[item.id]
                item.natural_key, item.entity_name, item.batch_id = key, name, batch.batch_id
                if result == FAILED:
                    _fail_item(item, now, reason, answer.code)
                    report.failed += 1
                else:
                    item.state, item.result, item.code, item.finished_at = SENT, result, answer.code, now
                    item.message, item.lease_owner, item.lease_until = None, None, None
                    report.added += result == ADDED
                    report.updated += result == UPDATED
                finished.append(item)
            row.outcome = B_OK
        elif outcome.kind == "quota":
            state.quota_used_week = batch.week
            for item in items:
                _release(item, _quota_reopens(conf, now))
            row.outcome = B_RESCHEDULED
        elif outcome.kind == "split":
            if len(items) > 1:
                state.batch_limit = max(1, len(items) // 2)
                for item in items:
                    _release(item, now)
                row.outcome = B_SPLIT
            else:
                for item in items:
                    _fail_item(item, now, "单条数据量超出上级平台的限制（89502），请精简附件后重新推送。",
                               answer.code)
                    finished.append(item)
                row.outcome = B_REFUSED
        elif outcome.kind == "window":
            reopen = (conf.window.next_open(conf.window.closes_at(now)) if conf.window.contains(now)
                      else conf.window.next_open(now))
            for item in items:
                _release(item, reopen)
            row.outcome = B_RESCHEDULED
        elif outcome.kind == "unauthorized" and not pause_on_403:
            # A new token is fetched and the same body sent once more (send_batch); keep the leases.
            row.outcome = B_UNAUTHORIZED
        elif outcome.kind == "unauthorized":
            for item in items:
                _release(item, now)
            row.outcome = B_UNAUTHORIZED
            pause(session, conf, "上级平台两次拒绝授权（403）。" + protocol.EXPLANATIONS[protocol.UNAUTHORIZED])
        else:  # 503, other HTTP errors, timeouts, connection errors, answers that cannot be read
            for item in items:
                item.attempts += 1
                item.message, item.code = message, answer.code if answer else None
                if item.attempts >= conf.max_attempts:
                    _fail_item(item, now, f"重试 {item.attempts} 次仍未成功：{message}", item.code, dead=True)
                    finished.append(item)
                else:
                    _release(item, now + backoff(item.attempts))
            row.outcome = B_RETRY
        _set_state(session, finished, now)
        for item in items:
            item.batch_id = batch.batch_id
        body = (answer.body or {}) if answer else {}
        row.finished_at, row.records, row.bytes = now, len(built.included), len(built.body)
        row.region_code = _region_of(i.region_code for i in built.included)
        keys = [built.keys[i.id][0] for i in built.included]
        row.keys = "、".join(keys[:KEYS_SHOWN]) + (f" 等 {len(keys)} 条" if len(keys) > KEYS_SHOWN else "")
        row.http_status = answer.http_status if answer else None
        row.code, row.message = (answer.code if answer else None), message[:2000]
        row.response = answer.text if answer else outcome.error
        row.success_total, row.fail_total, row.add_total = (protocol.total(body, "successTotal"),
                                                            protocol.total(body, "faidTotal"),
                                                            protocol.total(body, "addTotal"))
        row.update_total = protocol.updated_total(lib.key, body)
        audit(session, "docking.push", actor_name="推送服务", target_type=lib.key, target_id=batch.batch_id,
              region_code=row.region_code, outcome="success" if outcome.kind == "ok" else "failure",
              detail={"library": lib.key, "records": row.records, "bytes": row.bytes, "keys": keys[:KEYS_SHOWN],
                      "http_status": row.http_status, "code": row.code, "message": message[:300],
                      "successTotal": row.success_total, "faidTotal": row.fail_total, "addTotal": row.add_total,
                      "updateTotal": row.update_total, "faidEntName": (body.get("faidEntName") or [])[:KEYS_SHOWN],
                      "outcome": row.outcome})
    return report


# ------------------------------------------------------------------------------------------- one batch

def _token_failed(session: Session, conf: DockingConfig, batch: Claim, built: Built, exc: Exception, *,
                  owner: str) -> BatchReport:
    """No token: the call is not made. A refusal (40001–40004) pauses pushing; a network failure is a
    transient failure of the batch's items."""
    now = clock()
    with write(session):
        session.execute(delete(PushBatch).where(PushBatch.id == batch.batch_id))
        items = _owned(session, [i.id for i in built.included], owner)
        state = _state(session)
        if isinstance(exc, client.TokenError):
            for item in items:
                _release(item, now)
            text = f"获取令牌失败（{exc.code}）：{exc.explanation}"
            pause(session, conf, text)
        else:
            text = f"获取令牌时无法连接上级平台：{type(exc).__name__}"
            finished = []
            for item in items:
                item.attempts += 1
                item.message = text
                if item.attempts >= conf.max_attempts:
                    _fail_item(item, now, f"重试 {item.attempts} 次仍未成功：{text}", dead=True)
                    finished.append(item)
                else:
                    _release(item, now + backoff(item.attempts))
            _set_state(session, finished, now)
        state.last_error, state.last_error_at = text, now
        audit(session, "docking.push", actor_name="推送服务", target_type=batch.library, outcome="failure",
              detail={"library": batch.library, "records": len(items), "token_error": text})
    return BatchReport(batch.batch_id, batch.library, len(items), "token", message=text)


def _call(conf: DockingConfig, library: str, body: bytes, token: str) -> Outcome:
    try:
        return classify(client.upload(conf, library, body, token))
    except requests.Timeout:
        return Outcome("transient", error=f"等待上级平台应答超时（{conf.timeout:g} 秒）")
    except requests.RequestException as exc:
        return Outcome("transient", error=f"无法连接上级平台：{type(exc).__name__}")


def send_batch(session: Session, conf: DockingConfig, *, owner: str) -> BatchReport | Blocked:
    """Claim, build, send and finish one batch; or say why nothing is sent now."""
    batch = claim(session, conf, owner=owner)
    if isinstance(batch, Blocked):
        return batch
    built = build(session, conf, batch, owner=owner)
    release_unsent(session, batch, built, owner=owner)
    if not built.included:
        return BatchReport(batch.batch_id, batch.library, 0, "refused", failed=len(built.refused),
                           message="没有可发送的记录")
    try:
        token = client.access_token(session, conf)
    except (client.TokenError, requests.RequestException) as exc:
        return _token_failed(session, conf, batch, built, exc, owner=owner)
    outcome = _call(conf, batch.library, built.body, token)
    if outcome.kind != "unauthorized":
        return finish(session, conf, batch, built, outcome, owner=owner)
    # 403: the token may have been revoked. Fetch a new one once and send again; a second 403 pauses.
    finish(session, conf, batch, built, outcome, owner=owner)
    again = reserve_again(session, conf, batch, owner=owner)
    if again is None:  # no call left this week for the second try
        with write(session):
            for item in _owned(session, [i.id for i in built.included], owner):
                _release(item, _quota_reopens(conf, clock()))
        return BatchReport(batch.batch_id, batch.library, len(built.included), "quota", message=_message(outcome))
    try:
        token = client.access_token(session, conf, fresh=True)
    except (client.TokenError, requests.RequestException) as exc:
        return _token_failed(session, conf, again, built, exc, owner=owner)
    return finish(session, conf, again, built, _call(conf, batch.library, built.body, token), owner=owner,
                  pause_on_403=True)


@dataclass
class PassSummary:
    batches: int = 0
    added: int = 0
    updated: int = 0
    failed: int = 0
    retried: int = 0
    blocked: Blocked | None = None
    reports: list[BatchReport] = field(default_factory=list)

    def text(self) -> str:
        """One Chinese line for the CLI and the log."""
        reasons = {"idle": "没有待推送的数据", "waiting": "排队的数据尚未到发送时间",
                   "paused": "推送已暂停", "window": "当前不在推送时段",
                   "quota": "本周推送次数已用完", "unconfigured": "对接配置不完整"}
        parts = [f"本次调用上级平台 {self.batches} 次", f"新增 {self.added} 条", f"更新 {self.updated} 条",
                 f"失败 {self.failed} 条"]
        if self.retried:
            parts.append(f"待重试 {self.retried} 条")
        if self.blocked is not None:
            until = ""
            if self.blocked.until is not None:
                until = f"，{self.blocked.until.astimezone(protocol.SHANGHAI):%Y-%m-%d %H:%M} 继续"
            parts.append(f"停止原因：{reasons.get(self.blocked.reason, self.blocked.reason)}{until}")
        return "；".join(parts) + "。"


def run_pass(session: Session, conf: DockingConfig, *, owner: str | None = None, max_batches: int | None = None,
             stop=None) -> PassSummary:
    """Send batches until nothing is due, the window or quota stops it, or pushing is paused."""
    owner = owner or owner_id()
    summary = PassSummary()
    while max_batches is None or summary.batches < max_batches:
        if stop is not None and stop.is_set():
            break
        report = send_batch(session, conf, owner=owner)
        if isinstance(report, Blocked):
            summary.blocked = report
            break
        summary.reports.append(report)
        if report.outcome not in ("refused", "token"):
            summary.batches += 1
        summary.added += report.added
        summary.updated += report.updated
        summary.failed += report.failed
        if report.outcome in ("transient", "token"):
            summary.retried += report.records
            break  # the upper platform is failing: wait for the back-off instead of hammering it
        if report.outcome in ("quota", "window", "unauthorized"):
            continue  # the next claim sees the rescheduled items, the quota or the pause, and stops
    return summary


# ------------------------------------------------------------------------------------------- dead letters

def _dead_items(session: Session, ids: Iterable[int], prefix: str) -> list[OutboxItem]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.exec(select(OutboxItem).where(OutboxItem.id.in_(ids), OutboxItem.state == DEAD,
                                                      OutboxItem.region_code.startswith(prefix, autoescape=True))))


def retry_dead(session: Session, ids: Iterable[int], *, actor, scope_prefix: str) -> int:
    """重试: dead-lettered items wait again, due now, with their attempts counted afresh."""
    now = clock()
    with write(session):
        items = _dead_items(session, ids, scope_prefix)
        for item in items:
            item.state, item.attempts, item.next_attempt_at, item.finished_at = QUEUED, 0, now, None
            item.lease_owner = item.lease_until = None
        for library in {i.library for i in items}:
            ids = [i.record_id for i in items if i.library == library]
            for state in states_for(library, ids, session=session).values():
                state.state, state.reason, state.updated_at = QUEUED, None, now
        audit(session, "docking.retry", actor=actor, target_type="docking_outbox", region_code=actor.region_code,
              detail={"items": [i.id for i in items][:KEYS_SHOWN], "count": len(items)})
    return len(items)


def drop_dead(session: Session, ids: Iterable[int], *, actor, scope_prefix: str) -> int:
    """放弃: the items leave the dead-letter list; their records show their last real push result."""
    now = clock()
    with write(session):
        items = _dead_items(session, ids, scope_prefix)
        for item in items:
            item.state, item.finished_at = DROPPED, now
        session.flush()
        for item in items:
            state = session.get(PushState, (item.library, item.record_id))
            waiting = open_items_of(item.library, [item.record_id], session=session)
            if state is not None and not waiting:
                state.state = state.last_success or NONE
                state.reason = "上次推送多次失败，已放弃" if state.state == NONE else None
                state.updated_at = now
        audit(session, "docking.drop", actor=actor, target_type="docking_outbox", region_code=actor.region_code,
              detail={"items": [(i.id, i.library, i.natural_key) for i in items][:KEYS_SHOWN], "count": len(items)})
    return len(items)


def candidates_query(lib: Library, *, visible, q: str = "", region: str = "", industry: str = ""):
    """The push centre's list: a library's approved records in the user's scope, with the list filters."""
    return records_query(lib.model, visible=visible & lib.model.formal_payload.is_not(None), q=q,
                         region_prefix=region_prefix(region) if region else "", industry=industry,
                         search_columns=lib.search_columns)
