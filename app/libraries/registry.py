"""What makes each national library different, in one descriptor per library. The pages, the saving
and the scope rules are shared (views.py, service.py); a library only says what is its own."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, url_for

from app.accounts import roles


@dataclass(frozen=True)
class Library:
    key: str  # URL segment and audit target type
    title: str  # 服务商库
    noun: str  # 服务商 (one record)
    spec_section: str  # 2.2
    wire_path: str  # the upper platform's path segment: serviceProvider, software, …
    model: type
    form: type
    owner_role: str | None  # the bound role whose organisation a record belongs to
    credit_attr: str | None  # the spec attribute holding the owner's credit code, if the record names it
    title_attr: str  # the spec attribute lists show
    owner_name_attr: str | None = None  # filled with the owner's name when its own user starts a record
    industry_of: Callable[[dict], str | None] = lambda wire: wire.get("industryName")
    natural_key: tuple[str, ...] = ("credit_code",)  # record columns that identify a record (DESIGN.md)
    key_fields: tuple[str, ...] = ()  # the form fields behind the natural key (a duplicate is shown there)
    # For records that do not name their owner (products): (region, credit code) found from the payload.
    owner_of: Callable[[dict, object], tuple[str, str | None] | None] | None = None
    extra_columns: Callable[[dict], dict] = lambda wire: {}
    search_columns: tuple[str, ...] = ()
    columns: tuple[tuple[str, str], ...] = field(default=())  # (header, spec attribute) for the list
    has_industry: bool = True  # lists offer the 行业 filter
    # A library with pages of its own (the staged archive editor) names their blueprint; it offers
    # `new` and `overview` views, which replace the shared create, detail and edit pages.
    pages: str | None = None
    spec_json: Callable[[dict], dict] = lambda payload: payload  # the spec JSON object of a stored payload

    @property
    def roles(self) -> frozenset[str]:
        """Who works in this library (each within their scope): officials and the owning organisations."""
        return roles.OFFICIALS | ({self.owner_role} if self.owner_role else set())


    def formal_json(self, record) -> dict | None:
        """The spec JSON of the record's formal version (what is pushed upward), None before any approval."""
        formal = record.formal
        return None if formal is None else self.spec_json(formal)

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
    find: Callable[[object, object], object | None]  # (record, session) -> the related record or None
    start_param: str


RELATIONS: dict[str, list[Relation]] = {}


def relate(key: str, relation: Relation) -> None:
    RELATIONS.setdefault(key, []).append(relation)


def register(library: Library) -> Library:
    LIBRARIES[library.key] = library
    return library


def get_library(key: str) -> Library:
    library = LIBRARIES.get(key)
    if library is None:
        abort(404)
    return library
