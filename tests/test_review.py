"""The review queue: an organisation's submission waits for an official of its region; approval (one or two
levels), rejection with a reason, return for changes, bulk approval, concurrent decisions, the submitter's
page and notifications, and who may see or decide what."""
from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from app.accounts import roles
from app.audit.models import AuditEvent
from app.db import get_session
from app.libraries.registry import LIBRARIES
from app.review import service as review
from app.review.models import Decision, Notification, Submission
from tests.samples import PILOT, PROVIDER, _post, code, login

HX = {"HX-Request": "true"}
IN_QUEUE = {**HX, "HX-Current-URL": "http://localhost/review/?library=pilots"}  # htmx, from the queue page


def submit_pilot(app, make_user, *, n: int = 1, county: str = "410783", name: str | None = None):
    """An enterprise of `county` submits its pilot record through the form; (user, record id)."""
    credit = code(n, county)
    user = make_user(roles.ENTERPRISE, county, credit_code=credit, display_name=name or f"企业{n}")
    client = app.test_client()
    login(client, user.username)
    payload = {**PILOT, "creditCode": credit, "companyName": f"测试企业{n}有限公司", "cityCode": county[:4] + "00"}
    response = client.post("/lib/pilots/new", data=_post(payload, county="" if county.endswith("00") else county))
    assert response.status_code == 302, response.get_data(as_text=True)
    return user, int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1]), client


def submit_provider(app, make_user, *, n: int = 1, county: str = "410783"):
    credit = code(n, county)
    user = make_user(roles.PROVIDER, county, credit_code=credit, display_name=f"服务商{n}")
    client = app.test_client()
    login(client, user.username)
    payload = {**PROVIDER, "unifiedCreditCode": credit, "serviceName": f"测试服务商{n}有限公司",
               "cityCode": county[:4] + "00"}
    response = client.post("/lib/providers/new", data=_post(payload, county=county))
    assert response.status_code == 302, response.get_data(as_text=True)
    return user, int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1]), client


def subs(app, **where) -> list[Submission]:
    with app.app_context():
        stmt = select(Submission).order_by(Submission.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(Submission, k) == v)
        return list(get_session().exec(stmt))


def record(app, key: str, record_id: int):
    with app.app_context():
        return get_session().get(LIBRARIES[key].model, record_id)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(get_session().exec(select(AuditEvent.action).where(AuditEvent.action.startswith("review."))
                                       .order_by(AuditEvent.seq)))


def decide(client, sub_id: int, decision: str, reason: str = "", htmx: bool = True):
    return client.post(f"/review/{sub_id}/decide", data={"decision": decision, "reason": reason},
                       headers=HX if htmx else {})


def test_an_enterprise_submission_waits_for_review_and_is_not_formal(app, client, make_user, login_as):
    _, rid, ent = submit_pilot(app, make_user)
    [sub] = subs(app)
    assert (sub.status, sub.awaiting, sub.levels, sub.source) == ("pending", "county", "county+city", "form")
    assert sub.region_code == "410783" and sub.submitter_name == "企业1" and sub.wire["creditCode"] == code(1)
    rec = record(app, "pilots", rid)
    assert rec.status == "submitted" and rec.formal is None and LIBRARIES["pilots"].formal_json(rec) is None
    page = ent.get(f"/lib/pilots/{rid}").get_data(as_text=True)
    assert "尚未入库" in page and "待审核" in page and "提交审核" in page
    login_as(roles.COUNTY_OFFICIAL, "410783")
    assert "尚未审核通过" in client.get(f"/lib/pilots/{rid}/wire").get_data(as_text=True)
    queue = client.get("/review/").get_data(as_text=True)
    assert "测试企业1有限公司" in queue and 'data-count="pilots">1<' in queue and "区县初审" in queue


