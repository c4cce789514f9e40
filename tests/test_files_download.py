"""Downloads: only users whose scope covers the owning record get the bytes; everyone else gets 404."""
from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from werkzeug.datastructures import FileStorage

from app.accounts import roles
from app.db import get_session
from app.files.service import save_upload
from tests.samples import PDF

ENT = "914403001922038216"
OTHER_ENT = "91110000600037341L"
NAME = "项目合同 2025.pdf"


@pytest.fixture
def file_id(app):
    with app.app_context():
        stored = save_upload(FileStorage(io.BytesIO(PDF), filename=NAME), file_type=5, owner_region="410783",
                             owner_credit=ENT, user_id=None, session=get_session())
        return stored.id


@pytest.mark.parametrize(("role", "region", "credit"), [
    (roles.ENTERPRISE, "410783", ENT),       # the owner
    (roles.COUNTY_OFFICIAL, "410783", None),  # the county of the record
    (roles.CITY_ADMIN, "410700", None),       # its city
])
def test_users_in_scope_get_the_file(client, login_as, file_id, role, region, credit):
    login_as(role, region, credit_code=credit)
    response = client.get(f"/files/{file_id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and quote(NAME) in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize(("role", "region", "credit"), [
    (roles.ENTERPRISE, "410783", OTHER_ENT),  # another enterprise of the same county
    (roles.COUNTY_OFFICIAL, "410721", None),  # another county of the same city
    (roles.CITY_ADMIN, "410100", None),       # another city
    (roles.SYS_ADMIN, "410700", None),        # administrators do not read the libraries' files
])
def test_users_out_of_scope_get_404(client, login_as, file_id, role, region, credit):
    login_as(role, region, credit_code=credit)
    assert client.get(f"/files/{file_id}").status_code == 404


def test_an_unknown_id_is_404_like_a_forbidden_one(client, login_as, file_id):
    login_as(roles.CITY_ADMIN, "410700")
    assert client.get(f"/files/{file_id + 1}").status_code == 404


def test_anonymous_users_are_sent_to_login(client, file_id):
    response = client.get(f"/files/{file_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
