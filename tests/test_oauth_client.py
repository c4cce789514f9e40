"""Sign-in through a provincial unified identity platform. The provider is panva's certified Node.js
`oidc-provider`, started on loopback (tests/oidc/provider.js); a real Chromium goes through its login and
consent pages. The refusals and the account rules are checked on the wire and in the database."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlmodel import select

from app.accounts import roles
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.db import get_session, write
from app.oauth_client import service
from app.oauth_client.models import IdpIdentity, IdpSetting
from tests.browser import stop_server
from tests.samples import PASSWORD, csrf_token_from

OIDC_DIR = Path(__file__).parent / "oidc"
CLIENT_SECRET = "test-only-client-secret-for-the-loopback-provider"
CREDIT = "914403001922038216"
MANUAL = {"IDP_AUTHORIZE_URL": "http://127.0.0.1:9/oauth2/authorize", "IDP_TOKEN_URL": "http://127.0.0.1:9/oauth2/token",
          "IDP_CLIENT_ID": "smedt", "IDP_CLIENT_SECRET": "s3cret", "IDP_SCOPE": "openid profile"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _events(app, action):
    with app.app_context():
        return list(get_session().exec(select(AuditEvent).where(AuditEvent.action == action)))


def _require_node() -> str:
    node = shutil.which("node")
    if node and (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return node
    if os.environ.get("SMEDT_REQUIRE_BROWSER") == "1":
        pytest.fail("需要 Node.js 和 tests/oidc 的依赖（npm ci --prefix tests/oidc），但 SMEDT_REQUIRE_BROWSER=1")
    pytest.skip("未安装 Node.js 或 tests/oidc 的依赖（npm ci --prefix tests/oidc）")


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    """oidc-provider on a loopback port, registered for a platform that will listen on `platform_port`."""
    node = _require_node()
    port, platform_port = _free_port(), _free_port()
    platform = f"http://127.0.0.1:{platform_port}"
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([node, str(OIDC_DIR / "provider.js"), str(port), f"{platform}/oauth/idp/callback",
                                 f"{platform}/login", CLIENT_SECRET], stdout=log, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"oidc-provider 未能启动：{log_path.read_text()}")
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"oidc-provider 20 秒内未就绪：{log_path.read_text()}")
            time.sleep(0.1)
        yield {"issuer": issuer, "platform": platform, "platform_port": platform_port}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def idp_platform(make_app, oidc_provider):
    """The platform on the port the provider knows, configured (as by SMEDT_IDP_*) to sign in through it."""
    from waitress import create_server

    app = make_app(WTF_CSRF_ENABLED=True, IDP_NAME="测试省统一身份认证平台", IDP_METADATA_URL=oidc_provider["issuer"],
                   IDP_CLIENT_ID="smedt-platform", IDP_CLIENT_SECRET=CLIENT_SECRET,
                   IDP_SCOPE="openid profile phone enterprise")
    server = create_server(app, host="127.0.0.1", port=oidc_provider["platform_port"], threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield app, oidc_provider["platform"]
    stop_server(server, thread)


def _our_console_errors(page, base) -> list[str]:
    """Console errors of this platform's pages (the provider's dev pages ask the internet for a font)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and m.location.get("url", "").startswith(base) else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _sign_in_at_provider(page, issuer, login_name):
    """The provider's own pages: its login form, then its consent page (the first time)."""
    page.wait_for_url(f"{issuer}/interaction/**")
    page.fill("input[name=login]", login_name)
    page.fill("input[name=password]", "any-password")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"^{re.escape(issuer)}/interaction/|/oauth/idp/|/home|/oauth/authorized"))
    if page.url.startswith(f"{issuer}/interaction/"):
        assert "Authorize" in page.title() or page.locator("button[type=submit]").count()
        page.click("button[type=submit]")


def _admin_client(app, make_user):
    """The city administrator's browser, played by the test client (CSRF on)."""
    admin = make_user(roles.CITY_ADMIN, "410700", username="cityadmin")
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"csrf_token": token, "username": admin.username,
                                       "password": PASSWORD}).status_code == 302
    return client


