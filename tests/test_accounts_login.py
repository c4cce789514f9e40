"""Local login: success, failure, lockout, idle timeout, logout and disabling end the session at once."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from app.accounts import passwords, roles, service
from app.accounts.models import LoginSession, User
from app.audit.models import AuditEvent
from app.db import get_session, utcnow, write
from tests.samples import PASSWORD, login


def _events(app, action):
    with app.app_context():
        return list(get_session().exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_login_success_shows_the_workbench(client, make_user, app):
    user = make_user(roles.COUNTY_OFFICIAL, "410783", display_name="长垣市工信局")
    response = login(client, user.username)
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    page = client.get("/home").get_data(as_text=True)
    assert "长垣市工信局" in page and "区县主管部门" in page
    assert "河南省 / 新乡市 / 长垣市" in page
    assert _events(app, "login.success")[0].actor_name == user.username


def test_wrong_password_is_refused_and_keeps_the_username(client, make_user, app):
    user = make_user()
    response = login(client, user.username, "Wrong-passw0rd")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "用户名或密码错误" in page
    assert f'value="{user.username}"' in page
    assert client.get("/home").status_code == 302
    assert _events(app, "login.failure")[0].outcome == "failure"


def test_unknown_user_gets_the_same_message(client, app):
    response = login(client, "nobody", "Whatever-1")
    assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    event = _events(app, "login.failure")[0]
    assert event.actor_name == "nobody" and '"unknown_user"' in event.detail


def test_five_failures_lock_the_account_for_thirty_minutes(client, make_user, app):
    user = make_user()
    for _ in range(4):
        assert "用户名或密码错误" in login(client, user.username, "Wrong-passw0rd").get_data(as_text=True)
    page = login(client, user.username, "Wrong-passw0rd").get_data(as_text=True)
    assert "账号已锁定 30 分钟" in page
    # Even the right password is refused while locked.
    response = login(client, user.username)
    assert response.status_code == 401 and "账号已被锁定" in response.get_data(as_text=True)
    with app.app_context():
        stored = get_session().get(User, user.id)
        remaining = stored.locked_until - utcnow()
        assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)
        with write():
            stored.locked_until = utcnow() - timedelta(seconds=1)  # thirty minutes later
    assert login(client, user.username).status_code == 302
    assert len(_events(app, "account.locked")) == 1


def test_idle_session_expires_after_thirty_minutes(client, login_as, app):
    user = login_as()
    assert client.get("/home").status_code == 200
    with app.app_context():
        session = get_session()
        row = session.exec(select(LoginSession).where(LoginSession.user_id == user.id)).one()
        with write(session):
            row.last_seen_at = utcnow() - timedelta(minutes=31)
    response = client.get("/home")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "会话已超时" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert get_session().get(LoginSession, row.id).end_reason == "idle"


def test_activity_within_the_idle_window_keeps_the_session(client, login_as, app):
    user = login_as()
    with app.app_context():
        session = get_session()
        row = session.exec(select(LoginSession).where(LoginSession.user_id == user.id)).one()
        with write(session):
            row.last_seen_at = utcnow() - timedelta(minutes=29)
    assert client.get("/home").status_code == 200
    with app.app_context():
        assert utcnow() - get_session().get(LoginSession, row.id).last_seen_at < timedelta(minutes=1)


def test_logout_invalidates_the_copied_cookie(app, client, login_as):
    login_as()
    cookie = client.get_cookie("smedt_session").value
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("smedt_session", cookie)
    assert thief.get("/home").status_code == 302  # the old cookie no longer logs anyone in
    assert _events(app, "logout")


def test_disabling_a_user_ends_their_session_at_once(app, client, login_as, make_user):
    user = login_as(roles.ENTERPRISE)
    admin = make_user(roles.SYS_ADMIN)
    assert client.get("/home").status_code == 200
    with app.app_context():
        session = get_session()
        service.set_active(session, actor=session.get(User, admin.id), user=session.get(User, user.id),
                           active=False)
    assert client.get("/home").status_code == 302
    page = login(client, user.username).get_data(as_text=True)
    assert "账号已停用" in page


def test_first_login_forces_a_password_change(client, make_user):
    user = make_user(must_change_password=True)
    login(client, user.username)
    response = client.get("/home")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    weak = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "abcdefgh",
                                                   "confirm": "abcdefgh"})
    assert "至少三类" in weak.get_data(as_text=True)
    wrong = client.post("/account/password", data={"current_password": "nope", "new_password": "New-Passw0rd",
                                                    "confirm": "New-Passw0rd"})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    mismatch = client.post("/account/password", data={"current_password": PASSWORD,
                                                       "new_password": "New-Passw0rd", "confirm": "New-Passw0rd2"})
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    ok = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "New-Passw0rd",
                                                "confirm": "New-Passw0rd"})
    assert ok.status_code == 302
    assert client.get("/home").status_code == 200


def test_password_policy():
    from app.accounts.passwords import generate_password, policy_problem

    assert "至少 8 位" in policy_problem("Ab1!")
    assert "至少三类" in policy_problem("abcdefgh1")
    assert policy_problem("abcdefg1!") is None  # lower + digit + symbol
    assert policy_problem("Abcdefgh1") is None
    assert "用户名" in policy_problem("Zhangsan-2024", username="zhangsan")
    assert policy_problem(generate_password()) is None


def test_next_parameter_stays_on_this_site(client, make_user):
    user = make_user()
    response = client.post("/login?next=//evil.example/x", data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"].endswith("/home")
    client.post("/logout")
    response = client.post("/login?next=/admin/users", data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"].endswith("/admin/users")


def test_htmx_request_without_login_redirects_the_window(client):
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].endswith("/login")


def test_passwords_are_stored_as_argon2_hashes(app, make_user):
    user = make_user()
    with app.app_context():
        stored = get_session().get(User, user.id)
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash


def test_a_platform_not_testing_hashes_with_the_production_argon2id_parameters(make_app, make_user, client):
    """TESTING apps hash at the lowest Argon2id cost (app/accounts/passwords.py); any other app hashes
    with the RFC 9106 low-memory profile, read here from the hash string: $argon2id$v=19$m=...,t=...,p=..."""
    production = make_app(TESTING=False, DOCKING_WORKER=False)
    with production.app_context():
        user = service.create_user(get_session(), actor=None, username="served", role=roles.COUNTY_OFFICIAL,
                                   region_code="410783", password=PASSWORD, display_name="长垣市工信局",
                                   must_change_password=False)
        stored = get_session().get(User, user.id).password_hash
        assert passwords.verify_password(stored, PASSWORD) and not passwords.verify_password(stored, "Wrong-0ne!")
    params = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
    assert params, stored
    assert tuple(map(int, params.groups())) == (65536, 3, 4)  # 64 MiB, 3 passes, 4 lanes

    tested = make_user(username="tested")
    with make_app().app_context():
        cheap = get_session().get(User, tested.id).password_hash
        assert passwords.verify_password(cheap, PASSWORD) and not passwords.verify_password(cheap, "Wrong-0ne!")
    assert re.fullmatch(r"\$argon2id\$v=19\$m=8,t=1,p=1\$[^$]+\$[^$]+", cheap), cheap
    # Either profile's hash is verified by either app: the parameters travel in the hash.
    assert login(client, "served").status_code == 302


def test_an_smedt_testing_variable_does_not_lower_the_hash_cost(make_app, monkeypatch):
    from app import create_app

    url = make_app().config["DATABASE_URL"]
    monkeypatch.setenv("SMEDT_TESTING", "true")
    served = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "DOCKING_WORKER": False})
    with served.app_context():
        stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), stored
