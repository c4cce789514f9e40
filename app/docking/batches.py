"""Building a claimed batch's body: each record's formal spec JSON with its files as Base64, encoded once,
added while the JSON array stays under the request limit. The items that do not fit are released at once
for the next batch; a record too large on its own, or gone, fails without being sent.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.db import write
from app.docking import clock, preflight
from app.docking.items import chunks, fail, owned, release, set_state
from app.docking.lease import Claim
from app.docking.models import OutboxItem, PushBatch
from app.docking.settings import DockingConfig
from app.files.wire import embed
from app.libraries.registry import LIBRARIES, Library

MB = 1048576


@dataclass
class Built:
    body: bytes = b""
    included: list[OutboxItem] = field(default_factory=list)
    keys: dict[int, tuple[str, str]] = field(default_factory=dict)  # item id → (natural key, entity name)
    leftover: list[int] = field(default_factory=list)  # did not fit: released for the next batch
    refused: dict[int, str] = field(default_factory=dict)  # item id → why it cannot be sent at all


def encode(obj: Any) -> bytes:
    """One record's spec JSON as sent (json.dumps honours app.archives.wire's repeated-key objects)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def identify(library: str, obj: dict) -> tuple[str, str]:
    """A record's (natural key, entity name) as the upper platform knows it, cut to the columns' size.
    The one place that asks the library what identifies a record (queuing and building both need it)."""
    lib = LIBRARIES[library]
    return lib.key_of(obj)[:255], lib.name_of(obj)[:255]


class _Body:
    """The JSON array being filled: parts joined by commas, never over `limit` bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 2  # "[" and "]"
        self.full = False

    def too_large(self, data: bytes) -> str | None:
        if len(data) + 2 <= self.limit:
            return None
        return (f"单条数据 {len(data) / MB:.1f} MB，超过单次请求上限 "
                f"{self.limit / MB:.1f} MB，无法推送。")

    def add(self, data: bytes) -> bool:
        """Add the record if it fits; once one does not, the body is complete."""
        extra = len(data) + (1 if self.parts else 0)
        if self.full or self.size + extra > self.limit:
            self.full = True
            return False
        self.parts.append(data)
        self.size += extra
        return True

    def joined(self) -> bytes:
        return b"[" + b",".join(self.parts) + b"]"


def _place(session: Session, lib: Library, item: OutboxItem, rec: Any, body: _Body, out: Built) -> None:
    assert item.id is not None
    if body.full:
        out.leftover.append(item.id)
        return
    formal = lib.formal_json(rec) if rec is not None else None
    if formal is None:
        out.refused[item.id] = "记录已不存在或尚未入库，无法推送。"
        return
    held = preflight.reason(lib, rec.formal)
    if held:  # a strict upper platform would refuse it: held back, without spending a call
        out.refused[item.id] = held
        return
    data = encode(embed(formal, session=session))
    refused = body.too_large(data)
    if refused:
        out.refused[item.id] = refused
    elif not body.add(data):
        out.leftover.append(item.id)
    else:
        out.included.append(item)
        out.keys[item.id] = identify(lib.key, formal)


def build(session: Session, conf: DockingConfig, batch: Claim, *, owner: str) -> Built:
    """The batch's body: records in id order, each encoded once, while the JSON array stays within
    the request limit. Reads records CHUNK at a time; only the body itself is held."""
    lib = LIBRARIES[batch.library]
    model: Any = lib.model
    items = list(session.exec(select(OutboxItem).where(col(OutboxItem.id).in_(batch.item_ids),
                                                       OutboxItem.lease_owner == owner)
                              .order_by(col(OutboxItem.id))))
    out = Built()
    body = _Body(conf.max_request_bytes)
    for chunk in chunks(items):
        if body.full:  # the body is complete: the rest waits for the next batch, unread
            out.leftover.extend(item.id for item in chunk if item.id is not None)
            continue
        records = {r.id: r for r in session.exec(select(model).where(
            model.id.in_([i.record_id for i in chunk])))}
        for item in chunk:
            _place(session, lib, item, records.get(item.record_id), body, out)
        for rec in records.values():
            session.expunge(rec)  # keep the identity map from holding every record of a large batch
    out.body = body.joined()
    session.commit()  # end the read transaction before the HTTP call
    return out


def release_unsent(session: Session, batch: Claim, built: Built, *, owner: str) -> None:
    """After building: free what did not fit, fail what cannot be sent; drop the reservation if nothing
    is left to send (no call is made then)."""
    now = clock.now()
    with write(session):
        touched = []
        for item in owned(session, [*built.leftover, *built.refused], owner):
            assert item.id is not None
            if item.id in built.refused:
                fail(item, now, built.refused[item.id])
                touched.append(item)
            else:
                release(item, now)
        set_state(session, touched, now)
        if not built.included:
            session.execute(delete(PushBatch).where(col(PushBatch.id) == batch.batch_id))