def test_first_sign_in_applies_an_administrator_activates_later_sign_ins_sync_and_sign_out(
        idp_platform, oidc_provider, browser_page, make_user):
    app, base = idp_platform
    issuer = oidc_provider["issuer"]
    page = browser_page
    ours = _our_console_errors(page, base)

    page.goto(f"{base}/login")
    assert "测试省统一身份认证平台" in page.inner_text("main")
    page.click("#idp-login")
    _sign_in_at_provider(page, issuer, "zhangsan")

    # Back here, unknown: the claims the provider released are shown, and the person applies.
    page.wait_for_url(f"{base}/oauth/idp/first-login")
    assert page.inner_text("#idp-name") == "张三"
    assert CREDIT in page.inner_text("main") and "13800000001" in page.inner_text("main")
    page.select_option("#requested_role", roles.ENTERPRISE)
    page.select_option("#region-region_province", "410000")
    page.wait_for_selector('#region-region_city option[value="410700"]', state="attached")
    page.select_option("#region-region_city", "410700")
    page.wait_for_selector('#region-region_county option[value="410783"]', state="attached")
    page.select_option("#region-region_county", "410783")
    page.click("#apply-submit")
    page.wait_for_url(f"{base}/login")
    assert "开通申请已提交" in page.inner_text("#flashes")

    # A pending application gives no access at all.
    page.goto(f"{base}/home")
    page.wait_for_url(re.compile(r"/login"))
    with app.app_context():
        identity = get_session().exec(select(IdpIdentity)).one()
        assert identity.user_id is None and identity.region_code == "410783" and identity.credit_code == CREDIT

    # The city administrator activates it with a role and region.
    admin = _admin_client(app, make_user)
    listing = admin.get("/oauth/idp/applications").get_data(as_text=True)
    assert "张三" in listing and "长垣市" in listing
    form_page = admin.get(f"/oauth/idp/applications/{identity.id}").get_data(as_text=True)
    response = admin.post(f"/oauth/idp/applications/{identity.id}", data={
        "csrf_token": csrf_token_from(form_page), "username": "zhangsan", "display_name": "张三",
        "role": roles.ENTERPRISE, "region_province": "410000", "region_city": "410700", "region_county": "410783",
        "credit_code": CREDIT, "phone": "13800000001"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        session = get_session()
        user = session.exec(select(User).where(User.username == "zhangsan")).one()
        assert user.password_hash == "" and user.role == roles.ENTERPRISE and user.credit_code == CREDIT
        with write(session):  # a stale copy, to see the next sign-in bring the provider's values back
            user.display_name, user.phone = "旧名字", "0373-0000000"

    # Signing in again: the provider remembers the login and consent, the platform logs in and syncs.
    page.goto(f"{base}/login?next=/oauth/authorized")
    page.click("#idp-login")
    page.wait_for_url(f"{base}/oauth/authorized")
    page.goto(f"{base}/home")
    assert "张三" in page.inner_text("main") and "企业用户" in page.inner_text("main")
    with app.app_context():
        user = get_session().exec(select(User).where(User.username == "zhangsan")).one()
        assert (user.display_name, user.phone) == ("张三", "13800000001")
    login_event = _events(app, "idp.login")[-1]
    assert login_event.actor_name == "zhangsan" and "旧名字" in login_event.detail
    assert _events(app, "idp.apply") and _events(app, "idp.activate")

    # Signing out ends the local session and offers the provider's own sign-out.
    page.click("header button:has-text('退出登录')")
    page.wait_for_url(f"{base}/login")
    page.click("#idp-logout a")
    page.wait_for_url(f"{issuer}/session/end**")
    page.click("button[value=yes]")
    page.wait_for_url(f"{base}/login**")
    assert page.locator("#idp-logout").count() == 0
    # The provider's session is over too: signing in asks for the login again.
    page.click("#idp-login")
    page.wait_for_url(f"{issuer}/interaction/**")
    assert page.locator("input[name=login]").count() == 1
    assert not ours, ours


def test_first_sign_in_binds_an_existing_account_with_its_password(
        idp_platform, oidc_provider, make_user, browser_page):
    app, base = idp_platform
    page = browser_page
    ours = _our_console_errors(page, base)
    local = make_user(roles.COUNTY_OFFICIAL, "410783", username="lisi-local", display_name="长垣市工信局")

    page.goto(f"{base}/login?next=/oauth/authorized")
    page.click("#idp-login")
    _sign_in_at_provider(page, oidc_provider["issuer"], "lisi")
    page.wait_for_url(f"{base}/oauth/idp/first-login")
    page.fill("#username", local.username)
    page.fill("#password", "Wrong-passw0rd")
    page.click("#bind-submit")
    assert "用户名或密码错误" in page.inner_text("main")
    assert ours == ["Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"]
    ours.clear()  # the refused password answers 401 (as the login page does), which Chromium logs
    page.fill("#password", PASSWORD)
    page.click("#bind-submit")
    page.wait_for_url(f"{base}/oauth/authorized")
    assert "已绑定统一身份认证账号" in page.inner_text("#flashes")
    with app.app_context():
        identity = get_session().exec(select(IdpIdentity)).one()
        assert identity.user_id == local.id
    assert _events(app, "idp.link")[0].actor_id == local.id

    # From now on the provincial sign-in goes straight in, as that account.
    page.click("header button:has-text('退出登录')")
    page.wait_for_url(f"{base}/login")
    page.click("#idp-login")
    page.wait_for_url(f"{base}/home")
    assert "区县主管部门" in page.inner_text("main")
    assert not ours, ours


def test_settings_check_reads_the_provider_s_discovery_document(app, client, login_as, oidc_provider):
    login_as(roles.SYS_ADMIN)
    page = client.get("/oauth/idp/settings").get_data(as_text=True)
    assert "http://localhost/oauth/idp/callback" in page and "未配置" in page
    response = client.post("/oauth/idp/settings", data={
        "enabled": "y", "name": "河南省统一身份认证平台", "metadata_url": oidc_provider["issuer"],
        "client_id": "smedt-platform", "client_secret": CLIENT_SECRET, "scope": "openid profile"})
    assert response.status_code == 302
    checked = client.post("/oauth/idp/settings/check", follow_redirects=True).get_data(as_text=True)
    assert f"连接正常。签发方：{oidc_provider['issuer']}" in checked


# ---- without a provider: settings, refusals and the account rules ------------------------------------

def test_the_settings_page_stores_the_secret_encrypted_and_keeps_it_when_left_blank(app, client, login_as):
    login_as(roles.SYS_ADMIN)
    data = {"enabled": "y", "name": "河南省统一身份认证平台", "authorize_url": "https://sso.example.gov.cn/authorize",
            "token_url": "https://sso.example.gov.cn/token", "userinfo_url": "https://sso.example.gov.cn/userinfo",
            "client_id": "xinxiang", "client_secret": "province-given-secret", "claim_subject": "userId"}
    assert client.post("/oauth/idp/settings", data=data).status_code == 302
    assert client.post("/oauth/idp/settings", data=dict(data, client_secret="")).status_code == 302
    with app.test_request_context():
        session = get_session()
        row = session.exec(select(IdpSetting)).one()
        assert "province-given-secret" not in row.client_secret_enc
        conf = service.load_config(session)
        assert conf.client_secret == "province-given-secret" and conf.claim_subject == "userId" and conf.usable
        assert conf.claim_name == "name"  # not set on the page: the SMEDT_IDP_* default
    assert "统一身份认证登录" in client.post("/logout", follow_redirects=True).get_data(as_text=True)
    assert _events(app, "idp.settings")[0].detail.count("client_secret") == 1


def test_settings_errors_are_shown_beside_the_fields(client, login_as):
    login_as(roles.SYS_ADMIN)
    response = client.post("/oauth/idp/settings", data={"authorize_url": "ftp://x", "token_url": "",
                                                        "claim_name": "名字"})
    page = response.get_data(as_text=True)
    assert "请输入以 http:// 或 https:// 开头的完整网址" in page
    assert "授权端点和令牌端点须同时填写" in page and "声明名只能包含" in page


@pytest.mark.parametrize("role", [roles.CITY_ADMIN, roles.SEC_ADMIN, roles.COUNTY_OFFICIAL])
def test_only_the_system_administrator_configures_the_provider(client, login_as, role):
    login_as(role)
    assert client.get("/oauth/idp/settings").status_code == 403


def test_no_button_and_no_route_while_not_configured(client):
    assert "统一身份认证登录" not in client.get("/login").get_data(as_text=True)
    assert client.get("/oauth/idp/login").status_code == 404


def test_the_login_redirect_carries_state_nonce_and_an_s256_challenge(make_app):
    client = make_app(**MANUAL).test_client()
    assert "统一身份认证登录" in client.get("/login").get_data(as_text=True)
    response = client.get("/oauth/idp/login?next=https://evil.example.com/")
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == MANUAL["IDP_AUTHORIZE_URL"]
    query = parse_qs(location.query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["smedt"]
    assert query["redirect_uri"] == ["http://localhost/oauth/idp/callback"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    with client.session_transaction() as cookie:
        assert cookie["idp_next"] == "/home"  # an off-site `next` is dropped


def test_a_wrong_state_is_refused_before_any_call_to_the_provider(make_app):
    app = make_app(**MANUAL)
    client = app.test_client()
    client.get("/oauth/idp/login")
    response = client.get("/oauth/idp/callback?code=abc&state=forged-state")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "登录状态校验失败" in page and "mismatching_state" in page
    assert client.get("/home").status_code == 302  # not logged in
    assert _events(app, "idp.login")[0].outcome == "failure"


def test_a_mixed_up_issuer_is_refused(make_app, monkeypatch):
    app = make_app(**MANUAL)
    monkeypatch.setattr(service, "server_metadata", lambda conf: {
        "issuer": "https://sso.example.gov.cn", "authorization_endpoint": MANUAL["IDP_AUTHORIZE_URL"],
        "token_endpoint": MANUAL["IDP_TOKEN_URL"], "_loaded_at": time.time()})
    client = app.test_client()
    state = parse_qs(urlsplit(client.get("/oauth/idp/login").headers["Location"]).query)["state"][0]
    response = client.get(f"/oauth/idp/callback?code=abc&state={state}&iss=https://other.example.com")
    assert response.status_code == 400 and "invalid_issuer" in response.get_data(as_text=True)


def test_cancelling_at_the_provider_returns_to_the_login_page(make_app):
    client = make_app(**MANUAL).test_client()
    response = client.get("/oauth/idp/callback?error=access_denied&state=x", follow_redirects=True)
    assert "您已取消统一身份认证登录" in response.get_data(as_text=True)


def _claims(**overrides):
    values = {"issuer": "https://sso.example.gov.cn", "subject": "u-1001", "display_name": "王五",
              "phone": "13900000000", "credit_code": CREDIT, "id_token": None, "can_end_session": False}
    values.update(overrides)
    return service.Claims(**values)


def test_a_disabled_account_cannot_sign_in_through_the_provider(app, make_user):
    user = make_user(roles.ENTERPRISE)
    with app.test_request_context():
        session = get_session()
        with write(session):
            session.add(IdpIdentity(issuer="https://sso.example.gov.cn", subject="u-1001", user_id=user.id))
            session.get(User, user.id).is_active = False
        result = service.sign_in(session, _claims())
        assert result.user is None and "账号已停用" in result.error
    assert _events(app, "idp.login")[0].outcome == "denied"


def test_signing_in_keeps_the_credit_code_binding_to_the_administrator(app, make_user):
    user = make_user(roles.ENTERPRISE, credit_code=CREDIT)
    with app.test_request_context():
        session = get_session()
        with write(session):
            session.add(IdpIdentity(issuer="https://sso.example.gov.cn", subject="u-1001", user_id=user.id))
        result = service.sign_in(session, _claims(credit_code="91410700MA44L7RK5X", display_name="王五（新）"))
        stored = session.get(User, user.id)
        assert result.user.id == user.id and stored.display_name == "王五（新）"
        assert stored.credit_code == CREDIT


def _pending(app, region="410783"):
    with app.app_context():
        session = get_session()
        with write(session):
            identity = IdpIdentity(issuer="https://sso.example.gov.cn", subject=f"u-{region}", display_name="赵六",
                                   region_code=region, requested_role=roles.ENTERPRISE, credit_code=CREDIT)
            session.add(identity)
        return identity.id


def test_applications_are_seen_only_inside_the_administrator_s_region(app, client, login_as):
    mine, other = _pending(app, "410783"), _pending(app, "410102")
    login_as(roles.CITY_ADMIN, "410700")
    listing = client.get("/oauth/idp/applications").get_data(as_text=True)
    assert f"application-{mine}" in listing and f"application-{other}" not in listing
    assert client.get(f"/oauth/idp/applications/{other}").status_code == 404
    assert client.post(f"/oauth/idp/applications/{other}/reject").status_code == 404


def test_activation_refuses_a_role_the_administrator_may_not_give(app, client, login_as):
    identity_id = _pending(app)
    login_as(roles.CITY_ADMIN, "410700")
    response = client.post(f"/oauth/idp/applications/{identity_id}", data={
        "username": "zhaoliu", "display_name": "赵六", "role": roles.SYS_ADMIN, "region_province": "410000",
        "region_city": "410700", "region_county": "410783", "credit_code": ""})
    assert response.status_code == 400 and "您不能创建或修改“系统管理员”账号" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().get(IdpIdentity, identity_id).user_id is None


def test_an_administrator_binds_an_application_to_an_existing_account_or_rejects_it(app, client, login_as,
                                                                                  make_user):
    existing = make_user(roles.ENTERPRISE, "410783", username="zhaoliu-old")
    first, second = _pending(app), _pending(app, "410782")
    login_as(roles.CITY_ADMIN, "410700")
    response = client.post(f"/oauth/idp/applications/{first}/bind", data={"existing_username": "nobody"})
    assert "找不到该账号" in response.get_data(as_text=True)
    assert client.post(f"/oauth/idp/applications/{first}/bind",
                       data={"existing_username": existing.username}).status_code == 302
    assert client.post(f"/oauth/idp/applications/{second}/reject").status_code == 302
    with app.app_context():
        session = get_session()
        assert session.get(IdpIdentity, first).user_id == existing.id
        assert session.get(IdpIdentity, second) is None
    assert _events(app, "idp.link")[0].actor_name != existing.username and _events(app, "idp.reject")


def test_the_first_login_page_needs_a_fresh_provincial_sign_in(client):
    response = client.get("/oauth/idp/first-login", follow_redirects=True)
    assert "统一身份认证登录已过期" in response.get_data(as_text=True)
