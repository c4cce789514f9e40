"""The effective docking configuration: the settings page's value where there is one, else the
SMEDT_DOCKING_* setting (the same pattern as app/oauth_client/service.load_config). Saving the page and
importing the configuration file an upper platform exports both come through here."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import or_, update
from sqlmodel import Session, col

from app.audit.service import record
from app.db import utcnow, write
from app.docking import clock, protocol, sm4
from app.docking.authheader import AuthLayout
from app.docking.models import QUEUED, DockingSetting, DockingState, OutboxItem, get_setting, get_state
from app.docking.protocol import PushWindow
from app.secretbox import seal, unseal

SECRET_PURPOSE = "docking-client-secret"  # key-derivation labels: changing one loses what it sealed
SM4_PURPOSE = "docking-sm4-key"

# Settings-page text fields and the SMEDT_DOCKING_* names they fall back to.
TEXT_FIELDS = {"base_url": "DOCKING_BASE_URL", "username": "DOCKING_USERNAME", "client_id": "DOCKING_CLIENT_ID",
               "grant_type": "DOCKING_GRANT_TYPE", "scope": "DOCKING_SCOPE", "platform_info": "DOCKING_PLATFORM_INFO",
               "region_code": "DOCKING_REGION_CODE", "push_window": "DOCKING_WINDOW"}
LAYOUT_FIELDS = {"auth_mode": "mode", "auth_padding": "padding", "auth_encoding": "encoding",
                 "auth_output": "output", "auth_template": "template", "auth_iv": "iv"}
NUMBER_FIELDS = {"weekly_quota": "DOCKING_WEEKLY_QUOTA", "max_request_bytes": "DOCKING_MAX_REQUEST_BYTES"}


@dataclass(frozen=True)
class DockingConfig:
    base_url: str
    username: str
    client_id: str
    client_secret: str
    grant_type: str
    scope: str
    sm4_key: str
    platform_info: str
    region_code: str
    layout: AuthLayout
    window: PushWindow
    weekly_quota: int
    max_request_bytes: int
    timeout: float
    max_attempts: int
    lease_seconds: int
    batch_max_records: int

    @property
    def missing(self) -> list[str]:
        """What must still be filled in before anything can be pushed (Chinese names)."""
        names = {"base_url": "上级平台地址", "username": "登录名（username）", "client_id": "客户端 id（client_id）",
                 "client_secret": "客户端密钥（client_secret）", "grant_type": "认证类型（grant_type）",
                 "scope": "scope", "sm4_key": "SM4 密钥", "platform_info": "平台信息", "region_code": "地区行政代码"}
        return [label for name, label in names.items() if not getattr(self, name)]

    @property
    def configured(self) -> bool:
        return not self.missing

    @property
    def key_bytes(self) -> bytes:
        return sm4.parse_key(self.sm4_key)

    @property
    def upper_id(self) -> str:
        """Which upper platform this is (its address and our account there): each has its own weekly count."""
        return upper_id(self.base_url, self.username)

    @property
    def credentials_digest(self) -> str:
        """Which credentials a cached token belongs to: any change makes it useless."""
        text = "\n".join((self.base_url, self.username, self.client_id, self.client_secret, self.scope))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def upper_id(base_url: str, username: str) -> str:
    text = f"{base_url.strip().rstrip('/')}\n{username.strip()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_startup(cfg: Mapping[str, Any]) -> None:
    """Raise ValueError (Chinese, naming the setting) for SMEDT_DOCKING_* values that cannot work, so a
    mistyped deployment stops at start-up instead of failing at 00:00."""
    try:
        AuthLayout.from_settings(cfg, "DOCKING_AUTH_")
    except ValueError as exc:
        raise ValueError(f"SMEDT_DOCKING_AUTH_*：{exc}") from exc
    try:
        PushWindow.parse(str(cfg["DOCKING_WINDOW"]))
    except ValueError as exc:
        raise ValueError(f"SMEDT_DOCKING_WINDOW：{exc}") from exc
    for name in ("DOCKING_WEEKLY_QUOTA", "DOCKING_MAX_REQUEST_BYTES", "DOCKING_POLL_SECONDS",
                 "DOCKING_TIMEOUT_SECONDS", "DOCKING_MAX_ATTEMPTS", "DOCKING_LEASE_SECONDS",
                 "DOCKING_BATCH_MAX_RECORDS"):
        if not isinstance(cfg[name], int | float) or cfg[name] <= 0:
            raise ValueError(f"SMEDT_{name} 必须是正数，当前为 {cfg[name]!r}")
    if cfg["DOCKING_SM4_KEY"]:
        try:
            sm4.parse_key(str(cfg["DOCKING_SM4_KEY"]))
        except sm4.SM4Error as exc:
            raise ValueError(f"SMEDT_DOCKING_SM4_KEY：{exc}") from exc


def _layout(row: DockingSetting | None, cfg: Mapping[str, Any]) -> AuthLayout:
    env_layout = AuthLayout.from_settings(cfg, "DOCKING_AUTH_").to_dict()
    stored = {key: getattr(row, name) for name, key in LAYOUT_FIELDS.items()} if row else {}
    try:
        return AuthLayout.from_dict({**env_layout, **{k: v for k, v in stored.items() if v}})
    except ValueError:
        return AuthLayout.from_dict(env_layout)


def _window(text: str, cfg: Mapping[str, Any]) -> PushWindow:
    try:
        return PushWindow.parse(text)
    except ValueError:
        return PushWindow.parse(str(cfg["DOCKING_WINDOW"]))


def load_config(session: Session) -> DockingConfig:
    """The effective settings; a stored value that no longer parses falls back to the environment's."""
    row = get_setting(session=session)
    cfg = current_app.config
    text: dict[str, Any] = {name: (getattr(row, name) if row else "") or str(cfg[env])
                            for name, env in TEXT_FIELDS.items()}
    layout = _layout(row, cfg)
    window = _window(text.pop("push_window"), cfg)
    numbers: dict[str, Any] = {name: (getattr(row, name) if row else None) or int(cfg[env])
                               for name, env in NUMBER_FIELDS.items()}
    secret = unseal(SECRET_PURPOSE, row.client_secret_enc) if row else ""
    key = unseal(SM4_PURPOSE, row.sm4_key_enc) if row else ""
    timeout = float(cfg["DOCKING_TIMEOUT_SECONDS"])
    return DockingConfig(
        client_secret=secret or str(cfg["DOCKING_CLIENT_SECRET"]), sm4_key=key or str(cfg["DOCKING_SM4_KEY"]),
        layout=layout, window=window, timeout=timeout, max_attempts=int(cfg["DOCKING_MAX_ATTEMPTS"]),
        # A lease shorter than a call could end while the call is still running, and a second worker
        # would then send the same records: never less than twice the timeout.
        lease_seconds=max(int(cfg["DOCKING_LEASE_SECONDS"]), int(2 * timeout) + 1),
        batch_max_records=int(cfg["DOCKING_BATCH_MAX_RECORDS"]), **text, **numbers)


