"""The platform as an OAuth2 authorization server for third-party platforms (Ningxia directory 四、授权登录接口):
authorization code with PKCE, refresh tokens with rotation, revocation and a userinfo endpoint, on Authlib.

Every database change of a request (a code, a token, a revocation) is made inside the view's one write
transaction, so a code is redeemed once even when two requests race for it.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, current_app, request, url_for
from sqlalchemy import delete
from sqlmodel import Session

from app.accounts import roles
from app.accounts.models import User
from app.audit.service import record
from app.db import get_session, utcnow, write
from app.oauth_server.models import (
    OAuthApp,
    OAuthCode,
    OAuthConsent,
    OAuthToken,
    app_by_client_id,
    code_by_value,
    consent_of,
    digest,
    live_tokens,
    token_by_access,
    token_by_refresh,
)

# What an application may ask for, as the consent page says it.
SCOPES = {
    "profile": "读取您的姓名、用户名、角色和所属区域",
    "phone": "读取您的联系电话",
    "credit_code": "读取您绑定的统一社会信用代码",
}
CODE_LIFETIME = timedelta(minutes=5)  # RFC 6749 recommends at most 10
ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # the client row says which one it may use


def _app_actor(client: OAuthApp) -> str:
    return f"应用:{client.name}"[:64]


def _revoke(tokens: list[OAuthToken]) -> int:
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def _active_user(user_id: int) -> User | None:
    user = get_session().get(User, user_id)
    return user if user is not None and user.is_active else None


class PkceS256(CodeChallenge):
    """PKCE with S256 only, and required of public clients already when they ask for a code."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("Public clients must use PKCE: missing 'code_challenge'.")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is supported.")
        return super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method or None


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code, request):
        data, now = request.payload.data, utcnow()
        get_session().add(OAuthCode(
            code_hash=digest(code), app_id=request.client.id, user_id=request.user.id,
            redirect_uri=request.payload.redirect_uri or "", scope=request.scope or "",
            code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "",
            created_at=now, expires_at=now + CODE_LIFETIME,
        ))

    def query_authorization_code(self, code, client):
        session = get_session()
        row = code_by_value(code, session=session)
        if row is None or row.app_id != client.id:
            return None
        if row.used_at is not None:
            # RFC 6749 4.1.2: a code used twice may have been stolen; revoke what it produced.
            revoked = _revoke(live_tokens(session=session, app_id=client.id, code_id=row.id))
            record(session, "oauth.code_replay", actor_name=_app_actor(client), outcome="denied",
                   target_type="oauth_app", target_id=client.id, detail={"code_id": row.id, "revoked": revoked})
            return None
        return row if row.expires_at > utcnow() else None

    def delete_authorization_code(self, authorization_code):
        authorization_code.used_at = utcnow()  # kept, so that a replay is recognised

    def authenticate_user(self, authorization_code):
        return _active_user(authorization_code.user_id)


class RefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: each refresh token works once

    def authenticate_refresh_token(self, refresh_token):
        row = token_by_refresh(refresh_token, session=get_session())
        if row is None:
            return None
        if row.revoked_at is not None:
            if row.code_id is not None:  # a rotated-away token came back: the family is compromised
                _revoke(live_tokens(session=get_session(), app_id=row.app_id, code_id=row.code_id))
            return None
        return row if row.refresh_expires_at and row.refresh_expires_at > utcnow() else None

    def authenticate_user(self, refresh_token):
        return _active_user(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token):
        refresh_token.revoked_at = utcnow()


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        session = get_session()
        if token_type_hint == "access_token":
            return token_by_access(token_string, session=session)
        if token_type_hint == "refresh_token":
            return token_by_refresh(token_string, session=session)
        return token_by_access(token_string, session=session) or token_by_refresh(token_string, session=session)

    def revoke_token(self, token, request):
        token.revoked_at = utcnow()
        record(get_session(), "oauth.token_revoke", actor_name=_app_actor(request.client), target_type="oauth_app",
               target_id=request.client.id, detail={"token_id": token.id})


class BearerValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        row = token_by_access(token_string, session=get_session())
        if row is not None and _active_user(row.user_id) is None:
            return None  # a disabled account's tokens stop working at once
        return row


def _query_client(client_id: str) -> OAuthApp | None:
    return app_by_client_id(client_id, session=get_session())


def _save_token(token: dict, request) -> None:
    now = utcnow()
    previous = request.refresh_token
    code_id = request.authorization_code.id if request.authorization_code else getattr(previous, "code_id", None)
    get_session().add(OAuthToken(
        app_id=request.client.id, user_id=request.user.id, code_id=code_id,
        access_hash=digest(token["access_token"]),
        refresh_hash=digest(token["refresh_token"]) if token.get("refresh_token") else None,
        scope=token.get("scope", ""), issued_at=now, expires_at=now + timedelta(seconds=token["expires_in"]),
        refresh_expires_at=now + REFRESH_TOKEN_LIFETIME if token.get("refresh_token") else None,
    ))


class PublicRequest(FlaskOAuth2Request):
    """The request at the address its sender used: behind a TLS-terminating proxy the platform itself sees
    plain HTTP, and Authlib refuses OAuth2 over plain HTTP (rightly) unless on loopback."""

    def __init__(self, req):
        base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
        uri = base + req.full_path.rstrip("?") if base else req.url
        OAuth2Request.__init__(self, method=req.method, uri=uri, headers=req.headers)
        self._request = req
        self.payload = FlaskOAuth2Payload(req)


