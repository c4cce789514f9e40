"""One reader for the filter arguments of every list page: typed text is trimmed and cut, a choice must be
one of those offered (a stale or forged value shows the unfiltered list, never an error)."""
from __future__ import annotations

from collections.abc import Collection, Mapping

from app.site.dates import day_start

TEXT = None  # free text (a keyword, a name)
DATE = "YYYY-MM-DD"  # a date typed into a filter; anything else is dropped
MAX_TEXT = 60


def list_args(source: Mapping[str, str], spec: Mapping[str, Collection[str] | str | None]) -> dict[str, str]:
    """The list's filters from `source` (request.args or request.values): name → TEXT, DATE, or the
    collection of allowed values (e.g. a dictionary's codes or the region options' codes)."""
    out: dict[str, str] = {}
    for name, allowed in spec.items():
        value = (source.get(name) or "").strip()[:MAX_TEXT]
        if allowed == DATE:
            value = value if day_start(value) is not None else ""
        elif allowed is not TEXT and value not in allowed:
            value = ""
        out[name] = value
    return out


def codes_of(options: list[tuple[str, str]]) -> set[str]:
    """The values of (value, label) options."""
    return {code for code, _ in options}
