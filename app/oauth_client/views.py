"""Provincial sign-in: the round trip to the provider, the first sign-in, the administrators' pages."""
from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_login import current_user
from joserfc.errors import JoseError

from app.accounts import roles
from app.accounts import service as accounts_service
from app.accounts.scope import current_scope, roles_required
from app.db import get_session
from app.dicts import service as dicts_service
from app.oauth_client import bp, service
from app.oauth_client.forms import ActivateForm, ApplyForm, BindExistingForm, BindForm, SettingsForm
from app.oauth_client.models import IdpIdentity, applications_query, get_setting
from app.pagination import paginate
from app.refusal import Refused, show_on
from app.site.htmx import render

log = logging.getLogger(__name__)

PENDING_SECONDS = 1800  # how long a first sign-in may take to bind or apply
FAILURES = {
    "mismatching_state": "登录状态校验失败（state 不一致）。登录页面可能已过期，或请求被篡改，请重新登录。",
    "invalid_issuer": "回调来自未配置的签发方，已拒绝。",
    "invalid_id_token": "身份令牌校验失败（签名、签发方或 nonce 不符），已拒绝。",
    "invalid_grant": "授权码无效或已过期，请重新登录。",
    "invalid_client": "本平台在统一身份认证平台的客户端配置有误，请联系系统管理员。",
}


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or protocol-relative URL (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("site.home")


def _failed(message: str, status: int, error: str = ""):
    return render_template("oauth_client/failed.html", message=message, error=error), status


def _usable_config():
    conf = service.load_config(get_session())
    if not conf.usable:
        abort(404)
    return conf


def idp_offer() -> dict | None:
    """For the login page: the provincial sign-in button and, after a logout here, the provider's own logout."""
    conf = service.load_config(get_session())
    if not conf.usable:
        return None
    offer_logout = "idp_logout" in cookie and not current_user.is_authenticated
    return {"name": conf.name, "login_url": url_for("oauth_client.login", next=request.args.get("next")),
            "logout_url": url_for("oauth_client.end_session") if offer_logout else None}


def forget_provider_session(_app, user=None, **_extra) -> None:
    """Any new login replaces what the previous one knew about the provider's session."""
    cookie.pop("idp_logout", None)


@bp.get("/login")
def login():
    """Sends the visitor to the provincial platform's login page."""
    conf = _usable_config()
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    cookie["idp_next"] = _safe_next(request.args.get("next"))
    try:
        return service.begin_login(conf)
    except (requests.RequestException, ValueError, RuntimeError):
        log.exception("统一身份认证：无法取得省平台的授权地址")
        return _failed("暂时无法连接统一身份认证平台。请稍后重试，或使用本平台的账号密码登录。", 502)


@bp.get("/callback")
def callback():
    """Where the provincial platform sends the user back: checks the answer, then logs in or asks to bind."""
    session = get_session()
    conf = _usable_config()
    if current_user.is_authenticated:  # a stale tab: never swap the logged-in account underneath
        return redirect(url_for("site.home"))
    if request.args.get("error") == "access_denied":
        flash("您已取消统一身份认证登录。", "warning")
        return redirect(url_for("accounts.login"))
    try:
        claims = service.finish_login(conf)
    except OAuthError as exc:
        service.record_failure(session, exc.error or "oauth_error", exc.description or "")
        return _failed(FAILURES.get(exc.error, "统一身份认证登录失败，请重新登录。"), 400, exc.error or "")
    except JoseError as exc:
        service.record_failure(session, "invalid_id_token", str(exc))
        return _failed(FAILURES["invalid_id_token"], 400, "invalid_id_token")
    except (requests.RequestException, ValueError, RuntimeError):
        log.exception("统一身份认证：与省平台交换令牌失败")
        return _failed("暂时无法连接统一身份认证平台。请稍后重试，或使用本平台的账号密码登录。", 502)

    result = service.sign_in(session, claims)
    if result.error:
        flash(result.error, "error")
        return redirect(url_for("accounts.login"))
    logout_token = (claims.id_token or "") if claims.can_end_session else None
    if result.user is None:
        cookie["idp_pending"] = {"id": result.identity.id, "exp": time.time() + PENDING_SECONDS,
                                 "logout": logout_token}
        return redirect(url_for("oauth_client.first_login"))
    if logout_token is not None:
        cookie["idp_logout"] = logout_token
    return redirect(_safe_next(cookie.pop("idp_next", None)))


@bp.get("/logout")
def end_session():
    """Signs out of the provincial platform too, after the logout here."""
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    id_token = cookie.pop("idp_logout", None)
    conf = service.load_config(get_session())
    if id_token is None or not conf.usable:
        return redirect(url_for("accounts.login"))
    try:
        url = service.end_session_url(conf, id_token or None)
    except requests.RequestException:
        url = None
    if not url:
        flash("暂时无法退出统一身份认证平台，请关闭浏览器以结束登录。", "warning")
        return redirect(url_for("accounts.login"))
    return redirect(url)


# ---- first sign-in: bind an existing account or apply for one ---------------------------------

def _pending() -> IdpIdentity | None:
    data = cookie.get("idp_pending") or {}
    if data.get("exp", 0) < time.time():
        return None
    return service.pending_identity(get_session(), data.get("id"))


def _first_login_page(identity, bind_form=None, apply_form=None, status=200):
    if apply_form is None:
        apply_form = ApplyForm(data={"display_name": identity.display_name, "phone": identity.phone,
                                     "credit_code": identity.credit_code, "region": identity.region_code,
                                     "requested_role": identity.requested_role or None})
    return render_template("oauth_client/first_login.html", identity=identity, bind_form=bind_form or BindForm(),
                           apply_form=apply_form, idp_name=service.load_config(get_session()).name), status


def _expired():
    flash("统一身份认证登录已过期，请重新登录。", "warning")
    return redirect(url_for("accounts.login"))


@bp.get("/first-login")
def first_login():
    """First sign-in through the provincial platform: bind an account of this platform, or apply for one."""
    identity = _pending()
    if identity is None:
        return _expired()
    return _first_login_page(identity)


@bp.get("/first-login/region")
def region_picker():
    """The apply form's region picker refilled for the choices made so far (htmx fragment)."""
    if _pending() is None:
        abort(401)
    field = ApplyForm(formdata=request.args, meta={"csrf": False}).region
    field.cascade()
    return render_template("dicts/_cascade_picker.html", field=field)


@bp.post("/first-login/bind")
def first_login_bind():
    """Binds the provincial identity to a local account the user proves with its password."""
    identity = _pending()
    if identity is None:
        return _expired()
    form = BindForm()
    if not form.validate_on_submit():
        return _first_login_page(identity, bind_form=form, status=400)
    session = get_session()
    result = accounts_service.authenticate(session, form.username.data, form.password.data)
    if result.user is None:
        form.password.errors = [result.error]
        return _first_login_page(identity, bind_form=form, status=401)
    pending = cookie.pop("idp_pending", {})
    try:
        service.link_after_password(session, identity, result.user)
    except Refused as exc:
        flash(str(exc), "error")
    else:
        if pending.get("logout") is not None:
            cookie["idp_logout"] = pending["logout"]
        flash("已绑定统一身份认证账号，今后可直接使用统一身份认证登录。", "success")
    return redirect(_safe_next(cookie.pop("idp_next", None)))


@bp.post("/first-login/apply")
def first_login_apply():
    """Asks an administrator for an account; it has no access until activated."""
    identity = _pending()
    if identity is None:
        return _expired()
    form = ApplyForm()
    if not form.validate_on_submit():
        return _first_login_page(identity, apply_form=form, status=400)
    service.apply(get_session(), identity, display_name=form.display_name.data, phone=form.phone.data or "",
                  region_code=form.region.data, credit_code=form.credit_code.data or None,
                  requested_role=form.requested_role.data)
    cookie.pop("idp_pending", None)
    cookie.pop("idp_next", None)
    flash("开通申请已提交。管理员审核开通后，即可使用统一身份认证登录。", "success")
    return redirect(url_for("accounts.login"))


# ---- administrators ----------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@roles_required(roles.SYS_ADMIN)
def settings():
    """The system administrator connects the platform to the provincial identity platform."""
    session = get_session()
    row = get_setting(session=session)
    form = SettingsForm(obj=row) if row else SettingsForm(data={"enabled": True})
    if form.validate_on_submit():
        values = {name: getattr(form, name).data or "" for name in service.PLAIN_FIELDS}
        values["enabled"] = form.enabled.data
        service.save_settings(session, actor=current_user._get_current_object(), values=values,
                              client_secret=form.client_secret.data or None)
        flash("统一身份认证设置已保存。", "success")
        return redirect(url_for("oauth_client.settings"))
    defaults = {name: str(current_app.config.get(f"IDP_{name.upper()}", "")) for name in service.PLAIN_FIELDS}
    return render_template("oauth_client/settings.html", form=form, conf=service.load_config(session),
                           defaults=defaults, has_stored_secret=bool(row and row.client_secret_enc),
                           callback_url=service.public_url("oauth_client.callback"),
                           logout_return_url=service.public_url("accounts.login"))


@bp.post("/settings/check")
@roles_required(roles.SYS_ADMIN)
def settings_check():
    """Fetches the provider's endpoints with the saved settings, to show the connection works."""
    conf = service.load_config(get_session())
    try:
        meta = service.server_metadata(conf)
    except (requests.RequestException, ValueError) as exc:
        flash(f"连接失败：{exc}", "error")
    else:
        missing = [k for k in ("authorization_endpoint", "token_endpoint") if not meta.get(k)]
        if missing:
            flash("缺少端点：" + "、".join(missing) + "。请填写发现地址，或手工填写授权端点和令牌端点。", "error")
        else:
            flash(f"连接正常。签发方：{service.issuer_of(meta)}；"
                  f"授权端点：{meta['authorization_endpoint']}。", "success")
    return redirect(url_for("oauth_client.settings"))


def _application_or_404(identity_id: int) -> IdpIdentity:
    """An application in the administrator's region; anything else answers 404."""
    identity = get_session().get(IdpIdentity, identity_id)
    if identity is None or identity.user_id is not None or not current_scope().covers_region(identity.region_code):
        abort(404)
    return identity


@bp.get("/applications")
@roles_required(*roles.MANAGEABLE)
def application_list():
    """Account applications from people who signed in through the provincial platform, in my region."""
    session = get_session()
    page = paginate(applications_query(visible=current_scope().region_where(IdpIdentity.region_code)),
                    session=session, page=request.args.get("page", 1, type=int),
                    per_page=current_app.config["PAGE_SIZE"])
    names = dicts_service.region_names((i.region_code for i in page.items), session=session)
    return render("oauth_client/applications.html", "oauth_client/_applications_table.html", page=page,
                  region_names=names, can_configure=current_user.role == roles.SYS_ADMIN)


def _activation_page(identity, form=None, bind_form=None, status=200):
    if form is None:
        form = ActivateForm(data={"display_name": identity.display_name, "phone": identity.phone,
                                  "credit_code": identity.credit_code, "region": identity.region_code,
                                  "role": identity.requested_role or None})
        form.set_role_choices(current_user.role)
    region = dicts_service.region_label(identity.region_code, session=get_session())
    return render_template("oauth_client/activate.html", identity=identity, form=form,
                           bind_form=bind_form or BindExistingForm(), region_label=region), status


@bp.route("/applications/<int:identity_id>", methods=["GET", "POST"])
@roles_required(*roles.MANAGEABLE)
def application_activate(identity_id: int):
    """Open the applicant's account with a role and region (it signs in only through the provincial platform)."""
    identity = _application_or_404(identity_id)
    if request.method == "GET":
        return _activation_page(identity)
    form = ActivateForm()
    form.set_role_choices(current_user.role)
    if form.validate_on_submit():
        try:
            user = service.activate(get_session(), actor=current_user._get_current_object(), identity=identity,
                                    username=form.username.data, role=form.role.data, region_code=form.region.data,
                                    credit_code=form.credit_code.data or None, display_name=form.display_name.data,
                                    phone=form.phone.data or "")
        except Refused as exc:
            show_on(form, exc, "username")
        else:
            flash(f"已开通账号 {user.username}（{roles.LABELS[user.role]}），申请人可使用统一身份认证登录。", "success")
            return redirect(url_for("oauth_client.application_list"))
    return _activation_page(identity, form=form, status=400)


@bp.post("/applications/<int:identity_id>/bind")
@roles_required(*roles.MANAGEABLE)
def application_bind(identity_id: int):
    """Bind the applicant to an account that already exists."""
    identity = _application_or_404(identity_id)
    form = BindExistingForm()
    if form.validate_on_submit():
        try:
            user = service.bind_to_existing(get_session(), actor=current_user._get_current_object(),
                                            identity=identity, username=form.existing_username.data)
        except Refused as exc:
            show_on(form, Refused(str(exc), "existing_username"))
        else:
            flash(f"已将申请人绑定到账号 {user.username}。", "success")
            return redirect(url_for("oauth_client.application_list"))
    return _activation_page(identity, bind_form=form, status=400)


@bp.post("/applications/<int:identity_id>/reject")
@roles_required(*roles.MANAGEABLE)
def application_reject(identity_id: int):
    """Refuse an application."""
    identity = _application_or_404(identity_id)
    service.reject(get_session(), actor=current_user._get_current_object(), identity=identity)
    flash(f"已驳回 {identity.display_name} 的开通申请。", "success")
    return redirect(url_for("oauth_client.application_list"))
