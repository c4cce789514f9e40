"""Counts of list matches (and other aggregates), kept in memory until their tables change
(app/generations.py).

A list page shows how many records match ("共 7 512 条"); counting a city's records on every page read
all their index entries. The count is kept per (list, scope, filters) with the generation of the data it
counted: any write to the table (in any process) raises the generation, and the next page counts again.
`cached_value` keeps any aggregate the same way under several generations (the evaluations' analysis).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from flask import current_app

from app import generations

MAX_ENTRIES = 4096


class CountCache:
    def __init__(self, size: int = MAX_ENTRIES):
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, generation: Hashable) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != generation:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, generation: Hashable, total: Any) -> None:
        with self._lock:
            self._entries[key] = (generation, total)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def cache() -> CountCache:
    """This app's cache (each app, and each test database, has its own)."""
    return current_app.extensions.setdefault("smedt_count_cache", CountCache())


def cached_total(generation: str, key: Hashable, *, session) -> Callable[[Callable[[], int]], int]:
    """`cached_total(gen, key, session=s)(count)`: the kept count, or `count()` kept under the generation
    read *before* counting (so a write between the two can only make the kept value newer, never stale)."""
    def run(count: Callable[[], int]) -> int:
        seen = generations.current(session, generation)
        total = cache().get(key, seen)
        if total is None:
            total = count()
            cache().put(key, seen, total)
        return total
    return run


T = TypeVar("T")


def cached_value(generations_read: Iterable[str], key: Hashable, *, session) -> Callable[[Callable[[], T]], T]:
    """`cached_value(names, key, session=s)(compute)`: the value kept for `key` while none of the
    generations `names` has moved, or `compute()` kept under the generations read before computing.
    The value is shared between requests: it must not be changed by its readers."""
    def run(compute: Callable[[], T]) -> T:
        seen = tuple(generations.current(session, name) for name in generations_read)
        value = cache().get(key, seen)
        if value is None:
            value = compute()
            cache().put(key, seen, value)
        return value
    return run
