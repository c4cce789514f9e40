"""Messages to users (the bell in the header). Every `Notification` row is written here, so what a message
looks like (its length limits, who may receive one) is decided in one place."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, cast

from sqlmodel import Session

from app.review.models import Notification


class _HasId(Protocol):
    id: int | None


Recipient = int | _HasId | None


def _user_ids(recipients: Recipient | Iterable[Recipient]) -> list[int]:
    # One recipient or many: a lone id or user is the common case of the review decisions.
    if recipients is None or isinstance(recipients, int) or hasattr(recipients, "id"):
        recipients = [cast(Recipient, recipients)]
    ids = (r if isinstance(r, int) or r is None else r.id for r in recipients)
    return [i for i in ids if i is not None]


def notify(session: Session, user_ids_or_users: Recipient | Iterable[Recipient], text: str, link: str = "") -> int:
    """Add one notification per recipient (user ids or users; None is skipped, e.g. a submission without a
    submitter) inside the caller's transaction; how many were added."""
    user_ids = _user_ids(user_ids_or_users)
    for user_id in user_ids:
        session.add(Notification(user_id=user_id, text=text, link=link[:255]))
    return len(user_ids)
