"""User administration: creating, editing, disabling; role and region scope; bad input."""
from __future__ import annotations

import pytest
from sqlmodel import select

from app.accounts import roles
from app.accounts.models import User
from app.audit.models import AuditEvent
from app.db import get_session
from tests.samples import login


def _user(app, username):
    with app.app_context():
        return get_session().exec(select(User).where(User.username == username)).first()


NEW_USER = {
    "username": "zhang.san",
    "display_name": "张三",
    "role": roles.ENTERPRISE,
    "region_province": "410000",
    "region_city": "410700",
    "region_county": "410783",
    "credit_code": "914403001922038216",
    "phone": "0373-1234567",
}


def test_admin_creates_a_user_who_must_change_the_one_time_password(app, client, login_as):
    login_as(roles.SYS_ADMIN, "410700")
    response = client.post("/admin/users/new", data=NEW_USER)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "账号已创建" in page and "只显示这一次" in page
    password = page.split('id="one-time-password">')[1].split("<")[0]
    stored = _user(app, "zhang.san")
    assert stored.region_code == "410783" and stored.credit_code == "914403001922038216"
    assert stored.must_change_password
    other = app.test_client()
    login(other, "zhang.san", password)
    assert other.get("/home").headers["Location"].endswith("/account/password")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": "zhang san"}, "用户名只能包含"),
        ({"display_name": "<script>alert(1)</script>"}, "只能包含汉字"),
        ({"display_name": "x'); DROP TABLE user_account;--"}, "只能包含汉字"),
        ({"display_name": "长" * 101}, "不能超过 100 个字"),
        ({"credit_code": "914403001922038217"}, "校验位不正确"),
        ({"credit_code": ""}, "必须绑定统一社会信用代码"),
        ({"region_province": "990000", "region_city": "", "region_county": ""}, "省"),
        ({"region_province": "130000"}, "所选城市不属于该省份"),
        ({"role": "nonsense"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_keeps_the_rest(app, client, login_as, changes, message):
    login_as(roles.SYS_ADMIN, "410000")
    response = client.post("/admin/users/new", data={**NEW_USER, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page or (message == "Not a valid choice" and "class=\"errors\"" in page)
    assert _user(app, changes.get("username", "zhang.san")) is None
    if "phone" not in changes:
        assert 'value="0373-1234567"' in page  # the rest of the form is kept


def test_region_scope_hides_other_cities_users(app, client, login_as, make_user):
    login_as(roles.SYS_ADMIN, "410700")
    mine = make_user(roles.COUNTY_OFFICIAL, "410783", username="xinxiang_official")
    theirs = make_user(roles.COUNTY_OFFICIAL, "410102", username="zhengzhou_official")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "xinxiang_official" in page and "zhengzhou_official" not in page
    assert client.get(f"/admin/users/{mine.id}/edit").status_code == 200
    assert client.get(f"/admin/users/{theirs.id}/edit").status_code == 404
    assert client.post(f"/admin/users/{theirs.id}/disable").status_code == 404
    assert _user(app, "zhengzhou_official").is_active


def test_admin_cannot_assign_a_region_outside_their_own(app, client, login_as):
    login_as(roles.SYS_ADMIN, "410700")
    data = {**NEW_USER, "region_city": "410100", "region_county": "410102"}
    page = client.post("/admin/users/new", data=data).get_data(as_text=True)
    assert "不在您的管辖范围内" in page and _user(app, "zhang.san") is None


def test_city_admin_manages_only_county_officials_enterprises_and_providers(app, client, login_as, make_user):
    login_as(roles.CITY_ADMIN, "410700")
    make_user(roles.SYS_ADMIN, "410700", username="the_sysadmin")
    make_user(roles.ENTERPRISE, "410783", username="an_enterprise")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "an_enterprise" in page and "the_sysadmin" not in page
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="county_official"' in form and 'value="sys_admin"' not in form
    client.post("/admin/users/new", data={**NEW_USER, "username": "sneaky", "role": roles.SYS_ADMIN})
    assert _user(app, "sneaky") is None


@pytest.mark.parametrize("role", [roles.ENTERPRISE, roles.PROVIDER, roles.COUNTY_OFFICIAL, roles.HUB_ADMIN,
                                  roles.AUDIT_ADMIN])
@pytest.mark.parametrize("url", ["/admin/users", "/admin/users/new"])
def test_roles_without_account_rights_are_refused(client, login_as, role, url):
    login_as(role, "410700")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", [r for r in roles.ALL if r != roles.AUDIT_ADMIN])
def test_only_the_audit_administrator_reads_the_audit_log(client, login_as, role):
    login_as(role, "410700")
    assert client.get("/audit/").status_code == 403


def test_security_admin_unlocks_but_cannot_create(app, client, login_as, make_user):
    login_as(roles.SEC_ADMIN, "410700")
    victim = make_user(roles.ENTERPRISE, "410783", username="locked_one")
    for _ in range(5):
        login(app.test_client(), "locked_one", "Wrong-passw0rd")
    assert client.get("/admin/users/new").status_code == 403
    row = client.post(f"/admin/users/{victim.id}/unlock", headers={"HX-Request": "true"})
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and html.lstrip().startswith("<tr") and "已解锁" in html
    assert login(app.test_client(), "locked_one").status_code == 302


def test_disable_through_htmx_returns_the_updated_row(app, client, login_as, make_user):
    login_as(roles.SYS_ADMIN, "410700")
    target = make_user(roles.PROVIDER, "410700", username="provider_x")
    response = client.post(f"/admin/users/{target.id}/disable", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "已停用" in html and "启用" in html
    assert not _user(app, "provider_x").is_active


def test_admin_cannot_disable_or_demote_themselves(app, client, login_as):
    me = login_as(roles.SYS_ADMIN, "410700")
    client.post(f"/admin/users/{me.id}/disable")
    assert _user(app, me.username).is_active
    page = client.post(f"/admin/users/{me.id}/edit", data={
        "display_name": "我", "role": roles.CITY_ADMIN, "region_province": "410000", "region_city": "410700",
    }).get_data(as_text=True)
    assert "不能修改自己的角色" in page
    assert _user(app, me.username).role == roles.SYS_ADMIN


def test_changing_a_role_is_audited_and_ends_the_users_sessions(app, client, login_as, make_user):
    login_as(roles.SYS_ADMIN, "410700")
    target = make_user(roles.COUNTY_OFFICIAL, "410783", username="moving_official")
    their_client = app.test_client()
    login(their_client, "moving_official")
    response = client.post(f"/admin/users/{target.id}/edit", data={
        "display_name": "调任", "role": roles.CITY_ADMIN, "region_province": "410000", "region_city": "410700",
    })
    assert response.status_code == 302
    assert _user(app, "moving_official").role == roles.CITY_ADMIN
    assert their_client.get("/home").status_code == 302
    with app.app_context():
        events = get_session().exec(select(AuditEvent).where(AuditEvent.action == "user.role_change")).all()
    assert len(events) == 1 and '"city_admin"' in events[0].detail


def test_user_list_search_filter_and_paging(app, client, login_as, make_user):
    login_as(roles.SYS_ADMIN, "410700")
    for i in range(25):
        make_user(roles.ENTERPRISE, "410783", username=f"ent{i:02d}")
    make_user(roles.PROVIDER, "410783", username="prov_only")
    first = client.get("/admin/users?role=enterprise").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "prov_only" not in first
    second = client.get("/admin/users?role=enterprise&page=2", headers={"HX-Request": "true"})
    html = second.get_data(as_text=True)
    assert "<html" not in html and "第 2 / 2 页" in html
    assert "Vary" in second.headers and "HX-Request" in second.headers["Vary"]
    found = client.get("/admin/users?q=prov_").get_data(as_text=True)
    assert "prov_only" in found and "ent01" not in found
    assert "没有符合条件的用户" in client.get("/admin/users?q=zzzz").get_data(as_text=True)


def test_audit_admin_reads_login_events(app, client, login_as, make_user):
    make_user(username="someone")
    login(app.test_client(), "someone", "Wrong-passw0rd")
    login_as(roles.AUDIT_ADMIN, "410700")
    page = client.get("/audit/?action=login.failure").get_data(as_text=True)
    assert "登录失败" in page and "someone" in page
