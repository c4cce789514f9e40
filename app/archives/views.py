"""The archive's pages: start, overview with progress, one editor per stage, submit, print and download."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from app.accounts.scope import current_scope
from app.archives import bp, document, stages, word
from app.archives.forms import ArchiveForm
from app.archives.library import LIBRARY as lib
from app.archives.models import Archive
from app.db import get_session, utcnow
from app.dicts import service as dicts_service
from app.docking.models import states_for as push_states_for
from app.files.fields import Owner, uploads_for
from app.libraries.records import find_by_key
from app.libraries.service import save
from app.pilots.models import PilotEnterprise
from app.products.models import product_names_of
from app.providers.models import provider_names_like
from app.refusal import Refused, show_on
from app.site.ids import parse_id


def _require_role() -> None:
    if current_user.role not in lib.roles:
        abort(403)


def get_archive_or_404(record_id: int) -> Archive:
    """The archive if it is in my scope (my region, or my own enterprise's); 404 otherwise."""
    _require_role()
    return current_scope().load_or_404(get_session(), Archive, record_id, region_attr="region_code",
                                       credit_attr="credit_code")


def _stage_or_404(key: str) -> stages.Stage:
    stage = stages.BY_KEY.get(key)
    if stage is None:
        abort(404)
    return stage


def _pilot_for_new() -> PilotEnterprise | None:
    """The pilot-enterprise record a new archive starts from: the enterprise's own, or ?pilot= for officials."""
    session = get_session()
    if current_user.role == lib.owner_role:
        return find_by_key(PilotEnterprise, session=session, credit_code=current_user.credit_code)
    pilot_id = parse_id(request.args.get("pilot"))
    if pilot_id is None:
        return None
    return current_scope().load_or_404(session, PilotEnterprise, pilot_id, region_attr="region_code",
                                       credit_attr="credit_code")


def _other_stage_errors(form: ArchiveForm, current: stages.Stage) -> list[tuple[stages.Stage, list[str]]]:
    """Errors that belong to another stage (a need removed while a content still links to it)."""
    out = []
    for stage in stages.STAGES:
        if stage is current:
            continue
        messages = [m for field in stage.fields(form) for m in document.error_messages(field)]
        if messages:
            out.append((stage, messages))
    return out


def _save(form: ArchiveForm, record: Archive | None, stage: stages.Stage | None, *, submit: bool | None):
    """Validate the whole archive and save it; the record, or None with the errors on the form."""
    owner = Owner(record.region_code, record.credit_code, current_user.id) if record else Owner(
        current_user.region_code, current_user.credit_code if current_user.role == lib.owner_role else None,
        current_user.id)
    with uploads_for(owner):
        valid = form.validate_for(submit=bool(submit))
    if not valid:
        return None
    try:
        return save(lib, form, user=current_user._get_current_object(), session=get_session(), submit=submit,
                    record=record, detail={"stage": stage.key} if stage else None)
    except Refused as exc:
        show_on(form, exc, "creditCode")
        return None


def _render_stage(form, record, stage, *, other_errors=()):
    can_edit = current_user.role in stage.editors
    section = None if can_edit else next(x for x in document.sections(form) if x.key == stage.key)
    return render_template("archives/stage.html", lib=lib, form=form, record=record, stage=stage,
                           fields=stage.fields(form), progress=stages.progress(record.wire if record else {}),
                           stages=stages.STAGES, state_labels=stages.STATE_LABELS, other_errors=other_errors,
                           can_edit=can_edit, section=section)


def _after_save(record: Archive, stage: stages.Stage):
    flash(f"“{stage.title}”已保存。", "success")
    if request.form.get("action") == "next":
        following = stages.STAGES[stages.STAGES.index(stage) + 1:]
        nxt = next((s for s in following if current_user.role in s.editors), None)
        if nxt is not None:
            return redirect(url_for("archives.stage", record_id=record.id, key=nxt.key))
        return redirect(url_for("archives.overview", record_id=record.id))
    return redirect(url_for("archives.stage", record_id=record.id, key=stage.key))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Start an enterprise's archive with its basic information; my own archive opens if it exists."""
    _require_role()
    first = stages.STAGES[0]
    if current_user.role == lib.owner_role:
        own = find_by_key(Archive, session=get_session(), credit_code=current_user.credit_code)
        if own is not None:
            return redirect(url_for("archives.overview", record_id=own.id))
    if request.method == "POST":
        form = ArchiveForm()
        saved = _save(form, None, first, submit=False)
        if saved is not None:
            return _after_save(saved, first)
        flash("提交的内容有误，请按提示修改后重新保存。", "error")
        return _render_stage(form, None, first)
    pilot = _pilot_for_new()
    return _render_stage(ArchiveForm.for_editing(_start_payload(pilot)), None, first)


def _start_payload(pilot: PilotEnterprise | None) -> dict:
    """What is already known of the enterprise: its account's name and credit code, its pilot record."""
    payload: dict = {}
    if current_user.role == lib.owner_role:
        payload = {"companyName": current_user.display_name, "creditCode": current_user.credit_code,
                   "contactPhone": current_user.phone or None}
    if pilot is not None:
        wire = pilot.wire
        payload.update({k: wire.get(k) for k in ("companyName", "creditCode", "registAddress", "industryName",
                                                 "industrySegments") if wire.get(k)})
    return payload


def _render_overview(record: Archive, form: ArchiveForm, problems=None):
    session, scope = get_session(), current_scope()
    pilot = find_by_key(PilotEnterprise, session=session, credit_code=record.credit_code)
    if pilot is not None and not scope.allows(region_code=pilot.region_code, credit_code=pilot.credit_code):
        pilot = None
    return render_template("archives/overview.html", lib=lib, record=record, stages=stages.STAGES,
                           progress=stages.progress(record.wire), state_labels=stages.STATE_LABELS,
                           sections=document.sections(form), pilot=pilot, region_name=_region_name(record),
                           push_state=push_states_for(lib.key, [record.id], session=session).get(record.id),
                           is_official=scope.is_official, problems=problems)


def _region_name(record: Archive) -> str:
    return dicts_service.region_names([record.region_code], session=get_session()).get(record.region_code,
                                                                                       record.region_code)


@bp.get("/<int:record_id>")
@login_required
def overview(record_id: int):
    """The whole archive, read-only, with each stage's progress and what can be done next."""
    record = get_archive_or_404(record_id)
    return _render_overview(record, ArchiveForm.from_wire(record.wire))


@bp.route("/<int:record_id>/stage/<key>", methods=["GET", "POST"])
@login_required
def stage(record_id: int, key: str):
    """One stage of the archive: the form for its part, laid over the stored rest when saved."""
    record = get_archive_or_404(record_id)
    stage = _stage_or_404(key)
    if request.method == "GET":
        return _render_stage(ArchiveForm.for_editing(record.wire), record, stage)
    if current_user.role not in stage.editors:
        abort(403)
    owns = stage.owns(ArchiveForm(meta={"csrf": False}))
    merged = MultiDict([(k, v) for k, v in ArchiveForm.formdata_of(record.wire).items(multi=True) if not owns(k)])
    for name, value in request.form.items(multi=True):
        if owns(name) or name == "csrf_token":
            merged.add(name, value)
    files = MultiDict([(n, v) for n, v in request.files.items(multi=True) if owns(n)])
    form = ArchiveForm(formdata=CombinedMultiDict([merged, files]))
    # An official's evaluation does not take a submitted archive back; a change to what the
    # enterprise reported does (it must be submitted again).
    saved = _save(form, record, stage, submit=None if stage.key == "evaluation" else False)
    if saved is not None:
        return _after_save(saved, stage)
    flash("提交的内容有误，请按提示修改后重新保存。", "error")
    return _render_stage(form, record, stage, other_errors=_other_stage_errors(form, stage))


@bp.post("/<int:record_id>/submit")
@login_required
def submit(record_id: int):
    """提交审核: every required attribute must be filled; what is missing is listed by stage."""
    record = get_archive_or_404(record_id)
    form = ArchiveForm.from_wire(record.wire)
    saved = _save(form, record, None, submit=True)
    if saved is not None:
        flash(f"企业档案“{saved.title}”已提交审核。", "success")
        return redirect(url_for("archives.overview", record_id=record.id))
    problems = [(s, msgs) for s in stages.STAGES
                if (msgs := [m for field in s.fields(form) for m in document.error_messages(field)])]
    flash("档案尚不完整，不能提交审核，请按下列提示补充。", "error")
    return _render_overview(record, form, problems), 422


@bp.get("/<int:record_id>/print")
@login_required
def print_view(record_id: int):
    """The whole archive on one page for printing (as officials file it)."""
    record = get_archive_or_404(record_id)
    return render_template("archives/print.html", record=record, lib=lib, region_name=_region_name(record),
                           now=utcnow(),
                           sections=document.sections(ArchiveForm.from_wire(record.wire)))


@bp.get("/<int:record_id>/archive.docx")
@login_required
def download(record_id: int):
    """The whole archive as a Word document."""
    record = get_archive_or_404(record_id)
    data = word.archive_docx(record, document.sections(ArchiveForm.from_wire(record.wire)),
                             region_name=_region_name(record))
    return send_file(io.BytesIO(data), mimetype=word.MIMETYPE, as_attachment=True,
                     download_name=f"一企一档-{record.title or record.id}.docx")


ROW_PATHS = {"transNeeds": ("transNeeds",), "transInfo-transMaps": ("transInfo", "transMaps"),
             "transResult-ProductList": ("transResultAfter", "ProductList"), "fileList": ("fileList",)}


@bp.get("/<int:record_id>/rows/<path>")
@login_required
def new_row(record_id: int, path: str):
    """One more nested row (a need, a content, a rating, a file) as an htmx fragment, with the pickers'
    choices taken from this archive."""
    record = get_archive_or_404(record_id)
    index = request.args.get("index", type=int)
    if path not in ROW_PATHS or index is None or not 0 <= index < 1000:
        abort(404)
    form = ArchiveForm.from_wire(record.wire)
    first, *rest = ROW_PATHS[path]
    rows = form[first]
    for name in rest:
        rows = rows.form[name]
    rows.entries.clear()  # only the requested row is rendered
    rows.last_index = index - 1
    entry = rows.append_entry()
    form.offer_choices()
    return render_template("archives/_row.html", record=record, rows=rows, entry=entry, next_index=index + 1,
                           oob=True)


@bp.get("/pickers/providers")
@login_required
def provider_options():
    """<option>s of provider names matching what was typed (the datalist of ServiceProviderName)."""
    _require_role()
    typed = next((v for k, v in request.args.items() if k.endswith("ServiceProviderName")), "")
    names = provider_names_like(typed.strip()[:60], session=get_session())
    return render_template("archives/_options.html", options=[(n, n) for n in names], blank=None)


@bp.get("/pickers/products")
@login_required
def product_options():
    """<option>s of the chosen provider's products (productName follows ServiceProviderName)."""
    _require_role()
    provider = next((v for k, v in request.args.items() if k.endswith("ServiceProviderName")), "").strip()
    names = product_names_of([provider], session=get_session()).get(provider, []) if provider else []
    blank = "请选择产品" if names else ("该服务商在产品库中没有产品" if provider else "请先选择服务商")
    return render_template("archives/_options.html", options=[(n, n) for n in names], blank=blank)
