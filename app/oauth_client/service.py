"""Sign-in through the provincial unified identity platform: OAuth2 authorization code with PKCE (S256),
OpenID Connect when the provider speaks it, through Authlib's Flask client.

Settings come from the settings page, field by field falling back to the SMEDT_IDP_* settings. Authlib keeps
`state`, `nonce` and the PKCE verifier in the signed session and checks them on the way back. Calls to the
provider happen before any write transaction opens, never inside one.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app, request, url_for
from sqlmodel import Session

from app.accounts import roles, sessions
from app.accounts.models import User, get_user_by_username
from app.accounts.scope import region_covers
from app.accounts.service import check_assignment
from app.audit.service import record
from app.db import utcnow, write
from app.dicts.validators import is_valid_credit_code
from app.oauth_client.models import IdpIdentity, IdpSetting, get_setting, identity_by_subject, identity_of_user
from app.refusal import Refused
from app.secretbox import seal, unseal

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 10  # seconds for each call to the provider
METADATA_TTL = 600  # seconds a discovery document is reused
_metadata_cache: dict[str, tuple[float, dict]] = {}


@dataclass(frozen=True)
class IdpConfig:
    enabled: bool
    name: str
    metadata_url: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    jwks_uri: str
    end_session_url: str
    scope: str
    claim_subject: str
    claim_name: str
    claim_phone: str
    claim_credit_code: str

    @property
    def configured(self) -> bool:
        return bool(self.client_id and (self.metadata_url or (self.authorize_url and self.token_url)))

    @property
    def usable(self) -> bool:
        return self.enabled and self.configured


_PURPOSE = "idp-client-secret"  # the key derivation's label; changing it loses stored secrets
PLAIN_FIELDS = tuple(f.name for f in fields(IdpConfig) if f.name not in {"enabled", "client_secret"})


def encrypt_secret(secret: str) -> str:
    return seal(_PURPOSE, secret)


def load_config(session: Session) -> IdpConfig:
    """The effective settings: the settings page's value where there is one, else SMEDT_IDP_*."""
    row = get_setting(session=session)
    cfg = current_app.config
    values = {name: (getattr(row, name) if row else "") or str(cfg.get(f"IDP_{name.upper()}", ""))
              for name in PLAIN_FIELDS}
    secret = unseal(_PURPOSE, row.client_secret_enc) if row else ""
    return IdpConfig(enabled=row.enabled if row else True, client_secret=secret or str(cfg["IDP_CLIENT_SECRET"]),
                     **values)


def save_settings(session: Session, *, actor: User, values: dict, client_secret: str | None) -> None:
    """Store the settings page; an empty `client_secret` keeps the stored one."""
    with write(session):
        row = get_setting(session=session) or IdpSetting()
        changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
        for key, value in values.items():
            setattr(row, key, value)
        if client_secret:
            row.client_secret_enc = encrypt_secret(client_secret)
            changed.append("client_secret")
        row.updated_at, row.updated_by = utcnow(), actor.id
        session.add(row)
        record(session, "idp.settings", actor=actor, target_type="idp_setting", detail={"changed": changed})
    _metadata_cache.clear()


# ---- talking to the provider ------------------------------------------------------------------

def discovery_url(url: str) -> str:
    return url if "/.well-known/" in url else url.rstrip("/") + "/.well-known/openid-configuration"


