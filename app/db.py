"""Engine, request-scoped session and write transactions.

SQLite runs in WAL mode with `synchronous=FULL` so that a review decision or a push result survives a
power cut. The driver's own transaction handling is switched off so that we emit BEGIN ourselves:
plain `BEGIN` for reads, `BEGIN IMMEDIATE` inside `write()` so that two writers queue on the lock at
the start instead of failing half-way with "database is locked".
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

_WRITE = "smedt_write"


def utcnow() -> datetime:
    """Aware UTC, the one form every stored time takes (SQLModel's datetime columns require it)."""
    return datetime.now(UTC)


def make_engine(url: str, busy_timeout_ms: int = 5000, pool_size: int = 10) -> Engine:
    """`pool_size`: connections kept open, at least one per server thread (init_app). A connection beyond
    the pool is closed when returned, and a new one must read the whole schema again before its first
    query: with fewer kept than threads, every busy request would pay for that."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=pool_size)
    engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=pool_size)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see module docstring)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def init_app(app: Flask) -> None:
    app.extensions["smedt_engine"] = make_engine(
        app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"],
        pool_size=int(app.config["THREADS"]) + 4,  # the server's threads, the push worker, CLI and spare
    )
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    return current_app.extensions["smedt_engine"]


def get_session() -> Session:
    """The session of this request (or CLI command): one per app context, closed on teardown."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def write(session: Session | None = None, *, fresh: Iterable[object] = ()) -> Iterator[Session]:
    """A write transaction: BEGIN IMMEDIATE, commit on success, roll back on any error.

    `fresh` are the rows the write changes, read again inside it: sessions keep what they loaded after a
    commit (expire_on_commit off), and a value equal to a stale one is left out of the UPDATE, so a change
    decided on an old read would silently not happen (docs/ARCHITECTURE.md, "Conventions").

    A read transaction still open on the session is ended first, so the writer sees the latest data.
    A write inside a write joins it: the outer one commits or rolls back the whole (a pushed batch writes
    each record through the library service's own write, in the batch's one transaction).
    """
    session = session or get_session()
    if session.info.get(_WRITE):
        yield session
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={_WRITE: True})
    session.info[_WRITE] = True
    try:
        for row in fresh:
            session.refresh(row)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_WRITE, None)


def backup_sqlite(engine: Engine, target_path: str) -> None:
    """Online backup through SQLite's backup API (never copy the live file)."""
    import sqlite3

    raw = engine.raw_connection()
    try:
        dest = sqlite3.connect(target_path)
        try:
            raw.driver_connection.backup(dest)
        finally:
            dest.close()
    finally:
        raw.close()
