"""The platform's plumbing: SQLite settings, migrations, configuration, first run, CLI, headers."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel, select

from app.accounts import roles, setup
from app.accounts.models import User
from app.config import load_settings
from app.db import get_engine, get_session, make_engine, write
from tests.samples import PASSWORD, login


def test_migrated_schema_equals_the_models(template_db):
    import app.models  # noqa: F401

    engine = make_engine(f"sqlite:///{template_db}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_runs_with_the_durable_settings(db):
    conn = db.connection()
    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_write_transactions_take_the_lock_at_begin(app, tmp_path):
    """Inside write() another connection cannot start writing, even before we wrote anything."""
    with app.app_context():
        db_file = get_engine().url.database
        with write():
            other = sqlite3.connect(db_file, timeout=0, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(Exception, match="FOREIGN KEY"):
        with write(db):
            db.add(User(username="ghost", role=roles.COUNTY_OFFICIAL, region_code="999999"))


def test_audit_log_refuses_updates_and_deletes(app, make_user):
    make_user()
    with app.app_context():
        session = get_session()
        for sql in ("UPDATE audit_event SET outcome = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(Exception, match="append-only"):
                with write(session):
                    session.exec(text(sql))


def test_settings_come_from_toml_then_environment(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text('port = 9000\nplatform_name = "新乡市平台"\nthreads = 4\n',
                                          encoding="utf-8")
    monkeypatch.setenv("SMEDT_THREADS", "12")
    monkeypatch.setenv("SMEDT_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    settings = load_settings(tmp_path)
    assert settings["PORT"] == 9000 and settings["PLATFORM_NAME"] == "新乡市平台"
    assert settings["THREADS"] == 12
    assert settings["DATABASE_URL"] == "sqlite:////tmp/elsewhere.db"
    assert len(settings["SECRET_KEY"]) == 64 and (tmp_path / "secret_key").exists()
    assert load_settings(tmp_path)["SECRET_KEY"] == settings["SECRET_KEY"]  # kept across restarts


def test_default_database_lives_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SMEDT_DATABASE_URL", raising=False)
    assert load_settings(tmp_path)["DATABASE_URL"] == f"sqlite:///{tmp_path / 'smedt.db'}"


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_refer_to_no_external_host(client, login_as):
    login_as(roles.SYS_ADMIN)
    for url in ("/login", "/home", "/admin/users", "/admin/users/new"):
        html = client.get(url).get_data(as_text=True)
        assert 'src="http' not in html and 'href="http' not in html and "<script>" not in html, url


@pytest.mark.parametrize("url", ["/no/such/page", "/admin/users/999999/edit"])
def test_not_found_is_in_chinese(client, login_as, url):
    login_as(roles.SYS_ADMIN)
    response = client.get(url)
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_forbidden_is_in_chinese(client, login_as):
    login_as(roles.ENTERPRISE)
    response = client.get("/admin/users")
    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)


def test_csrf_is_checked_and_htmx_is_told_to_reload(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(roles.SYS_ADMIN, username="admin1")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"username": "admin1", "password": PASSWORD}).status_code == 400
    from tests.samples import csrf_token_from

    token = csrf_token_from(page)
    assert client.post("/login", data={"username": "admin1", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    stale = client.post("/admin/users/1/disable", headers={"HX-Request": "true", "X-CSRFToken": "bogus"})
    assert stale.status_code == 400 and stale.headers["HX-Refresh"] == "true"
    header_token = csrf_token_from(client.get("/admin/users").get_data(as_text=True))
    ok = client.post("/admin/users/1/sign-out", headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert ok.status_code == 200


def test_first_run_creates_the_system_administrator_once(app, client):
    instance = Path(app.instance_path)
    assert client.get("/").headers["Location"].endswith("/setup")
    assert "首次运行设置" in client.get("/login").get_data(as_text=True)
    code = setup.issue_code(instance)
    form = {"setup_code": "WRONG-CODE", "username": "admin", "display_name": "王管理",
            "region_province": "410000", "region_city": "410700", "region_county": "",
            "new_password": "Admin-Passw0rd", "confirm": "Admin-Passw0rd"}
    assert "密码不能包含用户名" in client.post("/setup", data={**form, "setup_code": code}).get_data(as_text=True)
    form.update(new_password="Qiye-Shuzi#2026", confirm="Qiye-Shuzi#2026")
    page = client.post("/setup", data=form).get_data(as_text=True)
    assert "初始化口令不正确" in page and 'value="王管理"' in page
    weak = client.post("/setup", data={**form, "setup_code": code, "new_password": "short",
                                       "confirm": "short"}).get_data(as_text=True)
    assert "密码至少 8 位" in weak
    response = client.post("/setup", data={**form, "setup_code": code.lower()})
    assert response.status_code == 302
    assert not (instance / setup.CODE_FILE).exists()
    assert client.get("/setup").status_code == 404
    assert login(client, "admin", "Qiye-Shuzi#2026").status_code == 302
    with app.app_context():
        admin = get_session().exec(select(User).where(User.username == "admin")).one()
    assert admin.role == roles.SYS_ADMIN and admin.region_code == "410700" and not admin.must_change_password


def test_cli_creates_users_with_a_printed_one_time_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--username", "county1", "--role", "county_official",
                                 "--region", "410783", "--name", "长垣市工信局"])
    assert result.exit_code == 0, result.output
    password = result.output.split("一次性密码：")[1].split("（")[0]
    assert login(app.test_client(), "county1", password).status_code == 302
    bad = runner.invoke(args=["users", "create", "--username", "x1", "--role", "enterprise", "--region", "410783"])
    assert bad.exit_code != 0 and "必须绑定统一社会信用代码" in bad.output
    bad_region = runner.invoke(args=["users", "create", "--username", "x2", "--role", "county_official",
                                     "--region", "123456"])
    assert bad_region.exit_code != 0 and "不存在" in bad_region.output


def test_demo_loads_every_role_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        users = get_session().exec(select(User)).all()
    assert {u.role for u in users} == set(roles.ALL)
    demo_ent = next(u for u in users if u.username == "demo_ent_crane")
    password = next(line.split()[-1] for line in first.output.splitlines() if "demo_ent_crane" in line)
    assert login(app.test_client(), "demo_ent_crane", password).status_code == 302
    assert demo_ent.credit_code.startswith("91410783")
    assert "已载入演示记录 9 条" in first.output
    client = app.test_client()
    login(client, "demo_ent_crane", password)
    assert "长垣市恒力起重机械有限公司" in client.get("/lib/pilots/").get_data(as_text=True)
    archive = client.get("/archives/new")  # the demo enterprise's archive exists and opens
    assert "填报进度：已完成 6 / 6 个阶段" in client.get(archive.headers["Location"]).get_data(as_text=True)
    second = runner.invoke(args=["demo"])
    assert "未做改动" in second.output
    with app.app_context():
        assert len(get_session().exec(select(User)).all()) == len(users)


def test_server_error_page_is_in_chinese(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500 and "服务器内部错误" in response.get_data(as_text=True)


def test_a_restart_keeps_all_data(make_app, make_user):
    """run.py on an existing database: migrations and the reference load are no-ops; users survive."""
    from app.dicts.loader import load_reference_data
    from app.migrate import upgrade

    make_user(roles.CITY_ADMIN, "410700", username="survivor")
    restarted = make_app()
    upgrade(restarted.config["DATABASE_URL"])
    with restarted.app_context():
        counts = load_reference_data(get_session())
        assert counts["inserted"] == counts["updated"] == counts["deleted"] == 0
    assert login(restarted.test_client(), "survivor").status_code == 302
