"""Reading an upper platform's answer and finishing the batch with it: one small handler per outcome,
chosen from HANDLERS, each deciding the batch's items (sent / failed / retry / dead letter / rescheduled).
`finish` then writes the records' push states, the batch row and the audit event, all in one transaction.

The answer is classified before the finishing transaction opens; the HTTP call is never inside it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col

from app.audit.service import record as audit
from app.db import write
from app.docking import client, clock, protocol
from app.docking.batches import Built
from app.docking.items import docking_state, fail, owned, release, retry_later, set_state
from app.docking.lease import Claim, quota_reopens, reschedule_due
from app.docking.models import (
    ADDED,
    B_OK,
    B_REFUSED,
    B_RESCHEDULED,
    B_RETRY,
    B_SPLIT,
    B_UNAUTHORIZED,
    FAILED,
    SENT,
    UPDATED,
    DockingState,
    OutboxItem,
    PushBatch,
    states_for,
)
from app.docking.pause import pause
from app.docking.results import record_results
from app.docking.settings import DockingConfig

KEYS_SHOWN = 20  # natural keys kept on a batch row and in its audit event


@dataclass
class Outcome:
    """What one call's answer means for its batch, decided before the finishing transaction."""

    kind: str  # ok | quota | split | window | unauthorized | transient
    answer: client.UploadAnswer | None = None
    error: str = ""  # a failure without an answer (timeout, connection), in Chinese


KINDS = {protocol.QUOTA_USED: "quota", protocol.TOO_MUCH_DATA: "split", protocol.OUTSIDE_WINDOW: "window",
         protocol.UNAUTHORIZED: "unauthorized"}


def classify(answer: client.UploadAnswer) -> Outcome:
    code = answer.code
    if protocol.is_ok(code) and answer.http_status < 400 and answer.body is not None:
        return Outcome("ok", answer)
    if answer.http_status == 403:
        return Outcome("unauthorized", answer)
    return Outcome(KINDS.get(code, "transient"), answer)


def message_of(outcome: Outcome) -> str:
    answer = outcome.answer
    if answer is None:
        return outcome.error
    body_message = (answer.body or {}).get("message") if answer.body else None
    text = body_message or protocol.SPEC_MESSAGES.get(answer.code) or answer.text[:200] or f"HTTP {answer.http_status}"
    return f"{answer.code} {text}"


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


@dataclass
class Finishing:
    """What every handler needs. A handler decides the leased `items`, sets `row.outcome` and returns the
    items it finished (their records then show the result)."""

    session: Session
    conf: DockingConfig
    batch: Claim
    built: Built
    outcome: Outcome
    items: list[OutboxItem]
    row: PushBatch
    state: DockingState
    report: BatchReport
    now: datetime
    message: str

    @property
    def code(self) -> str | None:
        return self.outcome.answer.code if self.outcome.answer else None


def _ok(f: Finishing) -> list[OutboxItem]:
    """Success: each record as added / updated / failed (results.record_results)."""
    built, answer = f.built, f.outcome.answer
    assert answer is not None and answer.body is not None
    # Results follow the request's order, so they are worked out for every record that was sent.
    before = states_for(f.batch.library, [i.record_id for i in built.included], session=f.session)
    keyed = [(*built.keys[_id(i)], bool(before.get(i.record_id) and before[i.record_id].last_success))
             for i in built.included]
    verdicts = dict(zip((_id(i) for i in built.included), record_results(f.batch.library, keyed, answer.body),
                        strict=True))
    for item in f.items:
        (key, name), (result, reason) = built.keys[_id(item)], verdicts[_id(item)]
        item.natural_key, item.entity_name, item.batch_id = key, name, f.batch.batch_id
        if result == FAILED:
            fail(item, f.now, reason or "", answer.code)
            f.report.failed += 1
        else:
            item.state, item.result, item.code, item.finished_at = SENT, result, answer.code, f.now
            item.message, item.lease_owner, item.lease_until = reason, None, None  # reason: inferred or None
            f.report.added += result == ADDED
            f.report.updated += result == UPDATED
    f.row.outcome = B_OK
    return f.items


