"""The push centre (select approved records, push, watch the progress, the batch history and the
dead-letter list) and the docking settings page, for the city administrator."""
from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import current_scope, region_prefix, roles_required
from app.audit.service import record as audit
from app.db import get_session, write
from app.dicts import service as dicts_service
from app.dicts.spec_dicts import codes
from app.docking import bp, client, dead, pause, queue, settings, status, worker
from app.docking.forms import ImportForm, SettingsForm
from app.docking.models import batches_query, dead_ids, dead_query, get_setting, recent_items_query, states_for
from app.libraries.registry import LIBRARIES, Library, in_menu_order
from app.pagination import paginate
from app.site.htmx import answer, render, wants_fragment
from app.site.ids import parse_ids
from app.site.listargs import TEXT, codes_of, list_args

ADMIN = roles.CITY_ADMIN


def _app() -> Flask:
    """The real app, not the proxy: the worker keeps it beyond the request."""
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _me() -> User:
    return current_user._get_current_object()


def _prefix() -> str:
    return region_prefix(current_user.region_code)


def _library(key: str | None) -> Library:
    """The library the push centre shows: the one asked for, else the first of the menu (试点企业库)."""
    lib = LIBRARIES.get(key) if key else in_menu_order()[0]
    if lib is None:
        abort(404)
    return lib


def _region_options() -> list[tuple[str, str]]:
    return dicts_service.regions_below(current_user.region_code, session=get_session())


def _filters(source: Any) -> dict[str, Any]:
    args = list_args(source, {"lib": TEXT, "q": TEXT, "region": codes_of(_region_options()),
                              "industry": codes("industry")})
    args["lib"] = _library(args["lib"]).key
    return args


def _candidates(lib: Library, args: dict) -> Any:
    model: Any = lib.model
    visible = current_scope().where(region_col=model.region_code)
    return queue.candidates_query(lib, visible=visible, q=args["q"], region=args["region"],
                                   industry=args["industry"])


def _candidates_context(args: dict, message: str = "") -> dict:
    lib = _library(args["lib"])
    session = get_session()
    page = paginate(_candidates(lib, args), session=session, page=request.values.get("page", 1, type=int),
                    per_page=current_app.config["PAGE_SIZE"])
    return {"lib": lib, "libraries": LIBRARIES, "page": page, "args": args, "message": message,
            "push_states": states_for(lib.key, [r.id for r in page.items], session=session),
            "region_names": dicts_service.region_names((r.region_code for r in page.items), session=session),
            "region_options": _region_options(), "industries": [(n, n) for n in codes("industry")]}


def _status() -> status.Status:
    session = get_session()
    return status.current(session, settings.load_config(session), region_prefix=_prefix())


def _progress_context() -> dict:
    session = get_session()
    items = list(session.exec(recent_items_query(region_prefix=_prefix()).limit(10)))
    names = {}
    for key in {i.library for i in items}:
        names.update({(key, rid): s for rid, s in states_for(key, [i.record_id for i in items if i.library == key],
                                                              session=session).items()})
    return {"st": _status(), "recent": items, "record_states": names, "libraries": LIBRARIES}


@bp.get("/push")
@roles_required(ADMIN)
def push_centre() -> ResponseReturnValue:
    """推送中心: my region's approved records of a library, to select and push, with the push progress."""
    args = _filters(request.args)
    context = _candidates_context(args)
    if wants_fragment():
        return render("docking/push.html", "docking/_candidates.html", **context)
    return render("docking/push.html", "docking/_candidates.html", **{**context, **_progress_context()})


@bp.post("/push")
@roles_required(ADMIN)
def push_queue() -> ResponseReturnValue:
    """推送: the selected records (or every record the filter matches) join the outbox."""
    args = _filters(request.form)
    lib = _library(args["lib"])
    session = get_session()
    if request.form.get("scope") == "all":
        result = queue.queue_matching(session, lib, _candidates(lib, args), actor=_me(), scope_prefix=_prefix())
    else:
        ids = parse_ids(request.form.getlist("ids"))
        if not ids:
            message = "请先勾选要推送的记录。"
            return answer(message, "warning", redirect_to=url_for("docking.push_centre", **args),
                          fragment=lambda: render("docking/push.html", "docking/_candidates.html",
                                                  **_candidates_context(args, message)))
        result = queue.queue(session, lib, ids, actor=_me(), scope_prefix=_prefix())
    worker.wake(_app())
    message = f"已加入推送队列 {result.queued} 条"
    if result.already:
        message += f"，{result.already} 条已在队列中"
    if result.skipped:
        message += f"，{result.skipped} 条未入库或不在管辖范围内，未加入"
    message += "。推送服务将在推送时段内按批发送。"
    if wants_fragment():
        response = render("docking/push.html", "docking/_candidates.html", **_candidates_context(args, message))
        response.headers["HX-Trigger"] = "docking-queued"
        return response
    flash(message, "success")
    return redirect(url_for("docking.push_centre", **args))


@bp.get("/progress")
@roles_required(ADMIN)
def progress() -> ResponseReturnValue:
    """The push progress partial (polled while anything is waiting)."""
    context = _progress_context()
    response = render("docking/progress.html", "docking/_progress.html", **context)
    if request.args.get("was_busy") and not context["st"].busy:
        response.headers["HX-Trigger"] = "docking-settled"  # the record list shows the results now
    return response


