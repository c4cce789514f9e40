"""The regions held in memory: every page asks for region names and the 区域 filter's options, and the
table changes only when the reference data is reloaded. The copy is rebuilt when the `dicts` generation
(app/generations.py) moves, so a reload in any process reaches every process on its next request.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app
from sqlmodel import Session, select

from app import generations
from app.dicts.models import Region

_lock = threading.Lock()


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: int
    parent_code: str | None
    province_code: str | None
    city_code: str | None
    is_placeholder: bool


@dataclass
class Regions:
    generation: int
    by_code: dict[str, RegionRow]
    below: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # filled as asked

    def cities_of(self, province_code: str) -> list[RegionRow]:
        return sorted((r for r in self.by_code.values() if r.province_code == province_code and r.city_code == r.code),
                      key=lambda r: r.code)

    def counties_of(self, city_code: str) -> list[RegionRow]:
        return sorted((r for r in self.by_code.values()
                       if r.level == 3 and r.city_code == city_code and r.code != city_code), key=lambda r: r.code)


def regions(session: Session) -> Regions:
    """The regions as of this request's `dicts` generation (one small read per request, none per call)."""
    seen = generations.current(session, generations.DICTS)
    held = current_app.extensions.get("smedt_regions")
    if held is not None and held.generation == seen:
        return held
    rows = session.exec(select(Region.code, Region.name, Region.level, Region.parent_code, Region.province_code,
                               Region.city_code, Region.is_placeholder)).all()
    fresh = Regions(seen, {r[0]: RegionRow(*r) for r in rows})
    with _lock:
        current_app.extensions["smedt_regions"] = fresh
    return fresh
