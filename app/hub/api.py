"""The spec's endpoints as the upper platform serves them (2.1 token, 2.2–2.6 uploads), under GATE_PREFIX.

Authenticated by token and the SM4 Authorization header, never by a browser session, so they are
CSRF-exempt. An upload is checked in this order, each refusal answered in the spec's body shape and
logged with its real reason: docking switched off (503) → triple authentication (403) → platform
switched off (503) → push window (89503) → weekly quota (89501; every call that gets this far counts) →
request size (89502, from Content-Length before the body is read) → JSON (400) → intake (200).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime

from flask import Response, request
from flask.typing import ResponseReturnValue
from sqlmodel import Session

from app.audit.service import record as audit
from app.db import get_session, utcnow, write
from app.docking import protocol
from app.extensions import csrf
from app.hub import auth, bp, intake, service
from app.hub.models import DockedPlatform, HubCall, count_call
from app.libraries.registry import LIBRARIES, Library, load_all
from app.site.text import clean_text

BAD_REQUEST = "400"
STATUS = {protocol.UNAVAILABLE: 503, protocol.UNAUTHORIZED: 403, protocol.OUTSIDE_WINDOW: 429,
          protocol.QUOTA_USED: 429, protocol.TOO_MUCH_DATA: 413, BAD_REQUEST: 400}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    response.headers.update(NO_STORE)
    response.headers.update(headers or {})
    return response


def _new_call(endpoint: str) -> HubCall:
    return HubCall(endpoint=endpoint, ip=(request.remote_addr or "")[:45], bytes=request.content_length or 0,
                   code="")


def _finish(call: HubCall, started: float, code: str, message: str, reason: str = "",
            platform: DockedPlatform | None = None) -> HubCall:
    # The reason may quote the pushed body: stored without NUL or direction overrides.
    call.code, call.message, call.reason = code, clean_text(message)[:255], clean_text(reason)[:255]
    call.duration_ms = int((time.perf_counter() - started) * 1000)
    if platform is not None:
        call.platform_id = platform.id
    return call


def _log(session: Session, call: HubCall, *, denied: bool = False, platform: DockedPlatform | None = None) -> None:
    """Write a refused call's log row (and, for an authentication failure, its audit event)."""
    with write(session):
        session.add(call)
        if denied:
            audit(session, "hub.denied", actor_name=f"平台:{platform.name}"[:64] if platform else "未识别的调用方",
                  target_type="hub_platform", target_id=getattr(platform, "id", ""),
                  region_code=getattr(platform, "region_code", ""), outcome="denied",
                  detail={"endpoint": call.endpoint, "reason": call.reason})


def _refuse(session: Session, call: HubCall, started: float, code: str, reason: str, *,
            platform: DockedPlatform | None = None,
            message: str | None = None, headers: dict | None = None) -> Response:
    body = protocol.error_body(code, message)
    _finish(call, started, code, body["message"], reason, platform)
    _log(session, call, denied=code == protocol.UNAUTHORIZED, platform=platform)
    return _json(body, STATUS.get(code, 400), headers)


# ------------------------------------------------------------------------------------------ the token

def _token_params() -> dict:
    """The 2.1 parameters from a form body, a JSON body or the query string (the spec names none)."""
    params = dict(request.args.items())
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            params.update({k: v for k, v in body.items() if isinstance(v, str | int)})
    else:
        params.update(request.form.items())
    return params


@bp.post(protocol.GATE_PREFIX + protocol.TOKEN_PATH)
@csrf.exempt
def token() -> ResponseReturnValue:
    """2.1 平台授权: username, client_id, client_secret, grant_type, scope → access and refresh token."""
    started, session = time.perf_counter(), get_session()
    call = _new_call("token")
    if not service.docking_enabled(session):
        return _refuse(session, call, started, protocol.UNAVAILABLE, "对接已关闭")
    try:
        issued = auth.issue_token(session, _token_params())
    except auth.Refused as refused:
        body = protocol.error_body(refused.code)
        _finish(call, started, refused.code, body["message"], refused.reason, refused.platform)
        _log(session, call)
        return _json(body, auth.token_error_status(refused.code))
    _finish(call, started, protocol.OK, "令牌已签发", platform=issued.platform)
    _log(session, call)
    return _json(issued.body)


