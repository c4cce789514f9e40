"""The review queue and its decisions (htmx partials), the submitter's notifications, and the review
state every record page shows."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.accounts import roles
from app.accounts.scope import region_prefix, roles_required
from app.db import get_session
from app.dicts import service as dicts_service
from app.libraries.registry import LIBRARIES
from app.pagination import Page, paginate
from app.refusal import Refused
from app.review import bp, diff
from app.review import service as review
from app.review.kinds import KINDS, titles
from app.review.models import (
    LEVEL_LABELS,
    SOURCE_LABELS,
    Submission,
    counts_by_library,
    decisions_of,
    notifications_query,
    queue_query,
    submissions_of,
    unread_count,
)
from app.site.dates import day_start
from app.site.htmx import answer, render, wants_fragment
from app.site.ids import parse_ids
from app.site.listargs import DATE, TEXT, codes_of, list_args
from app.site.text import clean_text

# ---------------------------------------------------------------------------------------- shared context

def template_context() -> dict:
    """The unread-notification count for the top bar's 消息 badge."""
    if not current_user.is_authenticated:
        return {}
    known = g.get("user_extras", {})
    if "unread_notifications" in known and request.method in ("GET", "HEAD"):
        # Read with the login session (app/review/__init__.py); a GET changes no notification.
        return {"unread_notifications": known["unread_notifications"]}
    return {"unread_notifications": unread_count(current_user.id, session=get_session())}


@dataclass(frozen=True)
class RecordReview:
    latest: Submission | None
    history: list  # (submission, decision) pairs, oldest first


def record_review(library: str, record_id: int) -> RecordReview:
    """A record's review state for its page: the latest submission (status, reason) and every decision.
    Called from record pages only, which have already checked that the user may see the record."""
    session = get_session()
    subs = submissions_of(library, record_id, session=session)
    by_id = {s.id: s for s in subs}
    history = [(by_id[d.submission_id], d) for d in decisions_of(by_id, session=session)]
    return RecordReview(subs[0] if subs else None, history)


# ------------------------------------------------------------------------------------------------ queue

def _level() -> str | None:
    return review.level_of(current_user)


def _region_options() -> list[tuple[str, str]]:
    return dicts_service.regions_below(current_user.region_code, session=get_session())


def _args() -> dict:
    return list_args(request.values, {"library": titles(), "source": SOURCE_LABELS,
                                      "region": codes_of(_region_options()), "submitter": TEXT,
                                      "date_from": DATE, "date_to": DATE})


def _queue_page(args: dict, counts: dict[str, int], page_no: int) -> Page:
    """One page of my queue. Filtered only by library (or not at all), the counters already hold the total,
    so no COUNT runs over a long queue."""
    stmt = queue_query(awaiting=_level(), region_prefix=region_prefix(current_user.region_code),
                       library=args["library"], source=args["source"],
                       region=region_prefix(args["region"]) if args["region"] else "", submitter=args["submitter"],
                       start=day_start(args["date_from"]) if args["date_from"] else None,
                       end=day_start(args["date_to"], next_day=True) if args["date_to"] else None)
    filtered = any(args[name] for name in args if name != "library")
    total = None if filtered else counts.get(args["library"], 0) if args["library"] else sum(counts.values())
    return paginate(stmt, session=get_session(), page=page_no, per_page=current_app.config["PAGE_SIZE"], total=total)


def _counts() -> dict[str, int]:
    return counts_by_library(awaiting=_level(), region_prefix=region_prefix(current_user.region_code),
                             session=get_session())


def _queue_context(args: dict, page_no: int = 1, **extra: object) -> dict:
    counts = _counts()
    page = _queue_page(args, counts, page_no)
    names = dicts_service.region_names({s.region_code for s in page.items}, session=get_session())
    return dict(page=page, args=args, counts=counts, libraries=titles(), region_names=names,
                region_options=_region_options(), sources=SOURCE_LABELS, level=_level(),
                level_label=LEVEL_LABELS.get(_level() or "", ""),
                **extra)


@bp.get("/")
@roles_required(*roles.OFFICIALS)
def queue() -> ResponseReturnValue:
    """The submissions awaiting my decision in my region: counts per library, filters, paging."""
    args = _args()
    return render("review/queue.html", "review/_queue.html",
                  **_queue_context(args, request.args.get("page", 1, type=int)))


def _submission_or_404(submission_id: int) -> Submission:
    try:
        return review.load_for(get_session(), submission_id, current_user)
    except review.NotInScope:
        abort(404)


def _pane_context(sub: Submission, **extra: object) -> dict:
    history = [(sub, d) for d in decisions_of([sub.id], session=get_session())]
    names = dicts_service.region_names([sub.region_code], session=get_session())
    common = dict(sub=sub, history=history, region_name=names.get(sub.region_code, ""),
                  can_decide=sub.is_open and sub.awaiting == _level(), reason="", errors={}, **extra)
    if sub.library in KINDS:  # an area's item: its own template shows it
        kind = KINDS[sub.library]
        return dict(common, lib=kind, kind=kind, item=kind.load(get_session(), sub.record_id))
    lib = LIBRARIES[sub.library]
    record = get_session().get(lib.model, sub.record_id)
    proposed = sub.wire
    formal = record.formal if record is not None else None
    form = lib.form.from_wire(proposed)
    lines = diff.compare(proposed, formal, diff.field_labels(form))
    return dict(common, lib=lib, kind=None, record=record, lines=lines, formal=formal,
                changed=sum(1 for line in lines if line.changed))