def secret_sources(row: DockingSetting | None) -> dict[str, str]:
    """Where the client secret and the SM4 key in use come from, for the settings page: "page" (saved
    here, sealed), "env" (SMEDT_DOCKING_* or instance/config.toml only) or "" (nowhere)."""
    cfg = current_app.config
    return {"client_secret": "page" if row and row.client_secret_enc else "env" if cfg["DOCKING_CLIENT_SECRET"] else "",
            "sm4_key": "page" if row and row.sm4_key_enc else "env" if cfg["DOCKING_SM4_KEY"] else ""}


def env_defaults() -> dict[str, str]:
    """What an empty settings-page field falls back to (shown as placeholders; secrets never)."""
    cfg = current_app.config
    out = {name: str(cfg[env]) for name, env in TEXT_FIELDS.items()}
    out.update({name: str(cfg[env]) for name, env in NUMBER_FIELDS.items()})
    out.update({name: str(cfg["DOCKING_" + name.upper()]) for name in LAYOUT_FIELDS})
    return out


def _state_row(session: Session) -> DockingState:
    row = get_state(session=session)
    if row is None:
        row = DockingState()
        session.add(row)
    return row


def _reset_runtime(session: Session) -> bool:
    """New settings: forget the token and the learned batch limit, and resume a paused push.
    Returns whether pushing had been paused."""
    state = _state_row(session)
    was_paused = state.paused
    state.access_token_enc = state.refresh_token_enc = ""
    state.token_expires_at, state.token_for = None, ""
    state.paused, state.paused_reason, state.paused_at = False, "", None
    state.batch_limit = None
    return was_paused


