"""One reading of record ids, for URLs and for request data: ASCII digits only, inside the range a
database integer holds. `"²".isdigit()` is true and `int("１２")` is 12, and SQLite refuses anything above
2^63−1 with an OverflowError; an id outside this reading is simply no record (404, or left out)."""
from __future__ import annotations

import re
from collections.abc import Iterable

from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """The id `value` names, or None when it is not a positive integer a database row can have."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values: Iterable, *, separator: str | None = None, limit: int = 10000) -> list[int]:
    """The valid ids among `values` (each may hold several, split on `separator`), in order, without
    repeats, at most `limit`; anything else is left out."""
    out: dict[int, None] = {}
    for value in values:
        parts = value.split(separator) if separator and isinstance(value, str) else [value]
        for part in parts:
            number = parse_id(part)
            if number is not None:
                out[number] = None
                if len(out) >= limit:
                    return list(out)
    return list(out)


class IdConverter(IntegerConverter):
    """Flask's `int` URL converter, registered in its place app-wide: ASCII digits and at most 2^63−1, so
    `/files/99999999999999999999` is a 404 like any other missing record instead of an overflow."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_year(value) -> int | None:
    """A year typed into a filter (1900–2999), or None for anything else."""
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if re.fullmatch(r"[12][0-9]{3}", text) else None
