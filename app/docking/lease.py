"""Claiming a batch: inside the push window and the weekly quota, lease up to N due items of one library
and reserve the call as a `docking_batch` row, so a crash mid-call still counts against the quota.

Only the worker holding an item's lease may finish it, so two workers never send the same item at once;
a lease left by a killed worker expires and the item is claimed again.
"""
from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col

from app.db import write
from app.docking import clock, protocol
from app.docking.items import docking_state
from app.docking.models import (
    B_SENDING,
    QUEUED,
    DockingState,
    OutboxItem,
    PushBatch,
    calls_in_week,
    due_query,
    get_state,
    next_attempt,
)
from app.docking.settings import DockingConfig

INTERRUPTED = "interrupted"


def owner_id() -> str:
    """Who holds a lease: host, process and thread, so two workers anywhere never share one."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


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


def _not_leased(now: datetime) -> ColumnElement[bool]:
    return or_(col(OutboxItem.lease_until).is_(None), col(OutboxItem.lease_until) < now)


def reschedule_due(session: Session, now: datetime, until: datetime) -> None:
    session.execute(update(OutboxItem).where(col(OutboxItem.state) == QUEUED, col(OutboxItem.next_attempt_at) < until,
                                             _not_leased(now))
                    .values(next_attempt_at=until))


def quota_reopens(conf: DockingConfig, now: datetime) -> datetime:
    """When calls may be made again after the week's quota is spent: next Monday's window."""
    return conf.window.next_open(protocol.next_week_start(now))


def _quota_spent(session: Session, conf: DockingConfig, state: DockingState, week: str) -> bool:
    # 89501 from the upper platform spends the week even if our own count says otherwise.
    return state.quota_used_week == week or calls_in_week(week, upper=conf.upper_id,
                                                            session=session) >= conf.weekly_quota


def _nothing_due(session: Session) -> Blocked:
    later = next_attempt(region_prefix="", session=session)
    return Blocked("waiting", later) if later is not None else Blocked("idle")


def _idle(session: Session, conf: DockingConfig, now: datetime) -> Blocked | None:
    """Why nothing can be claimed, seen with a read only: an idle poll (every DOCKING_POLL_SECONDS) must
    not take the write lock."""
    state = get_state(session=session)
    idle = None
    if state is not None and state.paused:
        idle = Blocked("paused")
    elif not conf.configured:
        idle = Blocked("unconfigured")
    elif session.exec(due_query(now).limit(1)).first() is None:
        idle = _nothing_due(session)
    session.commit()
    return idle


def _closed(session: Session, conf: DockingConfig, state: DockingState, now: datetime) -> Blocked | None:
    """Outside the window or beyond the quota: the due items are rescheduled to when sending may resume."""
    if not conf.window.contains(now):
        reason, until = "window", conf.window.next_open(now)
    elif _quota_spent(session, conf, state, protocol.iso_week(now)):
        reason, until = "quota", quota_reopens(conf, now)
    else:
        return None
    reschedule_due(session, now, until)
    return Blocked(reason, until)


def _lease(session: Session, conf: DockingConfig, state: DockingState, library: str, now: datetime, *,
           owner: str) -> Claim:
    week = protocol.iso_week(now)
    limit = min(conf.batch_max_records, state.batch_limit or conf.batch_max_records)
    ids = [i for i in session.scalars(due_query(now).where(OutboxItem.library == library)
                                      .with_only_columns(col(OutboxItem.id)).order_by(col(OutboxItem.id))
                                      .limit(limit)) if i is not None]
    lease_until = now + timedelta(seconds=conf.lease_seconds)
    # Conditional: inside BEGIN IMMEDIATE no other writer runs, and the condition keeps it honest anyway.
    session.execute(update(OutboxItem).where(col(OutboxItem.id).in_(ids), col(OutboxItem.state) == QUEUED,
                                             _not_leased(now))
                    .values(lease_owner=owner, lease_until=lease_until))
    batch = PushBatch(library=library, week=week, upper=conf.upper_id, owner=owner, started_at=now, outcome=B_SENDING)
    session.add(batch)
    session.flush()
    assert batch.id is not None
    return Claim(batch.id, library, ids, week)


def claim(session: Session, conf: DockingConfig, *, owner: str, now: datetime | None = None) -> Claim | Blocked:
    """Lease the next batch's items and reserve its call, or say why nothing may be sent now. Items
    waiting outside the window or beyond the quota are rescheduled to when sending may resume."""
    now = now or clock.now()
    idle = _idle(session, conf, now)
    if idle is not None:
        return idle
    with write(session):
        state = docking_state(session)
        # Calls a killed worker reserved and never finished: they counted; show them as interrupted.
        session.execute(update(PushBatch).where(col(PushBatch.outcome) == B_SENDING,
                                                col(PushBatch.started_at) < now - timedelta(seconds=conf.lease_seconds))
                        .values(outcome=INTERRUPTED, finished_at=now))
        if state.paused:
            return Blocked("paused")
        if not conf.configured:
            return Blocked("unconfigured")
        first = session.exec(due_query(now).order_by(col(OutboxItem.next_attempt_at), col(OutboxItem.id))
                             .limit(1)).first()
        if first is None:
            return _nothing_due(session)
        return _closed(session, conf, state, now) or _lease(session, conf, state, first.library, now, owner=owner)


def reserve_again(session: Session, conf: DockingConfig, batch: Claim, *, owner: str) -> Claim | None:
    """A second call for the same items (after a 403 and a new token): reserve it against the quota."""
    now = clock.now()
    with write(session):
        week = protocol.iso_week(now)
        if _quota_spent(session, conf, docking_state(session), week):
            return None
        row = PushBatch(library=batch.library, week=week, upper=conf.upper_id, owner=owner, started_at=now,
                        outcome=B_SENDING)
        session.add(row)
        session.flush()
        assert row.id is not None
        return Claim(row.id, batch.library, batch.item_ids, week)
