"""The one way in for a library record (app.libraries.service.ingest): the same record from the browser
form, from an archive stage and from a lower platform's push ends up the same; an organisation's record
takes its region from the account; a write reads what it changes inside its own transaction."""
from __future__ import annotations

import json
import shutil

from sqlmodel import Session, select

from app.accounts import roles, service
from app.db import get_engine, get_session, write
from app.hub import intake
from app.hub.models import DockedPlatform, HubCall
from app.libraries.records import APPROVED, SUBMITTED
from app.libraries.registry import LIBRARIES
from app.libraries.service import ingest
from app.review import service as review
from app.review.models import HUB, PENDING, Submission
from tests.samples import PILOT

CITY, COUNTY, OTHER_COUNTY = "410700", "410783", "410721"
CREDIT = PILOT["creditCode"]


def _form(payload: dict, **extra) -> dict:
    """A pilot enterprise's form post: the spec attributes plus the 注册城市 picker (province/city/county)."""
    data = {**payload, "provinceCode": "410000", "cityCode": CITY, "countyCode": "", "action": "submit"}
    data.update(extra)
    return data


def _platform(db, bound) -> DockedPlatform:
    with write(db):
        platform = DockedPlatform(name="长垣市平台", domain="szzx.changyuan.gov.cn", region_code=COUNTY,
                                  bound_user_id=bound.id, status="approved")
        db.add(platform)
    return platform


def _snapshot(record) -> dict:
    return {"region": record.region_code, "credit": record.credit_code, "title": record.title,
            "industry": record.industry, "status": record.status, "payload": json.loads(record.payload)}


def test_the_same_pilot_from_a_form_and_from_a_push_is_the_same_record(app, client, login_as, make_app, tmp_path,
                                                                       template_db):
    lib = LIBRARIES["pilots"]
    login_as(roles.ENTERPRISE, COUNTY, credit_code=CREDIT)
    response = client.post("/lib/pilots/new", data=_form(PILOT))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        from_form = _snapshot(get_session().exec(select(lib.model)).one())
    # The same record pushed by the county's platform into another installation.
    shutil.copyfile(template_db, tmp_path / "city.db")
    city = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'city.db'}")
    with city.app_context():
        db = get_session()
        bound = service.create_user(db, actor=None, username="county", role=roles.COUNTY_OFFICIAL,
                                    region_code=COUNTY, password="Test-Passw0rd!", display_name="长垣市工信局")
        call = HubCall(endpoint="pilots", ip="127.0.0.1", bytes=0, code="200")
        outcome = intake.receive(db, lib, _platform(db, bound), [PILOT], call=call)
        assert outcome.added == 1 and outcome.failed == 0, outcome.results
        from_push = _snapshot(db.exec(select(lib.model)).one())
        sub = db.exec(select(Submission)).one()
    assert from_push == from_form
    assert from_form["region"] == COUNTY  # the county of the account / the platform, not the form's city
    assert from_form["status"] == SUBMITTED
    assert (sub.source, sub.status, sub.awaiting) == (HUB, PENDING, "county")


