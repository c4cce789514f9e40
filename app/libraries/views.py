"""The pages of every national library: list, detail, create, edit, the spec JSON, and nested rows."""
from __future__ import annotations

import json
from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement

from app.accounts import roles
from app.accounts.scope import current_scope, region_prefix, roles_required
from app.db import get_session
from app.dicts import service as dicts_service
from app.dicts.spec_dicts import codes
from app.docking.models import states_for as push_states_for
from app.files.fields import Owner, uploads_for
from app.libraries import bp
from app.libraries.records import SORTS, STATUS_LABELS, RecordBase, find_by_key, records_query
from app.libraries.registry import RELATIONS, Library, Relation, generation_of, get_library
from app.libraries.service import owner_for_new, save
from app.pagination import paginate
from app.refusal import Refused, show_on
from app.site.htmx import render
from app.site.listargs import TEXT, codes_of, list_args
from app.spec.form import flatten


def _library_for(key: str) -> Library:
    """The library, if the user's role works in it (scope then limits the records); 403 otherwise."""
    lib = get_library(key)
    if current_user.role not in lib.roles:
        abort(403)
    return lib


def _visible(lib: Library) -> ColumnElement[bool]:
    model = lib.model
    return current_scope().where(region_col=model.region_code,
                                 credit_col=model.credit_code if lib.owner_role else None)


def _record_or_404(lib: Library, record_id: int) -> RecordBase:
    """The record if it is in the user's scope; another region's or organisation's answers 404."""
    credit_attr = "credit_code" if lib.owner_role else None
    return current_scope().load_or_404(get_session(), lib.model, record_id, region_attr="region_code",
                                       credit_attr=credit_attr)


@bp.get("/<key>/")
@login_required
def record_list(key: str) -> ResponseReturnValue:
    """A library's records in my scope: keyword, region, industry and status filters, sorting, paging."""
    lib = _library_for(key)
    region_options = dicts_service.regions_below(current_user.region_code, session=get_session())
    args = list_args(request.args, {"q": TEXT, "region": codes_of(region_options), "industry": codes("industry"),
                                    "status": STATUS_LABELS, "sort": SORTS})
    scope = current_scope()
    page = paginate(
        records_query(lib.model, visible=_visible(lib), q=args["q"],
                      region_prefix=region_prefix(args["region"]) if args["region"] else "",
                      industry=args["industry"], status=args["status"],
                      sort=args["sort"] or "-updated", search_columns=lib.search_columns),
        session=get_session(), page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"],
        # The count is kept until the library's table changes; the sort does not change it.
        count_key=(generation_of(lib), (lib.key, scope, args["q"], args["region"], args["industry"], args["status"])),
    )
    names = dicts_service.region_names((r.region_code for r in page.items), session=get_session())
    return render("libraries/list.html", "libraries/_table.html", lib=lib, page=page, args=args,
                  region_options=region_options, industries=[(name, name) for name in codes("industry")],
                  status_labels=STATUS_LABELS,
                  region_names=names, record_url=_record_urls(lib),
                  push_states=push_states_for(lib.key, [r.id for r in page.items], session=get_session()))


_SAMPLE_ID = 987654321


def _record_urls(lib: Library) -> Callable[[int], str]:
    """id → the record's URL, building the route once per page instead of once per row."""
    sample = lib.record_url(_SAMPLE_ID)
    head, _, tail = sample.partition(str(_SAMPLE_ID))
    return lambda record_id: f"{head}{record_id}{tail}"


def _owner_of(lib: Library, record: RecordBase | None) -> Owner:
    if record is None:
        region, credit = owner_for_new(lib, current_user)
        return Owner(region, credit, current_user.id)
    return Owner(record.region_code, record.credit_code, current_user.id)


def _edit(lib: Library, record: RecordBase | None) -> ResponseReturnValue:
    """The create/edit form: 保存草稿 validates what is there, 提交审核 also requires every Y field."""
    # Not from_wire() for the edit page: that form has no CSRF token, so a browser could not post it back.
    form = lib.form() if request.method == "POST" else (
        lib.form(formdata=flatten(record.wire)) if record is not None else lib.form())
    region = getattr(form, "region", None)
    if request.method == "GET" and record is not None and region is not None and record.region_code:
        region.data = record.region_code  # the wire names no county; the record's region does
    if request.method == "POST":
        submit = request.form.get("action") == "submit"
        with uploads_for(_owner_of(lib, record)):
            valid = form.validate_for(submit=submit)
        if valid:
            try:
                saved = save(lib, form, user=current_user._get_current_object(), session=get_session(),
                             submit=submit, record=record)
            except Refused as exc:
                show_on(form, exc)
            else:
                flash(f"{lib.noun}“{saved.title or '未命名'}”已{'提交审核' if submit else '保存为草稿'}。", "success")
                return redirect(url_for("libraries.record_detail", key=lib.key, record_id=saved.id))
        flash("提交的内容有误，请按提示修改后重新保存。", "error")
    elif lib.owner_role == current_user.role and record is None:
        # An enterprise or provider starts its own record: its name and credit code are already known.
        if lib.credit_attr:
            getattr(form, lib.credit_attr).data = current_user.credit_code
        if lib.owner_name_attr:
            getattr(form, lib.owner_name_attr).data = current_user.display_name
    return render_template("libraries/form.html", lib=lib, form=form, record=record)


