"""对接平台管理: the docked platforms of my region, registering and approving them, their switches,
credentials and call logs, and the global docking switch."""
from __future__ import annotations

from collections.abc import Iterable

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import region_covers, roles_required
from app.db import get_session, utcnow
from app.dicts import service as dicts_service
from app.docking import protocol
from app.hub import bp, service
from app.hub.forms import ActionForm, PlatformForm, RejectForm
from app.hub.models import (
    PENDING,
    STATUS_LABELS,
    DockedPlatform,
    accounts_by_id,
    bindable_accounts,
    calls_query,
    calls_this_week,
    get_settings,
    platforms_query,
)
from app.hub.openapi import OPENAPI_PATH
from app.libraries.registry import LIBRARIES
from app.pagination import paginate
from app.refusal import Refused, show_on
from app.site.dates import day_start
from app.site.htmx import render
from app.site.listargs import DATE, TEXT, list_args

RESULTS = {"ok": "成功", "refused": "被拒绝"}


def _me() -> User:
    return current_user._get_current_object()


def get_platform_or_404(platform_id: int) -> DockedPlatform:
    """The platform if it lies in my region; 404 for a missing one and another region's alike."""
    platform = get_session().get(DockedPlatform, platform_id)
    if platform is None or not region_covers(current_user.region_code, platform.region_code):
        abort(404)
    return platform


def _region_names(codes: Iterable[str]) -> dict[str, str]:
    return dicts_service.region_names(set(codes), session=get_session())


def _account_choices(form: PlatformForm, current_id: int | None = None) -> None:
    accounts = bindable_accounts(region_code=current_user.region_code, session=get_session())
    names = _region_names(a.region_code for a in accounts)
    form.bound_user_id.choices = [(0, "请选择")] + [
        (a.id, f"{a.display_name or a.username}（{a.username}，{roles.LABELS[a.role]}，"
               f"{names.get(a.region_code, a.region_code)} {a.region_code}）") for a in accounts]
    if current_id is not None and current_id not in {a.id for a in accounts}:
        form.bound_user_id.choices.append((current_id, f"账号 {current_id}（已不可绑定）"))


# ------------------------------------------------------------------------------------------- overview

def _list_args() -> dict:
    return list_args(request.args, {"q": TEXT, "status": STATUS_LABELS})


@bp.get("/hub/")
@roles_required(*roles.HUB_ROLES)
def overview() -> ResponseReturnValue:
    """The docked platforms of my region with this week's calls against their quota, and the docking switch."""
    args = _list_args()
    session = get_session()
    page = paginate(platforms_query(region_code=current_user.region_code, q=args["q"], status=args["status"]),
                    session=session, page=request.args.get("page", 1, type=int),
                    per_page=current_app.config["PAGE_SIZE"])
    week = protocol.iso_week(utcnow())
    return render("hub/overview.html", "hub/_platform_table.html", page=page, args=args,
                  status_labels=STATUS_LABELS, week=week,
                  used=calls_this_week([p.id for p in page.items], week, session=session),
                  region_names=_region_names(p.region_code for p in page.items),
                  settings=get_settings(session=session), action_form=ActionForm(),
                  openapi_url=OPENAPI_PATH, gate_url=service.gate_base_url())


@bp.post("/hub/docking")
@roles_required(roles.HUB_ADMIN)
def docking_switch() -> ResponseReturnValue:
    """开启 / 关闭对接 for every docked platform at once."""
    if not ActionForm().validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "1"
    service.set_docking(get_session(), enabled=enabled, actor=_me())
    flash("已开启对接，已批准并启用的平台可以推送数据。" if enabled else "已关闭对接，所有推送接口将返回 503。",
          "success")
    return redirect(url_for("hub.overview"))


# ---------------------------------------------------------------------------------------- registering

def _limits_from(form: PlatformForm) -> dict:
    return {"push_window": form.push_window.data, "weekly_quota": form.weekly_quota.data,
            "max_bytes": form.max_kb.data * 1024}


def _show_refusal(form: PlatformForm, exc: Refused) -> None:
    show_on(form, Refused(str(exc), {"max_bytes": "max_kb"}.get(exc.field or "", exc.field)), "name")


