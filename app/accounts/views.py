"""Login, logout, password change, first run and user administration."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import false

from app.accounts import bp, roles, service, setup
from app.accounts.forms import ChangePasswordForm, LoginForm, SetupForm, UserFilterForm, UserForm
from app.accounts.models import User, users_query
from app.accounts.passwords import generate_password
from app.accounts.scope import current_scope, roles_required
from app.db import get_session, utcnow
from app.dicts import service as dicts_service
from app.pagination import paginate
from app.refusal import Refused, show_on
from app.site.htmx import render

ADMIN_ROLES = tuple(set(roles.MANAGEABLE) | roles.ACCOUNT_GUARDS)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or protocol-relative URL (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("site.home")


@bp.before_app_request
def _force_password_change():
    """A user with a temporary password can do nothing but change it (or log out)."""
    if request.endpoint in {"static", "accounts.change_password", "accounts.logout"}:
        return None  # checked first: static files need no user lookup
    if current_user.is_authenticated and current_user.must_change_password:
        flash("首次登录或密码被重置后，请先修改密码。", "warning")
        return redirect(url_for("accounts.change_password"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The local login form."""
    session = get_session()
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = service.authenticate(session, form.username.data, form.password.data)
        if result.user:
            return redirect(_safe_next(request.args.get("next")))
        error = result.error
    return render_template("accounts/login.html", form=form, error=error,
                           needs_setup=setup.needs_setup(session)), 200 if not error else 401


