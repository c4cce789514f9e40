"""Moving outbox items between states, and mirroring them on their records' push states (推送状态).

Every step of a batch (building, finishing, token failures, dead letters) changes items only through these
few functions, so an item's lease is always dropped when it leaves the worker's hands.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from sqlmodel import Session, col, select

from app.docking.models import (
    DEAD,
    FAILED,
    QUEUED,
    SENT,
    DockingState,
    OutboxItem,
    PushState,
    get_state,
    open_items_of,
    states_for,
)

CHUNK = 200  # records read per query while queuing or building: never all of them at once
BACKOFF_CAP_MINUTES = 60

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def docking_state(session: Session) -> DockingState:
    """The one state row (pause, quota used, batch limit), created on first use."""
    state = get_state(session=session)
    if state is None:
        state = DockingState()
        session.add(state)
        session.flush()
    return state


def owned(session: Session, ids: Iterable[int], owner: str) -> list[OutboxItem]:
    """The items still queued under `owner`'s lease: only the lease holder may finish an item, so two
    workers never write results for the same one."""
    ids = list(ids)
    if not ids:
        return []
    return list(session.exec(select(OutboxItem).where(col(OutboxItem.id).in_(ids), OutboxItem.lease_owner == owner,
                                                      OutboxItem.state == QUEUED).order_by(col(OutboxItem.id))))


def release(item: OutboxItem, at: datetime) -> None:
    """Give the item back to the queue, due at `at`."""
    item.lease_owner, item.lease_until, item.next_attempt_at = None, None, at


def fail(item: OutboxItem, now: datetime, reason: str, code: str | None = None, *, dead: bool = False) -> None:
    """Finish the item as failed, or as dead-lettered (待处理的失败推送) when retries ran out."""
    item.state = DEAD if dead else FAILED
    item.message, item.code, item.finished_at = reason, code, now
    item.lease_owner, item.lease_until = None, None


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), BACKOFF_CAP_MINUTES))


def retry_later(items: Iterable[OutboxItem], now: datetime, message: str, *, max_attempts: int,
                code: str | None = None, keep_code: bool = False) -> list[OutboxItem]:
    """A transient failure: each item waits for its back-off, or goes to the dead letters after
    `max_attempts` tries. `keep_code`: no answer came (no token), so a waiting item keeps the code of
    its last real answer. Returns the dead-lettered items, whose records must now show the failure."""
    dead = []
    for item in items:
        item.attempts += 1
        item.message = message
        if not keep_code:
            item.code = code
        if item.attempts >= max_attempts:
            fail(item, now, f"重试 {item.attempts} 次仍未成功：{message}", code, dead=True)
            dead.append(item)
        else:
            release(item, now + backoff(item.attempts))
    return dead


def _mirror(state: PushState, item: OutboxItem, now: datetime) -> None:
    if item.state == SENT:
        state.last_success, state.pushed_at, state.reason = item.result, now, item.message  # inferred, or None
        state.state = item.result or state.state
    elif item.state in (FAILED, DEAD):
        state.state, state.reason = FAILED, item.message


def set_state(session: Session, items: list[OutboxItem], now: datetime) -> None:
    """Each finished item's record shows its result, unless the record is queued again meanwhile."""
    if not items:
        return
    library = items[0].library
    ids = [i.record_id for i in items]
    states = states_for(library, ids, session=session)
    finishing = {x.id for x in items}
    still_waiting = {i.record_id for i in open_items_of(library, ids, session=session) if i.id not in finishing}
    for item in items:
        state = states.get(item.record_id) or PushState(library=library, record_id=item.record_id)
        _mirror(state, item, now)
        if item.record_id in still_waiting:
            state.state = QUEUED
        state.updated_at = now
        session.add(state)