@bp.route("/<key>/new", methods=["GET", "POST"])
@login_required
def record_new(key: str) -> ResponseReturnValue:
    """A new record of the library (draft or submitted); an organisation's own record opens for editing."""
    lib = _library_for(key)
    if lib.pages:
        return redirect(lib.new_url())
    if current_user.role == lib.owner_role and lib.credit_attr:
        own = find_by_key(lib.model, session=get_session(), credit_code=current_user.credit_code)
        if own is not None:
            flash(f"本单位的{lib.noun}信息已登记，请在此修改。", "warning")
            return redirect(url_for("libraries.record_edit", key=lib.key, record_id=own.id))
    return _edit(lib, None)


@bp.route("/<key>/<int:record_id>/edit", methods=["GET", "POST"])
@login_required
def record_edit(key: str, record_id: int) -> ResponseReturnValue:
    """Edit a record in my scope."""
    lib = _library_for(key)
    record = _record_or_404(lib, record_id)
    if lib.pages:
        return redirect(lib.record_url(record_id))
    return _edit(lib, record)


@bp.get("/<key>/<int:record_id>")
@login_required
def record_detail(key: str, record_id: int) -> ResponseReturnValue:
    """One record, every spec attribute with its label."""
    lib = _library_for(key)
    record = _record_or_404(lib, record_id)
    if lib.pages:
        return redirect(lib.record_url(record_id))
    names = dicts_service.region_names([record.region_code], session=get_session())
    return render_template("libraries/detail.html", lib=lib, record=record, form=lib.form.from_wire(record.wire),
                           region_name=names.get(record.region_code, record.region_code),
                           push_state=push_states_for(lib.key, [record_id], session=get_session()).get(record_id),
                           is_official=current_scope().is_official, related=_related(lib, record))


def _related(lib: Library, record: RecordBase) -> list[tuple[Relation, RecordBase | None]]:
    """(relation, the related record or None) for the records of other libraries that go with this one."""
    out, scope = [], current_scope()
    for relation in RELATIONS.get(lib.key, ()):
        if current_user.role not in relation.library.roles:
            continue
        other = relation.find(record, get_session())
        if other is not None and not scope.allows(region_code=other.region_code, credit_code=other.credit_code):
            other = None
        out.append((relation, other))
    return out


@bp.get("/<key>/<int:record_id>/wire")
@roles_required(*roles.OFFICIALS)
def record_wire(key: str, record_id: int) -> ResponseReturnValue:
    """查看报文: the JSON this record sends to the upper platform, exactly as the spec names it: its formal
    (approved) version; before the first approval there is nothing to send, and the page says so."""
    lib = _library_for(key)
    record = _record_or_404(lib, record_id)
    formal = lib.formal_json(record)
    if formal is None:
        return render_template("libraries/wire.html", lib=lib, record=record, text=None)
    text = json.dumps(formal, ensure_ascii=False, indent=2)
    if request.args.get("download"):
        return current_app.response_class(text, mimetype="application/json", headers={
            "Content-Disposition": f'attachment; filename="{lib.key}-{record.id}.json"'})
    return render_template("libraries/wire.html", lib=lib, record=record, text=text)


@bp.get("/<key>/rows/<field>")
@login_required
def new_row(key: str, field: str) -> ResponseReturnValue:
    """One more nested row (useSceneList, fileList, performanceCycleList) for the form, as an htmx fragment."""
    lib = _library_for(key)
    index = request.args.get("index", type=int)
    form = lib.form(meta={"csrf": False})
    rows = getattr(form, field, None)
    if rows is None or rows.type != "FieldList" or index is None or not 0 <= index < 1000:
        abort(404)
    rows.entries.clear()  # drop the min_entries blanks: only the requested row is rendered
    rows.last_index = index - 1
    entry = rows.append_entry()
    return render_template("libraries/_row.html", lib=lib, rows=rows, entry=entry, next_index=index + 1, oob=True)


@bp.get("/rows/removed")
@login_required
def removed_row() -> ResponseReturnValue:
    """The answer to 删除 on a nested row: htmx drops the row (hx-swap=delete), nothing is stored."""
    return ""
