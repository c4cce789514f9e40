"""HTTP to the upper platform: the token (spec 2.1) and the uploads (2.2–2.6), with timeouts.

The token is cached in docking_state (sealed) until shortly before it expires; a refresh_token, when
the upper platform offers one, renews it, and a refused refresh falls back to a new token. These calls
happen outside any write transaction; only storing the token opens a short one.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlmodel import Session

from app.db import utcnow, write
from app.docking import authheader, protocol
from app.docking.models import DockingState, get_state
from app.docking.settings import DockingConfig
from app.secretbox import seal, unseal

log = logging.getLogger(__name__)

TOKEN_PURPOSE = "docking-access-token"
REFRESH_PURPOSE = "docking-refresh-token"
EXPIRY_MARGIN = timedelta(seconds=60)  # renew a little early: a token must not expire on the way
DEFAULT_TOKEN_SECONDS = 3600  # when the answer names no expires_in
TOKEN_CODES = (protocol.KEY_WRONG, protocol.GRANT_TYPE_WRONG, protocol.AUTH_FAILED, protocol.ACCOUNT_UNAVAILABLE)


class TokenError(Exception):
    """The token endpoint refused (40001–40004 or another code); `explanation` is for the administrator."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code} {message}")
        self.code, self.message = code, message

    @property
    def explanation(self) -> str:
        return protocol.EXPLANATIONS.get(self.code) or f"上级平台拒绝授权：{self.code} {self.message}"


@dataclass(frozen=True)
class Token:
    access_token: str
    refresh_token: str
    expires_at: datetime
    token_type: str = ""
    license: str = ""


