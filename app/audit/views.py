"""The audit administrator's log reader."""
from __future__ import annotations

from flask import request

from app.accounts import roles
from app.accounts.scope import roles_required
from app.audit import bp
from app.audit.models import ACTION_LABELS, TARGET_LABELS, events_query
from app.db import get_session
from app.libraries.registry import LIBRARIES
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
                  action_labels=action_labels(), target_labels=target_labels())


LIBRARY_VERBS = (("create", "新建"), ("update", "修改"), ("submit", "提交审核"))


def action_labels() -> dict[str, str]:
    """Every action's label: the fixed ones, and each library's create / update / submit."""
    return {**ACTION_LABELS, **{f"{lib.key}.{verb}": f"{label}{lib.noun}"
                                for lib in LIBRARIES.values() for verb, label in LIBRARY_VERBS}}


def target_labels() -> dict[str, str]:
    from app.review.kinds import KINDS

    return {**TARGET_LABELS, **{lib.key: lib.noun for lib in LIBRARIES.values()},
            **{kind.key: kind.noun for kind in KINDS.values()}}