def save_settings(session: Session, *, actor: Any, values: dict, client_secret: str | None = None,
                  sm4_key: str | None = None, source: str = "page") -> list[str]:
    """Store the settings (the keys of TEXT_FIELDS, LAYOUT_FIELDS and NUMBER_FIELDS); an empty secret
    or key keeps the stored one. Saving resumes a paused push. Returns the names that changed."""
    before = load_config(session).upper_id
    with write(session):
        row = get_setting(session=session) or DockingSetting()
        changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
        for key, value in values.items():
            setattr(row, key, value)
        if client_secret:
            row.client_secret_enc = seal(SECRET_PURPOSE, client_secret)
            changed.append("client_secret")
        if sm4_key:
            row.sm4_key_enc = seal(SM4_PURPOSE, sm4_key)
            changed.append("sm4_key")
        row.updated_at, row.updated_by = utcnow(), getattr(actor, "id", None)
        session.add(row)
        session.flush()
        resumed = _reset_runtime(session)
        new_upper = load_config(session).upper_id != before
        if new_upper:  # another upper platform: its own weekly count (an 89501 of the old one does not hold)
            _state_row(session).quota_used_week = ""
        rescheduled = _wake_waiting(session)
        record(session, "docking.settings", actor=actor, actor_name=None if actor else "命令行",
               target_type="docking_setting", detail={"changed": changed, "source": source, "resumed": resumed,
                                                      "new_upper_platform": new_upper, "rescheduled": rescheduled})
    return changed


def _wake_waiting(session: Session) -> int:
    """New settings (a window, a quota, an address): the waiting items were scheduled under the old ones,
    so each is due now and the next claim places it again under the new ones (window, quota, pause)."""
    now = clock.now()
    result = session.execute(update(OutboxItem).where(
        col(OutboxItem.state) == QUEUED, col(OutboxItem.next_attempt_at) > now,
        or_(col(OutboxItem.lease_until).is_(None), col(OutboxItem.lease_until) < now))
        .values(next_attempt_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def import_config(session: Session, *, actor: Any, text: str | bytes) -> list[str]:
    """Fill every setting from the configuration file an upper platform exported (protocol.config_file).
    ValueError with a Chinese reason when the file is not one, or its key does not parse; nothing is
    written then."""
    data = protocol.read_config_file(text)
    try:
        sm4.parse_key(str(data["sm4Key"]))
    except sm4.SM4Error as exc:
        raise ValueError(f"配置文件中的 SM4 密钥无效：{exc}") from exc
    layout: AuthLayout = data["auth"]
    values = {"base_url": str(data["baseUrl"]).strip(), "username": str(data["username"]).strip(),
              "client_id": str(data["clientId"]).strip(), "grant_type": str(data["grantType"]).strip(),
              "scope": str(data["scope"]).strip(), "platform_info": str(data["platformInfo"]).strip(),
              "region_code": str(data["regionCode"]).strip(),
              "push_window": str(PushWindow.parse(str(data.get("pushWindow") or protocol.DEFAULT_WINDOW))),
              "weekly_quota": data.get("weeklyQuota") or protocol.DEFAULT_WEEKLY_QUOTA,
              "max_request_bytes": data.get("maxRequestBytes") or protocol.DEFAULT_MAX_BYTES,
              **{name: getattr(layout, key) for name, key in LAYOUT_FIELDS.items()}}
    return save_settings(session, actor=actor, values=values, client_secret=str(data["clientSecret"]),
                         sm4_key=str(data["sm4Key"]).strip(), source="file")