@bp.get("/<int:submission_id>")
@roles_required(*roles.OFFICIALS)
def pane(submission_id: int) -> ResponseReturnValue:
    """One submission beside the current formal record, changed attributes highlighted, with the decisions."""
    sub = _submission_or_404(submission_id)
    return render("review/submission.html", "review/_pane.html", **_pane_context(sub))


def _decided_fragment(sub: Submission, message: str, category: str, **extra: object) -> ResponseReturnValue:
    """The pane after a decision, plus the queue row and the counters out of band."""
    args = _args()
    ctx = _pane_context(sub, message=message, category=category, **extra)
    # The queue's row and counters follow out of band, when the pane sits beside them (not on its own page).
    in_queue = urlparse(request.headers.get("HX-Current-URL", "")).path == url_for("review.queue")
    html = render_template("review/_decided.html", counts=_counts(), libraries=titles(), args=args, in_queue=in_queue,
                           region_names={sub.region_code: ctx["region_name"]}, **ctx)
    response = current_app.response_class(html)
    response.vary.add("HX-Request")
    return response


@bp.post("/<int:submission_id>/decide")
@roles_required(*roles.OFFICIALS)
def decide(submission_id: int) -> ResponseReturnValue:
    """通过 / 退回修改 / 驳回: the decided row updates in place, the counters follow (htmx)."""
    sub = _submission_or_404(submission_id)
    decision, reason = request.form.get("decision", ""), clean_text(request.form.get("reason", ""))
    session = get_session()
    try:
        sub = review.decide(session, submission_id, user=current_user._get_current_object(), decision=decision,
                            reason=reason)
    except review.AlreadyDecided as exc:
        session.refresh(sub)
        return _answer(sub, str(exc), "warning")
    except Refused as exc:
        if exc.field is None:
            return _answer(sub, str(exc), "error")
        ctx = _pane_context(sub)
        ctx.update(reason=reason, errors={exc.field: [str(exc)]}, chosen=decision)
        if wants_fragment():  # htmx swaps 200s only: the pane comes back with the message beside the reason
            return render_template("review/_pane.html", **ctx)
        return render_template("review/submission.html", **ctx), 422
    return _answer(sub, f"已{review_label(sub)}：{sub.title or '未命名'}", "success")


def _answer(sub: Submission, message: str, category: str) -> ResponseReturnValue:
    return answer(message, category, fragment=lambda: _decided_fragment(sub, message, category),
                  redirect_to=url_for("review.queue"))


def review_label(sub: Submission) -> str:
    return {"county_approved": "通过区县初审，已转市级确认",
            "approved": "审核通过并入库" if sub.library in LIBRARIES else "审核通过",
            "rejected": "驳回", "returned": "退回修改"}.get(sub.status, sub.status_label)


def _ids() -> list[int]:
    """The selected submission ids; a field may also carry a comma-separated list (scripts, the bench)."""
    return parse_ids(request.form.getlist("ids"), separator=",")


@bp.post("/bulk")
@roles_required(*roles.OFFICIALS)
def bulk() -> ResponseReturnValue:
    """批量通过 the selected rows; the queue comes back without them, the counters updated."""
    ids = _ids()
    if not ids:
        message, category = "请先勾选要通过的申请。", "error"
    elif len(ids) > review.BULK_MAX:
        message, category = f"一次最多批量通过 {review.BULK_MAX} 条。", "error"
    else:
        done, skipped = review.bulk_approve(get_session(), ids, user=current_user._get_current_object())
        message = f"已批量通过 {len(done)} 条。"
        if skipped:
            message += f"{len(skipped)} 条未处理：" + "；".join(skipped[:5])
        category = "success" if not skipped else "warning"
    return answer(message, category, redirect_to=url_for("review.queue"), fragment=lambda: render(
        "review/queue.html", "review/_queue.html", **_queue_context(
            _args(), request.values.get("page", 1, type=int), message=message, category=category, oob_counts=True)))


# ---------------------------------------------------------------------------------------- notifications

@bp.get("/notifications")
@login_required
def notifications() -> ResponseReturnValue:
    """My notifications, newest first: decisions on what I submitted."""
    page = paginate(notifications_query(current_user.id), session=get_session(),
                    page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"])
    return render("review/notifications.html", "review/_notifications.html", page=page)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def notification_read(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read and open what it links to."""
    from app.review.models import Notification

    note = get_session().get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    review.mark_read(get_session(), current_user.id, notification_id)
    return redirect(note.link or url_for("review.notifications"))


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all() -> ResponseReturnValue:
    """Mark all my notifications read."""
    count = review.mark_read(get_session(), current_user.id)
    flash(f"已将 {count} 条消息标为已读。", "success")
    return redirect(url_for("review.notifications"))
