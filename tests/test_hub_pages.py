"""对接平台管理 pages: registering, approving with credentials shown once and the configuration file,
rejecting with a reason, switches and rotation, the call log, and who may reach what."""
from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from app.accounts import roles
from app.audit.models import AuditEvent
from app.db import get_session
from app.docking import protocol
from app.hub.models import DockedPlatform, HubSetting
from tests.samples import csrf_token_from, login

HX = {"HX-Request": "true"}
FORM = {"name": "长垣市中小企业数字化转型公共服务平台", "domain": "szzx.changyuan.gov.cn", "ip": "",
        "push_window": "00:00-05:00", "weekly_quota": "100", "max_kb": "10240"}


def client_as(app, make_user, role, region="410700", **kwargs):
    user = make_user(role, region, **kwargs)
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    return client, user


def platform_rows(app) -> list[DockedPlatform]:
    with app.app_context():
        return list(get_session().exec(select(DockedPlatform).order_by(DockedPlatform.id)))


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(get_session().exec(select(AuditEvent.action).where(AuditEvent.action.startswith("hub."))
                                       .order_by(AuditEvent.seq)))


def register(client, bound_id: int, **changes):
    return client.post("/hub/platforms/new", data={**FORM, "bound_user_id": str(bound_id), **changes})


def test_register_approve_and_the_credentials_are_shown_once(app, make_user):
    admin, _ = client_as(app, make_user, roles.HUB_ADMIN)
    bound = make_user(roles.COUNTY_OFFICIAL, "410783", display_name="长垣市工信局")
    make_user(roles.ENTERPRISE, "410783")  # not bindable: not offered
    page = admin.get("/hub/platforms/new").get_data(as_text=True)
    assert "长垣市工信局" in page and "企业用户" not in page and 'value="00:00-05:00"' in page

    bad = register(admin, 0, domain="http://x.gov.cn/path", push_window="25:00-01:00", name="")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请输入平台名称。" in text and "请输入域名" in text
    assert "推送时段中的时间无效" in text
    assert 'value="http://x.gov.cn/path"' in text  # what was typed stays
    unbound = register(admin, 0)
    assert unbound.status_code == 400 and "请选择一个有效的市级管理员或区县主管部门账号" in unbound.get_data(as_text=True)
    assert platform_rows(app) == []

    response = register(admin, bound.id)
    assert response.status_code == 302, response.get_data(as_text=True)
    [platform] = platform_rows(app)
    assert platform.status == "pending" and platform.region_code == "410783" and platform.username is None
    detail = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "待审批" in detail and "批准并签发密钥" not in detail  # the registrar cannot approve
    assert admin.post(f"/hub/platforms/{platform.id}/approve").status_code == 403

    approver, _ = client_as(app, make_user, roles.HUB_APPROVER)
    assert "批准并签发密钥" in approver.get(f"/hub/platforms/{platform.id}").get_data(as_text=True)
    shown = approver.post(f"/hub/platforms/{platform.id}/approve")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    page = shown.get_data(as_text=True)
    secret = re.search(r'<code id="client-secret">([^<]+)</code>', page).group(1)
    key = re.search(r'<code id="sm4-key">([^<]+)</code>', page).group(1)
    shown_config = protocol.read_config_file(html.unescape(re.search(r'<pre id="config-text">(.*?)</pre>', page, re.S).group(1)))
    assert shown_config["clientSecret"] == secret and shown_config["sm4Key"] == key

    # The download posts the secret back; it gives the file the lower platform imports.
    download = approver.post(f"/hub/platforms/{platform.id}/config", data={"client_secret": secret})
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    cfg = protocol.read_config_file(download.data)
    [platform] = platform_rows(app)
    assert cfg["username"] == platform.username and cfg["clientId"] == platform.client_id
    assert cfg["clientSecret"] == secret and cfg["sm4Key"] == key and cfg["regionCode"] == "410783"
    assert cfg["platformInfo"] == "szzx.changyuan.gov.cn" and cfg["baseUrl"].endswith(protocol.GATE_PREFIX)
    # … and nothing else does: a second view shows neither the secret nor the key.
    again = approver.get(f"/hub/platforms/{platform.id}").get_data(as_text=True)
    assert secret not in again and key not in again and "已批准" in again
    wrong = approver.post(f"/hub/platforms/{platform.id}/config", data={"client_secret": "guess"})
    assert wrong.status_code == 302
    assert "密钥已失效" in approver.get(wrong.headers["Location"]).get_data(as_text=True)
    twice = approver.post(f"/hub/platforms/{platform.id}/approve", follow_redirects=True)
    assert "不能重复审批" in twice.get_data(as_text=True)
    assert audit_actions(app) == ["hub.register", "hub.approve"]


