"""Capacity (issue #17): the caches stay correct — a new record, a record moving region, a dictionary
reload, a write by another process — the region scope is an indexed predicate equal to the prefix test,
the header's unread count comes with the login session, static files are versioned and cached, and
waitress is configured for many keep-alive connections. No timings here: bench/crowd.py measures."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text
from sqlmodel import select

from app import create_app, generations
from app.accounts import roles
from app.accounts.scope import prefix_upper, within_prefix
from app.db import get_session, write
from app.dicts import service as dicts_service
from app.dicts.loader import load_reference_data
from app.dicts.models import Region
from app.pilots.models import PilotEnterprise
from app.review.models import Notification
from app.site.serving import waitress_options


def _add_pilots(app, n: int, *, region: str = "410783", start: int = 0) -> list[int]:
    with app.app_context():
        session = get_session()
        with write(session):
            rows = [PilotEnterprise(status="submitted", region_code=region, credit_code=f"CAP{start + i:015d}",
                                    title=f"容量企业{start + i:03d}", payload=json.dumps({"companyName": f"容量企业{start + i:03d}"}))
                    for i in range(n)]
            session.add_all(rows)
        return [r.id for r in rows]


def _total(html: str) -> int:
    found = re.search(r"共 (\d+) 条", html)
    assert found, html[-500:]
    return int(found[1])


def test_a_new_record_and_a_record_moving_region_change_the_kept_counts(app, client, login_as):
    login_as(roles.CITY_ADMIN, "410700")
    ids = _add_pilots(app, 25)
    assert _total(client.get("/lib/pilots/").get_data(as_text=True)) == 25
    assert _total(client.get("/lib/pilots/?page=2").get_data(as_text=True)) == 25  # the kept count
    assert _total(client.get("/lib/pilots/?region=410783").get_data(as_text=True)) == 25

    _add_pilots(app, 1, start=100)  # a new record
    assert _total(client.get("/lib/pilots/?page=2").get_data(as_text=True)) == 26

    with app.app_context():  # a record moves to another county of the city
        session = get_session()
        with write(session):
            session.get(PilotEnterprise, ids[0]).region_code = "410721"
    assert _total(client.get("/lib/pilots/?region=410783").get_data(as_text=True)) == 25
    assert "容量企业000" in client.get("/lib/pilots/?region=410721").get_data(as_text=True)

    with app.app_context():  # and out of the city: the city no longer sees it
        session = get_session()
        with write(session):
            session.get(PilotEnterprise, ids[1]).region_code = "410102"
    assert _total(client.get("/lib/pilots/?page=2").get_data(as_text=True)) == 25


def test_a_write_by_another_process_reaches_this_ones_counts(app, client, login_as, make_app):
    login_as(roles.CITY_ADMIN, "410700")
    _add_pilots(app, 21)
    assert _total(client.get("/lib/pilots/").get_data(as_text=True)) == 21
    other = make_app()  # another process on the same database: its own memory, the same counters
    assert other is not app
    _add_pilots(other, 2, start=50)
    assert _total(client.get("/lib/pilots/").get_data(as_text=True)) == 23


def test_a_write_outside_the_orm_needs_a_bump(app, client, login_as):
    """Documented limit (app/generations.py): a raw write calls bump itself."""
    login_as(roles.CITY_ADMIN, "410700")
    _add_pilots(app, 21)
    assert _total(client.get("/lib/pilots/").get_data(as_text=True)) == 21
    with app.app_context():
        from app.db import get_engine

        with get_engine().begin() as conn:
            conn.execute(PilotEnterprise.__table__.insert().values(
                status="draft", region_code="410783", credit_code="RAW000000000000001", title="直接写入",
                payload="{}", created_at=PilotEnterprise.__table__.c.created_at.default.arg(None),
                updated_at=PilotEnterprise.__table__.c.updated_at.default.arg(None)))
            generations.bump(conn, {"lib:pilots"})
    assert _total(client.get("/lib/pilots/").get_data(as_text=True)) == 22


def test_regions_in_memory_follow_a_dictionary_reload(app, client, login_as):
    login_as(roles.CITY_ADMIN, "410700")
    _add_pilots(app, 1)
    page = client.get("/lib/pilots/").get_data(as_text=True)
    assert "长垣市" in page and '<option value="410783"' in page
    with app.app_context():  # someone edits the table (or a new GB/T 2260 file is loaded)
        session = get_session()
        with write(session):
            session.get(Region, "410783").name = "长垣新市"
    page = client.get("/lib/pilots/").get_data(as_text=True)
    assert "长垣新市" in page and "长垣市" not in page
    with app.app_context():  # the reload puts the file's name back, through the loader's bulk update
        changes = load_reference_data(get_session())
        assert changes["updated"] >= 1
        assert dicts_service.region_names({"410783"}, session=get_session()) == {"410783": "长垣市"}
        assert ("410783", "长垣市") in dicts_service.regions_below("410700", session=get_session())
        assert dicts_service.region_label("410783", session=get_session()) == "河南省 / 新乡市 / 长垣市"
    assert "长垣新市" not in client.get("/lib/pilots/").get_data(as_text=True)


def test_a_reload_that_changes_nothing_leaves_the_generation(app):
    with app.app_context():
        session = get_session()
        before = generations.read(session).get(generations.DICTS, 0)
        load_reference_data(session)
        assert generations.read(session).get(generations.DICTS, 0) == before


@pytest.mark.parametrize("prefix", ["41", "4107", "410783", "4199", "99", "650091"])
def test_the_scope_predicate_selects_what_the_prefix_test_selects(app, prefix):
    codes = ["41", "410000", "410700", "410783", "4107831", "410800", "419900", "420000", "650091", "999999",
             "4106", "41079"]
    with app.app_context():
        session = get_session()
        with write(session):
            for i, code in enumerate(codes):
                session.add(PilotEnterprise(region_code=code, credit_code=f"SCOPE{i:013d}", title=code))
        found = set(session.exec(select(PilotEnterprise.region_code).where(
            within_prefix(PilotEnterprise.region_code, prefix))))
        from app.accounts.models import User

        users = str(within_prefix(User.region_code, prefix).compile(compile_kwargs={"literal_binds": True}))
    assert found == {c for c in codes if c.startswith(prefix)}
    assert "LIKE" not in users.upper()
    assert prefix_upper("4107") == "4108" and prefix_upper("4199") == "4200" and prefix_upper("99") is None


def test_the_migrated_lists_carry_the_region_level_indexes_and_use_them(app):
    with app.app_context():
        session = get_session()
        names = set(session.exec(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
        for table in ("pilot_enterprise", "provider", "product", "performance_target", "archive"):
            for level in ("province", "city", "county"):
                assert f"ix_{table}_{level}_recent" in names
        stmt = (select(PilotEnterprise).where(within_prefix(PilotEnterprise.region_code, "4107"))
                .order_by(PilotEnterprise.updated_at.desc(), PilotEnterprise.id.desc()).limit(20))
        sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = " ".join(r[-1] for r in session.exec(text("EXPLAIN QUERY PLAN " + sql)).all())
    assert "ix_pilot_enterprise_city_recent" in plan and "TEMP B-TREE" not in plan


def test_the_unread_count_rides_with_the_login_session(app, client, login_as):
    user = login_as(roles.ENTERPRISE, "410783", credit_code="91410783MA44XXXX0X")
    assert 'id="notice-count"' not in client.get("/home").get_data(as_text=True)
    with app.app_context():
        session = get_session()
        with write(session):
            session.add_all([Notification(user_id=user.id, text=f"通知{i}", link="/home") for i in range(2)])
        note = session.exec(select(Notification).where(Notification.user_id == user.id)).first()
    assert 'aria-label="2 条未读"' in client.get("/home").get_data(as_text=True)
    client.post(f"/review/notifications/{note.id}/read")
    assert 'aria-label="1 条未读"' in client.get("/home").get_data(as_text=True)
    client.post("/review/notifications/read-all")
    assert 'id="notice-count"' not in client.get("/review/notifications").get_data(as_text=True)


def test_static_files_have_versioned_urls_and_are_cached_a_year(client, login_as):
    login_as(roles.CITY_ADMIN, "410700")
    page = client.get("/home").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page)
    assert css, page[:800]
    assert re.search(r'src="/static/js/app\.js\?v=[0-9a-f]{12}"', page)
    cached = client.get(css[1])
    assert cached.status_code == 200 and "immutable" in cached.headers["Cache-Control"]
    assert "max-age=31536000" in cached.headers["Cache-Control"]
    stale = client.get("/static/css/app.css?v=000000000000")  # an old version is not promised for a year
    assert stale.headers["Cache-Control"] == "no-cache"


def test_waitress_is_sized_for_many_keep_alive_browsers(app):
    options = waitress_options(app.config)
    assert options["connection_limit"] >= 1000 and options["asyncore_use_poll"] is True
    assert options["channel_timeout"] >= 60 and options["backlog"] >= 1024
    assert waitress_options(app.config, threads=4)["threads"] == 4
    assert create_app  # the settings come from config like every other (README)