@bp.route("/hub/platforms/new", methods=["GET", "POST"])
@roles_required(roles.HUB_ADMIN)
def platform_new() -> ResponseReturnValue:
    """Register a lower platform and bind it to a city or county account; it then waits for approval."""
    cfg = current_app.config
    form = PlatformForm()
    if request.method == "GET":
        form.push_window.data = str(cfg["HUB_WINDOW"])
        form.weekly_quota.data = int(cfg["HUB_WEEKLY_QUOTA"])
        form.max_kb.data = int(cfg["HUB_MAX_REQUEST_BYTES"]) // 1024
    _account_choices(form)
    if form.validate_on_submit():
        session = get_session()
        try:
            platform = service.register(session, actor=_me(), name=form.name.data, domain=form.domain.data,
                                        ip=form.ip.data or "", bound_user=session.get(
                                            User, form.bound_user_id.data), **_limits_from(form))
        except Refused as exc:
            _show_refusal(form, exc)
        else:
            flash(f"已登记平台“{platform.name}”，等待对接审批管理员审批。", "success")
            return redirect(url_for("hub.platform_detail", platform_id=platform.id))
    return render_template("hub/platform_form.html", form=form, platform=None), (
        200 if request.method == "GET" else 400)


@bp.route("/hub/platforms/<int:platform_id>/edit", methods=["GET", "POST"])
@roles_required(roles.HUB_ADMIN)
def platform_edit(platform_id: int) -> ResponseReturnValue:
    """Change a platform's registration or limits (a rejected one goes back to the approver)."""
    platform = get_platform_or_404(platform_id)
    form = PlatformForm(obj=platform) if request.method == "GET" else PlatformForm()
    if request.method == "GET":
        form.max_kb.data = platform.max_bytes // 1024
    _account_choices(form, platform.bound_user_id)
    if form.validate_on_submit():
        session = get_session()
        try:
            changes = service.update(session, platform, actor=_me(), name=form.name.data, domain=form.domain.data,
                                     ip=form.ip.data or "", bound_user=session.get(User, form.bound_user_id.data),
                                     **_limits_from(form))
        except Refused as exc:
            _show_refusal(form, exc)
        else:
            flash("已保存修改。" if changes else "没有需要保存的修改。", "success")
            return redirect(url_for("hub.platform_detail", platform_id=platform.id))
    return render_template("hub/platform_form.html", form=form, platform=platform), (
        200 if request.method == "GET" else 400)


# ------------------------------------------------------------------------------------------- a platform

def _detail(platform: DockedPlatform, *, reject_form: RejectForm | None = None,
            status: int = 200) -> ResponseReturnValue:
    assert platform.id is not None
    session = get_session()
    accounts = accounts_by_id([platform.bound_user_id], session=session)
    week = protocol.iso_week(utcnow())
    return render_template(
        "hub/platform_detail.html", platform=platform, bound=accounts.get(platform.bound_user_id),
        region_names=_region_names([platform.region_code]), reject_form=reject_form or RejectForm(),
        action_form=ActionForm(), week=week, used=calls_this_week([platform.id], week, session=session).get(
            platform.id, 0), settings=get_settings(session=session), layout=service.platform_layout(platform),
        gate_url=service.gate_base_url()), status


@bp.get("/hub/platforms/<int:platform_id>")
@roles_required(*roles.HUB_ROLES)
def platform_detail(platform_id: int) -> ResponseReturnValue:
    """A platform's registration, state, limits and actions (credentials are never shown here)."""
    return _detail(get_platform_or_404(platform_id))


def _credentials_page(creds: service.Credentials, title: str) -> str:
    return render_template("hub/credentials.html", creds=creds, title=title, action_form=ActionForm(),
                           filename=_config_filename(creds.platform))


def _config_filename(platform: DockedPlatform) -> str:
    return f"docking-config-{platform.username}.json"


@bp.post("/hub/platforms/<int:platform_id>/approve")
@roles_required(roles.HUB_APPROVER)
def platform_approve(platform_id: int) -> ResponseReturnValue:
    """Approve a registration: the credentials and the configuration file are shown this once."""
    platform = get_platform_or_404(platform_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        creds = service.approve(get_session(), platform, actor=_me())
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("hub.platform_detail", platform_id=platform.id))
    return _credentials_page(creds, "平台已批准")


