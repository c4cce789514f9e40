"""The authorization server's tables: client applications, codes, tokens and users' consents.

Secrets, codes and tokens are kept only as their SHA-256: a copy of the database lets no one act as a
client or a user. The Authlib mixin methods make the rows usable by Authlib's grants directly.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from app.db import utcnow


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class OAuthApp(SQLModel, table=True):
    """A third-party platform registered by an administrator."""

    __tablename__ = "oauth_app"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    secret_hash: str = Field(default="", max_length=64)  # empty for a public client
    name: str = Field(max_length=100)
    redirect_uris: str = Field(sa_column=Column(Text, nullable=False))  # one per line, matched exactly
    scopes: str = Field(max_length=255)  # space separated
    is_public: bool = Field(default=False)
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)

    # Authlib's ClientMixin
    def get_client_id(self) -> str:
        return self.client_id

    @property
    def redirect_uri_list(self) -> list[str]:
        return [u for u in self.redirect_uris.splitlines() if u]

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def get_default_redirect_uri(self) -> str | None:
        uris = self.redirect_uri_list
        return uris[0] if len(uris) == 1 else None  # with several, the client must say which

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return self.scopes
        return " ".join(s for s in scope.split() if s in self.scope_list)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uri_list

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.secret_hash) and hmac.compare_digest(self.secret_hash, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in {"authorization_code", "refresh_token"}


class OAuthCode(SQLModel, table=True):
    """An authorization code: single use (`used_at`), valid for minutes."""

    __tablename__ = "oauth_code"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    app_id: int = Field(foreign_key="oauth_app.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    redirect_uri: str = Field(default="", max_length=500)
    scope: str = Field(default="", max_length=255)
    code_challenge: str = Field(default="", max_length=128)
    code_challenge_method: str = Field(default="", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None

    # Authlib's AuthorizationCodeMixin
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class OAuthToken(SQLModel, table=True):
    """An access token and its refresh token. `code_id` ties every token of one authorization together,
    so a replayed code can revoke them all."""

    __tablename__ = "oauth_token"

    id: int | None = Field(default=None, primary_key=True)
    app_id: int = Field(foreign_key="oauth_app.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_id: int | None = Field(default=None, foreign_key="oauth_code.id", index=True)
    access_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    refresh_hash: str | None = Field(default=None, sa_column=Column(String(64), unique=True, nullable=True))
    scope: str = Field(default="", max_length=255)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    refresh_expires_at: datetime | None = None
    revoked_at: datetime | None = None

    # Authlib's TokenMixin (the grant compares clients through check_client)
    def check_client(self, client: OAuthApp) -> bool:
        return self.app_id == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class OAuthConsent(SQLModel, table=True):
    """What a user allowed an application; revoking it revokes the application's tokens."""

    __tablename__ = "oauth_consent"
    __table_args__ = (UniqueConstraint("user_id", "app_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    app_id: int = Field(foreign_key="oauth_app.id", index=True)
    scope: str = Field(default="", max_length=255)
    granted_at: datetime = Field(default_factory=utcnow)


def app_by_client_id(client_id: str, *, session: Session) -> OAuthApp | None:
    return session.exec(select(OAuthApp).where(OAuthApp.client_id == client_id)).first()


def code_by_value(code: str, *, session: Session) -> OAuthCode | None:
    return session.exec(select(OAuthCode).where(OAuthCode.code_hash == digest(code))).first()


def token_by_access(token: str, *, session: Session) -> OAuthToken | None:
    return session.exec(select(OAuthToken).where(OAuthToken.access_hash == digest(token))).first()


def token_by_refresh(token: str, *, session: Session) -> OAuthToken | None:
    return session.exec(select(OAuthToken).where(OAuthToken.refresh_hash == digest(token))).first()


def live_tokens(*, session: Session, app_id: int, user_id: int | None = None, code_id: int | None = None):
    stmt = select(OAuthToken).where(OAuthToken.app_id == app_id, OAuthToken.revoked_at.is_(None))
    if user_id is not None:
        stmt = stmt.where(OAuthToken.user_id == user_id)
    if code_id is not None:
        stmt = stmt.where(OAuthToken.code_id == code_id)
    return list(session.exec(stmt))


def consent_of(user_id: int, app_id: int, *, session: Session) -> OAuthConsent | None:
    return session.exec(
        select(OAuthConsent).where(OAuthConsent.user_id == user_id, OAuthConsent.app_id == app_id)
    ).first()


def consents_of_user(user_id: int, *, session: Session) -> list[tuple[OAuthConsent, OAuthApp]]:
    stmt = (select(OAuthConsent, OAuthApp).join(OAuthApp, OAuthApp.id == OAuthConsent.app_id)
            .where(OAuthConsent.user_id == user_id).order_by(OAuthConsent.granted_at.desc()))
    return list(session.exec(stmt))


def apps_query():
    return select(OAuthApp).order_by(OAuthApp.created_at.desc(), OAuthApp.id.desc())
