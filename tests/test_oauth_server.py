"""The platform as an OAuth2 authorization server: registration, consent, codes, tokens, revocation,
userinfo and metadata. The full flows are driven by an independent client library (requests-oauthlib
over a live server); the refusals are checked on the wire with the error codes RFC 6749/6750/7636 name."""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlmodel import select

from app.accounts import roles
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.db import get_session, utcnow, write
from app.oauth_server import service
from app.oauth_server.models import OAuthApp, OAuthCode, OAuthToken
from tests.samples import PASSWORD, csrf_token_from

REDIRECT = "https://partner.example.cn/oauth/callback"


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _events(app, action):
    with app.app_context():
        return list(get_session().exec(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def register(app):
    """Register a client application directly through the service; returns (app row, secret)."""
    with app.app_context():  # an administrator row without a password: hashing one would only cost time
        session = get_session()
        with write(session):
            admin = User(username="appadmin", role=roles.SYS_ADMIN, region_code="410700", must_change_password=False)
            session.add(admin)

    def factory(public=False, scopes=("profile", "phone"), redirect_uris=(REDIRECT,), name="新乡市工业互联网平台"):
        with app.test_request_context():
            return service.register_app(get_session(), actor=admin, name=name, redirect_uris=list(redirect_uris),
                                        scopes=list(scopes), is_public=public)

    return factory


def _authorize(client, oauth_app, *, verifier=None, scope="profile phone", redirect_uri=REDIRECT, state="st-1",
               decide="allow", **extra):
    """The user (already logged in on `client`) asks for a code and answers the consent page."""
    params = {"response_type": "code", "client_id": oauth_app.client_id, "redirect_uri": redirect_uri,
              "scope": scope, "state": state, **extra}
    if verifier:
        params.update(code_challenge=_challenge(verifier), code_challenge_method="S256")
    url = "/oauth/authorize?" + urlencode(params)
    page = client.get(url)
    if page.status_code == 200 and decide:
        page = client.post(url, data={"decision": decide})
    return page


def _code_from(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query["code"][0]


def _exchange(client, oauth_app, secret, code, verifier=None, redirect_uri=REDIRECT):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    headers = _basic(oauth_app.client_id, secret) if secret else {}
    if not secret:
        data["client_id"] = oauth_app.client_id
    return client.post("/oauth/token", data=data, headers=headers)


# ---- registration ------------------------------------------------------------------------------

def test_admin_registers_an_app_whose_secret_is_shown_once_and_stored_hashed(app, client, login_as):
    login_as(roles.SYS_ADMIN)
    response = client.post("/oauth/apps/new", data={
        "name": "新乡市工业互联网平台", "redirect_uris": REDIRECT + "\nhttps://partner.example.cn/cb2",
        "scopes": ["profile", "credit_code"], "client_type": "confidential"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "应用已登记" in page and "只显示这一次" in page
    client_id = re.search(r'id="client-id">([^<]+)<', page).group(1)
    secret = re.search(r'id="client-secret">([^<]+)<', page).group(1)
    with app.app_context():
        stored = get_session().exec(select(OAuthApp).where(OAuthApp.client_id == client_id)).one()
        assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in stored.model_dump_json()
        assert stored.redirect_uri_list == [REDIRECT, "https://partner.example.cn/cb2"]
    assert "新乡市工业互联网平台" in client.get("/oauth/apps").get_data(as_text=True)
    assert secret not in client.get("/oauth/apps").get_data(as_text=True)
    assert _events(app, "oauth_app.create")[0].target_type == "oauth_app"


def test_registration_errors_are_shown_beside_the_fields(client, login_as):
    login_as(roles.SYS_ADMIN)
    response = client.post("/oauth/apps/new", data={"name": "", "redirect_uris": "https://a.example.cn/cb#x",
                                                    "client_type": "public"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请输入应用名称" in page and "不含 #" in page and "请至少选择一项权限" in page


@pytest.mark.parametrize("role", [roles.CITY_ADMIN, roles.SEC_ADMIN, roles.ENTERPRISE, roles.AUDIT_ADMIN])
def test_only_the_system_administrator_manages_apps(client, login_as, role):
    login_as(role, credit_code="914403001922038216" if role in roles.BOUND_ROLES else None)
    assert client.get("/oauth/apps").status_code == 403
    assert client.post("/oauth/apps/new", data={}).status_code == 403


def test_deleting_an_app_ends_its_tokens(app, client, login_as, register):
    oauth_app, secret = register()
    user = login_as(roles.ENTERPRISE, credit_code="914403001922038216")
    verifier = secrets.token_urlsafe(48)
    tokens = _exchange(client, oauth_app, secret, _code_from(_authorize(client, oauth_app, verifier=verifier)),
                       verifier).get_json()
    client.post("/logout")
    login_as(roles.SYS_ADMIN, username="deleter")
    assert client.post(f"/oauth/apps/{oauth_app.id}/delete").status_code == 302
    info = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401 and info.get_json()["error"] == "invalid_token"
    assert _events(app, "oauth_app.delete")[0].detail.count(oauth_app.client_id) == 1
    assert user.id


# ---- the code flow on the wire ------------------------------------------------------------------

def test_consent_page_then_code_with_pkce_then_tokens_and_userinfo(app, client, login_as, register):
    oauth_app, secret = register()
    user = login_as(roles.ENTERPRISE, credit_code="914403001922038216", display_name="新乡市某某机械有限公司")
    verifier = secrets.token_urlsafe(48)
    query = {"response_type": "code", "client_id": oauth_app.client_id, "redirect_uri": REDIRECT,
             "scope": "profile phone", "state": "xyz", "code_challenge": _challenge(verifier),
             "code_challenge_method": "S256"}
    consent = client.get("/oauth/authorize?" + urlencode(query))
    page = consent.get_data(as_text=True)
    assert consent.status_code == 200 and "授权确认" in page and "新乡市工业互联网平台" in page
    assert "读取您的联系电话" in page and "partner.example.cn" in page
    # The consent form's answer redirects to the application: the page's CSP allows that origin only.
    assert "form-action 'self' https://partner.example.cn" in consent.headers["Content-Security-Policy"]

    answer = client.post("/oauth/authorize?" + urlencode(query), data={"decision": "allow"})
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    params = parse_qs(location.query)
    assert params["state"] == ["xyz"]
    code = params["code"][0]

    response = _exchange(client, oauth_app, secret, code, verifier)
    tokens = response.get_json()
    assert response.status_code == 200, tokens
    assert tokens["token_type"].lower() == "bearer" and tokens["expires_in"] == 3600 and tokens["refresh_token"]
    assert response.headers["Cache-Control"] == "no-store"

    info = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).get_json()
    assert info == {"sub": str(user.id), "name": "新乡市某某机械有限公司", "preferred_username": user.username,
                    "role": "enterprise", "role_name": "企业用户", "region_code": "410700", "phone_number": ""}

    with app.app_context():  # only digests are stored
        session = get_session()
        stored_code = session.exec(select(OAuthCode)).one()
        stored_token = session.exec(select(OAuthToken)).one()
        assert stored_code.code_hash == hashlib.sha256(code.encode()).hexdigest() and stored_code.used_at
        assert stored_token.access_hash == hashlib.sha256(tokens["access_token"].encode()).hexdigest()
        assert stored_token.refresh_hash == hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    assert _events(app, "oauth.consent")[0].actor_id == user.id


def test_a_second_authorization_skips_the_consent_page(client, login_as, register):
    oauth_app, _ = register()
    login_as(roles.COUNTY_OFFICIAL)
    verifier = secrets.token_urlsafe(48)
    _code_from(_authorize(client, oauth_app, verifier=verifier))
    again = _authorize(client, oauth_app, verifier=verifier, decide=None)
    assert again.status_code == 302 and "code=" in again.headers["Location"]
    asked = _authorize(client, oauth_app, verifier=verifier, decide=None, prompt="consent")
    assert asked.status_code == 200 and "授权确认" in asked.get_data(as_text=True)


def test_denying_sends_access_denied_to_the_application(client, login_as, register):
    oauth_app, _ = register()
    login_as()
    response = _authorize(client, oauth_app, verifier=secrets.token_urlsafe(48), decide="deny")
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st-1"]


def test_the_authorization_page_needs_a_login_and_comes_back_after_it(client, make_user, register):
    oauth_app, _ = register()
    user = make_user()
    url = "/oauth/authorize?" + urlencode({"response_type": "code", "client_id": oauth_app.client_id,
                                           "redirect_uri": REDIRECT, "state": "s"})
    response = client.get(url)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    back = client.post(response.headers["Location"], data={"username": user.username, "password": PASSWORD})
    assert back.headers["Location"] == url


# ---- refusals, each with its OAuth2 error -------------------------------------------------------

def test_a_reused_code_is_refused_and_revokes_what_it_produced(app, client, login_as, register):
    oauth_app, secret = register()
    login_as()
    verifier = secrets.token_urlsafe(48)
    code = _code_from(_authorize(client, oauth_app, verifier=verifier))
    first = _exchange(client, oauth_app, secret, code, verifier).get_json()
    second = _exchange(client, oauth_app, secret, code, verifier)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"
    info = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert info.status_code == 401 and info.get_json()["error"] == "invalid_token"
    assert _events(app, "oauth.code_replay")[0].outcome == "denied"


def test_an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect(client, login_as, register):
    oauth_app, _ = register()
    login_as()
    response = _authorize(client, oauth_app, verifier=secrets.token_urlsafe(48),
                          redirect_uri="https://evil.example.com/cb")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "授权请求无效" in page and "invalid_request" in page


def test_a_different_redirect_uri_at_the_token_endpoint_is_refused(client, login_as, register):
    oauth_app, secret = register(redirect_uris=(REDIRECT, "https://partner.example.cn/other"))
    login_as()
    verifier = secrets.token_urlsafe(48)
    code = _code_from(_authorize(client, oauth_app, verifier=verifier))
    response = _exchange(client, oauth_app, secret, code, verifier, redirect_uri="https://partner.example.cn/other")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(app, client, login_as, register):
    oauth_app, secret = register()
    login_as()
    verifier = secrets.token_urlsafe(48)
    code = _code_from(_authorize(client, oauth_app, verifier=verifier))
    with app.app_context():
        session = get_session()
        with write(session):
            row = session.exec(select(OAuthCode)).one()
            assert row.expires_at - row.created_at == timedelta(minutes=5)
            row.expires_at = utcnow() - timedelta(seconds=1)
    response = _exchange(client, oauth_app, secret, code, verifier)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize("verifier, error", [(None, "invalid_request"),
                                             ("wrong-verifier-" + "x" * 40, "invalid_grant")])
def test_a_missing_or_wrong_pkce_verifier_is_refused(client, login_as, register, verifier, error):
    oauth_app, secret = register()
    login_as()
    code = _code_from(_authorize(client, oauth_app, verifier=secrets.token_urlsafe(48)))
    response = _exchange(client, oauth_app, secret, code, verifier)
    assert response.status_code == 400 and response.get_json()["error"] == error


def test_a_public_client_must_use_pkce(client, login_as, register):
    oauth_app, _ = register(public=True)
    login_as()
    response = _authorize(client, oauth_app, verifier=None, decide=None)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"] and "code_challenge" in query["error_description"][0]
    plain = _authorize(client, oauth_app, decide=None, code_challenge="a" * 43, code_challenge_method="plain")
    assert parse_qs(urlsplit(plain.headers["Location"]).query)["error"] == ["invalid_request"]


def test_a_wrong_client_secret_is_refused(client, login_as, register):
    oauth_app, _ = register()
    login_as()
    verifier = secrets.token_urlsafe(48)
    code = _code_from(_authorize(client, oauth_app, verifier=verifier))
    response = _exchange(client, oauth_app, "not-the-secret", code, verifier)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_revoked_tokens_are_refused(app, client, login_as, register):
    oauth_app, secret = register()
    login_as()
    verifier = secrets.token_urlsafe(48)
    tokens = _exchange(client, oauth_app, secret, _code_from(_authorize(client, oauth_app, verifier=verifier)),
                       verifier).get_json()
    revoked = client.post("/oauth/revoke", data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
                          headers=_basic(oauth_app.client_id, secret))
    assert revoked.status_code == 200
    info = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401 and info.get_json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in info.headers["WWW-Authenticate"]
    refresh = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                          headers=_basic(oauth_app.client_id, secret))
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"
    assert _events(app, "oauth.token_revoke")


def test_userinfo_without_a_token_is_refused(client):
    response = client.get("/oauth/userinfo")
    assert response.status_code == 401 and response.get_json()["error"] == "missing_authorization"


def test_a_disabled_account_s_tokens_stop_working(app, client, login_as, register, make_user):
    oauth_app, secret = register()
    user = login_as()
    verifier = secrets.token_urlsafe(48)
    tokens = _exchange(client, oauth_app, secret, _code_from(_authorize(client, oauth_app, verifier=verifier)),
                       verifier).get_json()
    with app.app_context():
        session = get_session()
        with write(session):
            session.get(User, user.id).is_active = False
    info = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401


# ---- the user's authorized applications ----------------------------------------------------------

def test_users_see_and_revoke_the_applications_they_authorized(app, client, login_as, register):
    oauth_app, secret = register()
    login_as()
    verifier = secrets.token_urlsafe(48)
    tokens = _exchange(client, oauth_app, secret, _code_from(_authorize(client, oauth_app, verifier=verifier)),
                       verifier).get_json()
    page = client.get("/oauth/authorized").get_data(as_text=True)
    assert "新乡市工业互联网平台" in page and "读取您的联系电话" in page
    consent_id = re.search(r'id="consent-(\d+)"', page).group(1)
    assert client.post(f"/oauth/authorized/{consent_id}/revoke").status_code == 302
    assert "您还没有授权任何应用" in client.get("/oauth/authorized").get_data(as_text=True)
    info = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401
    assert _events(app, "oauth.revoke")[0].detail.count('"tokens": 1') == 1


def test_nobody_revokes_another_users_consent(client, login_as, register, make_user, app):
    oauth_app, _ = register()
    login_as(username="owner")
    _code_from(_authorize(client, oauth_app, verifier=secrets.token_urlsafe(48)))
    consent_id = re.search(r'id="consent-(\d+)"', client.get("/oauth/authorized").get_data(as_text=True)).group(1)
    client.post("/logout")
    login_as(username="intruder")
    assert client.post(f"/oauth/authorized/{consent_id}/revoke").status_code == 404


def test_plain_http_off_loopback_is_refused_unless_behind_the_public_https_address(make_app):
    form = {"grant_type": "authorization_code", "code": "x"}
    direct = make_app().test_client().post("/oauth/token", data=form, base_url="http://10.0.0.5")
    assert direct.status_code == 400 and direct.get_json()["error"] == "insecure_transport"
    proxied = make_app(PUBLIC_URL="https://szzx.example.gov.cn").test_client()
    behind = proxied.post("/oauth/token", data=form, base_url="http://10.0.0.5")
    assert behind.status_code == 401 and behind.get_json()["error"] == "invalid_client"  # past the transport check
    metadata = proxied.get("/.well-known/oauth-authorization-server").get_json()
    assert metadata["issuer"] == "https://szzx.example.gov.cn"
    assert metadata["authorization_endpoint"] == "https://szzx.example.gov.cn/oauth/authorize"


def test_metadata_document_is_valid_rfc8414(client):
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    metadata = client.get("/.well-known/oauth-authorization-server").get_json()
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == "http://localhost"
    assert metadata["token_endpoint"] == "http://localhost/oauth/token"
    assert metadata["code_challenge_methods_supported"] == ["S256"]


# ---- an independent client library over a real HTTP server ------------------------------------------

def _browser_session_login(base, username):
    """A user's browser, played by `requests`: log in through the login form (CSRF on)."""
    import requests

    browser = requests.Session()
    token = csrf_token_from(browser.get(f"{base}/login").text)
    response = browser.post(f"{base}/login", data={"csrf_token": token, "username": username, "password": PASSWORD},
                            allow_redirects=False)
    assert response.status_code == 302
    return browser


def _consent_in(browser, authorization_url) -> str:
    """Open the authorization URL, press 同意授权, return the redirect the application receives."""
    consent = browser.get(authorization_url, allow_redirects=False)
    assert consent.status_code == 200 and "授权确认" in consent.text
    answer = browser.post(authorization_url, data={"csrf_token": csrf_token_from(consent.text), "decision": "allow"},
                          allow_redirects=False)
    assert answer.status_code == 302
    return answer.headers["Location"]


@pytest.mark.parametrize("public", [False, True], ids=["confidential", "public"])
def test_requests_oauthlib_signs_in_with_pkce_and_refreshes(live_server, make_user, register, monkeypatch,
                                                           public):
    from requests.auth import HTTPBasicAuth
    from requests_oauthlib import OAuth2Session

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback in the test only
    app, base = live_server
    redirect_uri = "http://127.0.0.1:9/partner/callback"  # never fetched: we read the code from the redirect
    oauth_app, secret = register(public=public, scopes=("profile", "credit_code"), redirect_uris=(redirect_uri,))
    user = make_user(roles.ENTERPRISE, "410783", username="oauthlib-user", display_name="长垣市某某起重机械有限公司")
    meta = __import__("requests").get(f"{base}/.well-known/oauth-authorization-server").json()

    partner = OAuth2Session(oauth_app.client_id, redirect_uri=redirect_uri, scope=["profile", "credit_code"],
                            pkce="S256")
    authorization_url, state = partner.authorization_url(meta["authorization_endpoint"])
    assert "code_challenge_method=S256" in authorization_url
    callback = _consent_in(_browser_session_login(base, user.username), authorization_url)
    assert f"state={state}" in callback

    auth = None if public else HTTPBasicAuth(oauth_app.client_id, secret)
    token = partner.fetch_token(meta["token_endpoint"], authorization_response=callback, auth=auth,
                                include_client_id=public)
    assert token["scope"] == ["profile", "credit_code"] or token["scope"] == "profile credit_code"
    info = partner.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == str(user.id) and info["name"] == "长垣市某某起重机械有限公司"
    assert info["credit_code"] == "914403001922038216" and "phone_number" not in info

    extra = {"client_id": oauth_app.client_id} if public else {}
    refreshed = partner.refresh_token(meta["token_endpoint"], auth=auth, **extra)
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != token["refresh_token"]  # rotated
    assert partner.get(meta["userinfo_endpoint"]).json()["sub"] == str(user.id)
    # The rotated-away refresh token is spent.
    import requests

    again = requests.post(meta["token_endpoint"], auth=auth, data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"], **extra})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