# -------------------------------------------------------------------------------------------- uploads

def _retry_after(moment: datetime) -> dict:
    return {"Retry-After": str(max(1, int((moment - utcnow()).total_seconds())))}


def _read_body(limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` (read no further than one byte past it)."""
    data = request.stream.read(limit + 1)
    return None if len(data) > limit else data


def _parse(lib: Library, data: bytes) -> list:
    """The pushed objects; ValueError with the reason when the body is not a JSON array or object."""
    try:
        text = data.decode("utf-8-sig")
        parsed = lib.codec.loads(text)
    except UnicodeDecodeError as exc:
        raise ValueError("请求体应为 UTF-8 编码的 JSON") from exc
    except RecursionError as exc:
        raise ValueError("JSON 嵌套层次过深") from exc
    except ValueError as exc:
        raise ValueError(f"请求体不是有效的 JSON：{exc}") from exc
    if isinstance(parsed, dict):
        return [parsed]
    if not isinstance(parsed, list):
        raise ValueError("请求体应为 JSON 数组（每个元素是一条记录）或一个 JSON 对象")
    return parsed


def upload(library: str) -> ResponseReturnValue:
    """2.2–2.6 推送: a JSON array of one library's spec objects → the spec's result body."""
    started, session = time.perf_counter(), get_session()
    lib = LIBRARIES[library]
    call = _new_call(library)
    if not service.docking_enabled(session):
        return _refuse(session, call, started, protocol.UNAVAILABLE, "对接已关闭")
    try:
        platform = auth.authenticate(session, request.headers.get("Authorization"), ip=request.remote_addr or "")
    except auth.Refused as refused:  # 403, or 503 for a platform switched off
        return _refuse(session, call, started, refused.code, refused.reason, platform=refused.platform)
    if not platform.enabled:
        return _refuse(session, call, started, protocol.UNAVAILABLE, "平台已停用", platform=platform)
    now = utcnow()
    window = protocol.PushWindow.parse(platform.push_window)
    if not window.contains(now):
        return _refuse(session, call, started, protocol.OUTSIDE_WINDOW, f"不在推送时段 {window} 内",
                       platform=platform, headers=_retry_after(window.next_open(now)))
    assert platform.id is not None
    with write(session):
        used = count_call(platform.id, protocol.iso_week(now), session=session)
    if used > platform.weekly_quota:
        return _refuse(session, call, started, protocol.QUOTA_USED,
                       f"本周第 {used} 次调用，超过每周 {platform.weekly_quota} 次", platform=platform,
                       headers=_retry_after(protocol.next_week_start(now)))
    limit = platform.max_bytes
    if request.content_length is not None and request.content_length > limit:
        return _refuse(session, call, started, protocol.TOO_MUCH_DATA,
                       f"请求 {request.content_length} 字节，超过 {limit} 字节", platform=platform)
    data = _read_body(limit)
    if data is None:
        return _refuse(session, call, started, protocol.TOO_MUCH_DATA, f"请求体超过 {limit} 字节", platform=platform)
    call.bytes = len(data)
    try:
        items = _parse(lib, data)
    except ValueError as exc:
        return _refuse(session, call, started, BAD_REQUEST, str(exc)[:255], platform=platform, message=str(exc)[:200])
    _finish(call, started, protocol.OK, "同步完成", platform=platform)
    outcome = intake.receive(session, lib, platform, items, call=call, started=started)
    return _json(protocol.result_body(library, added=outcome.added, updated=outcome.updated,
                                      failed_names=outcome.failed_names, results=outcome.results))


def _upload_view(library: str) -> Callable[[], ResponseReturnValue]:
    def view() -> ResponseReturnValue:
        return upload(library)

    view.__name__ = view.__qualname__ = f"upload_{library}"
    view.__doc__ = f"The spec's upload endpoint of library {library}."
    return csrf.exempt(view)


# One endpoint per library at the spec's path.
for _lib in load_all().values():
    bp.add_url_rule(protocol.GATE_PREFIX + _lib.wire_path, f"upload_{_lib.key}", _upload_view(_lib.key),
                    methods=["POST"])
