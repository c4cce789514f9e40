"""What makes each national library different, in one descriptor per library (docs/ARCHITECTURE.md).

Every per-library fact lives here and nowhere else: the spec path and how a record is named on the wire,
titles and nouns (navigation and the audit log read them), the default review levels, and the hooks of
the archive's differences (its wire codec, its own pages). The pages, the saving and the scope rules are
shared (views.py, service.py); no code outside the declarations branches on a library's key.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING

from flask import abort, url_for

from app.accounts import roles

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.libraries.records import RecordBase
    from app.spec.form import SpecForm

# The libraries, in the spec's order (2.2–2.6). Each module declares one `LIBRARY = register(Library(…))`.
MODULES = ("app.providers.library", "app.products.library", "app.pilots.library", "app.targets.library",
           "app.archives.library")


@dataclass(frozen=True)
class WireCodec:
    """How a library's spec JSON differs from its stored payload (the archive's two `transResult`s)."""

    encode: Callable[[dict], dict]  # stored payload → the spec object sent upward
    loads: Callable[[str], object]  # a received body → payloads (any layout the spec's readers send)
    openapi: Callable[[dict], dict] = lambda schema: schema  # the record schema of the hub's description


PLAIN = WireCodec(encode=lambda payload: payload, loads=json.loads)


@dataclass(frozen=True)
class Library:
    key: str  # URL segment, audit target type, outbox and submission column
    title: str  # 服务商库
    noun: str  # 服务商 (one record)
    spec_section: str  # 2.2
    wire_path: str  # the spec's upload path under the base URL: /cloud-supply-demand/…/apiUpload
    model: type[RecordBase]
    form: type[SpecForm]
    owner_role: str | None  # the bound role whose organisation a record belongs to
    credit_attr: str | None  # the spec attribute holding the owner's credit code, if the record names it
    title_attr: str  # the spec attribute lists show
    # What identifies a record on the wire (docs/ARCHITECTURE.md: the spec's identifying content), joined with "/",
    # and the attributes whose first filled value names a failed record in `faidEntName` (失败数据的企业名称);
    # none: the identifying content itself (a target names no enterprise).
    wire_key: tuple[str, ...] = ("creditCode",)
    wire_name: tuple[str, ...] = ("companyName", "creditCode")
    update_key: str = "updateTotal"  # 2.5 and 2.6 spell it `updataTotal`: that is the wire
    review_levels: str = "city"  # default of REVIEW_LEVELS: city | county | county+city
    nav_rank: int = 0  # place in the navigation bar (officials read pilots first)
    owner_name_attr: str | None = None  # filled with the owner's name when its own user starts a record
    industry_of: Callable[[dict], str | None] = lambda wire: wire.get("industryName")
    natural_key: tuple[str, ...] = ("credit_code",)  # record columns that identify a record (docs/ARCHITECTURE.md)
    key_fields: tuple[str, ...] = ()  # the form fields behind the natural key (a duplicate is shown there)
    # For records whose owner is another library's record (a product's provider, an archive's pilot
    # enterprise): (region, credit code) of that record, found from the payload.
    owner_of: Callable[[dict, object], tuple[str, str | None] | None] | None = None
    # A pushed record whose owner_of finds nothing is refused with this message ({name}: what it named);
    # None: such a record is accepted in the pushing platform's region (README "接收下级平台推送").
    orphan_refused: str | None = None
    orphan_attr: str | None = None  # the attribute that names the owner (in the message)
    extra_columns: Callable[[dict], dict] = lambda wire: {}
    search_columns: tuple[str, ...] = ()
    columns: tuple[tuple[str, str], ...] = field(default=())  # (header, spec attribute) for the list
    has_industry: bool = True  # lists offer the 行业 filter
    # A library with pages of its own (the staged archive editor) names their blueprint; it offers
    # `new` and `overview` views, which replace the shared create, detail and edit pages.
    pages: str | None = None
    codec: WireCodec = PLAIN

    @property
    def roles(self) -> frozenset[str]:
        """Who works in this library (each within their scope): officials and the owning organisations."""
        return roles.OFFICIALS | ({self.owner_role} if self.owner_role else set())

    def spec_json(self, payload: dict) -> dict:
        """The spec JSON object of a stored payload."""
        return self.codec.encode(payload)

    def formal_json(self, record: RecordBase) -> dict | None:
        """The spec JSON of the record's formal version (what is pushed upward), None before any approval."""
        formal = record.formal
        return None if formal is None else self.spec_json(formal)

    def key_of(self, obj: dict) -> str:
        """What identifies a record on the wire, as one string."""
        return "/".join(str(obj.get(name) or "").strip() for name in self.wire_key)

    def name_of(self, obj: dict) -> str:
        """The name a failed record is reported under in `faidEntName`."""
        if not self.wire_name:
            return self.key_of(obj)
        return next((str(obj[name]) for name in self.wire_name if obj.get(name)), "")

    def record_url(self, record_id: int) -> str:
        if self.pages:
            return url_for(f"{self.pages}.overview", record_id=record_id)
        return url_for("libraries.record_detail", key=self.key, record_id=record_id)

    def new_url(self) -> str:
        return url_for(f"{self.pages}.new") if self.pages else url_for("libraries.record_new", key=self.key)


LIBRARIES: dict[str, Library] = {}


@dataclass(frozen=True)
class Relation:
    """A record of another library that belongs with a record of this one (a pilot enterprise's archive):
    the detail page links to it, or offers to start it from this record with ?<start_param>=<id>."""

    library: Library
    find: Callable[[RecordBase, Session], RecordBase | None]  # (record, session) -> the related record or None
    start_param: str


RELATIONS: dict[str, list[Relation]] = {}


def relate(library: Library, relation: Relation) -> None:
    RELATIONS.setdefault(library.key, []).append(relation)


def register(library: Library) -> Library:
    from app.generations import track

    LIBRARIES[library.key] = library
    track(str(library.model.__tablename__), generation_of(library))  # the list counts' cache (app/listcache.py)
    return library


def generation_of(library: Library) -> str:
    """The name of the counter every write to the library's table raises (app/generations.py)."""
    return f"lib:{library.key}"


def load_all() -> dict[str, Library]:
    """Register every library (idempotent: a module registers once, when first imported)."""
    for name in MODULES:
        import_module(name)
    return LIBRARIES


def in_menu_order() -> list[Library]:
    return sorted(LIBRARIES.values(), key=lambda lib: lib.nav_rank)


def by_wire_path(path: str) -> Library | None:
    return next((lib for lib in LIBRARIES.values() if lib.wire_path == path), None)


def get_library(key: str) -> Library:
    library = LIBRARIES.get(key)
    if library is None:
        abort(404)
    return library