def test_two_levels_county_approves_then_city_confirms(app, make_user):
    ent_user, rid, ent = submit_pilot(app, make_user)
    [sub] = subs(app)
    county = app.test_client()
    login(county, make_user(roles.COUNTY_OFFICIAL, "410783", display_name="长垣市工信局").username)
    pane = county.get(f"/review/{sub.id}", headers=HX).get_data(as_text=True)
    assert "<html" not in pane and 'class="changed"' in pane and "企业名称" in pane and "正式库中尚无此记录" in pane

    answer = county.post(f"/review/{sub.id}/decide", data={"decision": "approve"}, headers=IN_QUEUE)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    assert f'<tr id="sub-{sub.id}" hx-swap-oob="true"' in html and "区县已初审，待市级确认" in html
    assert 'id="queue-counts" class="queue-counts" hx-swap-oob="true"' in html and 'data-count="pilots">0<' in html
    [sub] = subs(app)
    assert (sub.status, sub.awaiting) == ("county_approved", "city")
    assert record(app, "pilots", rid).formal is None  # not yet: the city confirms
    assert "测试企业1有限公司" not in county.get("/review/").get_data(as_text=True)

    city = app.test_client()
    login(city, make_user(roles.CITY_ADMIN, "410700", display_name="新乡市工信局").username)
    assert "测试企业1有限公司" in city.get("/review/").get_data(as_text=True)
    html = decide(city, sub.id, "approve").get_data(as_text=True)
    assert "审核通过并入库" in html
    rec = record(app, "pilots", rid)
    assert rec.status == "approved" and rec.formal == {**PILOT, "creditCode": code(1), "companyName": "测试企业1有限公司"}
    assert audit_actions(app) == ["review.approve", "review.confirm"]
    page = ent.get(f"/lib/pilots/{rid}").get_data(as_text=True)
    for text in ("已入库", "审核通过", "市级确认通过", "长垣市工信局", "新乡市工信局"):
        assert text in page
    with app.app_context():
        notes = list(get_session().exec(select(Notification.text).where(Notification.user_id == ent_user.id)))
    assert any("区县初审" in n for n in notes) and any("已进入正式库" in n for n in notes)
    assert 'id="notice-count"' in ent.get("/home").get_data(as_text=True)


def test_a_rejection_needs_a_reason_which_the_submitter_sees(app, make_user):
    ent_user, rid, ent = submit_pilot(app, make_user)
    [sub] = subs(app)
    official = app.test_client()
    login(official, make_user(roles.COUNTY_OFFICIAL, "410783").username)
    html = decide(official, sub.id, "reject", "  ").get_data(as_text=True)
    assert 'id="reason-errors"' in html and "驳回时必须填写原因" in html
    assert subs(app)[0].status == "pending"
    full = decide(official, sub.id, "reject", htmx=False)
    assert full.status_code == 422 and "驳回时必须填写原因" in full.get_data(as_text=True)

    decide(official, sub.id, "reject", "营业执照信息与信用代码不符")
    assert subs(app)[0].status == "rejected" and record(app, "pilots", rid).status == "rejected"
    assert record(app, "pilots", rid).formal is None
    page = ent.get(f"/lib/pilots/{rid}").get_data(as_text=True)
    assert "已驳回" in page and "驳回原因" in page and "营业执照信息与信用代码不符" in page
    notes = ent.get("/review/notifications").get_data(as_text=True)
    assert "被驳回，原因：营业执照信息与信用代码不符" in notes and "未读" in notes
    ent_page = ent.get("/home").get_data(as_text=True)
    assert 'id="notice-count"' in ent_page
    ent.post("/review/notifications/read-all")
    assert 'id="notice-count"' not in ent.get("/home").get_data(as_text=True)
    assert audit_actions(app) == ["review.reject"]


def test_return_for_changes_then_resubmit(app, make_user):
    _, rid, prov = submit_provider(app, make_user)
    [sub] = subs(app)
    assert (sub.awaiting, sub.levels) == ("city", "city")  # providers: the city alone
    city = app.test_client()
    login(city, make_user(roles.CITY_ADMIN, "410700").username)
    decide(city, sub.id, "return", "请补充联系人电话")
    assert subs(app)[0].status == "returned" and record(app, "providers", rid).status == "returned"
    assert "已退回修改" in prov.get(f"/lib/providers/{rid}").get_data(as_text=True)
    # The provider changes it and submits again: a new pending submission, the old one keeps its decision.
    payload = {**PROVIDER, "unifiedCreditCode": code(1), "serviceName": "测试服务商1有限公司", "contactPhone": "0373-7654321"}
    assert prov.post(f"/lib/providers/{rid}/edit", data=_post(payload)).status_code == 302
    first, second = subs(app)
    assert first.status == "returned" and second.status == "pending" and second.wire["contactPhone"] == "0373-7654321"
    decide(city, second.id, "approve")
    assert record(app, "providers", rid).formal["contactPhone"] == "0373-7654321"
    assert audit_actions(app) == ["review.return", "review.approve"]