@bp.get("/batches")
@roles_required(ADMIN)
def batch_list() -> ResponseReturnValue:
    """Every upload call with what it carried and what the upper platform answered, newest first."""
    page = paginate(batches_query(region_prefix=_prefix()), session=get_session(),
                    page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"])
    return render("docking/batches.html", "docking/_batches.html", page=page, libraries=LIBRARIES)


@bp.get("/dead")
@roles_required(ADMIN)
def dead_list() -> ResponseReturnValue:
    """Items whose retries ran out, to retry or drop."""
    page = paginate(dead_query(region_prefix=_prefix()), session=get_session(),
                    page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"])
    return render("docking/dead.html", "docking/_dead.html", page=page, libraries=LIBRARIES)


def _dead_ids() -> list[int]:
    if request.form.get("all"):
        return dead_ids(region_prefix=_prefix(), session=get_session())
    return parse_ids(request.form.getlist("ids"))


@bp.post("/dead/retry")
@roles_required(ADMIN)
def dead_retry() -> ResponseReturnValue:
    """重试: the items wait again, due now."""
    count = dead.retry_dead(get_session(), _dead_ids(), actor=_me(), scope_prefix=_prefix())
    worker.wake(_app())
    return _after_dead(f"已重新加入推送队列 {count} 条。")


@bp.post("/dead/drop")
@roles_required(ADMIN)
def dead_drop() -> ResponseReturnValue:
    """放弃: the items leave the list and are not sent."""
    count = dead.drop_dead(get_session(), _dead_ids(), actor=_me(), scope_prefix=_prefix())
    return _after_dead(f"已放弃推送 {count} 条。")


def _after_dead(message: str) -> ResponseReturnValue:
    def fragment() -> ResponseReturnValue:
        page = paginate(dead_query(region_prefix=_prefix()), session=get_session(), page=1,
                        per_page=current_app.config["PAGE_SIZE"])
        return render("docking/dead.html", "docking/_dead.html", page=page, libraries=LIBRARIES, message=message)

    return answer(message, "success", fragment=fragment, redirect_to=url_for("docking.dead_list"))


@bp.post("/resume")
@roles_required(ADMIN)
def resume() -> ResponseReturnValue:
    """恢复推送 after a pause (after the cause has been fixed)."""
    if pause.resume(get_session(), actor=_me()):
        worker.wake(_app())
        flash("已恢复推送。", "success")
    else:
        flash("推送未暂停。", "warning")
    back = "docking.settings_page" if request.form.get("next") == "settings" else "docking.push_centre"
    return redirect(url_for(back))


# ---- settings ------------------------------------------------------------------------------------

def _settings_page(form: SettingsForm | None = None, import_form: ImportForm | None = None,
                   status_code: int = 200) -> ResponseReturnValue:
    session = get_session()
    row = get_setting(session=session)
    defaults = settings.env_defaults()
    if form is None:
        form = SettingsForm(obj=row, defaults=defaults) if row else SettingsForm(defaults=defaults)
    conf = settings.load_config(session)
    return render_template("docking/settings.html", form=form, import_form=import_form or ImportForm(),
                           conf=conf, defaults=defaults, st=_status(), sources=settings.secret_sources(row)
                           ), status_code


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(ADMIN)
def settings_page() -> ResponseReturnValue:
    """对接配置: the upper platform's address, credentials, SM4 key, Authorization layout, window, quota."""
    if request.method == "GET":
        return _settings_page()
    form = SettingsForm(defaults=settings.env_defaults())
    if not form.validate_on_submit():
        flash("提交的内容有误，请按提示修改后重新保存。", "error")
        return _settings_page(form=form, status_code=400)
    values = {name: getattr(form, name).data or "" for name in (*settings.TEXT_FIELDS, *settings.LAYOUT_FIELDS)}
    values.update({name: getattr(form, name).data or None for name in settings.NUMBER_FIELDS})
    settings.save_settings(get_session(), actor=_me(), values=values, client_secret=form.client_secret.data or None,
                           sm4_key=(form.sm4_key.data or "").strip() or None)
    worker.wake(_app())
    flash("对接配置已保存。", "success")
    return redirect(url_for("docking.settings_page"))


@bp.post("/settings/import")
@roles_required(ADMIN)
def settings_import() -> ResponseReturnValue:
    """导入配置文件: every field from the file the upper platform exported."""
    form = ImportForm()
    if form.validate_on_submit():
        data = form.config_file.data.read(1024 * 1024 + 1)
        if len(data) > 1024 * 1024:
            form.config_file.errors = ["配置文件过大，不是上级平台导出的对接配置文件。"]
        else:
            try:
                settings.import_config(get_session(), actor=_me(), text=data)
            except ValueError as exc:
                form.config_file.errors = [str(exc)]
            else:
                worker.wake(_app())
                flash("已导入对接配置文件。请按“测试连接”确认能取得令牌。", "success")
                return redirect(url_for("docking.settings_page"))
    return _settings_page(import_form=form, status_code=400)


@bp.post("/settings/test")
@roles_required(ADMIN)
def settings_test() -> ResponseReturnValue:
    """测试连接: fetch a token with the saved settings and say in Chinese how it went."""
    session = get_session()
    conf = settings.load_config(session)
    ok, message = client.check_connection(session, conf)
    with write(session):
        audit(session, "docking.test_connection", actor=_me(), target_type="docking_setting",
              outcome="success" if ok else "failure", detail={"message": message, "base_url": conf.base_url})
    return answer(message, "success" if ok else "error", redirect_to=url_for("docking.settings_page"),
                  fragment=lambda: render_template("docking/_test_result.html", ok=ok, message=message))
