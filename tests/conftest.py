"""Shared fixtures: a fresh, migrated SQLite file per test (copied from one template that was migrated
and loaded with the reference data once per run), a client, and users of any role; the app served over
HTTP and a Chromium page; the upper platform's stub; the hub with one approved county platform.
Sample records and helpers live in tests/samples.py: test modules import those, never each other."""
from __future__ import annotations

import itertools
import shutil
import threading

import pytest
from jinja2 import BytecodeCache
from sqlmodel import Session

from app import create_app
from app.accounts import roles, service
from app.db import get_session, make_engine
from app.dicts.loader import load_reference_data
from app.hub import service as hub_service
from app.migrate import upgrade
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, stop_server
from tests.hub_support import COUNTY, Hub, Lower, register_and_approve
from tests.samples import PASSWORD, login
from tests.upper_stub import UpperStub

_names = itertools.count(1)


class _CompiledTemplates(BytecodeCache):
    """Every test builds a new app, and each app's Jinja environment would compile every template it renders
    again; this keeps the compiled code in memory for the run (Jinja checks each entry against its source)."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_reference_data(session)
    engine.dispose()
    return path


@pytest.fixture
def make_app(tmp_path, template_db, monkeypatch):
    """Build an app on a fresh copy of the template database; extra settings may be passed."""
    monkeypatch.setenv("SMEDT_INSTANCE_PATH", str(tmp_path / "instance"))
    db_path = tmp_path / "smedt.db"
    shutil.copyfile(template_db, db_path)  # the template is closed, so a file copy is consistent

    def factory(**settings):
        config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "test-secret",
                  "WTF_CSRF_ENABLED": False}
        config.update(settings)
        app = create_app(config)
        app.jinja_env.bytecode_cache = _TEMPLATES
        return app

    return factory


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    with app.app_context():
        yield get_session()


@pytest.fixture
def make_user(app):
    """Create a user directly through the account service (no login)."""

    def factory(role=roles.COUNTY_OFFICIAL, region_code="410700", credit_code=None, username=None,
                password=PASSWORD, must_change_password=False, display_name="测试用户"):
        if role in roles.BOUND_ROLES and credit_code is None:
            credit_code = "914403001922038216"
        with app.app_context():
            return service.create_user(
                get_session(), actor=None, username=username or f"user{next(_names)}", role=role,
                region_code=region_code, password=password, credit_code=credit_code,
                display_name=display_name, must_change_password=must_change_password,
            )

    return factory


@pytest.fixture
def login_as(client, make_user):
    """Create a user of `role` in `region_code` and log the test client in as them."""

    def factory(role=roles.COUNTY_OFFICIAL, region_code="410700", credit_code=None, **kwargs):
        user = make_user(role=role, region_code=region_code, credit_code=credit_code, **kwargs)
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return factory


# ---- served over HTTP and driven in Chromium (tests/browser.py)

@pytest.fixture
def live_server(make_app):
    """The app with CSRF on, served by waitress on a free loopback port; yields its base URL."""
    from waitress import create_server

    app = make_app(WTF_CSRF_ENABLED=True)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.effective_port}"
    stop_server(server, thread)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run; each test gets its own context (see browser_page)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A page in a fresh browser context (its own cookies, storage and cache), closed after the test."""
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()


# ---- the upper platform's stub (tests/upper_stub.py) and the hub (tests/hub_support.py)

@pytest.fixture
def upper():
    stub = UpperStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def hub(live_server, make_user):
    """An upper platform on loopback with docking on and one approved county platform, open all day."""
    app, base = live_server
    admin = make_user(roles.HUB_ADMIN, "410700", display_name="市平台对接管理员")
    approver = make_user(roles.HUB_APPROVER, "410700", display_name="市平台对接审批员")
    bound = make_user(roles.COUNTY_OFFICIAL, COUNTY, display_name="长垣市工信局")
    platform_id, creds = register_and_approve(app, base, admin=admin, approver=approver, bound=bound)
    with app.test_request_context(base_url=base):
        hub_service.set_docking(get_session(), enabled=True, actor=admin)
    return Hub(app, base, platform_id, Lower(creds.config_text), admin, approver, bound)