# Parameters Authlib quotes in its error descriptions. RFC 6749 (4.1.2.1) allows only printable ASCII
# without " and \ there, and Authlib raises ValueError (a 500) rather than describe, say,
# response_type=名. Such a value is no valid OAuth2 parameter anyway: refused with a fixed description.
QUOTED_PARAMS = ("response_type", "redirect_uri", "grant_type", "client_id", "scope", "code_challenge_method",
                 "response_mode", "token_type_hint")


def check_quoted_params(values) -> None:
    for name in QUOTED_PARAMS:
        if any(invalid_error_characters(value) for value in values.getlist(name)):
            raise InvalidRequestError(f"The '{name}' parameter holds characters it cannot hold.")


class Server(AuthorizationServer):
    def create_oauth2_request(self, _request=None):
        check_quoted_params(request.values)
        return PublicRequest(request)


require_oauth = ResourceProtector()
require_oauth.register_token_validator(BearerValidator())


def init_server(app: Flask) -> AuthorizationServer:
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"authorization_code": ACCESS_TOKEN_SECONDS,
                                                      "refresh_token": ACCESS_TOKEN_SECONDS})
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", list(SCOPES))
    server = Server(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(CodeGrant, [PkceS256(required=True)])
    server.register_grant(RefreshGrant)
    server.register_endpoint(Revocation)
    app.extensions["smedt_oauth_server"] = server
    return server


def server() -> Server:
    return current_app.extensions["smedt_oauth_server"]


def absolute(endpoint: str) -> str:
    """An endpoint's address as other systems reach it: on SMEDT_PUBLIC_URL when set, else as requested."""
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    return base + url_for(endpoint) if base else url_for(endpoint, _external=True)


def metadata() -> dict:
    """RFC 8414 authorization server metadata."""
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/") or request.host_url.rstrip("/")
    return {
        "issuer": base,
        "authorization_endpoint": absolute("oauth_server.authorize"),
        "token_endpoint": absolute("oauth_server.token"),
        "revocation_endpoint": absolute("oauth_server.revoke"),
        "userinfo_endpoint": absolute("oauth_server.userinfo"),
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "ui_locales_supported": ["zh-CN"],
    }


def userinfo(user: User, scope: str) -> dict:
    """What the token's scope lets the application read about the user."""
    granted = set(scope.split())
    info: dict = {"sub": str(user.id)}
    if "profile" in granted:
        info.update(name=user.display_name, preferred_username=user.username, role=user.role,
                    role_name=roles.LABELS.get(user.role, ""), region_code=user.region_code)
    if "phone" in granted:
        info["phone_number"] = user.phone
    if "credit_code" in granted:
        info["credit_code"] = user.credit_code
    return info


# ---- consent --------------------------------------------------------------------------------------

def has_consent(user: User, client: OAuthApp, scope: str, *, session: Session) -> bool:
    """True when the user already allowed at least this scope to this application."""
    consent = consent_of(user.id, client.id, session=session)
    return consent is not None and set(scope.split()) <= set(consent.scope.split())


def remember_consent(session: Session, user: User, client: OAuthApp, scope: str) -> None:
    """Record the user's consent (inside the caller's write transaction)."""
    consent = consent_of(user.id, client.id, session=session)
    if consent is None:
        consent = OAuthConsent(user_id=user.id, app_id=client.id)
        session.add(consent)
    consent.scope = " ".join(sorted(set(consent.scope.split()) | set(scope.split())))
    consent.granted_at = utcnow()
    record(session, "oauth.consent", actor=user, target_type="oauth_app", target_id=client.id,
           region_code=user.region_code, detail={"app": client.name, "scope": scope})


def revoke_consent(session: Session, *, user: User, consent: OAuthConsent) -> int:
    """The user withdraws an application's access: the consent goes and every token of it stops working."""
    with write(session):
        client = session.get(OAuthApp, consent.app_id)
        revoked = _revoke(live_tokens(session=session, app_id=consent.app_id, user_id=user.id))
        session.delete(consent)
        record(session, "oauth.revoke", actor=user, target_type="oauth_app", target_id=consent.app_id,
               region_code=user.region_code, detail={"app": client.name, "tokens": revoked})
    return revoked


# ---- client registration ----------------------------------------------------------------------------

def register_app(session: Session, *, actor: User, name: str, redirect_uris: list[str], scopes: list[str],
                 is_public: bool) -> tuple[OAuthApp, str | None]:
    """Register a third-party platform; returns it with its client secret (shown once, stored hashed)."""
    secret = None if is_public else secrets.token_urlsafe(32)
    with write(session):
        client = OAuthApp(client_id=secrets.token_urlsafe(18), secret_hash=digest(secret) if secret else "",
                          name=name, redirect_uris="\n".join(redirect_uris), scopes=" ".join(scopes),
                          is_public=is_public, created_by=actor.id)
        session.add(client)
        session.flush()
        record(session, "oauth_app.create", actor=actor, target_type="oauth_app", target_id=client.id,
               detail={"name": name, "client_id": client.client_id, "public": is_public,
                       "redirect_uris": redirect_uris, "scopes": scopes})
    return client, secret


def delete_app(session: Session, *, actor: User, client: OAuthApp) -> None:
    """Remove an application with its codes, tokens and consents: it can no longer act for anyone."""
    with write(session):
        for model in (OAuthToken, OAuthCode, OAuthConsent):
            session.exec(delete(model).where(model.app_id == client.id))
        record(session, "oauth_app.delete", actor=actor, target_type="oauth_app", target_id=client.id,
               detail={"name": client.name, "client_id": client.client_id})
        session.delete(client)