def test_resubmitting_or_saving_a_draft_withdraws_the_open_submission(app, make_user):
    _, rid, ent = submit_pilot(app, make_user)
    payload = {**PILOT, "creditCode": code(1), "companyName": "测试企业1有限公司（更名）"}
    ent.post(f"/lib/pilots/{rid}/edit", data=_post(payload))
    first, second = subs(app)
    assert (first.status, first.awaiting) == ("withdrawn", "") and second.status == "pending"
    ent.post(f"/lib/pilots/{rid}/edit", data=_post(payload, action="draft"))
    assert [s.status for s in subs(app)] == ["withdrawn", "withdrawn"]
    assert record(app, "pilots", rid).status == "draft"
    official = app.test_client()
    login(official, make_user(roles.COUNTY_OFFICIAL, "410783").username)
    html = decide(official, second.id, "approve").get_data(as_text=True)
    assert "该申请已由" in html and "已撤回" in html and record(app, "pilots", rid).formal is None


def test_bulk_approve_selected_rows(app, make_user):
    for n in range(1, 4):
        submit_provider(app, make_user, n=n)
    submit_provider(app, make_user, n=9, county="410102")  # 郑州: another city's
    mine = [s.id for s in subs(app) if s.region_code.startswith("4107")]
    other = next(s.id for s in subs(app) if s.region_code == "410102")
    city = app.test_client()
    login(city, make_user(roles.CITY_ADMIN, "410700").username)
    assert 'data-count="providers">3<' in city.get("/review/").get_data(as_text=True)
    answer = city.post("/review/bulk", data={"ids": [str(i) for i in mine] + [str(other)]}, headers=HX)
    html = answer.get_data(as_text=True)
    assert "<html" not in html and "已批量通过 3 条" in html and "1 条未处理" in html
    assert 'hx-swap-oob="true"' in html and 'data-count="providers">0<' in html and "没有等待您审核的申请" in html
    assert [s.status for s in subs(app) if s.id in mine] == ["approved"] * 3
    assert subs(app, id=other)[0].status == "pending"
    assert audit_actions(app) == ["review.approve"] * 3 + ["review.bulk_approve"]
    with app.app_context():
        formal = [r.formal for r in get_session().exec(select(LIBRARIES["providers"].model))]
    assert sum(1 for f in formal if f) == 3