def test_rejection_needs_a_reason_and_an_edit_resubmits(app, make_user):
    admin, _ = client_as(app, make_user, roles.HUB_ADMIN)
    bound = make_user(roles.CITY_ADMIN, "410700")
    register(admin, bound.id)
    [platform] = platform_rows(app)
    approver, _ = client_as(app, make_user, roles.HUB_APPROVER)
    empty = approver.post(f"/hub/platforms/{platform.id}/reject", data={"reason": "  "})
    assert empty.status_code == 400 and "驳回时必须填写原因" in empty.get_data(as_text=True)
    assert platform_rows(app)[0].status == "pending"
    done = approver.post(f"/hub/platforms/{platform.id}/reject", data={"reason": "域名与备案信息不一致"})
    assert done.status_code == 302
    page = admin.get(f"/hub/platforms/{platform.id}").get_data(as_text=True)
    assert "已驳回" in page and "域名与备案信息不一致" in page
    stale = approver.post(f"/hub/platforms/{platform.id}/reject", data={"reason": ""}, follow_redirects=True)
    assert "该平台已驳回，不能重复审批" in stale.get_data(as_text=True)  # a second decision from a stale page
    edit = admin.get(f"/hub/platforms/{platform.id}/edit").get_data(as_text=True)
    assert "保存修改后将重新提交审批" in edit
    saved = admin.post(f"/hub/platforms/{platform.id}/edit",
                       data={**FORM, "domain": "szzx.xinxiang.gov.cn", "bound_user_id": str(bound.id)})
    assert saved.status_code == 302
    [platform] = platform_rows(app)
    assert platform.status == "pending" and platform.domain == "szzx.xinxiang.gov.cn" and platform.reject_reason is None
    assert audit_actions(app) == ["hub.register", "hub.reject", "hub.update"]


def test_switches_and_rotation(app, make_user):
    admin, _ = client_as(app, make_user, roles.HUB_ADMIN)
    bound = make_user(roles.COUNTY_OFFICIAL, "410783")
    register(admin, bound.id)
    [platform] = platform_rows(app)
    approver, _ = client_as(app, make_user, roles.HUB_APPROVER)
    first = approver.post(f"/hub/platforms/{platform.id}/approve").get_data(as_text=True)
    old_secret = re.search(r'<code id="client-secret">([^<]+)</code>', first).group(1)

    overview = admin.get("/hub/").get_data(as_text=True)
    assert 'data-docking="off"' in overview and "开启对接" in overview
    assert admin.post("/hub/docking", data={"enabled": "1"}).status_code == 302
    with app.app_context():
        assert get_session().get(HubSetting, 1).docking_enabled
    overview = admin.get("/hub/").get_data(as_text=True)
    assert 'data-docking="on"' in overview and "hx-confirm" in overview  # closing asks first

    assert admin.post(f"/hub/platforms/{platform.id}/switch", data={"enabled": "0"}).status_code == 302
    assert platform_rows(app)[0].enabled is False
    rotated = admin.post(f"/hub/platforms/{platform.id}/rotate")
    page = rotated.get_data(as_text=True)
    new_secret = re.search(r'<code id="client-secret">([^<]+)</code>', page).group(1)
    assert rotated.status_code == 200 and "密钥已轮换" in page and new_secret != old_secret
    assert admin.post(f"/hub/platforms/{platform.id}/config", data={"client_secret": old_secret}).status_code == 302
    assert admin.post(f"/hub/platforms/{platform.id}/config", data={"client_secret": new_secret}).status_code == 200
    # An approved platform's limits change on its page; its bound account no longer does.
    edit = admin.get(f"/hub/platforms/{platform.id}/edit").get_data(as_text=True)
    assert "disabled" in edit
    other = make_user(roles.COUNTY_OFFICIAL, "410721")
    saved = admin.post(f"/hub/platforms/{platform.id}/edit", data={**FORM, "push_window": "00:00-24:00",
                                                                   "max_kb": "20", "bound_user_id": str(other.id)})
    assert saved.status_code == 400 and "已批准的平台不能更换绑定账号" in saved.get_data(as_text=True)
    saved = admin.post(f"/hub/platforms/{platform.id}/edit", data={**FORM, "push_window": "00:00-24:00",
                                                                   "max_kb": "20", "bound_user_id": str(bound.id)})
    assert saved.status_code == 302
    [platform] = platform_rows(app)
    assert platform.push_window == "00:00-00:00" and platform.max_bytes == 20 * 1024 and platform.status == "approved"
    assert audit_actions(app) == ["hub.register", "hub.approve", "hub.docking_on", "hub.disable", "hub.rotate",
                                  "hub.update"]


