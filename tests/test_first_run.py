"""The first-run page works in a browser's way: its region picker refills without a login while no
administrator exists, and stops serving anonymous callers once one does."""
from __future__ import annotations

from app.accounts import roles

PICKER = "/dicts/pickers/region?field=region&id=region&parts=province,city,county&province=410000&min_level=1"


def test_the_setup_pages_region_picker_answers_before_the_first_administrator(client):
    response = client.get(PICKER, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "新乡市" in page and "郑州市" in page  # the cities of the chosen province, by name


def test_the_picker_is_closed_to_anonymous_callers_once_an_administrator_exists(client, make_user):
    make_user(roles.SYS_ADMIN, "410700")
    response = client.get(PICKER, headers={"HX-Request": "true"})
    assert response.status_code in (302, 401)
    assert "新乡市" not in response.get_data(as_text=True)


def test_the_pickers_trial_page_is_not_shown_to_users(make_app, make_user):
    production = make_app(TESTING=False)
    client = production.test_client()
    user = make_user(roles.CITY_ADMIN, "410700")
    client.post("/login", data={"username": user.username, "password": "Test-Passw0rd!"})
    assert "选择器" not in client.get("/dicts/").get_data(as_text=True)
    assert client.get("/dicts/demo-pickers").status_code == 404
