"""The evaluation pages: the list, the stepped questionnaire, the overview with the on-site actions, and
the evidence uploads. The report, the analysis and the rule editor have their own modules."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts import roles
from app.accounts.scope import current_scope, region_prefix, roles_required
from app.db import get_session
from app.evaluations import answers as A
from app.evaluations import bp, evidence, onsite, service
from app.evaluations.models import (
    AWAITING_CITY,
    AWAITING_ENTERPRISE,
    KIND_LABELS,
    STAGE_LABELS,
    STATUS_LABELS,
    Evaluation,
    assigned_to,
    evaluations_query,
    evidence_of,
)
from app.evaluations.review_kind import ONSITE_REVIEW
from app.evaluations.rules import confidence_label
from app.files.models import StoredFile
from app.files.views import send_stored
from app.pagination import paginate
from app.refusal import Refused
from app.review.models import open_submissions_of
from app.site.htmx import render, wants_fragment

ROLES = (roles.ENTERPRISE, roles.PROVIDER, roles.COUNTY_OFFICIAL, roles.CITY_ADMIN)


def get_evaluation_or_404(evaluation_id: int) -> Evaluation:
    """The evaluation if the user may see it: officials of its region, its enterprise, its assessor."""
    ev = get_session().get(Evaluation, evaluation_id)
    if ev is None:
        abort(404)
    scope = current_scope()
    if scope.is_official and scope.covers_region(ev.region_code):
        return ev
    if current_user.role == roles.ENTERPRISE and current_user.credit_code == ev.credit_code:
        return ev
    if current_user.role == roles.PROVIDER and ev.assessor_id == current_user.id:
        return ev
    abort(404)


def _visible():
    scope = current_scope()
    if scope.is_official:
        return Evaluation.region_code.startswith(region_prefix(scope.region_code), autoescape=True)
    return Evaluation.credit_code == (current_user.credit_code or "")


@bp.get("/")
@roles_required(*ROLES)
def evaluation_list():
    """The evaluations the user may see, with the way to start a self-assessment (enterprise) or to assign
    an on-site assessment (city)."""
    session = get_session()
    kind, status, stage = (request.args.get(k, "") for k in ("kind", "status", "stage"))
    stmt = (assigned_to(current_user.id) if current_user.role == roles.PROVIDER
            else evaluations_query(visible=_visible(), kind=kind, status=status, stage=stage))
    page = paginate(stmt, session=session, page=request.args.get("page", 1, type=int),
                    per_page=20)
    awaiting = []
    if current_user.role == roles.CITY_ADMIN:
        awaiting = list(session.exec(onsite.awaiting_city_query(region_prefix(current_user.region_code)).limit(50)))
    return render("evaluations/list.html", "evaluations/_table.html", page=page, awaiting=awaiting,
                  args={"kind": kind, "status": status, "stage": stage}, kinds=KIND_LABELS, stages=STAGE_LABELS,
                  statuses=STATUS_LABELS, this_year=service.this_year())


@bp.post("/self")
@roles_required(roles.ENTERPRISE)
def start_self():
    """Start (or continue) a self-assessment of the chosen stage and year."""
    try:
        ev = service.start_self(get_session(), current_user, stage=request.form.get("stage", ""),
                                period=request.form.get("period", ""))
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("evaluations.evaluation_list"))
    return redirect(url_for("evaluations.step", evaluation_id=ev.id, key="d1"))


def _step_context(ev: Evaluation, step: A.Step, answers: dict, errors: dict[str, str]) -> dict:
    session = get_session()
    rules = service.rules_for(ev, session=session)
    checks = A.cross_checks(rules, answers)
    return {"ev": ev, "rules": rules, "step": step, "steps": A.steps(rules), "answers": answers, "errors": errors,
            "checks": checks, "missing": A.missing(rules, answers) if step.key == A.RESULT else [],
            "evidence": evidence_of(ev.id, session=session) if ev.kind == "onsite" else [],
            "evidence_rules": evidence.settings(rules), "confidence_label": confidence_label,
            "editable": service.can_edit(ev, current_user), "done": A.done_steps(rules, answers)}


@bp.route("/<int:evaluation_id>/step/<key>", methods=["GET", "POST"])
@roles_required(*ROLES)
def step(evaluation_id: int, key: str):
    """One step of the questionnaire; a post saves it and shows the next (a refusal shows the same step with
    the message beside each field and every answer kept)."""
    ev = get_evaluation_or_404(evaluation_id)
    session = get_session()
    rules = service.rules_for(ev, session=session)
    current = A.step_by_key(rules, key)
    if current is None:
        abort(404)
    if request.method == "GET":
        return render("evaluations/step.html", "evaluations/_step.html",
                      **_step_context(ev, current, ev.answer_data, {}))
    if not service.can_edit(ev, current_user):
        abort(403)
    try:
        answers, errors = service.save_step(session, ev, current_user, current, request.form)
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("evaluations.overview", evaluation_id=ev.id))
    if errors:
        response = render("evaluations/step.html", "evaluations/_step.html",
                          **_step_context(ev, current, answers, errors))
        # htmx swaps only 2xx answers: the refused step comes back as a fragment that shows its messages.
        return response, (200 if wants_fragment() else 422)
    order = [s.key for s in A.steps(rules)]
    target = request.form.get("go") or order[min(order.index(current.key) + 1, len(order) - 1)]
    following = A.step_by_key(rules, target) or current
    if wants_fragment():
        response = render("evaluations/step.html", "evaluations/_step.html",
                          **_step_context(ev, following, answers, {}))
        response.headers["HX-Push-Url"] = url_for("evaluations.step", evaluation_id=ev.id, key=following.key)
        return response
    return redirect(url_for("evaluations.step", evaluation_id=ev.id, key=following.key))


@bp.post("/<int:evaluation_id>/complete")
@roles_required(roles.ENTERPRISE, roles.PROVIDER)
def complete(evaluation_id: int):
    """The result step: score the answers with the evaluation's rule version and keep the report."""
    ev = get_evaluation_or_404(evaluation_id)
    session = get_session()
    try:
        service.complete(session, ev, current_user, pledge=request.form.get("pledge") == "yes")
    except Refused as exc:
        rules = service.rules_for(ev, session=session)
        context = _step_context(ev, A.step_by_key(rules, A.RESULT), ev.answer_data,
                                {exc.field or "pledge": str(exc)})
        return render("evaluations/step.html", "evaluations/_step.html", **context), 422
    flash("评测结果已生成。" if ev.kind == "self" else "现场评定结果已提交，等待企业确认。", "success")
    target = url_for("evaluations.report", evaluation_id=ev.id) if ev.kind == "self" else \
        url_for("evaluations.overview", evaluation_id=ev.id)
    if wants_fragment():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


