"""The receiving side's spec endpoints over real HTTP (waitress on loopback): the token endpoint's codes
and refresh, every triple-authentication failure, and every limit, each in the spec's body shape.

The `hub` fixture is in conftest.py, `Lower` and `Hub` in tests/hub_support.py.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update
from sqlmodel import select

from app.accounts import roles
from app.audit.models import AuditEvent
from app.db import utcnow, write
from app.docking import protocol
from app.hub import service
from app.hub.models import DockedPlatform, HubQuotaUse, HubToken
from app.libraries.registry import LIBRARIES
from tests.hub_support import COUNTY, DOMAIN, Lower, assert_spec_error, register_and_approve

# ------------------------------------------------------------------------------------------ the token

def test_the_configuration_file_carries_what_the_lower_platform_needs(hub):
    cfg = hub.lower.cfg
    platform = hub.platform()
    assert cfg["baseUrl"] == hub.base + protocol.GATE_PREFIX
    assert cfg["username"] == platform.username == f"dock-{COUNTY}-{platform.id}"
    assert cfg["clientId"] == platform.client_id and cfg["platformInfo"] == DOMAIN and cfg["regionCode"] == COUNTY
    assert len(cfg["sm4Key"]) == 32 and cfg["grantType"] == "client_credentials" and cfg["scope"] == "all"
    assert cfg["pushWindow"] == "00:00-00:00" and cfg["weeklyQuota"] == 100 and cfg["maxRequestBytes"] == 10485760
    # Nothing in clear in the database: the secret as its digest, the key sealed.
    assert cfg["clientSecret"] not in platform.secret_hash and cfg["sm4Key"] not in platform.sm4_key_sealed


@pytest.mark.parametrize("how", ["form", "json", "query"])
def test_a_token_is_issued_from_form_json_or_query(hub, how):
    response = hub.lower.token(as_json=how == "json", query=how == "query")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == "7200" and body["license"] == ""
    assert body["access_token"] and body["refresh_token"] and body["access_token"] != body["refresh_token"]
    stored = hub.run(lambda s: s.exec(select(HubToken)).all())
    assert body["access_token"] not in {t.access_hash for t in stored}  # digests only


def test_token_errors_40001_to_40004(hub):
    # Sent with HTTP 200 and the spec's code in the body (HUB_TOKEN_ERROR_STATUS, default "200").
    assert_spec_error(hub.lower.token(client_secret="wrong"), 200, protocol.KEY_WRONG)
    assert_spec_error(hub.lower.token(grant_type="password"), 200, protocol.GRANT_TYPE_WRONG)
    assert_spec_error(hub.lower.token(grant_type=""), 200, protocol.GRANT_TYPE_WRONG)
    assert_spec_error(hub.lower.token(username="dock-nobody"), 200, protocol.ACCOUNT_UNAVAILABLE)
    assert_spec_error(hub.lower.token(client_id="someone-else"), 200, protocol.AUTH_FAILED)
    assert_spec_error(hub.lower.token(scope="read"), 200, protocol.AUTH_FAILED)
    hub.run(lambda s: service.set_enabled(s, s.get(DockedPlatform, hub.platform_id), actor=hub.admin, enabled=False))
    assert_spec_error(hub.lower.token(), 200, protocol.ACCOUNT_UNAVAILABLE)
    # The platform's call log names each real reason.
    reasons = [c.reason for c in hub.calls() if c.endpoint == "token"]
    assert "客户端密钥错误" in reasons and "平台已停用" in reasons
    assert any("不存在" in r for r in reasons) and "客户端 id 与登录名不符" in reasons


def test_refresh_rotates_the_pair(hub):
    first = hub.lower.token().json()
    refreshed = hub.lower.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    # A refresh token works once; the pair it belonged to stops working.
    assert_spec_error(hub.lower.token(grant_type="refresh_token", refresh_token=first["refresh_token"]), 200,
                      protocol.AUTH_FAILED)
    assert_spec_error(hub.lower.token(grant_type="refresh_token", refresh_token="made-up"), 200, protocol.AUTH_FAILED)
    assert_spec_error(hub.lower.push("providers", [], token=first["access_token"]), 403, protocol.UNAUTHORIZED)
    assert hub.lower.push("providers", [], token=second["access_token"]).status_code == 200


def test_a_pending_platform_gets_no_credentials_and_a_disabled_one_no_token(hub, make_user):
    other = make_user(roles.COUNTY_OFFICIAL, "410721")
    pending = hub.run(lambda s: service.register(s, actor=hub.admin, name="新乡县平台", domain="xx.gov.cn",
                                                 bound_user=other))
    assert pending.username is None and pending.client_id is None and pending.status == "pending"


# ----------------------------------------------------------------------------- triple authentication

def _expire(session, platform_id):
    with write(session):
        session.execute(update(HubToken).where(HubToken.platform_id == platform_id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))


AUTH_CASES = {
    "missing header": lambda hub, token: "",
    "malformed header": lambda hub, token: "Bearer " + token,
    "wrong key": lambda hub, token: hub.lower.header(token, key=bytes(16)),
    "platform info mismatch": lambda hub, token: hub.lower.header(token, platform="evil.example.com"),
    "region mismatch": lambda hub, token: hub.lower.header(token, region="410721"),
    "unknown token": lambda hub, token: hub.lower.header("x" * 43),
}


@pytest.mark.parametrize("case", list(AUTH_CASES))
def test_each_header_failure_is_a_plain_403(hub, case):
    token = hub.lower.access_token()
    response = hub.lower.push("pilots", [], authorization=AUTH_CASES[case](hub, token))
    body = assert_spec_error(response, 403, protocol.UNAUTHORIZED)
    assert set(body) == {"code", "message", "timestamp"}  # nothing says which check failed
    last = hub.calls()[-1]
    assert last.code == "403" and last.reason  # … but the call log keeps the real reason
    if case in ("platform info mismatch", "region mismatch", "unknown token"):
        assert last.platform_id == hub.platform_id
    if case in ("missing header", "malformed header", "wrong key"):
        assert last.platform_id is None
    denied = hub.run(lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "hub.denied")).all())
    assert denied and denied[-1].outcome == "denied" and last.reason in denied[-1].detail


def test_expired_revoked_rotated_foreign_token_and_ip_are_refused(hub, make_user):
    lower = hub.lower
    token = lower.access_token()
    assert lower.push("pilots", [], token=token).status_code == 200
    hub.run(_expire, hub.platform_id)
    assert_spec_error(lower.push("pilots", [], token=token), 403, protocol.UNAUTHORIZED)
    assert hub.calls()[-1].reason == "令牌已过期"

    # Another platform's live token, in this platform's otherwise correct header.
    other_bound = make_user(roles.COUNTY_OFFICIAL, "410721")
    _, other_creds = register_and_approve(hub.app, hub.base, admin=hub.admin, approver=hub.approver,
                                          bound=other_bound, name="新乡县平台", domain="szzx.xinxiang-xian.gov.cn")
    other = Lower(other_creds.config_text)
    assert other.push("pilots", []).status_code == 200  # that platform itself is fine
    assert_spec_error(lower.push("pilots", [], authorization=lower.header(other.access_token())), 403,
                      protocol.UNAUTHORIZED)
    assert hub.calls()[-1].reason == "令牌不是签发给该平台的"

    # The source address, when registered.
    token = lower.access_token()
    hub.set(ip="10.9.9.9")
    assert_spec_error(lower.push("pilots", [], token=token), 403, protocol.UNAUTHORIZED)
    assert "来源 IP 127.0.0.1" in hub.calls()[-1].reason
    hub.set(ip="10.9.9.9 127.0.0.1")
    assert lower.push("pilots", [], token=token).status_code == 200

    # Rotation: the old token and the old key stop working, the new configuration works.
    creds = hub.run(lambda s: service.rotate(s, s.get(DockedPlatform, hub.platform_id), actor=hub.admin))
    assert_spec_error(lower.push("pilots", [], token=token), 403, protocol.UNAUTHORIZED)
    assert_spec_error(lower.token(), 200, protocol.AUTH_FAILED)  # the old client_id is gone
    fresh = Lower(creds.config_text)
    assert fresh.cfg["username"] == lower.cfg["username"] and fresh.cfg["clientId"] != lower.cfg["clientId"]
    # A token revoked by rotation, sent in a header with the new key, is told apart in the log.
    assert_spec_error(fresh.push("pilots", [], authorization=fresh.header(token)), 403, protocol.UNAUTHORIZED)
    assert hub.calls()[-1].reason.startswith("令牌已失效")
    assert fresh.push("pilots", []).status_code == 200


# ------------------------------------------------------------------------------------------- limits

def test_docking_switched_off_answers_503_everywhere(hub):
    token = hub.lower.access_token()
    hub.run(lambda s: service.set_docking(s, enabled=False, actor=hub.admin))
    assert_spec_error(hub.lower.push("providers", [], token=token), 503, protocol.UNAVAILABLE)
    assert_spec_error(hub.lower.token(), 503, protocol.UNAVAILABLE)
    hub.run(lambda s: service.set_docking(s, enabled=True, actor=hub.admin))
    assert hub.lower.push("providers", [], token=token).status_code == 200


def test_a_disabled_platform_answers_503(hub):
    header = hub.lower.header(hub.lower.access_token())
    hub.set(enabled=False)  # the switch alone (set_enabled would also end the tokens)
    assert_spec_error(hub.lower.push("targets", [], authorization=header), 503, protocol.UNAVAILABLE)
    assert hub.calls()[-1].reason == "平台已停用"


def _window_without_now() -> str:
    hour = utcnow().astimezone(protocol.SHANGHAI).hour
    return f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"


def test_outside_the_window_is_89503(hub):
    token = hub.lower.access_token()
    hub.set(push_window=_window_without_now())
    response = hub.lower.push("pilots", [], token=token)
    assert_spec_error(response, 429, protocol.OUTSIDE_WINDOW)
    assert int(response.headers["Retry-After"]) > 0
    hub.set(push_window="00:00-24:00")
    assert hub.lower.push("pilots", [], token=token).status_code == 200


def test_the_weekly_quota_is_89501_and_counts_per_iso_week(hub):
    token = hub.lower.access_token()
    week = protocol.iso_week(utcnow())
    last_week = protocol.iso_week(utcnow() - timedelta(days=7))

    def seed(session):
        with write(session):
            session.add(HubQuotaUse(platform_id=hub.platform_id, week=last_week, calls=2))
    hub.run(seed)  # last week's calls do not count against this week
    hub.set(weekly_quota=2)
    assert hub.lower.push("pilots", [], token=token).status_code == 200
    assert hub.lower.push("pilots", [], token=token).status_code == 200
    response = hub.lower.push("pilots", [], token=token)
    assert_spec_error(response, 429, protocol.QUOTA_USED)
    assert int(response.headers["Retry-After"]) > 0
    assert "超过每周 2 次" in hub.calls()[-1].reason
    # Every call that reached the check counted, the refused one too.
    uses = hub.run(lambda s: {u.week: u.calls for u in s.exec(select(HubQuotaUse))})
    assert uses == {last_week: 2, week: 3}
    # Token calls are not upload calls: they never count.
    assert hub.lower.token().status_code == 200
    assert hub.run(lambda s: s.get(HubQuotaUse, (hub.platform_id, week)).calls) == 3


def test_a_body_over_the_limit_is_89502_by_length_or_by_stream(hub):
    token = hub.lower.access_token()
    hub.set(max_bytes=2048)
    big = json.dumps([{"companyName": "x" * 3000}]).encode()
    assert_spec_error(hub.lower.push("pilots", None, token=token, data=big), 413, protocol.TOO_MUCH_DATA)

    def chunks():  # chunked, no Content-Length (waitress buffers it and then states its length)
        yield big[:1000]
        yield big[1000:]
    assert_spec_error(hub.lower.push("pilots", None, token=token, data=chunks()), 413, protocol.TOO_MUCH_DATA)
    assert "超过 2048 字节" in hub.calls()[-1].reason
    small = json.dumps([]).encode()
    assert hub.lower.push("pilots", None, token=token, data=small).status_code == 200


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b'"a string"', b"[" * 100000 + b"]" * 100000])
def test_a_body_that_is_not_json_is_a_clear_400(hub, body):
    response = hub.lower.push("providers", None, data=body)
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["code"] == "400" and payload["message"] and payload["timestamp"]


def test_the_openapi_description_is_served(hub):
    doc = requests.get(hub.base + protocol.GATE_PREFIX + "/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.0")
    paths = doc["paths"]
    assert protocol.GATE_PREFIX + protocol.TOKEN_PATH in paths
    for path in (lib.wire_path for lib in LIBRARIES.values()):
        assert protocol.GATE_PREFIX + path in paths
    provider = doc["components"]["schemas"]["Providers"]
    assert provider["properties"]["serviceName"]["maxLength"] == 255
    assert set(provider["required"]) >= {"serviceName", "unifiedCreditCode", "provinceCode", "cityCode"}
    assert doc["components"]["schemas"]["Products"]["properties"]["useSceneList"]["type"] == "array"
    assert "updataTotal" in doc["components"]["schemas"]["TargetsResult"]["properties"]
    assert "updateTotal" in doc["components"]["schemas"]["ProvidersResult"]["properties"]
    assert doc["components"]["schemas"]["Providers"]["properties"]["serviceType"]["enum"]
