"""The push client's tables: the settings page's values, the runtime state (token cache, pause), the
outbox, the batches sent (also the weekly quota's count), and each record's push state for the lists.

The outbox is the truth about what must still be sent: an item is `queued` until a batch's answer makes
it `sent` or `failed` (the upper platform refused that record), or its retries run out (`dead`, shown to
the administrator with 重试 / 放弃). A worker claims items with a lease (`lease_owner`, `lease_until`)
in a write transaction, sends after the commit, and writes the answer in a new transaction; a lease left
by a killed worker simply expires.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, Index, Text, func, or_
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.db import utcnow

# Outbox item states
QUEUED, SENT, FAILED, DEAD, DROPPED = "queued", "sent", "failed", "dead", "dropped"
ITEM_LABELS = {QUEUED: "排队中", SENT: "已推送", FAILED: "推送失败", DEAD: "多次重试失败", DROPPED: "已放弃"}

# A record's push state, as the library lists show it
NONE, ADDED, UPDATED = "none", "added", "updated"
STATE_LABELS = {NONE: "未推送", QUEUED: "排队中", ADDED: "已推送（新增）", UPDATED: "已推送（更新）",
                FAILED: "推送失败"}
STATE_BADGES = {NONE: "", QUEUED: "warn", ADDED: "ok", UPDATED: "ok", FAILED: "bad"}
# The reason an added / updated state carries when the answer did not say which it was (docking.results).
INFERRED = "上级平台的应答未逐条说明新增或更新，此结果按应答的计数推断"

# Batch outcomes
B_SENDING, B_OK, B_RETRY, B_SPLIT, B_RESCHEDULED, B_UNAUTHORIZED, B_REFUSED = (
    "sending", "ok", "retry", "split", "rescheduled", "unauthorized", "refused")
BATCH_LABELS = {B_SENDING: "发送中", B_OK: "已完成", B_RETRY: "失败，稍后重试", B_SPLIT: "数据量超出，拆分重试",
                B_RESCHEDULED: "已改期", B_UNAUTHORIZED: "未授权", B_REFUSED: "被拒绝"}


class DockingSetting(SQLModel, table=True):
    """The settings page's values (one row). An empty field falls back to the SMEDT_DOCKING_* setting."""

    __tablename__ = "docking_setting"

    id: int | None = Field(default=None, primary_key=True)
    base_url: str = Field(default="", max_length=500)
    username: str = Field(default="", max_length=200)
    client_id: str = Field(default="", max_length=200)
    # Sealed with app.secretbox: a copied database (a backup) hands out neither the secret nor the key.
    client_secret_enc: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    grant_type: str = Field(default="", max_length=64)
    scope: str = Field(default="", max_length=200)
    sm4_key_enc: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    platform_info: str = Field(default="", max_length=500)
    region_code: str = Field(default="", max_length=12)
    auth_mode: str = Field(default="", max_length=8)
    auth_padding: str = Field(default="", max_length=8)
    auth_encoding: str = Field(default="", max_length=8)
    auth_output: str = Field(default="", max_length=8)
    auth_template: str = Field(default="", max_length=200)
    auth_iv: str = Field(default="", max_length=32)
    push_window: str = Field(default="", max_length=20)
    weekly_quota: int | None = None
    max_request_bytes: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = None


class DockingState(SQLModel, table=True):
    """What the push client learned while running (one row): its token, whether pushing is paused and why,
    and a batch size the upper platform refused (89502), so the next batches stay below it."""

    __tablename__ = "docking_state"

    id: int | None = Field(default=None, primary_key=True)
    access_token_enc: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    refresh_token_enc: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    token_expires_at: datetime | None = None
    token_for: str = Field(default="", max_length=64)  # digest of the credentials the token belongs to
    paused: bool = Field(default=False)
    paused_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    paused_at: datetime | None = None
    batch_limit: int | None = None  # records per batch after an 89502; None: no learned limit
    quota_used_week: str = Field(default="", max_length=10)  # the ISO week the upper platform said 89501 in
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    last_error_at: datetime | None = None


