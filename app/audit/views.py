"""The audit administrator's log reader."""
from __future__ import annotations

from flask import request

from app.accounts import roles
from app.accounts.scope import roles_required
from app.audit import bp
from app.audit.models import ACTION_LABELS, TARGET_LABELS, events_query
from app.db import get_session
from app.pagination import paginate
from app.site.dates import day_start
from app.site.htmx import render


@bp.get("/")
@roles_required(roles.AUDIT_ADMIN)
def event_list():
    """The audit log, newest first, with filters by action, user, outcome and date."""
    args = request.args
    page = paginate(
        events_query(action=args.get("action", ""), actor=args.get("actor", "").strip(),
                     outcome=args.get("outcome", ""), start=day_start(args.get("start", "")),
                     end=day_start(args.get("end", ""), next_day=True)),
        session=get_session(), page=args.get("page", 1, type=int), per_page=50,
    )
    return render("audit/events.html", "audit/_event_table.html", page=page, args=args,
                  action_labels=ACTION_LABELS, target_labels=TARGET_LABELS)
