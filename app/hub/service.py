"""Docked platforms: registration, the approver's decision, credentials (issued once, rotated on
demand), the switches, and the configuration file a lower platform imports.

Every change runs in one write transaction with its audit event. The service functions check the rules
between roles and regions themselves, so a script (actor=None, audited as 命令行) and the pages obey the
same ones; the pages check the role first.
"""
from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, request
from sqlmodel import Session

from app import secretbox
from app.accounts import roles
from app.accounts.models import User
from app.accounts.scope import region_covers
from app.audit.service import record as audit
from app.db import utcnow, write
from app.docking import protocol, sm4
from app.docking.authheader import AuthLayout
from app.hub.models import (
    APPROVED,
    BINDABLE_ROLES,
    PENDING,
    REJECTED,
    DockedPlatform,
    HubSetting,
    digest,
    get_settings,
    revoke_tokens,
)
from app.refusal import Refused

log = logging.getLogger(__name__)

SEAL_PURPOSE = "hub-sm4"
MAX_BYTES_LIMIT = 100 * 1024 * 1024  # within the server's MAX_CONTENT_LENGTH, which refuses larger bodies first



@dataclass(frozen=True)
class Credentials:
    """What an approval or a rotation hands out, shown once: the secret is not kept in clear."""

    platform: DockedPlatform
    client_secret: str
    sm4_key: str
    config_text: str


# ------------------------------------------------------------------------------------------- settings

def layout() -> AuthLayout:
    """The hub's Authorization layout (HUB_AUTH_*), the same one written into every configuration file."""
    return AuthLayout.from_settings(current_app.config, "HUB_AUTH_")


def platform_layout(platform: DockedPlatform) -> AuthLayout:
    """The layout this platform's configuration file was written with: recorded at approval, so changing
    the installation's HUB_AUTH_* later does not break files already handed out."""
    if platform.auth_layout:
        try:
            return AuthLayout.from_dict(json.loads(platform.auth_layout))
        except ValueError:
            log.warning("平台 %s 记录的 Authorization 格式无法读取，改用本平台默认格式", platform.id)
    return layout()


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start with HUB_* settings that cannot work (the reason in Chinese)."""
    AuthLayout.from_settings(config, "HUB_AUTH_")
    protocol.PushWindow.parse(str(config["HUB_WINDOW"]))
    for name in ("HUB_WEEKLY_QUOTA", "HUB_MAX_REQUEST_BYTES", "HUB_TOKEN_SECONDS"):
        if int(config[name]) <= 0:
            raise ValueError(f"{name} 必须是正整数")
    if str(config["HUB_TOKEN_ERROR_STATUS"]) not in ("200", "4xx"):
        raise ValueError(f"HUB_TOKEN_ERROR_STATUS 只能是 200 或 4xx，当前为 {config['HUB_TOKEN_ERROR_STATUS']!r}")
    if not str(config["HUB_GRANT_TYPE"]).strip() or not str(config["HUB_SCOPE"]).strip():
        raise ValueError("HUB_GRANT_TYPE 和 HUB_SCOPE 不能为空")


def gate_base_url() -> str:
    """The address lower platforms push to: PUBLIC_URL, else this request's host, plus the gate prefix."""
    public = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not public and has_request_context():
        public = request.host_url.rstrip("/")
    if not public:
        public = f"http://{current_app.config['HOST']}:{current_app.config['PORT']}"
    return public + protocol.GATE_PREFIX


def docking_enabled(session: Session) -> bool:
    return get_settings(session=session).docking_enabled


def set_docking(session: Session, *, enabled: bool, actor: User | None) -> None:
    """The global 开启 / 关闭对接 switch."""
    with write(session):
        row = session.get(HubSetting, 1)
        if row is None:
            row = HubSetting(id=1)
            session.add(row)
        row.docking_enabled, row.updated_at = enabled, utcnow()
        row.updated_by = getattr(actor, "id", None)
        _audit(session, "hub.docking_on" if enabled else "hub.docking_off", actor, target_id="",
               region_code=getattr(actor, "region_code", ""), detail={})


