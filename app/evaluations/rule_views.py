"""The rule-set page: the current version with its history, and the correction form (city administrator)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts import roles
from app.accounts.scope import roles_required
from app.db import get_session
from app.evaluations import bp, rule_edit
from app.evaluations import rules as R
from app.evaluations.models import revisions


@bp.route("/rules", methods=["GET", "POST"])
@roles_required(*roles.OFFICIALS)
def rules_page():
    """The index in use (points, level rule, constrained scenes) and its versions; the city corrects it."""
    session = get_session()
    rules = R.current(session=session)
    errors, form = {}, None
    if request.method == "POST":
        if current_user.role != roles.CITY_ADMIN:
            abort(403)
        try:
            row = rule_edit.save_correction(session, rules, request.form, editor=current_user)
        except rule_edit.RulesRefused as exc:
            errors, form = exc.errors, request.form
        else:
            flash(f"已保存为第 {row.version} 版，新的评测将按此版本计分；已完成的评测仍按其原版本出具报告。", "success")
            return redirect(url_for("evaluations.rules_page"))
    return render_template("evaluations/rules.html", rules=rules, history=revisions(rules.id, session=session),
                           errors=errors, form=form, can_edit=current_user.role == roles.CITY_ADMIN,
                           confidences=rule_edit.CONFIDENCES, confidence_label=R.confidence_label,
                           bad_questions={k.split("_")[1] for k in errors if k.startswith("P_")}), \
        (422 if errors else 200)


@bp.get("/rules/<int:version>")
@roles_required(*roles.OFFICIALS)
def rules_version(version: int):
    """One version of the index as it was (read-only)."""
    try:
        rules = R.rules_of(version, session=get_session())
    except LookupError:
        abort(404)
    return render_template("evaluations/rules.html", rules=rules, history=[], errors={}, form=None, can_edit=False,
                           confidences=rule_edit.CONFIDENCES, confidence_label=R.confidence_label, bad_questions=set())