@bp.post("/hub/platforms/<int:platform_id>/reject")
@roles_required(roles.HUB_APPROVER)
def platform_reject(platform_id: int) -> ResponseReturnValue:
    """Reject a registration with a reason the administrator sees."""
    platform = get_platform_or_404(platform_id)
    if platform.status != PENDING:  # a stale page: the detail page no longer offers the form to answer in
        flash(service.already_decided(platform), "error")
        return redirect(url_for("hub.platform_detail", platform_id=platform.id))
    form = RejectForm()
    if form.validate_on_submit():
        try:
            service.reject(get_session(), platform, actor=_me(), reason=form.reason.data)
        except Refused as exc:
            if exc.field != "reason":  # decided by someone else meanwhile
                flash(str(exc), "error")
                return redirect(url_for("hub.platform_detail", platform_id=platform.id))
            form.reason.errors = [*form.reason.errors, str(exc)]
        else:
            flash("已驳回该平台的登记。", "success")
            return redirect(url_for("hub.platform_detail", platform_id=platform.id))
    return _detail(platform, reject_form=form, status=400)


@bp.post("/hub/platforms/<int:platform_id>/switch")
@roles_required(roles.HUB_ADMIN)
def platform_switch(platform_id: int) -> ResponseReturnValue:
    """启用 / 停用 one platform (停用 also ends its tokens)."""
    platform = get_platform_or_404(platform_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    enabled = request.form.get("enabled") == "1"
    service.set_enabled(get_session(), platform, actor=_me(), enabled=enabled)
    flash("已启用该平台。" if enabled else "已停用该平台，其推送将返回 503，已签发的令牌全部失效。", "success")
    return redirect(url_for("hub.platform_detail", platform_id=platform.id))


@bp.post("/hub/platforms/<int:platform_id>/rotate")
@roles_required(roles.HUB_ADMIN)
def platform_rotate(platform_id: int) -> ResponseReturnValue:
    """轮换密钥: new credentials shown once; the old ones and every issued token stop working."""
    platform = get_platform_or_404(platform_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        creds = service.rotate(get_session(), platform, actor=_me())
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("hub.platform_detail", platform_id=platform.id))
    return _credentials_page(creds, "密钥已轮换")


@bp.post("/hub/platforms/<int:platform_id>/config")
@roles_required(*roles.HUB_ROLES)
def platform_config(platform_id: int) -> ResponseReturnValue:
    """The configuration file, for the one-time page's download button (it posts the secret it shows)."""
    platform = get_platform_or_404(platform_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    text = service.config_for_download(platform, request.form.get("client_secret", ""))
    if text is None:
        flash("密钥已失效（可能已轮换），无法生成配置文件。如需新的配置文件，请轮换密钥。", "error")
        return redirect(url_for("hub.platform_detail", platform_id=platform.id))
    return Response(text, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{_config_filename(platform)}"', "Cache-Control": "no-store"})


# ------------------------------------------------------------------------------------------- call log

def _calls(platform: DockedPlatform | None, endpoint: str, **url_args: object) -> ResponseReturnValue:
    args = list_args(request.args, {"result": RESULTS, "start": DATE, "end": DATE})
    page = paginate(calls_query(platform_id=platform.id if platform else None, result=args["result"],
                                start=day_start(args["start"]), end=day_start(args["end"], next_day=True)),
                    session=get_session(), page=request.args.get("page", 1, type=int),
                    per_page=current_app.config["PAGE_SIZE"])
    return render("hub/calls.html", "hub/_call_table.html", page=page, args=args, platform=platform,
                  results=RESULTS, endpoint=endpoint, url_args=url_args,
                  library_titles={"token": "获取令牌", **{k: v.title for k, v in LIBRARIES.items()}})


@bp.get("/hub/platforms/<int:platform_id>/calls")
@roles_required(*roles.HUB_ROLES)
def platform_calls(platform_id: int) -> ResponseReturnValue:
    """A platform's call log, newest first, filtered by result and date."""
    platform = get_platform_or_404(platform_id)
    return _calls(platform, "hub.platform_calls", platform_id=platform.id)


@bp.get("/hub/calls/unidentified")
@roles_required(*roles.HUB_ROLES)
def unidentified_calls() -> ResponseReturnValue:
    """Refused calls whose platform could not be told (no header, or no key opened it)."""
    return _calls(None, "hub.unidentified_calls")
