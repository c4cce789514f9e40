"""The report: the page (printable), the Word download, and the data of its two charts."""
from __future__ import annotations

import io

from flask import abort, jsonify, render_template, send_file

from app.accounts.scope import roles_required
from app.db import get_session
from app.dicts import service as dicts
from app.evaluations import bp, word
from app.evaluations import report as R
from app.evaluations.models import AFTER, BEFORE, latest_final
from app.evaluations.views import ROLES, get_evaluation_or_404


def _report_or_404(evaluation_id: int) -> R.Report:
    ev = get_evaluation_or_404(evaluation_id)
    if not ev.result:
        abort(404)
    return R.build(get_session(), ev)


def _region_name(code: str) -> str:
    return dicts.region_label(code, session=get_session()) or code


def _other_stage(report: R.Report):
    """The enterprise's final result of the other stage (改造前 ↔ 改造后) of the same kind, for the side-by-side."""
    ev = report.ev
    if ev.stage not in (BEFORE, AFTER):
        return None
    other = latest_final(ev.credit_code, session=get_session(), kind=ev.kind,
                         stage=AFTER if ev.stage == BEFORE else BEFORE)
    if other is None:
        return None
    pair = R.build(get_session(), other, with_suggestions=False)
    return (pair, report) if ev.stage == AFTER else (report, pair)


@bp.get("/<int:evaluation_id>/report")
@roles_required(*ROLES)
def report(evaluation_id: int):
    """The scored report, printable, with its charts and their tables."""
    rep = _report_or_404(evaluation_id)
    return render_template("evaluations/report.html", rep=rep, ev=rep.ev, result=rep.result,
                           compare=_other_stage(rep), region_name=_region_name(rep.ev.region_code))


@bp.get("/<int:evaluation_id>/report.json")
@roles_required(*ROLES)
def report_json(evaluation_id: int):
    """The data of the report's radar and scene charts."""
    return jsonify(R.chart_data(_report_or_404(evaluation_id)))


@bp.get("/<int:evaluation_id>/report.docx")
@roles_required(*ROLES)
def report_docx(evaluation_id: int):
    """The report as a Word document."""
    rep = _report_or_404(evaluation_id)
    data = word.report_docx(rep, region_name=_region_name(rep.ev.region_code))
    return send_file(io.BytesIO(data), mimetype=word.MIMETYPE, as_attachment=True,
                     download_name=f"数字化水平评测报告-{rep.ev.company_name}-{rep.ev.period}-{rep.ev.id}.docx")
