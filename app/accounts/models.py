"""Accounts and their server-side login sessions."""
from __future__ import annotations

from datetime import datetime

from flask import g
from sqlalchemy import Column, String
from sqlmodel import Field, Session, SQLModel, func, select

from app.db import utcnow


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    display_name: str = Field(default="", max_length=100)
    password_hash: str = Field(default="", max_length=255)  # empty: cannot log in locally
    role: str = Field(max_length=32, index=True)
    region_code: str = Field(foreign_key="region.code", max_length=12, index=True)
    credit_code: str | None = Field(default=None, max_length=18, index=True)
    phone: str = Field(default="", max_length=30)
    is_active: bool = Field(default=True)
    must_change_password: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    previous_login_at: datetime | None = None
    password_changed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    # flask-login protocol. get_id returns this request's login-session token (kept on `g` by
    # app.accounts.sessions), not the user id, so that ending the session row (logout, disabling,
    # idle timeout) ends the login at once.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return g.get("login_token")

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


class LoginSession(SQLModel, table=True):
    """One row per login; the browser holds the token, the table holds only its SHA-256."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    end_reason: str = Field(default="", max_length=20)  # logout / idle / disabled / admin / password
    ip: str = Field(default="", max_length=45)
    user_agent: str = Field(default="", max_length=255)


def get_user_by_username(username: str, *, session: Session) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def count_users_with_role(role: str, *, session: Session) -> int:
    return session.exec(select(func.count()).select_from(User).where(User.role == role)).one()


def open_sessions_of(user_id: int, *, session: Session) -> list[LoginSession]:
    return list(
        session.exec(
            select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        )
    )


def session_by_token_hash(token_hash: str, *, session: Session) -> LoginSession | None:
    return session.exec(select(LoginSession).where(LoginSession.token_hash == token_hash)).first()


USER_SORTS = {
    "username": User.username,
    "-created": User.created_at.desc(),
    "region": User.region_code,
    "role": User.role,
    "-last_login": User.last_login_at.desc(),
}


def users_query(*, visible, q: str = "", role: str = "", status: str = "", sort: str = "username", now=None):
    """The administrators' user list: `visible` is the caller's scope clause; the rest are its filters."""
    stmt = select(User).where(visible)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(User.username.ilike(like) | User.display_name.ilike(like)
                          | User.credit_code.ilike(like) | User.phone.ilike(like))
    if role:
        stmt = stmt.where(User.role == role)
    if status == "active":
        stmt = stmt.where(User.is_active.is_(True))
    elif status == "disabled":
        stmt = stmt.where(User.is_active.is_(False))
    elif status == "locked":
        stmt = stmt.where(User.locked_until > now)
    return stmt.order_by(USER_SORTS.get(sort, User.username), User.id)
