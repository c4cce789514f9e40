"""The one place that decides what a user may reach: role checks and region/binding scope.

Every view that lists or loads records goes through `current_scope()`:

    scope = current_scope()
    stmt = select(Thing).where(scope.where(region_col=Thing.region_code, credit_col=Thing.credit_code))
    thing = scope.load_or_404(session, Thing, thing_id, region_attr="region_code", credit_attr="credit_code")
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import and_, false, func, literal_column, true
from sqlalchemy.sql import ColumnElement

from app.accounts import roles


def region_prefix(code: str) -> str:
    """The code prefix every region inside `code` starts with (GB/T 2260 codes nest by digits).

    110000 → "11", 410700 → "4107", 410721 → "410721". A city-level code that does not end in 00
    (the spec's 650091 新疆生产建设兵团) covers only itself.
    """
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def prefix_upper(prefix: str) -> str | None:
    """The least code greater than every code starting with `prefix` ("4107" → "4108", "4199" → "4200"),
    None if there is none ("99"). Digits only, so the bound compares the same under any collation."""
    if not prefix.isdigit():
        raise ValueError(f"not a region code prefix: {prefix!r}")
    if set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))


# The tables whose lists carry an index per region level on the code's leading digits (the library
# records, app/libraries/records.py list_indexes), and those levels: (name, digits).
PREFIX_INDEXED: set[str] = set()
PREFIX_LEVELS = (("province", 2), ("city", 4), ("county", 6))


def prefix_expression(digits: int) -> str:
    """The indexed expression of one level: substr() is standard SQL, in SQLite and PostgreSQL alike."""
    return f"substr(region_code, 1, {digits})"


def within_prefix(column, prefix: str) -> ColumnElement[bool]:
    """`column` starts with the region prefix `prefix`, in a form an index can seek ('' matches all).

    On a library table: substr(region_code, 1, 4) = '4107', which its level's index answers in the list's
    order (a page reads 20 index entries). Elsewhere a range, region_code >= '4107' AND < '4108', which a
    plain index on the code seeks. Never a prefix LIKE: that reads every entry.
    """
    if not prefix:
        return true()
    if not prefix.isdigit():  # not a region code: the plain prefix test, never a wrong range
        return column.startswith(prefix, autoescape=True)
    table = getattr(getattr(column, "table", None), "name", None)
    if table in PREFIX_INDEXED and column.key == "region_code" and len(prefix) in dict(PREFIX_LEVELS).values():
        # Literal digits, not bound parameters: an index on an expression serves only the same expression.
        return func.substr(column, literal_column("1"), literal_column(str(len(prefix)))) == prefix
    upper = prefix_upper(prefix)
    return column >= prefix if upper is None else and_(column >= prefix, column < upper)


def region_covers(outer: str, inner: str | None) -> bool:
    return bool(inner) and inner.startswith(region_prefix(outer))


@dataclass(frozen=True)
class Scope:
    role: str
    region_code: str
    credit_code: str | None = None

    @property
    def is_official(self) -> bool:
        return self.role in roles.OFFICIALS

    def covers_region(self, code: str | None) -> bool:
        return region_covers(self.region_code, code)

    def where(self, *, region_col, credit_col=None) -> ColumnElement[bool]:
        """A WHERE clause limiting records to what this user may see.

        Officials see their region; bound users (enterprise, provider) see only records carrying their
        credit code; everyone else sees nothing unless the caller grants more explicitly.
        """
        in_region = within_prefix(region_col, region_prefix(self.region_code or ""))
        if self.is_official:
            return in_region
        if self.role in roles.BOUND_ROLES and credit_col is not None and self.credit_code:
            return credit_col == self.credit_code
        return false()

    def region_where(self, region_col) -> ColumnElement[bool]:
        """Region scope alone, for administrators' lists (users of my region)."""
        if not self.region_code:
            return true()
        return within_prefix(region_col, region_prefix(self.region_code))

    def allows(self, *, region_code: str | None, credit_code: str | None = None) -> bool:
        if self.is_official:
            return self.covers_region(region_code)
        if self.role in roles.BOUND_ROLES:
            return bool(self.credit_code) and credit_code == self.credit_code
        return False

    def load_or_404(self, session, model, pk, *, region_attr: str, credit_attr: str | None = None):
        """Load a record by primary key, answering 404 when it is missing *or* out of scope,
        so a guessed URL reveals nothing about other regions' records."""
        obj = session.get(model, pk)
        if obj is None:
            abort(404)
        credit = getattr(obj, credit_attr) if credit_attr else None
        if not self.allows(region_code=getattr(obj, region_attr), credit_code=credit):
            abort(404)
        return obj


def current_scope() -> Scope:
    if not current_user.is_authenticated:
        abort(401)
    return Scope(current_user.role, current_user.region_code, current_user.credit_code)


def roles_required(*allowed: str):
    """Decorator: the user must be logged in and hold one of `allowed`, else 403."""
    allowed_set = frozenset(allowed)

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed_set:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