def _json(response: requests.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _token_request(conf: DockingConfig, data: dict) -> Token:
    response = requests.post(protocol.token_url(conf.base_url), data=data, timeout=conf.timeout,
                             headers={"Accept": "application/json"})
    body = _json(response)
    code = protocol.code_of(body, response.status_code)
    if body is None or not body.get("access_token"):
        message = (body or {}).get("message") or protocol.SPEC_MESSAGES.get(code) or response.text[:200]
        raise TokenError(code, str(message))
    try:
        seconds = int(str(body.get("expires_in") or DEFAULT_TOKEN_SECONDS).strip())
    except ValueError:
        seconds = DEFAULT_TOKEN_SECONDS
    return Token(access_token=str(body["access_token"]), refresh_token=str(body.get("refresh_token") or ""),
                 expires_at=utcnow() + timedelta(seconds=max(seconds, 1)),
                 token_type=str(body.get("token_type") or ""), license=str(body.get("license") or ""))


def fetch_token(conf: DockingConfig) -> Token:
    """A new token with the five parameters of spec 2.1 (form-encoded)."""
    return _token_request(conf, {"username": conf.username, "client_id": conf.client_id,
                                 "client_secret": conf.client_secret, "grant_type": conf.grant_type,
                                 "scope": conf.scope})


def refresh(conf: DockingConfig, refresh_token: str) -> Token:
    token = _token_request(conf, {"username": conf.username, "client_id": conf.client_id,
                                  "client_secret": conf.client_secret, "grant_type": "refresh_token",
                                  "refresh_token": refresh_token, "scope": conf.scope})
    if not token.refresh_token:  # an upper platform that does not rotate refresh tokens keeps the old one
        token = Token(token.access_token, refresh_token, token.expires_at, token.token_type, token.license)
    return token


def _store(session: Session, conf: DockingConfig, token: Token | None) -> None:
    with write(session):
        state = get_state(session=session) or DockingState()
        state.access_token_enc = seal(TOKEN_PURPOSE, token.access_token) if token else ""
        state.refresh_token_enc = seal(REFRESH_PURPOSE, token.refresh_token) if token and token.refresh_token else ""
        state.token_expires_at = token.expires_at if token else None
        state.token_for = conf.credentials_digest if token else ""
        session.add(state)


def forget_token(session: Session, conf: DockingConfig) -> None:
    _store(session, conf, None)


def _cached(state: DockingState) -> str:
    """The stored access token while it has more than EXPIRY_MARGIN left; "" otherwise."""
    expires = state.token_expires_at
    if state.access_token_enc and expires and expires - EXPIRY_MARGIN > utcnow():
        return unseal(TOKEN_PURPOSE, state.access_token_enc) or ""
    return ""


def _refreshed(session: Session, conf: DockingConfig, state: DockingState) -> str:
    """A token from the stored refresh token; "" when there is none or the upper platform refuses it (then
    a new token is fetched)."""
    stored_refresh = unseal(REFRESH_PURPOSE, state.refresh_token_enc) if state.refresh_token_enc else ""
    if not stored_refresh:
        return ""
    try:
        token = refresh(conf, stored_refresh)
    except TokenError as exc:
        log.info("刷新令牌被拒绝（%s），重新获取令牌", exc)
        return ""
    _store(session, conf, token)
    return token.access_token


def access_token(session: Session, conf: DockingConfig, *, fresh: bool = False) -> str:
    """A usable access token: the cached one, a refreshed one, or a new one. `fresh` (after a 403, when
    the upper platform no longer accepts what we hold) fetches a new one outright. Raises TokenError or
    requests.RequestException."""
    state = get_state(session=session)
    session.commit()  # end the read: the HTTP call below must not keep a transaction open
    if state is not None and state.token_for == conf.credentials_digest and not fresh:
        cached = _cached(state) or _refreshed(session, conf, state)
        if cached:
            return cached
    token = fetch_token(conf)
    _store(session, conf, token)
    return token.access_token


@dataclass
class UploadAnswer:
    http_status: int
    body: dict | None
    code: str
    text: str  # the answer's start, for the batch history and the audit log


def authorization(conf: DockingConfig, token: str) -> str:
    return authheader.build(conf.layout, conf.key_bytes, platform=conf.platform_info, region=conf.region_code,
                            token=token)


def upload(conf: DockingConfig, library: str, body: bytes, token: str) -> UploadAnswer:
    """POST one batch (a JSON array, already encoded). Raises requests.RequestException (timeouts
    included) when no answer arrives."""
    response = requests.post(protocol.upload_url(conf.base_url, library), data=body, timeout=conf.timeout,
                             headers={"Content-Type": "application/json; charset=utf-8",
                                      "Accept": "application/json", "Authorization": authorization(conf, token)})
    parsed = _json(response)
    text = json.dumps(parsed, ensure_ascii=False)[:2000] if parsed is not None else response.text[:2000]
    return UploadAnswer(response.status_code, parsed, protocol.code_of(parsed, response.status_code), text)


def check_connection(session: Session, conf: DockingConfig) -> tuple[bool, str]:
    """测试连接: fetch a new token with the saved settings; (ok, what to tell the administrator)."""
    if not conf.configured:
        return False, "配置不完整，缺少：" + "、".join(conf.missing) + "。"
    try:
        _ = conf.key_bytes
    except ValueError as exc:
        return False, f"SM4 密钥无效：{exc}"
    try:
        token = fetch_token(conf)
    except TokenError as exc:
        return False, f"获取令牌失败（错误码 {exc.code}）：{exc.explanation}"
    except requests.Timeout:
        return False, f"连接上级平台超时（{conf.timeout:g} 秒），请检查网络和上级平台地址。"
    except requests.RequestException as exc:
        return False, f"无法连接上级平台：{type(exc).__name__}。请检查上级平台地址和网络。"
    _store(session, conf, token)
    minutes = max(0, int((token.expires_at - utcnow()).total_seconds() // 60))
    refresh_note = "，并提供刷新令牌" if token.refresh_token else ""
    return True, f"连接成功：已取得令牌（{token.token_type or 'Token'}），有效期约 {minutes} 分钟{refresh_note}。"
