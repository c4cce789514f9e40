"""Server-side login sessions.

The browser's signed cookie carries only a random token; the `login_session` table decides whether it
is still good. So logging out, an administrator disabling the account, or 30 idle minutes end the
login at once, whatever cookie the browser still holds.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app, flash, g, redirect, request, url_for
from flask_login import login_user, logout_user
from sqlalchemy import bindparam
from sqlmodel import select

from app.accounts.models import LoginSession, User, open_sessions_of, session_by_token_hash
from app.db import get_session, utcnow, write
from app.extensions import login_manager

# Touch last_seen_at at most this often, so reading pages does not turn every request into a write.
_TOUCH_EVERY = timedelta(seconds=60)

# What other areas want to know of the signed-in user on every page, read in the session's one query:
# name → a function of the user-id column giving a scalar subquery (app/review: the unread count).
# The values are in `g.user_extras` for the rest of the request.
USER_EXTRAS: dict[str, Callable[[Any], Any]] = {}


def add_user_extra(name: str, subquery: Callable[[Any], Any]) -> None:
    USER_EXTRAS[name] = subquery


def _session_and_user(token_hash: str, *, session) -> tuple[LoginSession | None, User | None, dict]:
    """The login session, its user and the extras, in one query (one index seek on the token)."""
    names = tuple(USER_EXTRAS)
    stmt = _STATEMENTS.get(names)
    if stmt is None:  # built once per set of extras: the statement, its cache key and its SQL are reused
        extras = [USER_EXTRAS[name](LoginSession.user_id).label(name) for name in names]
        stmt = _STATEMENTS[names] = (
            select(LoginSession, User, *extras).outerjoin(User, User.id == LoginSession.user_id)
            .where(LoginSession.token_hash == bindparam("token_hash")))
    row = session.exec(stmt, params={"token_hash": token_hash}).first()
    if row is None:
        return None, None, {}
    return row[0], row[1], {name: row[2 + i] for i, name in enumerate(names)}


_STATEMENTS: dict[tuple[str, ...], Any] = {}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> None:
    """Open a login session for `user` (inside the caller's write transaction) and log them in."""
    token = secrets.token_urlsafe(32)
    get_session().add(
        LoginSession(
            token_hash=_hash(token),
            user_id=user.id,
            ip=request.remote_addr or "",
            user_agent=(request.user_agent.string or "")[:255],
        )
    )
    g.login_token = token
    login_user(user)


def end_current(reason: str) -> None:
    """End this browser's login session (inside the caller's write transaction) and log out."""
    token = g.get("login_token")
    if token:
        row = session_by_token_hash(_hash(token), session=get_session())
        if row is not None and row.ended_at is None:
            row.ended_at, row.end_reason = utcnow(), reason
    logout_user()


def end_all(user_id: int, reason: str) -> int:
    """End every open session of a user (disabling, password reset, forced sign-out)."""
    rows = open_sessions_of(user_id, session=get_session())
    for row in rows:
        row.ended_at, row.end_reason = utcnow(), reason
    return len(rows)


@login_manager.user_loader
def _load(token: str) -> User | None:
    session = get_session()
    row, user, extras = _session_and_user(_hash(token), session=session)
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    if user is None or not user.is_active or now - row.last_seen_at > idle:
        with write(session):
            row.ended_at = now
            row.end_reason = "idle" if user is not None and user.is_active else "disabled"
        g.session_expired = row.end_reason == "idle"
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        with write(session):
            row.last_seen_at = now
    g.login_token = token
    g.user_extras = extras
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    message = "会话已超时，请重新登录。" if g.get("session_expired") else "请先登录。"
    flash(message, "warning")
    if request.htmx:
        # An htmx swap would paste the login page into a fragment: send the whole window there.
        return "", 401, {"HX-Redirect": url_for("accounts.login")}
    target = url_for("accounts.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    return redirect(target)