def test_the_list_searches_and_answers_htmx_with_a_fragment(app, make_user):
    admin, _ = client_as(app, make_user, roles.HUB_ADMIN)
    assert "还没有登记下级平台" in admin.get("/hub/").get_data(as_text=True)
    register(admin, make_user(roles.COUNTY_OFFICIAL, "410783").id)
    register(admin, make_user(roles.COUNTY_OFFICIAL, "410721").id, name="新乡县平台", domain="xx.gov.cn")
    fragment = admin.get("/hub/?q=新乡县", headers=HX)
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "新乡县平台" in text and "长垣市中小企业" not in text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "没有符合条件的平台" in admin.get("/hub/?q=nothing", headers=HX).get_data(as_text=True)


OTHER_ROLES = [roles.COUNTY_OFFICIAL, roles.CITY_ADMIN, roles.SYS_ADMIN, roles.AUDIT_ADMIN, roles.ENTERPRISE]


@pytest.fixture
def pending_platform(app, make_user):
    admin = make_user(roles.HUB_ADMIN, "410700")
    client = app.test_client()
    login(client, admin.username)
    register(client, make_user(roles.COUNTY_OFFICIAL, "410783").id)
    return platform_rows(app)[0].id


def _urls(pid: int) -> list[tuple[str, str]]:
    return [("get", "/hub/"), ("get", "/hub/platforms/new"), ("get", f"/hub/platforms/{pid}"),
            ("get", f"/hub/platforms/{pid}/edit"), ("get", f"/hub/platforms/{pid}/calls"),
            ("get", "/hub/calls/unidentified"), ("post", f"/hub/platforms/{pid}/approve"),
            ("post", f"/hub/platforms/{pid}/reject"), ("post", f"/hub/platforms/{pid}/switch"),
            ("post", f"/hub/platforms/{pid}/rotate"), ("post", f"/hub/platforms/{pid}/config"), ("post", "/hub/docking")]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_are_refused_everywhere(app, make_user, pending_platform, role):
    client, _ = client_as(app, make_user, role, "410783" if role == roles.ENTERPRISE else "410700")
    for method, url in _urls(pending_platform):
        assert getattr(client, method)(url).status_code == 403, url


# What each hub role may not do (403), whatever the platform.
ROLE_LIMITS = {
    roles.HUB_ADMIN: {"/approve", "/reject"},
    roles.HUB_APPROVER: {"/hub/platforms/new", "/edit", "/switch", "/rotate", "/hub/docking"},
}


@pytest.mark.parametrize("role", list(ROLE_LIMITS))
def test_registrar_and_approver_keep_to_their_part(app, make_user, pending_platform, role):
    client, _ = client_as(app, make_user, role)
    for method, url in _urls(pending_platform):
        refused = any(url.endswith(part) for part in ROLE_LIMITS[role])
        status = getattr(client, method)(url).status_code
        assert (status == 403) == refused, (url, status)


