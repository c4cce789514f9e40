"""Sign-in through the provincial identity platform: its settings and the identities it vouches for."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from app.db import utcnow


class IdpSetting(SQLModel, table=True):
    """The settings page's values (one row). An empty field falls back to the SMEDT_IDP_* setting."""

    __tablename__ = "idp_setting"

    id: int | None = Field(default=None, primary_key=True)
    enabled: bool = Field(default=True)
    name: str = Field(default="", max_length=100)
    metadata_url: str = Field(default="", max_length=500)
    client_id: str = Field(default="", max_length=200)
    # Fernet-encrypted with a key derived from the installation's secret key, so a copied database
    # (a backup) does not hand out the secret the province gave us.
    client_secret_enc: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    authorize_url: str = Field(default="", max_length=500)
    token_url: str = Field(default="", max_length=500)
    userinfo_url: str = Field(default="", max_length=500)
    jwks_uri: str = Field(default="", max_length=500)
    end_session_url: str = Field(default="", max_length=500)
    scope: str = Field(default="", max_length=200)
    claim_subject: str = Field(default="", max_length=64)
    claim_name: str = Field(default="", max_length=64)
    claim_phone: str = Field(default="", max_length=64)
    claim_credit_code: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = None


class IdpIdentity(SQLModel, table=True):
    """A person known to the provincial platform. `user_id` empty: an application waiting for an administrator."""

    __tablename__ = "idp_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"), UniqueConstraint("issuer", "user_id"))

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    # The synchronised claims, as the provincial platform last sent them.
    display_name: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=30)
    credit_code: str | None = Field(default=None, max_length=18)
    # What the person asked for when applying; the administrator decides.
    requested_role: str = Field(default="", max_length=32)
    region_code: str | None = Field(default=None, foreign_key="region.code", max_length=12, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    linked_at: datetime | None = None
    last_login_at: datetime | None = None


def get_setting(*, session: Session) -> IdpSetting | None:
    return session.exec(select(IdpSetting).order_by(IdpSetting.id)).first()


def identity_by_subject(issuer: str, subject: str, *, session: Session) -> IdpIdentity | None:
    return session.exec(
        select(IdpIdentity).where(IdpIdentity.issuer == issuer, IdpIdentity.subject == subject)
    ).first()


def identity_of_user(issuer: str, user_id: int, *, session: Session) -> IdpIdentity | None:
    return session.exec(
        select(IdpIdentity).where(IdpIdentity.issuer == issuer, IdpIdentity.user_id == user_id)
    ).first()


def applications_query(*, visible):
    """Applications waiting for activation, oldest first; `visible` is the administrator's region clause."""
    return (select(IdpIdentity)
            .where(IdpIdentity.user_id.is_(None), IdpIdentity.region_code.is_not(None), visible)
            .order_by(IdpIdentity.created_at, IdpIdentity.id))
