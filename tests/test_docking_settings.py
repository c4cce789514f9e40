"""The docking settings page: secrets sealed and never shown back, SMEDT_DOCKING_* fallback, importing the
configuration file an upper platform exports, bad input beside its field, CSRF, and 测试连接 in Chinese."""
from __future__ import annotations

import io

import pytest
from sqlmodel import select

from app.accounts import roles
from app.audit.models import AuditEvent
from app.db import get_session
from app.docking import protocol, settings
from app.docking.authheader import AuthLayout
from app.docking.models import get_setting, get_state
from tests.samples import PASSWORD, csrf_token_from

HX = {"HX-Request": "true"}
FORM = {"base_url": "https://upper.example.gov.cn/szhzx/app-gate-api", "username": "xinxiang",
        "client_id": "smedt-410700", "client_secret": "the-secret-value", "grant_type": "client_credentials",
        "scope": "all", "sm4_key": "0123456789abcdeffedcba9876543210", "platform_info": "新乡市平台",
        "region_code": "410700", "auth_mode": "", "auth_padding": "", "auth_encoding": "", "auth_output": "",
        "auth_template": "", "auth_iv": "", "push_window": "00:00-05:00", "weekly_quota": "100",
        "max_request_bytes": "10485760"}


@pytest.fixture
def city(login_as):
    return login_as(roles.CITY_ADMIN, "410700")


def _conf(app):
    with app.app_context():
        return settings.load_config(get_session())


def test_saved_secrets_are_sealed_and_never_shown_back(app, client, city):
    response = client.post("/docking/settings", data=FORM)
    assert response.status_code == 302
    page = client.get("/docking/settings").get_data(as_text=True)
    assert "the-secret-value" not in page and "0123456789abcdeffedcba9876543210" not in page
    assert "已保存，留空则不修改" in page
    with app.app_context():
        row = get_setting(session=get_session())
        assert "the-secret-value" not in row.client_secret_enc and "fedcba" not in row.sm4_key_enc
    conf = _conf(app)
    assert conf.client_secret == "the-secret-value" and conf.sm4_key == FORM["sm4_key"] and conf.configured
    # Saving again with the secret fields empty keeps them.
    client.post("/docking/settings", data={**FORM, "client_secret": "", "sm4_key": "", "username": "other"})
    conf = _conf(app)
    assert conf.client_secret == "the-secret-value" and conf.username == "other"
    with app.app_context():
        [event, *_] = get_session().exec(select(AuditEvent).where(AuditEvent.action == "docking.settings")
                                         .order_by(AuditEvent.seq.desc())).all()
        assert "the-secret-value" not in event.detail and "username" in event.detail