@pytest.mark.parametrize("role", [roles.HUB_ADMIN, roles.HUB_APPROVER])
def test_another_regions_platform_is_404(app, make_user, pending_platform, role):
    client, _ = client_as(app, make_user, role, "410721")  # 新乡县: the platform is 长垣市's
    for method, url in _urls(pending_platform):
        if f"/{pending_platform}" in url:
            status = getattr(client, method)(url).status_code
            assert status in (403, 404), url
            if not any(url.endswith(part) for part in ROLE_LIMITS[role]):
                assert status == 404, url
    assert "长垣市中小企业" not in client.get("/hub/").get_data(as_text=True)


def test_the_call_log_page(hub, app, make_user):
    token = hub.lower.access_token()
    assert hub.lower.push("pilots", [], token=token).status_code == 200
    hub.lower.push("pilots", [], authorization=hub.lower.header(token, region="410721"))
    hub.lower.push("pilots", [], authorization="garbage")
    client, _ = client_as(app, make_user, roles.HUB_ADMIN)
    page = client.get(f"/hub/platforms/{hub.platform_id}/calls").get_data(as_text=True)
    assert page.count('data-code="200"') == 2  # the token and the push
    assert 'data-code="403"' in page and "地区码不符" in page and "试点企业库" in page and "获取令牌" in page
    refused = client.get(f"/hub/platforms/{hub.platform_id}/calls?result=refused", headers=HX)
    text = refused.get_data(as_text=True)
    assert "<html" not in text and 'data-code="200"' not in text and 'data-code="403"' in text
    assert "没有符合条件的调用记录" in client.get(
        f"/hub/platforms/{hub.platform_id}/calls?start=2001-01-01&end=2001-01-02").get_data(as_text=True)
    unknown = client.get("/hub/calls/unidentified").get_data(as_text=True)
    assert "Authorization 格式不符" in unknown
    overview = client.get("/hub/").get_data(as_text=True)
    assert "1 / 100" in overview  # this week's upload calls against the quota
    nav = client.get("/hub/").get_data(as_text=True)
    assert "对接平台管理" in nav and protocol.GATE_PREFIX + "/openapi.json" in nav


def test_admin_pages_need_the_csrf_token(hub, make_user):
    """The served app has CSRF on: a state change without the token is refused, with it accepted."""
    user = make_user(roles.HUB_ADMIN, "410700")
    client = hub.app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": user.username, "password": "Test-Passw0rd!",
                                       "csrf_token": token}).status_code == 302
    assert client.post("/hub/docking", data={"enabled": "0"}).status_code == 400
    token = csrf_token_from(client.get("/hub/").get_data(as_text=True))
    assert client.post("/hub/docking", data={"enabled": "0"}, headers={"X-CSRFToken": token}).status_code == 302


def test_the_command_line_registers_approves_and_opens_docking(app, make_user, tmp_path):
    make_user(roles.COUNTY_OFFICIAL, "410783", username="county9")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hub", "register", "--name", "长垣市平台", "--domain", "szzx.changyuan.gov.cn",
                                 "--bound-user", "county9", "--window", "00:00-24:00"])
    assert result.exit_code == 0, result.output
    [platform] = platform_rows(app)
    assert platform.push_window == "00:00-00:00" and platform.status == "pending"
    out = tmp_path / "config.json"
    result = runner.invoke(args=["hub", "approve", str(platform.id), "--out", str(out),
                                 "--base-url", "http://127.0.0.1:9999"])
    assert result.exit_code == 0, result.output
    cfg = protocol.read_config_file(out.read_text(encoding="utf-8"))
    assert cfg["baseUrl"] == "http://127.0.0.1:9999" + protocol.GATE_PREFIX and cfg["regionCode"] == "410783"
    assert runner.invoke(args=["hub", "docking", "on"]).exit_code == 0
    with app.app_context():
        assert get_session().get(HubSetting, 1).docking_enabled
    again = runner.invoke(args=["hub", "approve", str(platform.id), "--out", str(out)])
    assert again.exit_code != 0 and "不能重复审批" in again.output
    nobody = runner.invoke(args=["hub", "register", "--name", "x", "--domain", "x.gov.cn", "--bound-user", "nobody"])
    assert nobody.exit_code != 0 and "有效的" in nobody.output
    assert audit_actions(app) == ["hub.register", "hub.approve", "hub.docking_on"]
