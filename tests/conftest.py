"""Shared fixtures: a fresh, migrated SQLite file per test (copied from one template that was migrated
and loaded with the reference data once per run), a client, and users of any role."""
from __future__ import annotations

import itertools
import re
import shutil

import pytest
from sqlmodel import Session

from app import create_app
from app.accounts import roles, service
from app.db import get_session, make_engine
from app.dicts.loader import load_reference_data
from app.migrate import upgrade

PASSWORD = "Test-Passw0rd!"
_names = itertools.count(1)


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
        return create_app(config)

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


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def login_as(client, make_user):
    """Create a user of `role` in `region_code` and log the test client in as them."""

    def factory(role=roles.COUNTY_OFFICIAL, region_code="410700", credit_code=None, **kwargs):
        user = make_user(role=role, region_code=region_code, credit_code=credit_code, **kwargs)
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return factory


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
