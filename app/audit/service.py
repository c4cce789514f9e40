"""Writing audit events. Callers add the event inside their own write transaction, so the decision
and its record commit (or fail) together."""
from __future__ import annotations

import json

from flask import has_request_context, request
from flask_login import current_user
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.site.text import clean_text


def client_ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def record(
    session: Session,
    action: str,
    *,
    actor=None,
    actor_name: str | None = None,
    target_type: str = "",
    target_id: object = "",
    region_code: str = "",
    outcome: str = "success",
    detail: dict | None = None,
) -> AuditEvent:
    """Add one audit event to `session` (the caller commits). `actor` defaults to the logged-in user;
    outside a request (CLI) it is empty and `actor_name` says who acted, e.g. "命令行"."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        # Names may come from a request (a platform's, a login attempt's): no NUL or direction overrides.
        actor_name=clean_text(actor_name if actor_name is not None else getattr(actor, "username", "")),
        actor_role=getattr(actor, "role", ""),
        ip=client_ip(),
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        region_code=region_code,
        outcome=outcome,
        detail=clean_text(json.dumps(detail, ensure_ascii=False, sort_keys=True)) if detail else "",
    )
    session.add(event)
    return event
