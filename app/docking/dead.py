"""Dead letters (待处理的失败推送): items whose retries ran out wait for an administrator, who presses
重试 (they wait again, due now) or 放弃 (they leave the list)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.audit.service import record as audit
from app.db import write
from app.docking import clock
from app.docking.answers import KEYS_SHOWN
from app.docking.models import DEAD, DROPPED, NONE, QUEUED, OutboxItem, PushState, open_items_of, states_for


def _dead_items(session: Session, ids: Iterable[int], prefix: str) -> list[OutboxItem]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.exec(select(OutboxItem).where(col(OutboxItem.id).in_(ids), OutboxItem.state == DEAD,
                                                      col(OutboxItem.region_code).startswith(prefix,
                                                                                             autoescape=True))))


def retry_dead(session: Session, ids: Iterable[int], *, actor: Any, scope_prefix: str) -> int:
    """重试: dead-lettered items wait again, due now, with their attempts counted afresh."""
    now = clock.now()
    with write(session):
        items = _dead_items(session, ids, scope_prefix)
        for item in items:
            item.state, item.attempts, item.next_attempt_at, item.finished_at = QUEUED, 0, now, None
            item.lease_owner = item.lease_until = None
        for library in {i.library for i in items}:
            record_ids = [i.record_id for i in items if i.library == library]
            for state in states_for(library, record_ids, session=session).values():
                state.state, state.reason, state.updated_at = QUEUED, None, now
        audit(session, "docking.retry", actor=actor, target_type="docking_outbox", region_code=actor.region_code,
              detail={"items": [i.id for i in items][:KEYS_SHOWN], "count": len(items)})
    return len(items)


def _show_last_result(session: Session, item: OutboxItem, now: datetime) -> None:
    # Unless the record is queued again, it shows its last real push result (or none, with why).
    state = session.get(PushState, (item.library, item.record_id))
    if state is None or open_items_of(item.library, [item.record_id], session=session):
        return
    state.state = state.last_success or NONE
    state.reason = "上次推送多次失败，已放弃" if state.state == NONE else None
    state.updated_at = now


def drop_dead(session: Session, ids: Iterable[int], *, actor: Any, scope_prefix: str) -> int:
    """放弃: the items leave the dead-letter list; their records show their last real push result."""
    now = clock.now()
    with write(session):
        items = _dead_items(session, ids, scope_prefix)
        for item in items:
            item.state, item.finished_at = DROPPED, now
        session.flush()
        for item in items:
            _show_last_result(session, item, now)
        audit(session, "docking.drop", actor=actor, target_type="docking_outbox", region_code=actor.region_code,
              detail={"items": [(i.id, i.library, i.natural_key) for i in items][:KEYS_SHOWN], "count": len(items)})
    return len(items)