# --------------------------------------------------------------------------------------------- checks

def _audit(session: Session, action: str, actor: User | None, *, target_id: int | str | None, region_code: str,
           detail: dict) -> None:
    audit(session, action, actor=actor, actor_name=None if actor is not None else "命令行",
          target_type="hub_platform", target_id=target_id, region_code=region_code, detail=detail)


def _require(actor: User | None, role: str) -> None:
    if actor is not None and actor.role != role:
        raise Refused(f"只有{roles.LABELS[role]}可以执行该操作。")


def _check_region(actor: User | None, region_code: str) -> None:
    if actor is not None and not region_covers(actor.region_code, region_code):
        raise Refused("该平台不在您的管辖范围内。")


def check_binding(bound: User | None, *, actor: User | None) -> None:
    """The bound account is an active city or county account inside the administrator's region."""
    if bound is None or bound.role not in BINDABLE_ROLES or not bound.is_active:
        raise Refused("请选择一个有效的市级管理员或区县主管部门账号。", "bound_user_id")
    if actor is not None and not region_covers(actor.region_code, bound.region_code):
        raise Refused("所选账号不在您的管辖范围内。", "bound_user_id")


def check_limits(*, push_window: str, weekly_quota: int, max_bytes: int) -> None:
    try:
        protocol.PushWindow.parse(push_window)
    except ValueError as exc:
        raise Refused(str(exc), "push_window") from None
    if weekly_quota <= 0:
        raise Refused("每周推送次数必须大于 0。", "weekly_quota")
    if not 1024 <= max_bytes <= MAX_BYTES_LIMIT:
        raise Refused(f"单次请求大小应在 1 KB 到 {MAX_BYTES_LIMIT // (1024 * 1024)} MB 之间。", "max_bytes")


# ------------------------------------------------------------------------------------- registration

def register(session: Session, *, actor: User | None, name: str, domain: str, bound_user: User | None, ip: str = "",
             push_window: str | None = None, weekly_quota: int | None = None,
             max_bytes: int | None = None) -> DockedPlatform:
    """A hub administrator registers a lower platform; it waits for the approver. Its region is the bound
    account's. Limits left None take the HUB_* defaults."""
    _require(actor, roles.HUB_ADMIN)
    check_binding(bound_user, actor=actor)
    assert bound_user is not None and bound_user.id is not None  # check_binding refuses None
    cfg = current_app.config
    push_window = push_window or str(cfg["HUB_WINDOW"])
    weekly_quota = int(weekly_quota or cfg["HUB_WEEKLY_QUOTA"])
    max_bytes = int(max_bytes or cfg["HUB_MAX_REQUEST_BYTES"])
    check_limits(push_window=push_window, weekly_quota=weekly_quota, max_bytes=max_bytes)
    push_window = str(protocol.PushWindow.parse(push_window))
    with write(session):
        platform = DockedPlatform(name=name.strip(), domain=domain.strip(), ip=" ".join(ip.split()),
                                  region_code=bound_user.region_code, bound_user_id=bound_user.id,
                                  push_window=push_window, weekly_quota=weekly_quota, max_bytes=max_bytes,
                                  created_by=getattr(actor, "id", None))
        session.add(platform)
        session.flush()
        _audit(session, "hub.register", actor, target_id=platform.id, region_code=platform.region_code,
               detail={"name": platform.name, "domain": platform.domain, "bound_user": bound_user.username})
    return platform


