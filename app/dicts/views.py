"""Staff pages over the reference data, the picker fragments, and a page to try the pickers."""
from __future__ import annotations

import re
from functools import wraps

from flask import abort, current_app, render_template, request
from flask_login import current_user, login_required
from wtforms import SubmitField
from wtforms.form import BaseForm

from app.accounts import roles
from app.accounts.scope import roles_required
from app.accounts.setup import needs_setup
from app.db import get_session
from app.dicts import bp, service
from app.dicts.fields import IndustryField, RegionField, SceneField
from app.dicts.spec_dicts import TITLES
from app.site import forms as site_forms
from app.site.htmx import render

SPEC_FILTERS = {"missing": "只看规范表中未收录的", "spec_only": "只看规范表专有的"}
REGION_LEVELS = {1: "省级", 2: "地市级", 3: "区县级"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,79}")


@bp.get("/")
@roles_required(*roles.STAFF)
def index():
    """Every reference table with its entry count."""
    session = get_session()
    return render_template("dicts/index.html", titles=TITLES, counts=service.dict_counts(session=session),
                           tables=service.table_counts(session=session))


def _int_arg(name: str, default: int | None = None, allowed=None) -> int | None:
    value = request.args.get(name, type=int)
    if value is None or (allowed is not None and value not in allowed):
        return default
    return value


@bp.get("/regions")
@roles_required(*roles.STAFF)
def regions():
    """The region browser: search by code or name, filter by level and by presence in the spec's table."""
    q = request.args.get("q", "").strip()[:50]
    level = _int_arg("level", allowed=REGION_LEVELS)
    spec = request.args.get("spec", "") if request.args.get("spec") in SPEC_FILTERS else ""
    page = service.search_regions(q, session=get_session(), level=level, spec=spec,
                                  page=_int_arg("page", 1), per_page=current_app.config["PAGE_SIZE"])
    args = {k: v for k, v in {"q": q, "level": level, "spec": spec}.items() if v}  # pager links keep these
    return render("dicts/regions.html", "dicts/_region_table.html", page=page, args=args, q=q,
                  level=level, spec=spec, levels=REGION_LEVELS, spec_filters=SPEC_FILTERS)


@bp.get("/industries")
@roles_required(*roles.STAFF)
def industries():
    """The GB/T 4754-2017 browser: search by code or name, filter by level."""
    q = request.args.get("q", "").strip()[:50]
    level = _int_arg("level", allowed=service.INDUSTRY_LEVELS)
    page = service.browse_industries(q, session=get_session(), level=level, page=_int_arg("page", 1),
                                     per_page=current_app.config["PAGE_SIZE"])
    args = {k: v for k, v in {"q": q, "level": level}.items() if v}
    return render("dicts/industries.html", "dicts/_industry_table.html", page=page, args=args, q=q,
                  level=level, levels=service.INDUSTRY_LEVELS)


def picker_or_setup(view):
    """The region picker serves signed-in users, and the first-run page while no administrator exists
    (it chooses the administrator's region); the rest of the dictionaries stay with staff."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated and not needs_setup(get_session()):
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapped


@bp.get("/pickers/region")
@picker_or_setup
def region_picker():
    """The region picker refilled for the choices made so far (htmx fragment)."""
    field = _standalone(RegionField, part_names=_part_names(),
                        min_level=_int_arg("min_level", 1, allowed=range(4)))
    field.cascade()
    return render_template("dicts/_cascade_picker.html", field=field)


@bp.get("/pickers/scene")
@login_required
def scene_picker():
    """The scene picker refilled for the choices made so far (htmx fragment)."""
    field = _standalone(SceneField, part_names=_part_names())
    field.cascade()
    return render_template("dicts/_cascade_picker.html", field=field)


@bp.get("/pickers/industry")
@login_required
def industry_picker():
    """The industry picker's result list for the search typed so far (htmx fragment)."""
    field = _standalone(IndustryField, min_level=_int_arg("min_level", 4, allowed=service.INDUSTRY_LEVELS))
    return render_template("dicts/_industry_results.html", field=field)


def _part_names() -> list[str]:
    """The cascade's select names, as the page's field declared them (1–3 plain identifiers)."""
    parts = request.args.get("parts", "").split(",")
    if not 1 <= len(parts) <= 3 or not all(_NAME.fullmatch(p) for p in parts):
        abort(400)
    return parts


def _standalone(field_cls, **kwargs):
    """Rebuild a picker field from the query string, as it was declared on the page's form."""
    name, field_id = request.args.get("field", ""), request.args.get("id", "")
    if not (_NAME.fullmatch(name) and _NAME.fullmatch(field_id)):
        abort(400)
    label = request.args.get("label", "")[:50]
    form = BaseForm([(name, field_cls(label, id=field_id, **kwargs))])
    form.process(request.args)
    return form[name]


class DemoForm(site_forms.BaseForm):
    region = RegionField("所属地区", min_level=2)
    scene = SceneField("应用场景")
    industry = IndustryField("国民经济行业")
    submit = SubmitField("校验")


@bp.route("/demo-pickers", methods=["GET", "POST"])
@roles_required(*roles.STAFF)
def demo_pickers():
    """A form with the three pickers; submitting it shows the chosen codes or the field errors. A
    developer's page: it exists in development and tests only, never for the platform's users."""
    if not (current_app.debug or current_app.testing):
        abort(404)
    form = DemoForm()
    result = None
    if form.validate_on_submit():
        province, city = form.region.wire_codes()
        result = {
            "region": (form.region.data, form.region.region_label()),
            "wire": (province, city),
            "scene": (form.scene.data, form.scene.path()),
            "industry": (form.industry.data, form.industry.industry_path()),
        }
    return render_template("dicts/demo.html", form=form, result=result)


@bp.get("/<dict_type>")
@roles_required(*roles.STAFF)
def dict_detail(dict_type: str):
    """One section-3 dictionary with every code as the spec spells it (scenes as a tree)."""
    if dict_type not in TITLES:
        abort(404)
    rows = service.items(dict_type, session=get_session())
    tree = _scene_tree(rows) if dict_type == "scene" else None
    return render_template("dicts/dict.html", dict_type=dict_type, title=TITLES[dict_type], rows=rows,
                           tree=tree)


def _scene_tree(rows) -> list[dict]:
    nodes = {r.code: {"item": r, "children": []} for r in rows}
    roots = []
    for r in rows:
        (nodes[r.parent_code]["children"] if r.parent_code in nodes else roots).append(nodes[r.code])
    return roots