def server_metadata(conf: IdpConfig) -> dict:
    """The provider's endpoints: discovered (and reused for 10 minutes), then any set by hand win."""
    meta: dict = {}
    if conf.metadata_url:
        url = discovery_url(conf.metadata_url)
        cached = _metadata_cache.get(url)
        if cached and cached[0] > time.monotonic():
            meta = dict(cached[1])
        else:
            response = requests.get(url, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            meta = response.json()
            _metadata_cache[url] = (time.monotonic() + METADATA_TTL, dict(meta))
    by_hand = {"authorization_endpoint": conf.authorize_url, "token_endpoint": conf.token_url,
               "userinfo_endpoint": conf.userinfo_url, "jwks_uri": conf.jwks_uri,
               "end_session_endpoint": conf.end_session_url}
    meta.update({key: value for key, value in by_hand.items() if value})
    meta["_loaded_at"] = time.time()  # tells Authlib not to fetch the document again
    return meta


def issuer_of(meta: dict) -> str:
    """Who vouches for the subject: the OIDC issuer, or the token endpoint's origin for plain OAuth2."""
    if meta.get("issuer"):
        return meta["issuer"]
    parts = urlsplit(meta.get("token_endpoint", ""))
    return f"{parts.scheme}://{parts.netloc}"


def _client(conf: IdpConfig, meta: dict) -> FlaskOAuth2App:
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth_method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    return FlaskOAuth2App(
        FlaskIntegration("idp"), "idp", client_id=conf.client_id, client_secret=conf.client_secret,
        client_kwargs={"scope": conf.scope, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT,
                       "token_endpoint_auth_method": auth_method},
        **meta,
    )


def public_url(endpoint: str, **values) -> str:
    """An absolute URL of this platform, on SMEDT_PUBLIC_URL when set (behind a proxy), else as requested."""
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def begin_login(conf: IdpConfig):
    """The redirect to the provider's login page; Authlib remembers state, nonce and verifier."""
    client = _client(conf, server_metadata(conf))
    return client.authorize_redirect(public_url("oauth_client.callback"))


@dataclass
class Claims:
    issuer: str
    subject: str
    display_name: str
    phone: str
    credit_code: str | None
    id_token: str | None
    can_end_session: bool


def finish_login(conf: IdpConfig) -> Claims:
    """Check the provider's answer and fetch who signed in. Raises OAuthError for any refusal."""
    meta = server_metadata(conf)
    issuer = issuer_of(meta)
    # RFC 9207: an answer naming another issuer is a mix-up attack, whatever else it carries.
    if request.args.get("iss") and meta.get("issuer") and request.args["iss"] != meta["issuer"]:
        raise OAuthError(error="invalid_issuer", description="回调中的签发方与配置不符")
    client = _client(conf, meta)
    token = client.authorize_access_token()  # state, code exchange with the verifier, id_token and nonce
    claims = dict(token.get("userinfo") or {})
    if meta.get("userinfo_endpoint"):
        info = dict(client.userinfo(token=token))
        if claims.get("sub") and info.get("sub") != claims["sub"]:
            raise OAuthError(error="invalid_userinfo", description="用户信息与身份令牌不属于同一人")
        claims.update(info)
    subject = str(claims.get(conf.claim_subject) or "").strip()
    if not subject:
        raise OAuthError(error="missing_subject", description=f"未返回用户标识（{conf.claim_subject}）")
    credit = str(claims.get(conf.claim_credit_code) or "").strip().upper()
    return Claims(
        issuer=issuer, subject=subject[:255],
        display_name=str(claims.get(conf.claim_name) or "").strip()[:100],
        phone=str(claims.get(conf.claim_phone) or "").strip()[:30],
        credit_code=credit if is_valid_credit_code(credit) else None,
        id_token=token.get("id_token"),
        can_end_session=bool(meta.get("end_session_endpoint")),
    )


def end_session_url(conf: IdpConfig, id_token: str | None) -> str | None:
    """The provider's RP-initiated logout address, or None when it has none."""
    client = _client(conf, server_metadata(conf))
    if not client.server_metadata.get("end_session_endpoint"):
        return None
    return client.create_logout_url(post_logout_redirect_uri=public_url("accounts.login"),
                                    id_token_hint=id_token, client_id=conf.client_id)["url"]


# ---- what a sign-in does here --------------------------------------------------------------------

@dataclass
class SignIn:
    identity: IdpIdentity
    user: User | None = None
    error: str | None = None


def _sync_identity(identity: IdpIdentity, claims: Claims) -> None:
    identity.display_name = claims.display_name or identity.display_name
    identity.phone = claims.phone or identity.phone
    identity.credit_code = claims.credit_code or identity.credit_code


def sign_in(session: Session, claims: Claims) -> SignIn:
    """Log in the account linked to this person, updating the synchronised fields; a person not yet
    linked gets (or keeps) an identity row and nothing else."""
    with write(session):
        identity = identity_by_subject(claims.issuer, claims.subject, session=session)
        if identity is None:
            identity = IdpIdentity(issuer=claims.issuer, subject=claims.subject)
            session.add(identity)
        _sync_identity(identity, claims)
        session.flush()
        if identity.user_id is None:
            return SignIn(identity)
        user = session.get(User, identity.user_id)
        if not user.is_active:
            record(session, "idp.login", actor=user, outcome="denied", region_code=user.region_code,
                   detail={"reason": "disabled"})
            return SignIn(identity, error="账号已停用，请联系管理员。")
        # Name and phone follow the provincial platform; the credit code binding stays an administrator's call.
        synced = {key: [getattr(user, key), value]
                  for key, value in (("display_name", claims.display_name), ("phone", claims.phone))
                  if value and getattr(user, key) != value}
        for key, (_, value) in synced.items():
            setattr(user, key, value)
        now = utcnow()
        if synced:
            user.updated_at = now
        user.previous_login_at, user.last_login_at = user.last_login_at, now
        identity.last_login_at = now
        sessions.start(user)
        record(session, "idp.login", actor=user, region_code=user.region_code,
               detail={"subject": identity.subject, "synced": synced} if synced else {"subject": identity.subject})
        return SignIn(identity, user)


def record_failure(session: Session, error: str, description: str = "") -> None:
    with write(session):
        record(session, "idp.login", actor_name="统一身份认证", outcome="failure",
               detail={"error": error, "description": description[:200]})


def pending_identity(session: Session, identity_id: int | None) -> IdpIdentity | None:
    identity = session.get(IdpIdentity, identity_id) if identity_id else None
    return identity if identity is not None and identity.user_id is None else None


def check_can_link(session: Session, identity: IdpIdentity, user: User) -> None:
    if identity_of_user(identity.issuer, user.id, session=session) is not None:
        raise Refused("该账号已绑定另一个统一身份认证账号，请联系管理员。", "username")


def link_after_password(session: Session, identity: IdpIdentity, user: User) -> None:
    """The person proved they hold `user` with its password: link the identity to it."""
    with write(session):
        check_can_link(session, identity, user)
        identity.user_id, identity.linked_at, identity.last_login_at = user.id, utcnow(), utcnow()
        record(session, "idp.link", actor=user, target_type="user", target_id=user.id,
               region_code=user.region_code, detail={"subject": identity.subject, "by": "password"})


def apply(session: Session, identity: IdpIdentity, *, display_name: str, phone: str, region_code: str,
          credit_code: str | None, requested_role: str) -> None:
    """Ask for an account: it stays without any access until an administrator activates it."""
    with write(session):
        identity.display_name, identity.phone, identity.credit_code = display_name, phone, credit_code
        identity.region_code, identity.requested_role = region_code, requested_role
        record(session, "idp.apply", actor_name=display_name[:64], target_type="idp_identity",
               target_id=identity.id, region_code=region_code,
               detail={"subject": identity.subject, "role": requested_role, "credit_code": credit_code})


def activate(session: Session, *, actor: User, identity: IdpIdentity, username: str, role: str,
             region_code: str, credit_code: str | None, display_name: str, phone: str) -> User:
    """Create the applicant's account with the role and region the administrator gives, and link it.
    The account has no local password: it signs in only through the provincial platform."""
    check_assignment(actor.role, actor.region_code, role=role, region_code=region_code, credit_code=credit_code)
    with write(session):
        if identity.user_id is not None:
            raise Refused("该申请已处理。", "username")
        if get_user_by_username(username, session=session) is not None:
            raise Refused("用户名已被使用。", "username")
        user = User(username=username, role=role, region_code=region_code, display_name=display_name,
                    credit_code=credit_code if role in roles.BOUND_ROLES else None, phone=phone,
                    password_hash="", must_change_password=False)
        session.add(user)
        session.flush()
        identity.user_id, identity.linked_at = user.id, utcnow()
        record(session, "user.create", actor=actor, target_type="user", target_id=user.id, region_code=region_code,
               detail={"username": username, "role": role, "credit_code": user.credit_code, "via": "idp"})
        record(session, "idp.activate", actor=actor, target_type="idp_identity", target_id=identity.id,
               region_code=region_code, detail={"subject": identity.subject, "username": username})
    return user


def bind_to_existing(session: Session, *, actor: User, identity: IdpIdentity, username: str) -> User:
    """Link the applicant to an account that already exists, if the administrator may manage it."""
    user = get_user_by_username(username, session=session)
    if user is None or not region_covers(actor.region_code, user.region_code) \
            or user.role not in roles.MANAGEABLE.get(actor.role, ()):
        raise Refused("找不到该账号，或该账号不在您的管理范围内。", "existing_username")
    with write(session):
        if identity.user_id is not None:
            raise Refused("该申请已处理。", "existing_username")
        if identity_of_user(identity.issuer, user.id, session=session) is not None:
            raise Refused("该账号已绑定另一个统一身份认证账号。", "existing_username")
        identity.user_id, identity.linked_at = user.id, utcnow()
        record(session, "idp.link", actor=actor, target_type="user", target_id=user.id, region_code=user.region_code,
               detail={"subject": identity.subject, "by": "admin"})
    return user


def reject(session: Session, *, actor: User, identity: IdpIdentity) -> None:
    """Refuse an application; the person may apply again at their next sign-in."""
    with write(session):
        record(session, "idp.reject", actor=actor, target_type="idp_identity", target_id=identity.id,
               region_code=identity.region_code or "",
               detail={"subject": identity.subject, "display_name": identity.display_name})
        session.delete(identity)