def test_an_archive_stage_and_the_service_write_the_same_archive(app, client, login_as):
    lib = LIBRARIES["archives"]
    user = login_as(roles.ENTERPRISE, COUNTY, credit_code=CREDIT)
    basic = {"companyName": PILOT["companyName"], "creditCode": CREDIT, "contactPhone": "0373-8881234"}
    response = client.post("/archives/new", data={**basic, "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        db = get_session()
        staged = db.exec(select(lib.model)).one()
        assert (staged.region_code, staged.credit_code) == (COUNTY, CREDIT)
        again, created = ingest(db, lib, json.loads(staged.payload), actor=user, submit=False, record=staged)
        assert not created and again.id == staged.id and again.region_code == COUNTY


def test_an_organisation_files_in_its_own_county_and_not_outside_it(app, client, login_as):
    lib = LIBRARIES["pilots"]
    login_as(roles.ENTERPRISE, COUNTY, credit_code=CREDIT)
    refused = client.post("/lib/pilots/new", data=_form(PILOT, countyCode=OTHER_COUNTY))
    assert refused.status_code == 200
    assert "所选地区不在本单位所在地区内" in refused.get_data(as_text=True)
    assert "长垣市恒力起重机械有限公司" in refused.get_data(as_text=True)  # what was typed is kept
    with app.app_context():
        assert get_session().exec(select(lib.model)).first() is None  # nothing half-written
    assert client.post("/lib/pilots/new", data=_form(PILOT)).status_code == 302
    with app.app_context():
        record = get_session().exec(select(lib.model)).one()
        sub = get_session().exec(select(Submission)).one()
    assert record.region_code == COUNTY and sub.awaiting == "county"  # county review is not skipped


def test_a_form_refuses_a_duplicate_where_a_push_updates_it(app, client, login_as, make_user):
    lib = LIBRARIES["pilots"]
    official = login_as(roles.CITY_ADMIN, CITY)
    assert client.post("/lib/pilots/new", data=_form(PILOT, countyCode=COUNTY)).status_code == 302
    duplicate = client.post("/lib/pilots/new", data=_form(PILOT, countyCode=COUNTY))
    assert "同一试点企业已存在，不能重复登记" in duplicate.get_data(as_text=True)
    with app.app_context():
        db = get_session()
        bound = make_user(roles.COUNTY_OFFICIAL, COUNTY)
        renamed = {**PILOT, "registAddress": "河南省/新乡市/长垣市/新地址 1 号"}
        call = HubCall(endpoint="pilots", ip="127.0.0.1", bytes=0, code="200")
        outcome = intake.receive(db, lib, _platform(db, bound), [renamed], call=call)
        assert (outcome.added, outcome.updated) == (0, 1)
        record = db.exec(select(lib.model)).one()
        assert record.wire["registAddress"] == "河南省/新乡市/长垣市/新地址 1 号"
        assert record.formal["registAddress"] == PILOT["registAddress"]  # the approved version waits for review
    assert official.region_code == CITY


def test_a_resubmission_read_before_a_decision_keeps_its_new_state(app, make_user):
    """The race found under load: the owner's page read the record (待审核), an official's decision then
    committed (已入库), and the re-submission wrote 待审核 again — equal to the stale value, so the ORM
    left it out of the UPDATE and the record said 已入库 while its new submission waited."""
    lib = LIBRARIES["pilots"]
    owner = make_user(roles.ENTERPRISE, COUNTY, credit_code=CREDIT)
    county = make_user(roles.COUNTY_OFFICIAL, COUNTY)
    city = make_user(roles.CITY_ADMIN, CITY)
    with app.test_request_context():
        engine = get_engine()
        with Session(engine, expire_on_commit=False) as first:
            record, _ = ingest(first, lib, PILOT, actor=owner, submit=True, claimed_region=COUNTY)
        with Session(engine, expire_on_commit=False) as page, Session(engine, expire_on_commit=False) as desk:
            seen = page.get(lib.model, record.id)  # the owner's page reads the record: 待审核
            assert seen.status == SUBMITTED
            sub_id = desk.exec(select(Submission.id)).one()
            review.bulk_approve(desk, [sub_id], user=county)
            review.bulk_approve(desk, [sub_id], user=city)  # the decision commits: 已入库
            assert desk.get(lib.model, record.id, populate_existing=True).status == APPROVED
            ingest(page, lib, {**PILOT, "industrySegments": "桥式起重机"}, actor=owner, submit=True, record=seen)
        with Session(engine) as check:
            stored = check.get(lib.model, record.id)
            latest = check.exec(select(Submission).order_by(Submission.id.desc())).first()
    assert latest.status == PENDING
    assert stored.status == SUBMITTED  # it follows its latest submission, whatever was read before