def test_concurrent_decisions_exactly_one_wins(app, make_user):
    _, rid, _ = submit_provider(app, make_user)
    [sub] = subs(app)
    one = make_user(roles.CITY_ADMIN, "410700", display_name="甲")
    two = make_user(roles.CITY_ADMIN, "410700", display_name="乙")
    barrier, results = threading.Barrier(2), {}

    def run(user, decision, reason):
        with app.app_context():
            barrier.wait()
            try:
                results[user.display_name] = review.decide(get_session(), sub.id, user=user, decision=decision,
                                                            reason=reason).status
            except review.AlreadyDecided as exc:
                results[user.display_name] = str(exc)

    threads = [threading.Thread(target=run, args=(one, "approve", "")),
               threading.Thread(target=run, args=(two, "reject", "重复登记"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    outcomes = sorted(results.values())
    won = [v for v in outcomes if v in ("approved", "rejected")]
    lost = [v for v in outcomes if v.startswith("该申请已由")]
    assert len(won) == 1 and len(lost) == 1, outcomes
    with app.app_context():
        decisions = list(get_session().exec(select(Decision.decision).where(Decision.submission_id == sub.id)))
    assert decisions.count("approve") + decisions.count("reject") == 1
    assert len(audit_actions(app)) == 1
    # Over HTTP, the second of two officials learns who decided.
    third = app.test_client()
    login(third, make_user(roles.CITY_ADMIN, "410700").username)
    html = decide(third, sub.id, "approve").get_data(as_text=True)
    assert "该申请已由" in html and ("甲" in html or "乙" in html)
    assert len(audit_actions(app)) == 1


@pytest.mark.parametrize(("method", "path"), [("get", "/review/{id}"), ("post", "/review/{id}/decide")])
def test_an_official_of_another_county_cannot_see_or_decide(app, client, make_user, login_as, method, path):
    submit_pilot(app, make_user)
    [sub] = subs(app)
    login_as(roles.COUNTY_OFFICIAL, "410721")  # 新乡县, not 长垣市
    assert "测试企业1有限公司" not in client.get("/review/").get_data(as_text=True)
    response = getattr(client, method)(path.format(id=sub.id), data={"decision": "approve"})
    assert response.status_code == 404
    assert subs(app)[0].status == "pending"


@pytest.mark.parametrize("role", [roles.ENTERPRISE, roles.PROVIDER, roles.SYS_ADMIN, roles.AUDIT_ADMIN])
def test_the_queue_is_for_officials_only(client, login_as, role):
    login_as(role, "410783", credit_code=code(5) if role in roles.BOUND_ROLES else None)
    assert client.get("/review/").status_code == 403
    assert client.post("/review/bulk", data={"ids": "1"}).status_code == 403


def test_a_county_official_cannot_decide_a_city_level_library(app, make_user):
    _, _, _ = submit_provider(app, make_user)
    [sub] = subs(app)
    county = app.test_client()
    login(county, make_user(roles.COUNTY_OFFICIAL, "410783").username)
    assert "测试服务商1有限公司" not in county.get("/review/").get_data(as_text=True)
    assert "该申请由市级主管部门审核" in decide(county, sub.id, "approve").get_data(as_text=True)
    assert subs(app)[0].status == "pending"


def test_queue_filters_counts_and_paging(make_app, make_user):
    app = make_app(PAGE_SIZE=2)
    for n in range(1, 4):
        submit_provider(app, make_user, n=n)
    submit_provider(app, make_user, n=4, county="410721")
    submit_pilot(app, make_user, n=7, county="410700", name="市直企业")  # city level: goes straight to the city
    city = app.test_client()
    login(city, make_user(roles.CITY_ADMIN, "410700").username)
    page = city.get("/review/").get_data(as_text=True)
    assert 'data-count="all">5<' in page and 'data-count="pilots">1<' in page and "第 1 / 3 页" in page
    assert "共 1 条" in city.get("/review/?region=410721").get_data(as_text=True)
    assert "共 1 条" in city.get("/review/?submitter=市直").get_data(as_text=True)
    assert "共 4 条" in city.get("/review/?library=providers&page=2").get_data(as_text=True)
    assert "没有符合条件" in city.get("/review/?source=excel").get_data(as_text=True)
    assert "没有符合条件" in city.get("/review/?date_to=2000-01-01").get_data(as_text=True)
    fragment = city.get("/review/?library=pilots", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "测试企业7有限公司" in fragment and "测试服务商" not in fragment


def test_review_levels_are_configurable(make_app, make_user):
    app = make_app(REVIEW_LEVELS="providers=county+city,pilots=city")
    submit_provider(app, make_user)
    submit_pilot(app, make_user, n=2)
    provider, pilot = subs(app)
    assert (provider.levels, provider.awaiting) == ("county+city", "county")
    assert (pilot.levels, pilot.awaiting) == ("city", "city")
    with pytest.raises(ValueError, match="REVIEW_LEVELS"):
        make_app(REVIEW_LEVELS="providers=province")
    # A review kind (an area's items in the same queue) is named like a library.
    assert make_app(REVIEW_LEVELS="evaluation=county+city").extensions["smedt_review_levels"]["evaluation"] == (
        "county", "city")
    with pytest.raises(ValueError, match="“nothing”不存在"):
        make_app(REVIEW_LEVELS="nothing=city")


def test_an_officials_own_entry_is_applied_and_recorded(app, client, login_as):
    login_as(roles.CITY_ADMIN, "410700")
    payload = {**PROVIDER, "unifiedCreditCode": code(3)}
    response = client.post("/lib/providers/new", data=_post(payload))
    [sub] = subs(app)
    assert (sub.status, sub.awaiting) == ("approved", "")
    assert record(app, "providers", sub.record_id).formal == payload
    assert audit_actions(app) == ["review.direct"]
    assert "主管部门直接入库" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_migration_queues_records_that_were_waiting_for_review(tmp_path):
    import sqlite3

    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005")
    with sqlite3.connect(tmp_path / "old.db") as conn:
        for rid, status, region in ((1, "submitted", "410783"), (2, "draft", "410783"), (3, "submitted", "410700")):
            conn.execute("INSERT INTO pilot_enterprise (id, status, region_code, credit_code, title, payload, "
                         "created_at, updated_at) VALUES (?, ?, ?, ?, ?, '{}', '2026-01-01 00:00:00', "
                         "'2026-01-01 00:00:00')", (rid, status, region, code(rid), f"企业{rid}"))
    upgrade(url)
    with sqlite3.connect(tmp_path / "old.db") as conn:
        rows = conn.execute("SELECT record_id, status, levels, awaiting FROM review_submission ORDER BY record_id")
        assert rows.fetchall() == [(1, "pending", "county+city", "county"), (3, "pending", "city", "city")]
        assert conn.execute("SELECT count(*) FROM review_decision WHERE decision = 'submit'").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM pilot_enterprise WHERE formal_payload IS NOT NULL").fetchone()[0] == 0


def test_an_archive_goes_through_county_and_city_and_carries_the_evaluation(app, make_user):
    from app.libraries.service import save
    from app.pilots.forms import PilotEnterpriseForm
    from tests.samples import CREDIT, _store, full, seed_catalogue

    admin = make_user(roles.CITY_ADMIN, "410700")
    with app.test_request_context():  # the catalogue and the pilot record, entered by the city (formal at once)
        seed_catalogue(get_session(), admin)
        pilot = PilotEnterpriseForm.from_wire(PILOT)
        pilot.region.data = "410783"
        assert pilot.validate_for(submit=True)
        save(LIBRARIES["pilots"], pilot, user=admin, session=get_session(), submit=True)
    enterprise = make_user(roles.ENTERPRISE, "410783", credit_code=CREDIT)
    payload = full()
    payload["evaluation"] = {}
    record_id = _store(app, payload, enterprise, submit=True)
    sub = subs(app, library="archives")[0]
    assert (sub.status, sub.awaiting, sub.region_code) == ("pending", "county", "410783")
    county = app.test_client()
    login(county, make_user(roles.COUNTY_OFFICIAL, "410783").username)
    pane = county.get(f"/review/{sub.id}", headers=HX).get_data(as_text=True)
    assert "提交内容与正式库对比" in pane and "企业名称" in pane
    # The county's evaluation, saved while the archive waits, joins the submission it is about to approve.
    evaluation = {"evaluation-hadExpanded": "1", "evaluation-hadPassed": "0", "evaluation-failureReason": "改造未达预期",
                  "evaluation-awardFunds": "20", "evaluation-fundsAllocated": "0"}
    assert county.post(f"/archives/{record_id}/stage/evaluation", data=evaluation).status_code == 302
    assert subs(app, library="archives")[0].wire["evaluation"]["failureReason"] == "改造未达预期"
    decide(county, sub.id, "approve")
    city = app.test_client()
    login(city, admin.username)
    decide(city, sub.id, "approve")
    rec = record(app, "archives", record_id)
    assert rec.status == "approved" and rec.formal["evaluation"]["failureReason"] == "改造未达预期"
    overview = app.test_client()
    login(overview, enterprise.username)
    page = overview.get(f"/archives/{record_id}").get_data(as_text=True)
    assert "已入库" in page and "市级确认通过" in page