@bp.post("/logout")
@login_required
def logout():
    """Ends this login session at once, whatever the browser keeps."""
    service.logout(get_session(), current_user._get_current_object())
    flash("您已安全退出。", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (forced after first login or a reset)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_own_password(get_session(), user=current_user._get_current_object(),
                                        current=form.current_password.data, new=form.new_password.data)
        except Refused as exc:
            show_on(form, exc)
        else:
            flash("密码已修改。", "success")
            return redirect(url_for("site.home"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/setup", methods=["GET", "POST"], endpoint="setup")
def setup_page():
    """First run: create the system administrator (only while none exists)."""
    session = get_session()
    if not setup.needs_setup(session):
        abort(404)
    instance = Path(current_app.instance_path)
    form = SetupForm()
    if form.validate_on_submit():
        if not setup.check_code(instance, form.setup_code.data):
            form.setup_code.errors.append("初始化口令不正确。请查看启动平台时服务器控制台上打印的口令。")
        else:
            try:
                user = service.create_user(
                    session, actor=None, username=form.username.data, role=roles.SYS_ADMIN,
                    region_code=form.region.data, display_name=form.display_name.data,
                    password=form.new_password.data, must_change_password=False,
                )
            except Refused as exc:
                show_on(form, exc)
            else:
                setup.discard_code(instance)
                flash(f"系统管理员 {user.username} 已创建，请登录。", "success")
                return redirect(url_for("accounts.login"))
    return render_template("accounts/setup.html", form=form)


# ---- user administration -------------------------------------------------------------------

def _visible_clause():
    """Users an administrator may see: inside their region, and of roles they manage or guard."""
    scope = current_scope()
    clause = scope.region_where(User.region_code)
    if current_user.role in roles.ACCOUNT_GUARDS:
        return clause
    manageable = roles.MANAGEABLE.get(current_user.role)
    return clause & User.role.in_(manageable) if manageable else false()


def _user_or_404(user_id: int) -> User:
    """Load a user the current administrator may see; anyone else's answers 404."""
    user = get_session().exec(users_query(visible=_visible_clause() & (User.id == user_id))).first()
    if user is None:
        abort(404)
    return user


def _can_edit(user: User) -> bool:
    return user.role in roles.MANAGEABLE.get(current_user.role, ())


@bp.get("/admin/users")
@roles_required(*ADMIN_ROLES)
def user_list():
    """Accounts of my region: search, filter, sort and page (htmx swaps the table)."""
    filters = UserFilterForm(request.args)
    page = paginate(
        users_query(visible=_visible_clause(), q=filters.q.data or "", role=filters.role.data or "",
                    status=filters.status.data or "", sort=request.args.get("sort", "username"), now=utcnow()),
        session=get_session(), page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
    )
    region_names = dicts_service.region_names((u.region_code for u in page.items), session=get_session())
    return render("accounts/users.html", "accounts/_user_table.html", filters=filters, page=page,
                  region_names=region_names,
                  sort=request.args.get("sort", "username"), can_create=current_user.role in roles.MANAGEABLE,
                  can_edit=_can_edit, now=utcnow())


def _form_for(user: User | None) -> UserForm:
    form = UserForm(obj=user) if user else UserForm()
    form.set_role_choices(current_user.role)
    if user:
        del form.username
        if request.method == "GET":
            form.region.data = user.region_code
    return form


def _save_user_form(form: UserForm, user: User | None):
    try:
        if user is None:
            password = generate_password()
            created = service.create_user(
                get_session(), actor=current_user._get_current_object(), username=form.username.data,
                role=form.role.data, region_code=form.region.data, display_name=form.display_name.data,
                credit_code=form.credit_code.data or None, phone=form.phone.data or "", password=password,
            )
            return render_template("accounts/password_once.html", user=created, password=password,
                                   heading="账号已创建")
        service.update_user(get_session(), actor=current_user._get_current_object(), user=user,
                            display_name=form.display_name.data, role=form.role.data,
                            region_code=form.region.data, credit_code=form.credit_code.data or None,
                            phone=form.phone.data or "")
    except Refused as exc:
        show_on(form, exc)
        return None
    flash(f"账号 {user.username} 已保存。", "success")
    return redirect(url_for("accounts.user_list"))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(*roles.MANAGEABLE)
def user_new():
    """Create an account; its one-time initial password is shown once."""
    form = _form_for(None)
    if form.validate_on_submit():
        response = _save_user_form(form, None)
        if response is not None:
            return response
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(*roles.MANAGEABLE)
def user_edit(user_id: int):
    """Edit an account's name, role, region, binding and phone."""
    user = _user_or_404(user_id)
    if not _can_edit(user):
        abort(403)
    form = _form_for(user)
    if form.validate_on_submit():
        response = _save_user_form(form, user)
        if response is not None:
            return response
    return render_template("accounts/user_form.html", form=form, user=user)


def _guard_action(user_id: int, action):
    """Run an account-guard action and answer with the refreshed row (htmx) or the list (plain POST)."""
    user = _user_or_404(user_id)
    actor = current_user._get_current_object()
    if not (_can_edit(user) or actor.role in roles.ACCOUNT_GUARDS):
        abort(403)
    try:
        result = action(get_session(), actor=actor, user=user)
    except Refused as exc:
        flash(str(exc), "error")
        result = None
    return user, result


def _row_or_list(user: User, message: str | None):
    if request.htmx:
        names = dicts_service.region_names([user.region_code], session=get_session())
        return render_template("accounts/_user_row.html", user=user, can_edit=_can_edit, now=utcnow(),
                               row_message=message, region_names=names)
    if message:
        flash(message, "success")
    return redirect(url_for("accounts.user_list"))


@bp.post("/admin/users/<int:user_id>/disable")
@roles_required(*ADMIN_ROLES)
def user_disable(user_id: int):
    """Disable an account and end its sessions at once."""
    user, _ = _guard_action(user_id, lambda s, **kw: service.set_active(s, active=False, **kw))
    return _row_or_list(user, None if user.is_active else f"账号 {user.username} 已停用，其登录已立即失效。")


@bp.post("/admin/users/<int:user_id>/enable")
@roles_required(*ADMIN_ROLES)
def user_enable(user_id: int):
    """Re-enable a disabled account."""
    user, _ = _guard_action(user_id, lambda s, **kw: service.set_active(s, active=True, **kw))
    return _row_or_list(user, f"账号 {user.username} 已启用。")


@bp.post("/admin/users/<int:user_id>/unlock")
@roles_required(*ADMIN_ROLES)
def user_unlock(user_id: int):
    """Lift a lockout after too many failed logins."""
    user, _ = _guard_action(user_id, service.unlock)
    return _row_or_list(user, f"账号 {user.username} 已解锁。")


@bp.post("/admin/users/<int:user_id>/sign-out")
@roles_required(*ADMIN_ROLES)
def user_sign_out(user_id: int):
    """End every open login session of an account."""
    user, count = _guard_action(user_id, service.sign_out_everywhere)
    return _row_or_list(user, f"已结束账号 {user.username} 的 {count or 0} 个登录会话。")


@bp.post("/admin/users/<int:user_id>/reset-password")
@roles_required(*ADMIN_ROLES)
def user_reset_password(user_id: int):
    """Give the account a new one-time password, shown once."""
    user, password = _guard_action(user_id, service.reset_password)
    if password is None:
        return redirect(url_for("accounts.user_list"))
    return render_template("accounts/password_once.html", user=user, password=password, heading="密码已重置")
