"""The receiving side's tables: docked platforms, the tokens issued to them, the weekly call counter,
the call log, and the one row of hub-wide settings (the 开启 / 关闭对接 switch).

Secrets follow app/oauth_server: the client secret and the tokens are kept only as SHA-256 digests; the
SM4 key, which the platform must read back to decrypt every Authorization header, is sealed with
app.secretbox.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, Index, String, Text, delete, update
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import region_prefix
from app.db import utcnow
from app.docking import protocol
from app.oauth_server.models import digest

# A docked platform's registration state. Only an approved platform has credentials.
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUS_LABELS = {PENDING: "待审批", APPROVED: "已批准", REJECTED: "已驳回"}
# Who may be bound to a platform: the city or county account of the platform's region (spec 1.1 step 2).
BINDABLE_ROLES = (roles.CITY_ADMIN, roles.COUNTY_OFFICIAL)


class HubSetting(SQLModel, table=True):
    """Hub-wide settings, one row (id 1). Docking starts switched off: a new installation receives
    nothing until an administrator opens it (spec 1.1 流程备注 1)."""

    __tablename__ = "hub_setting"

    id: int | None = Field(default=None, primary_key=True)
    docking_enabled: bool = Field(default=False)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = None


class DockedPlatform(SQLModel, table=True):
    """A lower platform allowed to push here, bound to the city or county account whose region it
    reports for."""

    __tablename__ = "hub_platform"
    __table_args__ = (Index("ix_hub_platform_region", "region_code", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)  # the submitter name its pushes carry in the review queue
    domain: str = Field(max_length=255)  # also the platform information of the Authorization header
    ip: str = Field(default="", max_length=255)  # allowed source addresses, space separated; "" = any
    region_code: str = Field(max_length=12)  # the bound account's region: the data's region
    bound_user_id: int = Field(foreign_key="user_account.id", index=True)
    status: str = Field(default=PENDING, max_length=16)
    reject_reason: str | None = Field(default=None, sa_type=Text)
    enabled: bool = Field(default=True)
    push_window: str = Field(default="00:00-05:00", max_length=11)
    weekly_quota: int = Field(default=100)
    max_bytes: int = Field(default=10 * 1024 * 1024)
    # Issued on approval (and on every rotation).
    username: str | None = Field(default=None, sa_column=Column(String(64), unique=True, nullable=True))
    client_id: str | None = Field(default=None, sa_column=Column(String(64), unique=True, nullable=True))
    secret_hash: str = Field(default="", max_length=64)
    sm4_key_sealed: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The Authorization layout (AuthLayout.to_dict() as JSON) recorded at approval and written into the
    # platform's configuration file; "" (registered before it was recorded): the installation's HUB_AUTH_*.
    auth_layout: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    credentials_at: datetime | None = None
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    decided_by_name: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_approved(self) -> bool:
        return self.status == APPROVED

    @property
    def window_label(self) -> str:
        return protocol.PushWindow.parse(self.push_window).label

    @property
    def ip_list(self) -> list[str]:
        return self.ip.split()


class HubToken(SQLModel, table=True):
    """An access token and its refresh token issued to a platform (digests only)."""

    __tablename__ = "hub_token"

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="hub_platform.id", index=True)
    access_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    refresh_hash: str | None = Field(default=None, sa_column=Column(String(64), unique=True, nullable=True))
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    refresh_expires_at: datetime
    revoked_at: datetime | None = None


class HubQuotaUse(SQLModel, table=True):
    """How many upload calls a platform made in one ISO week (Asia/Shanghai), for the weekly quota."""

    __tablename__ = "hub_quota_use"

    platform_id: int = Field(foreign_key="hub_platform.id", primary_key=True)
    week: str = Field(max_length=8, primary_key=True)  # 2026-W48
    calls: int = Field(default=0)


class HubCall(SQLModel, table=True):
    """One call of the docking endpoints, accepted or refused. `reason` is the real cause of a refusal
    (the caller only ever sees the spec's message); `platform_id` is empty when the caller could not be
    identified."""

    __tablename__ = "hub_call"
    __table_args__ = (Index("ix_hub_call_platform", "platform_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    platform_id: int | None = None  # no FK: the log outlives what it logs
    endpoint: str = Field(max_length=16)  # "token" or a library key
    records: int = Field(default=0)
    added: int = Field(default=0)
    updated: int = Field(default=0)
    failed: int = Field(default=0)
    code: str = Field(max_length=8)
    message: str = Field(default="", max_length=255)
    reason: str = Field(default="", max_length=255)
    bytes: int = Field(default=0)
    ip: str = Field(default="", max_length=45)
    duration_ms: int = Field(default=0)

    @property
    def ok(self) -> bool:
        return self.code == protocol.OK


# ------------------------------------------------------------------------------------------- queries

def get_settings(*, session: Session) -> HubSetting:
    """The settings row; a fresh one (docking off) when none has been saved yet."""
    return session.get(HubSetting, 1) or HubSetting(id=1)


def platforms_query(*, region_code: str, q: str = "", status: str = "") -> SelectOfScalar[DockedPlatform]:
    """Docked platforms inside `region_code`, newest first, with the list's search and status filter."""
    stmt = select(DockedPlatform).where(
        col(DockedPlatform.region_code).startswith(region_prefix(region_code), autoescape=True))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(col(DockedPlatform.name).ilike(like) | col(DockedPlatform.domain).ilike(like)
                          | col(DockedPlatform.username).ilike(like) | col(DockedPlatform.region_code).startswith(q))
    if status:
        stmt = stmt.where(DockedPlatform.status == status)
    return stmt.order_by(col(DockedPlatform.id).desc())


def approved_platforms(*, session: Session) -> list[DockedPlatform]:
    """Every approved platform (tens at most): whose keys an Authorization header is tried with."""
    return list(session.exec(select(DockedPlatform).where(DockedPlatform.status == APPROVED)
                             .order_by(col(DockedPlatform.id))))


def platform_by_username(username: str, *, session: Session) -> DockedPlatform | None:
    return session.exec(select(DockedPlatform).where(DockedPlatform.username == username)).first()


def bindable_accounts(*, region_code: str, session: Session) -> list[User]:
    """Active city and county accounts inside `region_code`, which a platform may be bound to."""
    stmt = (select(User).where(col(User.role).in_(BINDABLE_ROLES), col(User.is_active).is_(True),
                               col(User.region_code).startswith(region_prefix(region_code), autoescape=True))
            .order_by(col(User.region_code), col(User.username)))
    return list(session.exec(stmt))


def token_by_access(token: str, *, session: Session) -> HubToken | None:
    return session.exec(select(HubToken).where(HubToken.access_hash == digest(token))).first()


def token_by_refresh(token: str, *, session: Session) -> HubToken | None:
    return session.exec(select(HubToken).where(HubToken.refresh_hash == digest(token))).first()


def revoke_tokens(platform_id: int, *, session: Session) -> int:
    """Revoke every live token of a platform (rotation, disabling); how many."""
    return session.exec(update(HubToken).where(col(HubToken.platform_id) == platform_id,
                                               col(HubToken.revoked_at).is_(None))
                        .values(revoked_at=utcnow())).rowcount


def purge_dead_tokens(platform_id: int, *, session: Session) -> None:
    """Forget a platform's tokens that can no longer be used, so the table stays small."""
    now = utcnow()
    session.exec(delete(HubToken).where(col(HubToken.platform_id) == platform_id,
                                        (col(HubToken.refresh_expires_at) < now)
                                        | col(HubToken.revoked_at).is_not(None)))


def count_call(platform_id: int, week: str, *, session: Session) -> int:
    """Count one call against a platform's week (inside the caller's write transaction); the new total."""
    changed = session.exec(update(HubQuotaUse).where(col(HubQuotaUse.platform_id) == platform_id,
                                                     col(HubQuotaUse.week) == week)
                           .values(calls=col(HubQuotaUse.calls) + 1)).rowcount
    if not changed:
        session.add(HubQuotaUse(platform_id=platform_id, week=week, calls=1))
        session.flush()
        return 1
    return session.exec(select(HubQuotaUse.calls).where(HubQuotaUse.platform_id == platform_id,
                                                        HubQuotaUse.week == week)).one()


def calls_this_week(platform_ids: Iterable[int | None], week: str, *, session: Session) -> dict[int, int]:
    ids = list(platform_ids)
    if not ids:
        return {}
    stmt = select(HubQuotaUse.platform_id, HubQuotaUse.calls).where(col(HubQuotaUse.platform_id).in_(ids),
                                                                   HubQuotaUse.week == week)
    return dict(session.exec(stmt).all())


def calls_query(*, platform_id: int | None, result: str = "", start: datetime | None = None,
                end: datetime | None = None) -> SelectOfScalar[HubCall]:
    """A platform's call log (or the unidentified callers' with None), newest first."""
    stmt = select(HubCall).where(HubCall.platform_id == platform_id if platform_id is not None
                                 else col(HubCall.platform_id).is_(None))
    if result == "ok":
        stmt = stmt.where(HubCall.code == protocol.OK)
    elif result == "refused":
        stmt = stmt.where(HubCall.code != protocol.OK)
    if start is not None:
        stmt = stmt.where(HubCall.at >= start)
    if end is not None:
        stmt = stmt.where(HubCall.at < end)
    return stmt.order_by(col(HubCall.at).desc(), col(HubCall.id).desc())


def accounts_by_id(ids: Iterable[int | None], *, session: Session) -> dict[int | None, User]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))}