def test_empty_fields_fall_back_to_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("SMEDT_DOCKING_USERNAME", "from-env")
    monkeypatch.setenv("SMEDT_DOCKING_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("SMEDT_DOCKING_WEEKLY_QUOTA", "7")
    monkeypatch.setenv("SMEDT_DOCKING_WINDOW", "01:00-02:00")
    monkeypatch.setenv("SMEDT_DOCKING_AUTH_TEMPLATE", "{token}|{platform}|{region}")
    app = make_app()
    conf = _conf(app)
    assert (conf.username, conf.client_secret, conf.weekly_quota, str(conf.window)) == (
        "from-env", "env-secret", 7, "01:00-02:00")
    assert conf.layout.template == "{token}|{platform}|{region}"
    assert conf.base_url == protocol.DEFAULT_BASE_URL and conf.grant_type == "client_credentials"
    assert conf.scope == "all" and conf.max_request_bytes == 10 * 1024 * 1024


def test_a_wrong_environment_value_stops_the_start(make_app, monkeypatch):
    monkeypatch.setenv("SMEDT_DOCKING_WINDOW", "midnight")
    with pytest.raises(ValueError, match="SMEDT_DOCKING_WINDOW"):
        make_app()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("base_url", "ftp://x", "http://"),
    ("region_code", "4107", "6 位数字"),
    ("sm4_key", "short", "32 位十六进制"),
    ("push_window", "25:00-05:00", "推送时段中的时间无效"),
    ("auth_template", "{platform}{region}{token}", "分隔符"),
    ("auth_mode", "cbc", "初始向量"),
    ("weekly_quota", "0", "1 到 100000"),
])
def test_bad_input_is_shown_beside_its_field_and_the_rest_is_kept(app, client, city, field, value, message):
    response = client.post("/docking/settings", data={**FORM, field: value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    target = "auth_iv" if field == "auth_mode" else field
    assert f'id="{target}-errors"' in page and message in page
    assert 'value="新乡市平台"' in page  # the rest of the input is kept
    assert "the-secret-value" not in page  # but a secret is never echoed
    with app.app_context():
        assert get_setting(session=get_session()) is None  # nothing half-written


def test_importing_the_upper_platforms_file_fills_every_field(app, client, city, upper):
    layout = AuthLayout(mode="cbc", iv="00112233445566778899aabbccddeeff", output="hex",
                        template="{region}:{platform}:{token}")
    text = upper.config_file(layout=layout, window="01:00-04:00", weekly_quota=50, max_bytes=5_000_000)
    response = client.post("/docking/settings/import", data={"config_file": (io.BytesIO(text.encode()), "dock.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    conf = _conf(app)
    assert (conf.base_url, conf.username, conf.client_id, conf.client_secret, conf.sm4_key) == (
        upper.base_url, upper.username, upper.client_id, upper.client_secret, upper.key_hex)
    assert (conf.platform_info, conf.region_code, conf.layout, str(conf.window), conf.weekly_quota,
            conf.max_request_bytes) == (upper.platform, upper.region, layout, "01:00-04:00", 50, 5_000_000)
    page = client.get("/docking/settings").get_data(as_text=True)
    assert upper.client_secret not in page and upper.key_hex not in page


@pytest.mark.parametrize(("content", "message"), [
    (b"not json", "不是有效的 JSON"),
    (b'{"format": "other"}', "format 不符"),
])
def test_a_wrong_file_is_refused_beside_the_upload(app, client, city, content, message):
    response = client.post("/docking/settings/import", data={"config_file": (io.BytesIO(content), "x.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="config_file-errors"' in page and message in page
    with app.app_context():
        assert get_setting(session=get_session()) is None


def test_import_config_as_a_service_function(app, upper):
    with app.app_context():
        changed = settings.import_config(get_session(), actor=None, text=upper.config_file())
        assert "client_secret" in changed and "sm4_key" in changed
        assert settings.load_config(get_session()).configured


def test_the_settings_form_checks_csrf(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = make_user(roles.CITY_ADMIN, "410700")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert client.post("/docking/settings", data=FORM).status_code == 400
    token = csrf_token_from(client.get("/docking/settings").get_data(as_text=True))
    assert client.post("/docking/settings", data={**FORM, "csrf_token": token}).status_code == 302
    assert client.post("/docking/settings/test").status_code == 400  # every state change checks it


def _configure(client, upper, **changes):
    text = upper.config_file(**changes)
    client.post("/docking/settings/import", data={"config_file": (io.BytesIO(text.encode()), "dock.json")},
                content_type="multipart/form-data")


def test_test_connection_succeeds_and_caches_the_token(app, client, city, upper):
    _configure(client, upper)
    response = client.post("/docking/settings/test", headers=HX)
    body = response.get_data(as_text=True)
    assert "连接成功" in body and "<html" not in body
    assert upper.token_requests[-1] == {"username": upper.username, "client_id": upper.client_id,
                                        "client_secret": upper.client_secret, "grant_type": "client_credentials",
                                        "scope": "all"}
    with app.app_context():
        assert get_state(session=get_session()).access_token_enc


@pytest.mark.parametrize(("change", "code", "message"), [
    ({"client_secret": "wrong"}, "40001", "客户端密钥（client_secret）错误"),
    ({"grant_type": "password"}, "40002", "认证类型（grant_type）不被上级平台接受"),
    ({"client_id": "someone-else"}, "40003", "授权验证失败"),
    ({}, "40004", "对接账号不可用"),
])
def test_test_connection_explains_each_token_error(app, client, city, upper, change, code, message):
    upper.disabled = code == "40004"
    _configure(client, upper, **change)
    body = client.post("/docking/settings/test", headers=HX).get_data(as_text=True)
    assert f"错误码 {code}" in body and message in body
    follow = client.post("/docking/settings/test", follow_redirects=True).get_data(as_text=True)
    assert message in follow  # without htmx: a flash on the settings page


def test_test_connection_reports_an_unreachable_platform_and_incomplete_settings(app, client, city):
    body = client.post("/docking/settings/test", headers=HX).get_data(as_text=True)
    assert "配置不完整" in body and "SM4 密钥" in body
    client.post("/docking/settings", data={**FORM, "base_url": "http://127.0.0.1:9/szhzx/app-gate-api"})
    body = client.post("/docking/settings/test", headers=HX).get_data(as_text=True)
    assert "无法连接上级平台" in body