@bp.get("/<int:evaluation_id>")
@roles_required(*ROLES)
def overview(evaluation_id: int):
    """The evaluation's state, who assessed and decided, its evidence and the actions open to the user."""
    ev = get_evaluation_or_404(evaluation_id)
    return render_template("evaluations/overview.html", **_overview_context(ev, errors={}))


@bp.post("/<int:evaluation_id>/confirm")
@roles_required(roles.ENTERPRISE)
def confirm(evaluation_id: int):
    """The enterprise confirms the on-site result, or objects with a note."""
    ev = get_evaluation_or_404(evaluation_id)
    agree = request.form.get("agree") == "yes"
    try:
        onsite.confirm(get_session(), ev, current_user, agree=agree, note=request.form.get("note", ""))
    except Refused as exc:
        return _overview_with_error(ev, exc, "note")
    flash("已确认现场评定结果，等待市级审核。" if agree else "异议已提交，评定人将修改后重新提交。", "success")
    return redirect(url_for("evaluations.overview", evaluation_id=ev.id))


def _overview_with_error(ev: Evaluation, exc: Refused, default: str):
    return render_template("evaluations/overview.html",
                           **_overview_context(ev, errors={exc.field or default: str(exc)}, form=request.form)), 422


def _overview_context(ev: Evaluation, **extra) -> dict:
    session = get_session()
    rules = service.rules_for(ev, session=session)
    # The city decides a confirmed result in the review queue; the page links to its submission there.
    in_review = open_submissions_of(ONSITE_REVIEW.key, ev.id, session=session) if (
        ev.status == AWAITING_CITY and current_user.role in roles.OFFICIALS) else []
    return dict(ev=ev, rules=rules, steps=A.steps(rules), evidence=evidence_of(ev.id, session=session),
                can_edit=service.can_edit(ev, current_user),
                can_confirm=ev.status == AWAITING_ENTERPRISE and current_user.role == roles.ENTERPRISE,
                review_submission=in_review[0] if in_review else None, **extra)


@bp.post("/<int:evaluation_id>/evidence")
@roles_required(roles.PROVIDER)
def upload_evidence(evaluation_id: int):
    """The assessor attaches a supporting material (支撑材料) to one question."""
    ev = get_evaluation_or_404(evaluation_id)
    question = request.form.get("question_id", "")
    back = url_for("evaluations.step", evaluation_id=ev.id, key=request.form.get("step", "d1"))
    try:
        evidence.attach(get_session(), ev, current_user, question_id=question,
                        material=request.form.get("material", ""), upload=request.files.get("file"))
    except Refused as exc:
        flash(f"第 {question[1:]} 题支撑材料未保存：{exc}", "error")
        return redirect(back + f"#evidence-{question}")
    flash(f"第 {question[1:]} 题的支撑材料已上传。", "success")
    return redirect(back + f"#evidence-{question}")


@bp.route("/assign", methods=["GET", "POST"])
@roles_required(roles.CITY_ADMIN)
def assign():
    """The city assigns an assessor to carry out an on-site assessment of a pilot enterprise."""
    session = get_session()
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            ev = onsite.assign(session, current_user, credit_code=form.get("credit_code", ""),
                               assessor_id=form.get("assessor_id"), stage=form.get("stage", ""),
                               period=form.get("period", ""))
        except Refused as exc:
            errors = getattr(exc, "errors", None) or {exc.field: str(exc)}
        else:
            flash(f"已指派{ev.assessor_name}对“{ev.company_name}”开展现场评定。", "success")
            return redirect(url_for("evaluations.overview", evaluation_id=ev.id))
    from app.evaluations.analysis import pilots_in

    return render_template("evaluations/assign.html", errors=errors, form=form, stages=STAGE_LABELS,
                           enterprises=pilots_in(session, current_user.region_code),
                           assessors=onsite.assessors_in(session, current_user.region_code),
                           this_year=service.this_year()), (422 if errors else 200)


from app.evaluations import analysis_views, report_views, rule_views  # noqa: E402,F401


@bp.get("/<int:evaluation_id>/evidence/<int:evidence_id>")
@roles_required(*ROLES)
def evidence_file(evaluation_id: int, evidence_id: int):
    """A supporting material, for everyone who may see the evaluation: the assessor who uploaded it too,
    although the file belongs to the enterprise's scope (files.download alone would refuse a provider)."""
    ev = get_evaluation_or_404(evaluation_id)
    row = next((e for e in evidence_of(ev.id, session=get_session()) if e.id == evidence_id), None)
    stored = get_session().get(StoredFile, row.file_id) if row is not None else None
    if stored is None:
        abort(404)
    return send_stored(stored)