def update(session: Session, platform: DockedPlatform, *, actor: User | None, name: str, domain: str, ip: str,
           push_window: str, weekly_quota: int, max_bytes: int, bound_user: User | None = None) -> dict:
    """Change a platform's registration or limits; returns what changed. The bound account (and with it
    the region) changes only before approval; a rejected platform edited goes back to the approver."""
    _require(actor, roles.HUB_ADMIN)
    _check_region(actor, platform.region_code)
    check_limits(push_window=push_window, weekly_quota=weekly_quota, max_bytes=max_bytes)
    new = {"name": name.strip(), "domain": domain.strip(), "ip": " ".join(ip.split()),
           "push_window": str(protocol.PushWindow.parse(push_window)), "weekly_quota": weekly_quota,
           "max_bytes": max_bytes}
    if bound_user is not None and bound_user.id != platform.bound_user_id:
        if platform.status == APPROVED:
            raise Refused("已批准的平台不能更换绑定账号；如需更换，请重新登记平台。", "bound_user_id")
        check_binding(bound_user, actor=actor)
        new.update(bound_user_id=bound_user.id, region_code=bound_user.region_code)
    with write(session, fresh=[platform]):
        changes = {k: [getattr(platform, k), v] for k, v in new.items() if getattr(platform, k) != v}
        for key, (_old, value) in changes.items():
            setattr(platform, key, value)
        if platform.status == REJECTED and changes:
            platform.status, platform.reject_reason = PENDING, None
            changes["status"] = [REJECTED, PENDING]
        platform.updated_at = utcnow()
        if changes:
            _audit(session, "hub.update", actor, target_id=platform.id, region_code=platform.region_code,
                   detail={"name": platform.name, "changes": changes})
    return changes


def set_enabled(session: Session, platform: DockedPlatform, *, actor: User | None, enabled: bool) -> None:
    """The per-platform switch. Switching off also ends the platform's tokens."""
    _require(actor, roles.HUB_ADMIN)
    _check_region(actor, platform.region_code)
    with write(session, fresh=[platform]):
        platform.enabled, platform.updated_at = enabled, utcnow()
        assert platform.id is not None
        revoked = 0 if enabled else revoke_tokens(platform.id, session=session)
        _audit(session, "hub.enable" if enabled else "hub.disable", actor, target_id=platform.id,
               region_code=platform.region_code, detail={"name": platform.name, "revoked_tokens": revoked})


# ----------------------------------------------------------------------------------------- decisions

def _issue(platform: DockedPlatform) -> tuple[str, str]:
    """New credentials on the platform row (inside the caller's transaction): (client_secret, sm4 key)."""
    secret, key = secrets.token_urlsafe(32), secrets.token_hex(16)
    platform.username = platform.username or f"dock-{platform.region_code}-{platform.id}"
    platform.client_id = secrets.token_urlsafe(18)
    platform.secret_hash = digest(secret)
    platform.sm4_key_sealed = secretbox.seal(SEAL_PURPOSE, key)
    platform.credentials_at = utcnow()
    return secret, key


def config_text(platform: DockedPlatform, client_secret: str) -> str:
    """The configuration file for the lower platform (protocol.config_file). `platformInfo` is the
    registered domain: the lower platform encrypts exactly that into its Authorization header."""
    assert platform.username is not None and platform.client_id is not None  # issued by _issue()
    cfg = current_app.config
    return protocol.config_file(
        base_url=gate_base_url(), username=platform.username, client_id=platform.client_id,
        client_secret=client_secret, grant_type=cfg["HUB_GRANT_TYPE"], scope=cfg["HUB_SCOPE"],
        sm4_key=sm4_key_of(platform), platform_info=platform.domain, region_code=platform.region_code,
        layout=platform_layout(platform), window=platform.push_window, weekly_quota=platform.weekly_quota,
        max_bytes=platform.max_bytes, platform_name=platform.name)


def _credentials(platform: DockedPlatform, secret: str, key: str) -> Credentials:
    forget_key(platform)
    return Credentials(platform, secret, key, config_text(platform, secret))


def already_decided(platform: DockedPlatform) -> str:
    return f"该平台{platform.status_label}，不能重复审批。"


