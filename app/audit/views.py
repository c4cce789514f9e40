"""The audit administrator's log reader."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request

from app.accounts import roles
from app.accounts.scope import roles_required
from app.audit import bp
from app.audit.models import ACTION_LABELS, TARGET_LABELS, events_query
from app.db import get_session
from app.pagination import paginate
from app.site.htmx import render


def _day(value: str, *, next_day: bool = False):
    """A yyyy-mm-dd typed in Beijing time → the aware instant its day starts (or the next day's)."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        return None
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, ZoneInfo(current_app.config["TIMEZONE"]))


@bp.get("/")
@roles_required(roles.AUDIT_ADMIN)
def event_list():
    """The audit log, newest first, with filters by action, user, outcome and date."""
    args = request.args
    page = paginate(
        events_query(action=args.get("action", ""), actor=args.get("actor", "").strip(),
                     outcome=args.get("outcome", ""), start=_day(args.get("start", "")),
                     end=_day(args.get("end", ""), next_day=True)),
        session=get_session(), page=args.get("page", 1, type=int), per_page=50,
    )
    return render("audit/events.html", "audit/_event_table.html", page=page, args=args,
                  action_labels=ACTION_LABELS, target_labels=TARGET_LABELS)
