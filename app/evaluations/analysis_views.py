"""综合分析 for officials: the page (tables, and charts drawn from the JSON endpoint), and the Excel export."""
from __future__ import annotations

import io

from flask import jsonify, render_template, request, send_file
from flask_login import current_user

from app.accounts import roles
from app.accounts.scope import region_covers, roles_required
from app.db import get_session
from app.dicts.service import counties_of, region_label
from app.evaluations import analysis as AN
from app.evaluations import bp, excel
from app.evaluations import rules as R
from app.evaluations.models import ANALYSIS_GENERATION, KIND_LABELS, STAGE_LABELS
from app.generations import DICTS
from app.libraries.registry import LIBRARIES, generation_of
from app.listcache import cached_value
from app.site.ids import parse_year


def _filters() -> AN.Filters:
    args = request.args
    kind = args.get("kind") if args.get("kind") in KIND_LABELS else "onsite"
    stage = args.get("stage") if args.get("stage") in STAGE_LABELS else ""
    period = parse_year(args.get("period"))
    county = args.get("county", "")
    if county and not region_covers(current_user.region_code, county):
        county = ""
    return AN.Filters(region=current_user.region_code, kind=kind, period=period, stage=stage, county=county)


def _analysis() -> AN.Analysis:
    """The analysis for the request's filters, kept until a counted result, a rule correction, the pilot
    enterprises (their names and industries) or the reference data change, or the deployment's
    pilot-industry file is replaced."""
    session = get_session()
    filters, rules = _filters(), R.current(session=session)
    key = ("evaluations.analysis", filters, rules.version, AN.pilot_industries_stamp())
    inputs = (ANALYSIS_GENERATION, generation_of(LIBRARIES["pilots"]), DICTS)
    return cached_value(inputs, key, session=session)(lambda: AN.analyse(session, filters, rules))


def _filters_text(f: AN.Filters) -> str:
    session = get_session()
    parts = [region_label(f.county or f.region, session=session), KIND_LABELS[f.kind],
             STAGE_LABELS.get(f.stage, "全部阶段"), f"{f.period} 年" if f.period else "全部年度"]
    return "，".join(parts)


@bp.get("/analysis")
@roles_required(*roles.OFFICIALS)
def analysis_page():
    """The level distribution of the region by county, industry and pilot industry, the average scores,
    the scene heat map and before/after, as tables with charts."""
    a = _analysis()
    session = get_session()
    counties = counties_of(current_user.region_code[:4] + "00", session=session) \
        if current_user.role == roles.CITY_ADMIN else []
    return render_template("evaluations/analysis.html", a=a, levels=AN.LEVELS, kinds=KIND_LABELS,
                           stages=STAGE_LABELS, counties=counties, filters_text=_filters_text(a.filters),
                           args=request.args)


@bp.get("/analysis.json")
@roles_required(*roles.OFFICIALS)
def analysis_json():
    """The chart data of the analysis page, with the same filters."""
    return jsonify(AN.chart_json(_analysis()))


@bp.get("/analysis.xlsx")
@roles_required(*roles.OFFICIALS)
def analysis_xlsx():
    """The analysis tables as an Excel workbook."""
    a = _analysis()
    data = excel.workbook(a, filters_text=_filters_text(a.filters))
    return send_file(io.BytesIO(data), mimetype=excel.MIMETYPE, as_attachment=True,
                     download_name="数字化水平综合分析.xlsx")