def _quota(f: Finishing) -> list[OutboxItem]:
    """89501: no more calls this week; the batch waits for next week's window."""
    f.state.quota_used_week = f.batch.week
    reopens = quota_reopens(f.conf, f.now)
    for item in f.items:
        release(item, reopens)
    reschedule_due(f.session, f.now, reopens)  # every library waits: the week's calls are spent
    f.row.outcome = B_RESCHEDULED
    return []


def _split(f: Finishing) -> list[OutboxItem]:
    """89502: halve the batch (kept until the settings are saved); a lone record still too large fails."""
    if len(f.items) > 1:
        f.state.batch_limit = max(1, len(f.items) // 2)
        for item in f.items:
            release(item, f.now)
        f.row.outcome = B_SPLIT
        return []
    for item in f.items:
        fail(item, f.now, "单条数据量超出上级平台的限制（89502），请精简附件后重新推送。", f.code)
    f.row.outcome = B_REFUSED
    return f.items


def _window(f: Finishing) -> list[OutboxItem]:
    """89503: the batch waits for the next window (the one after ours, if the upper platform's closed early)."""
    window = f.conf.window
    reopen = window.next_open(window.closes_at(f.now)) if window.contains(f.now) else window.next_open(f.now)
    for item in f.items:
        release(item, reopen)
    # The upper platform's window is closed for every library: the items of the others wait as well, so
    # neither this pass nor the next poll spends a call of the weekly count on a certain 89503.
    reschedule_due(f.session, f.now, reopen)
    f.row.outcome = B_RESCHEDULED
    return []


def _unauthorized(f: Finishing) -> list[OutboxItem]:
    """A first 403: a new token is fetched and the same body sent once more (passes.send_batch); keep the
    leases."""
    f.row.outcome = B_UNAUTHORIZED
    return []


def _unauthorized_again(f: Finishing) -> list[OutboxItem]:
    """A second 403 with a fresh token: pause, and tell the city's administrators."""
    for item in f.items:
        release(item, f.now)
    f.row.outcome = B_UNAUTHORIZED
    pause(f.session, f.conf, "上级平台两次拒绝授权（403）。" + protocol.EXPLANATIONS[protocol.UNAUTHORIZED])
    return []


def _transient(f: Finishing) -> list[OutboxItem]:
    """503, other HTTP errors, timeouts, connection errors, answers that cannot be read: back off, and
    dead-letter an item after DOCKING_MAX_ATTEMPTS tries."""
    f.row.outcome = B_RETRY
    return retry_later(f.items, f.now, f.message, max_attempts=f.conf.max_attempts, code=f.code)


HANDLERS: dict[str, Callable[[Finishing], list[OutboxItem]]] = {
    "ok": _ok, "quota": _quota, "split": _split, "window": _window, "unauthorized": _unauthorized,
    "unauthorized_again": _unauthorized_again, "transient": _transient,
}


def _id(item: OutboxItem) -> int:
    assert item.id is not None
    return item.id


def region_of(codes: Iterable[str]) -> str:
    """The smallest region code holding all of `codes` (a county, city or province; "" if none)."""
    codes = sorted(set(codes))
    if len(codes) <= 1:
        return codes[0] if codes else ""
    for width, pad in ((4, "00"), (2, "0000")):
        if len({c[:width] for c in codes}) == 1:
            return codes[0][:width] + pad
    return ""


def _write_row(f: Finishing) -> None:
    """The batch row and the audit event: what was sent and what the upper platform said."""
    row, built, answer, message = f.row, f.built, f.outcome.answer, f.message
    body: dict[str, Any] = (answer.body or {}) if answer else {}
    row.finished_at, row.records, row.bytes = f.now, len(built.included), len(built.body)
    row.region_code = region_of(i.region_code for i in built.included)
    keys = [built.keys[_id(i)][0] for i in built.included]
    row.keys = "、".join(keys[:KEYS_SHOWN]) + (f" 等 {len(keys)} 条" if len(keys) > KEYS_SHOWN else "")
    row.http_status = answer.http_status if answer else None
    row.code, row.message = f.code, message[:2000]
    row.response = answer.text if answer else f.outcome.error
    row.success_total, row.fail_total, row.add_total = (protocol.total(body, "successTotal"),
                                                        protocol.total(body, "faidTotal"),
                                                        protocol.total(body, "addTotal"))
    row.update_total = protocol.updated_total(f.batch.library, body)
    audit(f.session, "docking.push", actor_name="推送服务", target_type=f.batch.library, target_id=f.batch.batch_id,
          region_code=row.region_code, outcome="success" if f.outcome.kind == "ok" else "failure",
          detail={"library": f.batch.library, "records": row.records, "bytes": row.bytes, "keys": keys[:KEYS_SHOWN],
                  "http_status": row.http_status, "code": row.code, "message": message[:300],
                  "successTotal": row.success_total, "faidTotal": row.fail_total, "addTotal": row.add_total,
                  "updateTotal": row.update_total, "faidEntName": (body.get("faidEntName") or [])[:KEYS_SHOWN],
                  "outcome": row.outcome})


def finish(session: Session, conf: DockingConfig, batch: Claim, built: Built, outcome: Outcome, *,
           owner: str, pause_on_403: bool = False) -> BatchReport:
    """Write what the answer means for every item of the batch, the records' push states, the batch row
    and the audit event, in one transaction. `pause_on_403`: this was the second try with a new token."""
    now = clock.now()
    message = message_of(outcome)
    kind = "unauthorized_again" if outcome.kind == "unauthorized" and pause_on_403 else outcome.kind
    with write(session):
        items = owned(session, [_id(i) for i in built.included], owner)
        row = session.get(PushBatch, batch.batch_id)
        assert row is not None
        report = BatchReport(batch.batch_id, batch.library, len(items), outcome.kind, message=message)
        f = Finishing(session, conf, batch, built, outcome, items, row, docking_state(session), report, now,
                      message)
        set_state(session, HANDLERS[kind](f), now)
        for item in items:
            item.batch_id = batch.batch_id
        _write_row(f)
        # 最近的错误 is the latest state: an accepted call clears it, any other answer replaces it.
        f.state.last_error, f.state.last_error_at = ("", None) if kind == "ok" else (message[:2000], now)
    return report


def _token_refused(session: Session, conf: DockingConfig, items: list[OutboxItem], exc: client.TokenError,
                   now: datetime) -> str:
    """40001–40004: the credentials are wrong; retrying cannot help, so pause."""
    for item in items:
        release(item, now)
    text = f"获取令牌失败（{exc.code}）：{exc.explanation}"
    pause(session, conf, text)
    return text


def _token_unreachable(session: Session, conf: DockingConfig, items: list[OutboxItem], exc: Exception,
                       now: datetime) -> str:
    """The token endpoint did not answer: a transient failure of the batch's items."""
    text = f"获取令牌时无法连接上级平台：{type(exc).__name__}"
    set_state(session, retry_later(items, now, text, max_attempts=conf.max_attempts, keep_code=True), now)
    return text


def token_failed(session: Session, conf: DockingConfig, batch: Claim, built: Built, exc: Exception, *,
                 owner: str) -> BatchReport:
    """No token: the call is not made, so its reservation is dropped. A refusal (40001–40004) pauses
    pushing; a network failure is a transient failure of the batch's items."""
    now = clock.now()
    with write(session):
        session.execute(delete(PushBatch).where(col(PushBatch.id) == batch.batch_id))
        items = owned(session, [_id(i) for i in built.included], owner)
        state = docking_state(session)
        if isinstance(exc, client.TokenError):
            text = _token_refused(session, conf, items, exc, now)
        else:
            text = _token_unreachable(session, conf, items, exc, now)
        state.last_error, state.last_error_at = text, now
        audit(session, "docking.push", actor_name="推送服务", target_type=batch.library, outcome="failure",
              detail={"library": batch.library, "records": len(items), "token_error": text})
    return BatchReport(batch.batch_id, batch.library, len(items), "token", message=text)
