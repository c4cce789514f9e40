"""What else the review queue decides besides library records: an area's items that officials approve in the
same two-level queue (an on-site evaluation, a declaration, a project's acceptance, ...).

An area declares one `Kind` per sort of item, in a module listed in `MODULES` (registered on import, like the
libraries in app/libraries/registry.py), and sends an item to review with `app.review.service.submit_item`
inside its own write transaction. From then on the queue owns the decision exactly as for a library record:
who decides at which level (the kind's default levels, overridable per key in REVIEW_LEVELS), the reason a
return or rejection needs, the single winner when two officials decide at once, the submitter's
notification, the history and the audit event. After each decision the queue calls the kind's `decided`
hook in the same transaction, so the area moves its item (and notifies anybody else) with it.

The queue stores the kind's key in `Submission.library` and the item's id in `Submission.record_id`; the
payload is a JSON snapshot of what was submitted, for the history. The review pane shows the kind's own
template (`pane`, rendered with `sub`, `item` and `kind`) in place of a library's field comparison.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.review.models import Submission

# Areas whose review kinds register on import (each module calls `register`).
MODULES: tuple[str, ...] = (
    "app.evaluations.review_kind",
)


@dataclass(frozen=True)
class Kind:
    key: str  # stored in Submission.library: at most 16 characters, no library's key
    title: str  # the queue's 所属 column and its counter: "数字化水平现场评定"
    noun: str  # in the submitter's notification: "您提交的{noun}“{title}”已审核通过"
    url: Callable[[int], str]  # item id → the item's page (a request context is there when it is called)
    load: Callable[[Session, int], Any]  # item id → the item (or None), for the review pane
    decided: Callable[[Session, Submission, Any], None]  # (session, submission, official) after each decision
    pane: str  # the template the review pane includes for this kind
    review_levels: str = "county+city"  # or "city" / "county": the default; REVIEW_LEVELS may name the key

    def record_url(self, item_id: int) -> str:
        """The same name as Library.record_url, so queue templates link either."""
        return self.url(item_id)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    from app.libraries.registry import LIBRARIES

    if len(kind.key) > 16 or kind.key in LIBRARIES:
        raise ValueError(f"review kind key {kind.key!r} must be ≤ 16 characters and no library's key")
    KINDS[kind.key] = kind
    return kind


def load_all() -> dict[str, Kind]:
    """Register every area's kinds (idempotent: a module registers once, when first imported)."""
    for name in MODULES:
        importlib.import_module(name)
    return KINDS


def titles() -> dict[str, Any]:
    """Every key the queue may hold → its declaration (a Library or a Kind; both have .title and
    .record_url), libraries first in their menu order."""
    from app.libraries.registry import in_menu_order

    return {**{lib.key: lib for lib in in_menu_order()}, **KINDS}