def approve(session: Session, platform: DockedPlatform, *, actor: User | None) -> Credentials:
    """The approver approves a pending registration: credentials are issued and returned, once."""
    _require(actor, roles.HUB_APPROVER)
    _check_region(actor, platform.region_code)
    with write(session, fresh=[platform]):  # inside BEGIN IMMEDIATE: the state no one else can change any more
        if platform.status != PENDING:
            raise Refused(already_decided(platform))
        platform.status, platform.reject_reason = APPROVED, None
        platform.decided_at, platform.updated_at = utcnow(), utcnow()
        platform.decided_by_name = _name_of(actor)
        platform.auth_layout = json.dumps(layout().to_dict(), ensure_ascii=False)  # kept for this platform
        secret, key = _issue(platform)
        _audit(session, "hub.approve", actor, target_id=platform.id, region_code=platform.region_code,
               detail={"name": platform.name, "username": platform.username})
    return _credentials(platform, secret, key)


def reject(session: Session, platform: DockedPlatform, *, actor: User | None, reason: str) -> None:
    """The approver rejects a pending registration, with a reason the administrator sees."""
    _require(actor, roles.HUB_APPROVER)
    _check_region(actor, platform.region_code)
    reason = (reason or "").strip()
    if not reason:
        raise Refused("驳回时必须填写原因，登记人会看到它。", "reason")
    if len(reason) > 500:
        raise Refused("原因不能超过 500 字。", "reason")
    with write(session, fresh=[platform]):
        if platform.status != PENDING:
            raise Refused(already_decided(platform))
        platform.status, platform.reject_reason = REJECTED, reason
        platform.decided_at, platform.updated_at = utcnow(), utcnow()
        platform.decided_by_name = _name_of(actor)
        _audit(session, "hub.reject", actor, target_id=platform.id, region_code=platform.region_code,
               detail={"name": platform.name, "reason": reason})


def rotate(session: Session, platform: DockedPlatform, *, actor: User | None) -> Credentials:
    """轮换密钥: new client_id, secret and SM4 key; the old ones and every token issued stop working."""
    _require(actor, roles.HUB_ADMIN)
    _check_region(actor, platform.region_code)
    with write(session, fresh=[platform]):
        if platform.status != APPROVED:
            raise Refused("只有已批准的平台才有密钥可以轮换。")
        secret, key = _issue(platform)
        platform.updated_at = utcnow()
        assert platform.id is not None
        revoked = revoke_tokens(platform.id, session=session)
        _audit(session, "hub.rotate", actor, target_id=platform.id, region_code=platform.region_code,
               detail={"name": platform.name, "revoked_tokens": revoked})
    return _credentials(platform, secret, key)


def config_for_download(platform: DockedPlatform, client_secret: str) -> str | None:
    """The configuration file again, for the one-time page's download button, which posts back the
    secret it shows: only the platform's current secret opens it (the platform keeps only its digest)."""
    opens = bool(client_secret) and hmac.compare_digest(digest(client_secret), platform.secret_hash or "")
    if not (platform.is_approved and opens):
        return None
    return config_text(platform, client_secret)


def _name_of(actor: User | None) -> str:
    return (getattr(actor, "display_name", None) or getattr(actor, "username", None) or "命令行")[:64]


# ----------------------------------------------------------------------------------------- SM4 keys

_keys_lock = threading.Lock()


def sm4_key_of(platform: DockedPlatform) -> str:
    return secretbox.unseal(SEAL_PURPOSE, platform.sm4_key_sealed)


def key_bytes(platform: DockedPlatform) -> bytes | None:
    """The platform's SM4 key, unsealed once per process and sealed value (a rotation seals a new one);
    None when it cannot be opened (the installation's secret key changed: rotate the credentials)."""
    cache = current_app.extensions.setdefault("hub_sm4_keys", {})
    sealed = platform.sm4_key_sealed
    with _keys_lock:
        if sealed in cache:
            return cache[sealed]
    text = secretbox.unseal(SEAL_PURPOSE, sealed)
    try:
        key = sm4.parse_key(text) if text else None
    except sm4.SM4Error:
        key = None
    with _keys_lock:
        cache[sealed] = key
    return key


def forget_key(platform: DockedPlatform) -> None:
    cache = current_app.extensions.get("hub_sm4_keys")
    if cache:
        with _keys_lock:
            cache.clear()  # a handful of platforms: simpler and safe to reopen them all
