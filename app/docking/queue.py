"""Queuing: approved records' formal versions join the outbox (a table, so nothing queued is lost on a
restart). Queuing happens in the database transaction; the HTTP call comes later, from a worker."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from app.accounts.scope import region_prefix
from app.audit.service import record as audit
from app.db import write
from app.docking import clock
from app.docking.batches import identify
from app.docking.items import chunks
from app.docking.models import QUEUED, OutboxItem, PushState, open_items_of, states_for
from app.libraries.records import records_query
from app.libraries.registry import Library


@dataclass
class QueueResult:
    queued: int = 0
    already: int = 0  # waiting already, not yet sent: not queued twice
    skipped: int = 0  # not approved (no formal version) or outside the user's region


def _new_item(lib: Library, record_id: int, region: str, formal: str, now: datetime, actor: Any) -> dict:
    key, name = identify(lib.key, lib.spec_json(json.loads(formal)))
    return {"library": lib.key, "record_id": record_id, "region_code": region, "natural_key": key,
            "entity_name": name, "state": QUEUED, "attempts": 0, "next_attempt_at": now, "queued_at": now,
            "queued_by": getattr(actor, "id", None)}


def _queue_chunk(session: Session, lib: Library, chunk: Sequence[int], *, actor: Any, scope_prefix: str,
                 now: datetime, result: QueueResult) -> None:
    model: Any = lib.model
    rows = session.exec(select(model.id, model.region_code, model.formal_payload).where(
        model.id.in_(chunk), model.formal_payload.is_not(None),
        model.region_code.startswith(scope_prefix, autoescape=True))).all()
    result.skipped += len(chunk) - len(rows)
    # An item leased by a worker is in flight: the record is queued again, for its formal version as it is now.
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
        else:
            new_items.append(_new_item(lib, record_id, region, formal, now, actor))
    if new_items:
        session.execute(OutboxItem.__table__.insert(), new_items)  # type: ignore[attr-defined]
    result.queued += len(new_items)


def queue(session: Session, lib: Library, record_ids: Iterable[int], *, actor: Any,
          scope_prefix: str) -> QueueResult:
    """Put records' formal versions in the outbox. Only approved records inside `scope_prefix` are taken;
    a record already waiting (unclaimed) is not queued twice, while a record in flight or already sent is
    queued again and will travel with its formal version as it is when its batch is built."""
    ids = sorted(set(int(i) for i in record_ids))
    result = QueueResult()
    now = clock.now()
    with write(session):
        for chunk in chunks(ids, 500):
            _queue_chunk(session, lib, chunk, actor=actor, scope_prefix=scope_prefix, now=now, result=result)
        audit(session, "docking.queue", actor=actor, actor_name=None if actor else "命令行", target_type=lib.key,
              region_code=getattr(actor, "region_code", "") or "",
              detail={"library": lib.key, "queued": result.queued, "already": result.already,
                      "skipped": result.skipped})
    return result


def queue_matching(session: Session, lib: Library, stmt: Any, *, actor: Any, scope_prefix: str) -> QueueResult:
    """Queue every record a list query matches (推送全部符合条件的记录), reading ids page by page."""
    model: Any = lib.model
    ids: list[int] = []
    last = None
    id_stmt = stmt.with_only_columns(model.id).order_by(None).order_by(model.id)
    while True:
        page = id_stmt.where(model.id > last) if last is not None else id_stmt
        chunk = list(session.exec(page.limit(5000)))
        if not chunk:
            break
        ids.extend(chunk)
        last = chunk[-1]
    return queue(session, lib, ids, actor=actor, scope_prefix=scope_prefix)


def candidates_query(lib: Library, *, visible: Any, q: str = "", region: str = "", industry: str = "") -> Any:
    """The push centre's list: a library's approved records in the user's scope, with the list filters."""
    model: Any = lib.model
    return records_query(model, visible=visible & model.formal_payload.is_not(None), q=q,
                         region_prefix=region_prefix(region) if region else "", industry=industry,
                         search_columns=lib.search_columns)
