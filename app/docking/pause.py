"""Pausing and resuming pushes. A refused token or a second 403 pauses: sending more would only repeat
the refusal, so the city's administrators are told and pushing waits until one of them saves the settings
or presses 恢复推送."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import region_covers
from app.audit.service import record as audit
from app.db import write
from app.docking import clock
from app.docking.items import docking_state
from app.docking.settings import DockingConfig
from app.review.notify import notify

PUSH_CENTRE = "/docking/push"  # the notification's link (a worker has no request to build URLs from)


def city_admins(session: Session, region_code: str) -> list[User]:
    """The active city administrators whose region covers `region_code` (all of them when it is empty)."""
    admins = session.exec(select(User).where(User.role == roles.CITY_ADMIN, col(User.is_active).is_(True)))
    return [a for a in admins if not region_code or region_covers(a.region_code, region_code)]


def pause(session: Session, conf: DockingConfig, reason: str, *, link: str = PUSH_CENTRE) -> None:
    """Stop pushing until an administrator saves the settings or presses 恢复推送; tell the city's
    administrators. Runs inside the caller's write transaction."""
    state = docking_state(session)
    if state.paused:
        return
    state.paused, state.paused_reason, state.paused_at = True, reason, clock.now()
    state.last_error, state.last_error_at = reason, state.paused_at
    notify(session, city_admins(session, conf.region_code), f"推送到上级平台已暂停：{reason}", link)
    audit(session, "docking.paused", actor_name="推送服务", target_type="docking_setting", outcome="failure",
          region_code=conf.region_code, detail={"reason": reason})


def resume(session: Session, *, actor: Any) -> bool:
    """恢复推送; False when it was not paused."""
    with write(session):
        state = docking_state(session)
        if not state.paused:
            return False
        reason = state.paused_reason
        state.paused, state.paused_reason, state.paused_at = False, "", None
        audit(session, "docking.resume", actor=actor, target_type="docking_setting", detail={"was": reason})
    return True
