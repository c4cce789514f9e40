"""Generation counters: the one shared answer to "has this data changed since I cached it?".

A cache held in a process's memory (the reference data, the list counts) is correct across several
processes on one database only if each request can tell, cheaply, that another process changed what it
cached. The `cache_generation` table holds one counter per kind of data; every write to a tracked table
raises its counter in the same transaction, and a cache keeps the counter it was built at. Reading the
counters is one query over a handful of rows, done at most once per request (`current`).

Tables are tracked by name (`track`); the hooks below see every ORM flush (add, change, delete of a
tracked row) and every ORM-enabled bulk INSERT/UPDATE/DELETE on a tracked table (the reference-data
loader's). A write that bypasses the ORM (a raw connection, as the benchmarks' bulk seeding before the
server starts) must call `bump` itself.
"""
from __future__ import annotations

from flask import g, has_app_context
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Field, SQLModel


class Generation(SQLModel, table=True):
    __tablename__ = "cache_generation"

    name: str = Field(primary_key=True, max_length=64)
    value: int = 0


TRACKED: dict[str, str] = {}  # table name → generation name
DICTS = "dicts"


def track(table: str, generation: str) -> None:
    """Writes to `table` raise the counter `generation`."""
    TRACKED[table] = generation


def bump(connection, names) -> None:
    """Raise the counters `names` by one, inside the caller's transaction (a Connection or Session)."""
    table = Generation.__table__
    for name in sorted(set(names)):
        changed = connection.execute(update(table).where(table.c.name == name).values(value=table.c.value + 1))
        if changed.rowcount == 0:
            connection.execute(insert(table).values(name=name, value=1))
    if has_app_context():
        g.pop("smedt_generations", None)  # this request reads the new values next time


def read(session) -> dict[str, int]:
    """Every counter, from the database (no counter yet: 0)."""
    table = Generation.__table__
    return dict(session.execute(select(table.c.name, table.c.value)).all())


def current(session, name: str) -> int:
    """The counter `name` as this request sees it: read once per request, again after its own writes."""
    if not has_app_context():
        return read(session).get(name, 0)
    values = g.get("smedt_generations")
    if values is None:
        values = g.smedt_generations = read(session)
    return values.get(name, 0)


def _tables_of(objects) -> set[str]:
    names = set()
    for obj in objects:
        table = getattr(type(obj), "__tablename__", None)
        if table in TRACKED:
            names.add(TRACKED[table])
    return names


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _flush: UOWTransaction) -> None:
    names = _tables_of(session.new) | _tables_of(session.deleted) | _tables_of(
        o for o in session.dirty if session.is_modified(o, include_collections=False))
    if names:
        bump(session.connection(), names)


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    table = getattr(state.bind_mapper.local_table, "name", None)
    if table in TRACKED:
        bump(state.session.connection(), {TRACKED[table]})