class OutboxItem(SQLModel, table=True):
    __tablename__ = "docking_outbox"
    __table_args__ = (
        # The claim: due queued items, oldest first.
        Index("ix_docking_outbox_due", "state", "next_attempt_at", "id"),
        Index("ix_docking_outbox_record", "library", "record_id", "state"),
        Index("ix_docking_outbox_state_region", "state", "region_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    library: str = Field(max_length=16)
    record_id: int
    region_code: str = Field(max_length=12)
    natural_key: str = Field(default="", max_length=255)
    entity_name: str = Field(default="", max_length=255)
    state: str = Field(default=QUEUED, max_length=8)
    attempts: int = Field(default=0)  # transient failures so far
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = None
    batch_id: int | None = Field(default=None, index=True)  # the last batch that carried it
    result: str | None = Field(default=None, max_length=8)  # added / updated once sent
    code: str | None = Field(default=None, max_length=16)
    message: str | None = Field(default=None, sa_type=Text)
    queued_at: datetime = Field(default_factory=utcnow)
    queued_by: int | None = None
    finished_at: datetime | None = None

    @property
    def state_label(self) -> str:
        return ITEM_LABELS.get(self.state, self.state)


class PushBatch(SQLModel, table=True):
    """One upload call (or one reserved call: a row exists before the request leaves, so a crash
    mid-call still counts against the weekly quota)."""

    __tablename__ = "docking_batch"
    __table_args__ = (Index("ix_docking_batch_week", "week"), Index("ix_docking_batch_region", "region_code", "id"))

    id: int | None = Field(default=None, primary_key=True)
    library: str = Field(max_length=16)
    region_code: str = Field(default="", max_length=12)  # the smallest region holding every item
    week: str = Field(max_length=10)  # ISO week in Asia/Shanghai: the quota period
    # Which upper platform the call went to (DockingConfig.upper_id): each counts its own weekly quota.
    # "" for calls made before this was recorded: they count for whichever upper platform is configured.
    upper: str = Field(default="", max_length=32)
    owner: str = Field(default="", max_length=100)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    records: int = Field(default=0)
    bytes: int = Field(default=0)
    keys: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # truncated
    outcome: str = Field(default=B_SENDING, max_length=16)
    http_status: int | None = None
    code: str | None = Field(default=None, max_length=16)
    message: str | None = Field(default=None, sa_type=Text)
    success_total: int | None = None
    fail_total: int | None = None
    add_total: int | None = None
    update_total: int | None = None
    response: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # excerpt

    @property
    def outcome_label(self) -> str:
        return BATCH_LABELS.get(self.outcome, self.outcome)


class PushState(SQLModel, table=True):
    """A record's push state, beside the five library tables (which stay as they are): one row per
    record ever queued, read for one list page at a time."""

    __tablename__ = "docking_record_state"

    library: str = Field(primary_key=True, max_length=16)
    record_id: int = Field(primary_key=True)
    state: str = Field(default=NONE, max_length=8)
    reason: str | None = Field(default=None, sa_type=Text)
    last_success: str | None = Field(default=None, max_length=8)  # added / updated: pushed before
    pushed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def label(self) -> str:
        label = STATE_LABELS.get(self.state, self.state)
        if self.state in (ADDED, UPDATED) and self.reason == INFERRED:  # the answer did not say which
            return label[:-1] + "，推断）"
        return label

    @property
    def badge(self) -> str:
        return STATE_BADGES.get(self.state, "")


# ------------------------------------------------------------------------------------------- queries

def get_setting(*, session: Session) -> DockingSetting | None:
    return session.exec(select(DockingSetting).order_by(col(DockingSetting.id))).first()


def get_state(*, session: Session) -> DockingState | None:
    return session.exec(select(DockingState).order_by(col(DockingState.id))).first()


def states_for(library: str, record_ids: Iterable[int], *, session: Session) -> dict[int, PushState]:
    """The push states of one list page's records, in one query."""
    ids = list(record_ids)
    if not ids:
        return {}
    rows = session.exec(select(PushState).where(PushState.library == library, col(PushState.record_id).in_(ids)))
    return {row.record_id: row for row in rows}


def open_items_of(library: str, record_ids: Iterable[int], *, session: Session) -> list[OutboxItem]:
    ids = list(record_ids)
    if not ids:
        return []
    return list(session.exec(select(OutboxItem).where(OutboxItem.library == library,
                                                      col(OutboxItem.record_id).in_(ids),
                                                      OutboxItem.state == QUEUED)))


def due_query(now: datetime) -> SelectOfScalar[OutboxItem]:
    """Queued items that may be claimed now: due, and not leased (or the lease ran out)."""
    return select(OutboxItem).where(OutboxItem.state == QUEUED, col(OutboxItem.next_attempt_at) <= now,
                                    or_(col(OutboxItem.lease_until).is_(None), col(OutboxItem.lease_until) < now))


def calls_in_week(week: str, *, upper: str, session: Session) -> int:
    """Upload calls made to upper platform `upper` in `week` (the weekly quota's count)."""
    return session.exec(select(func.count()).select_from(PushBatch).where(
        PushBatch.week == week, col(PushBatch.upper).in_([upper, ""]))).one()


def item_counts(*, region_prefix: str, session: Session) -> dict[str, int]:
    stmt = (select(OutboxItem.state, func.count()).where(col(OutboxItem.region_code).startswith(region_prefix,
                                                                                           autoescape=True))
            .group_by(OutboxItem.state))
    return dict(session.exec(stmt).all())


def leased_count(now: datetime, *, region_prefix: str, session: Session) -> int:
    return session.exec(select(func.count()).select_from(OutboxItem).where(
        OutboxItem.state == QUEUED, col(OutboxItem.lease_until) >= now,
        col(OutboxItem.region_code).startswith(region_prefix, autoescape=True))).one()


def next_attempt(*, region_prefix: str, session: Session) -> datetime | None:
    return session.exec(select(func.min(OutboxItem.next_attempt_at)).where(
        OutboxItem.state == QUEUED, col(OutboxItem.region_code).startswith(region_prefix, autoescape=True))).one()


def batches_query(*, region_prefix: str) -> SelectOfScalar[PushBatch]:
    """Upload calls whose records all lie in the region, newest first."""
    return (select(PushBatch).where(col(PushBatch.region_code).startswith(region_prefix, autoescape=True))
            .order_by(col(PushBatch.id).desc()))


def dead_query(*, region_prefix: str) -> SelectOfScalar[OutboxItem]:
    return (select(OutboxItem).where(OutboxItem.state == DEAD,
                                     col(OutboxItem.region_code).startswith(region_prefix, autoescape=True))
            .order_by(col(OutboxItem.id)))


def dead_ids(*, region_prefix: str, session: Session, limit: int = 10000) -> list[int]:
    rows = session.exec(select(col(OutboxItem.id)).where(
        OutboxItem.state == DEAD, col(OutboxItem.region_code).startswith(region_prefix, autoescape=True))
        .order_by(col(OutboxItem.id)).limit(limit))
    return [i for i in rows if i is not None]  # a primary key; None only to the type checker


def recent_items_query(*, region_prefix: str) -> SelectOfScalar[OutboxItem]:
    """The latest items of the region (what the progress partial lists), newest first."""
    return (select(OutboxItem).where(col(OutboxItem.region_code).startswith(region_prefix, autoescape=True))
            .order_by(col(OutboxItem.id).desc()))
