"""Authorization endpoint and consent page, the API endpoints for third parties, and the management pages."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import Response, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import roles_required
from app.db import get_session, write
from app.extensions import csrf
from app.oauth_server import bp, service
from app.oauth_server.forms import AppForm, ConsentForm
from app.oauth_server.models import OAuthApp, OAuthConsent, apps_query, consents_of_user
from app.site.security import CSP

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _json_error(error: OAuth2Error) -> Response:
    headers = dict(error.get_headers())
    headers.update(NO_STORE)
    return Response(json.dumps(dict(error.get_body())), status=error.status_code, headers=headers,
                    mimetype="application/json")


def _consent_page(client: OAuthApp, scope: str, redirect_uri: str) -> Response:
    response = make_response(render_template(
        "oauth_server/consent.html", client=client, form=ConsentForm(),
        scopes=[(s, service.SCOPES[s]) for s in scope.split() if s in service.SCOPES],
        redirect_host=urlsplit(redirect_uri).netloc))
    # The answer to this form redirects to the application; browsers hold redirects after a form
    # submission to form-action, so the page allows the application's origin and nothing else.
    parts = urlsplit(redirect_uri)
    response.headers["Content-Security-Policy"] = CSP.replace(
        "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return response


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@login_required
def authorize():
    """A third-party platform asks to sign the user in: the consent page (skipped once already allowed)."""
    session = get_session()
    user = current_user._get_current_object()
    server = service.server()
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        if error.redirect_uri:  # the client is known and its address checked: tell it there
            return server.handle_error_response(None, error)
        return render_template("oauth_server/error.html", error=error), 400
    client, scope = grant.client, grant.request.scope or ""
    redirect_uri = grant.request.payload.redirect_uri or client.get_default_redirect_uri()
    if request.method == "GET":
        if request.args.get("prompt") == "consent" or not service.has_consent(user, client, scope, session=session):
            return _consent_page(client, scope, redirect_uri)
        approved = True
    else:
        if not ConsentForm().validate_on_submit():
            abort(400)
        approved = request.form.get("decision") == "allow"
    with write(session):
        if approved:
            service.remember_consent(session, user, client, scope)
        return server.create_authorization_response(grant_user=user if approved else None, grant=grant)


@bp.post("/oauth/token")
@csrf.exempt
def token():
    """Token endpoint: an authorization code or a refresh token for tokens (client credentials, not CSRF)."""
    try:
        with write(get_session()):
            return service.server().create_token_response()
    except OAuth2Error as error:  # raised before Authlib's own handling, e.g. plain HTTP off loopback
        return _json_error(error)


@bp.post("/oauth/revoke")
@csrf.exempt
def revoke():
    """RFC 7009 revocation of an access or refresh token by the client it was issued to."""
    try:
        with write(get_session()):
            return service.server().create_endpoint_response("revocation")
    except OAuth2Error as error:
        return _json_error(error)


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    """Who the bearer token's user is, limited to the token's scope."""
    try:
        token = service.require_oauth.acquire_token()
    except OAuth2Error as error:
        return _json_error(error)
    response = jsonify(service.userinfo(get_session().get(User, token.user_id), token.scope))
    response.headers.update(NO_STORE)
    return response


@bp.get("/.well-known/oauth-authorization-server")
def server_metadata():
    """RFC 8414 metadata, so that third-party platforms find the endpoints by themselves."""
    return jsonify(service.metadata())


# ---- the user's authorized applications ---------------------------------------------------------

@bp.get("/oauth/authorized")
@login_required
def my_consents():
    """The applications I allowed to sign me in, with what they may read."""
    rows = consents_of_user(current_user.id, session=get_session())
    return render_template("oauth_server/my_consents.html", rows=rows, scope_labels=service.SCOPES)


@bp.post("/oauth/authorized/<int:consent_id>/revoke")
@login_required
def revoke_consent(consent_id: int):
    """Withdraw an application's access; its tokens stop working at once."""
    consent = get_session().get(OAuthConsent, consent_id)
    if consent is None or consent.user_id != current_user.id:
        abort(404)
    service.revoke_consent(get_session(), user=current_user._get_current_object(), consent=consent)
    flash("已撤销该应用的授权，其持有的令牌已全部失效。", "success")
    return redirect(url_for("oauth_server.my_consents"))


# ---- administrators: client applications -----------------------------------------------------------

@bp.get("/oauth/apps")
@roles_required(roles.SYS_ADMIN)
def app_list():
    """Third-party platforms that may sign users in through this platform."""
    apps = list(get_session().exec(apps_query()))
    return render_template("oauth_server/apps.html", apps=apps, scope_labels=service.SCOPES,
                           metadata_url=service.absolute("oauth_server.server_metadata"))


@bp.route("/oauth/apps/new", methods=["GET", "POST"])
@roles_required(roles.SYS_ADMIN)
def app_new():
    """Register a third-party platform; its client secret is shown once."""
    form = AppForm()
    if form.validate_on_submit():
        client, secret = service.register_app(
            get_session(), actor=current_user._get_current_object(), name=form.name.data,
            redirect_uris=form.redirect_uri_list, scopes=form.scopes.data, is_public=form.client_type.data == "public")
        return render_template("oauth_server/app_created.html", client=client, secret=secret,
                               meta=service.metadata())
    return render_template("oauth_server/app_form.html", form=form), 200 if request.method == "GET" else 400


@bp.post("/oauth/apps/<int:app_id>/delete")
@roles_required(roles.SYS_ADMIN)
def app_delete(app_id: int):
    """Remove an application: its tokens and users' consents go with it."""
    client = get_session().get(OAuthApp, app_id)
    if client is None:
        abort(404)
    service.delete_app(get_session(), actor=current_user._get_current_object(), client=client)
    flash(f"已删除应用“{client.name}”，其令牌已全部失效。", "success")
    return redirect(url_for("oauth_server.app_list"))
