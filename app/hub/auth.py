"""The token endpoint's logic (spec 2.1) and the triple authentication of every push (spec 1.1 step 7):
identity (the token is live and was issued to this platform), platform (the platform information in the
header is the registered one), and region (the region code is the bound account's), plus the source
address when the registration names one.

Finding the platform of a push: the three parts of `Authorization` are encrypted with the platform's own
SM4 key, and nothing in the header says which platform sent it. So the header is tried with the key of
every approved platform (tens at most, their keys unsealed once per process) until one decrypts it and
its platform information matches; a header none of them opens is refused without a platform.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlmodel import Session

from app.db import utcnow, write
from app.docking import protocol
from app.docking.authheader import AuthHeaderError, parse
from app.hub import service
from app.hub.models import (
    DockedPlatform,
    HubToken,
    approved_platforms,
    digest,
    platform_by_username,
    purge_dead_tokens,
    token_by_access,
    token_by_refresh,
)

REFRESH_LIFETIME = timedelta(days=30)
REFRESH_GRANT = "refresh_token"
# HTTP status of each token error when HUB_TOKEN_ERROR_STATUS is "4xx"; by default ("200") a token error is
# sent with HTTP 200 and the spec's code in the body, as the spec's examples imply. The body is the same.
TOKEN_STATUS = {protocol.KEY_WRONG: 401, protocol.GRANT_TYPE_WRONG: 400, protocol.AUTH_FAILED: 401,
                protocol.ACCOUNT_UNAVAILABLE: 403}
TOKEN_ERROR_STATUSES = ("200", "4xx")


def token_error_status(code: str) -> int:
    """The HTTP status a token error is sent with (HUB_TOKEN_ERROR_STATUS)."""
    if str(current_app.config["HUB_TOKEN_ERROR_STATUS"]) == "4xx":
        return TOKEN_STATUS.get(code, 400)
    return 200


class Refused(Exception):
    """A refused call: the spec `code` the caller gets, and the real `reason` only the call log and the
    audit log keep. `platform` is who it was, when that could be told."""

    def __init__(self, code: str, reason: str, platform: DockedPlatform | None = None):
        super().__init__(reason)
        self.code, self.reason, self.platform = code, reason, platform


# ---------------------------------------------------------------------------------------- the token

@dataclass(frozen=True)
class Issued:
    platform: DockedPlatform
    body: dict


def _available(platform: DockedPlatform) -> str | None:
    if not platform.is_approved:
        return f"平台{platform.status_label}"
    if not platform.enabled:
        return "平台已停用"
    return None


def issue_token(session: Session, params: dict) -> Issued:
    """Check the spec 2.1 parameters and issue an access and a refresh token (digests stored); Refused with
    40001–40004 otherwise. A refresh token is used once: refreshing revokes the pair it belonged to."""
    cfg = current_app.config
    get = lambda name: str(params.get(name) or "").strip()  # noqa: E731
    grant = get("grant_type")
    if grant not in (cfg["HUB_GRANT_TYPE"], REFRESH_GRANT):
        raise Refused(protocol.GRANT_TYPE_WRONG, f"grant_type “{grant[:40]}” 不被接受")
    with write(session):
        if grant == REFRESH_GRANT:
            old = token_by_refresh(get("refresh_token"), session=session) if get("refresh_token") else None
            platform = session.get(DockedPlatform, old.platform_id) if old is not None else None
            if old is None or platform is None or old.revoked_at is not None or old.refresh_expires_at <= utcnow():
                raise Refused(protocol.AUTH_FAILED, "刷新令牌无效、已使用或已过期", platform)
            if get("username") and get("username") != platform.username:
                raise Refused(protocol.AUTH_FAILED, "刷新令牌与登录名不符", platform)
            unavailable = _available(platform)
            if unavailable:
                raise Refused(protocol.ACCOUNT_UNAVAILABLE, unavailable, platform)
            old.revoked_at = utcnow()
        else:
            # The spec's codes: an account that cannot be used (unknown, not approved, switched off) 40004;
            # a wrong secret 40001; a wrong grant_type 40002 (above); anything else 40003.
            platform = platform_by_username(get("username"), session=session) if get("username") else None
            if platform is None:
                raise Refused(protocol.ACCOUNT_UNAVAILABLE, f"登录名“{get('username')[:40]}”不存在")
            unavailable = _available(platform)
            if unavailable:
                raise Refused(protocol.ACCOUNT_UNAVAILABLE, unavailable, platform)
            if not platform.client_id or not hmac.compare_digest(platform.client_id, get("client_id")):
                raise Refused(protocol.AUTH_FAILED, "客户端 id 与登录名不符", platform)
            if get("scope") != cfg["HUB_SCOPE"]:
                raise Refused(protocol.AUTH_FAILED, f"scope “{get('scope')[:40]}” 不符", platform)
            if not hmac.compare_digest(platform.secret_hash, digest(get("client_secret"))):
                raise Refused(protocol.KEY_WRONG, "客户端密钥错误", platform)
        assert platform.id is not None
        purge_dead_tokens(platform.id, session=session)
        access, refresh, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), utcnow()
        seconds = int(cfg["HUB_TOKEN_SECONDS"])
        session.add(HubToken(platform_id=platform.id, access_hash=digest(access), refresh_hash=digest(refresh),
                             issued_at=now, expires_at=now + timedelta(seconds=seconds),
                             refresh_expires_at=now + REFRESH_LIFETIME))
    return Issued(platform, {"token_type": "bearer", "access_token": access, "refresh_token": refresh,
                             "expires_in": str(seconds), "license": ""})


# ----------------------------------------------------------------------------- triple authentication

def authenticate(session: Session, header: str | None, *, ip: str) -> DockedPlatform:
    """The platform that sent `header`, after all three checks (and the source address); Refused with
    403 and the real reason otherwise."""
    if not header or not header.strip():
        raise Refused(protocol.UNAUTHORIZED, "缺少 Authorization 请求头")
    found, mismatch = None, None
    for platform in approved_platforms(session=session):
        key = service.key_bytes(platform)
        if key is None:
            continue
        try:  # each platform with the layout its configuration file was written with
            parts = parse(service.platform_layout(platform), key, header)
        except AuthHeaderError:
            continue
        if parts["platform"] == platform.domain:
            found = (platform, parts)
            break
        mismatch = mismatch or (platform, parts)
    if found is None:
        if mismatch is not None:
            platform, parts = mismatch
            raise Refused(protocol.UNAUTHORIZED, f"平台信息不符（收到“{parts['platform'][:60]}”）", platform)
        raise Refused(protocol.UNAUTHORIZED, "Authorization 格式不符或无法用任何已批准平台的密钥解密")
    platform, parts = found
    if parts["region"] != platform.region_code:
        raise Refused(protocol.UNAUTHORIZED, f"地区码不符（收到“{parts['region'][:20]}”）", platform)
    if not platform.enabled:
        # Switching a platform off ends its tokens; the header, opened with its key and naming it, still
        # says who it is, so it gets the promised 503 (not the 403 its dead token would earn).
        raise Refused(protocol.UNAVAILABLE, "平台已停用", platform)
    token = token_by_access(parts["token"], session=session)
    if token is None:
        raise Refused(protocol.UNAUTHORIZED, "令牌无效", platform)
    if token.platform_id != platform.id:
        raise Refused(protocol.UNAUTHORIZED, "令牌不是签发给该平台的", platform)
    if token.revoked_at is not None:
        raise Refused(protocol.UNAUTHORIZED, "令牌已失效（已刷新、轮换密钥或停用）", platform)
    if token.expires_at <= utcnow():
        raise Refused(protocol.UNAUTHORIZED, "令牌已过期", platform)
    if platform.ip_list and ip not in platform.ip_list:
        raise Refused(protocol.UNAUTHORIZED, f"来源 IP {ip} 不在登记的地址内", platform)
    return platform
