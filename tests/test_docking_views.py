"""The push centre for the city administrator: approved records of the region to select and push, the
progress partial, the push state in every library list, the batch history, the dead-letter list, the
pause banner, the CLI, and who may reach any of it."""
from __future__ import annotations

import json

import pytest
from sqlmodel import select

from app.accounts import roles
from app.db import get_session, write
from app.docking import protocol
from app.docking.models import DEAD, DockingState, OutboxItem
from tests.samples import login
from tests.upper_stub import approved_pilots, items, push, states

HX = {"HX-Request": "true"}


@pytest.fixture
def dapp(make_app, upper):
    return make_app(**upper.settings())


@pytest.fixture
def city(dapp, make_user):
    user = make_user(roles.CITY_ADMIN, "410700", display_name="新乡市工信局")
    client = dapp.test_client()
    login(client, user.username)
    client.user = user
    return client


def test_the_push_centre_lists_only_approved_records_of_my_region(dapp, city, make_user):
    mine = approved_pilots(dapp, city.user, 2)
    other_admin = make_user(roles.CITY_ADMIN, "410100")
    approved_pilots(dapp, other_admin, 1, county="410102", start=10)
    page = city.get("/docking/push?lib=pilots").get_data(as_text=True)
    assert "测试企业1有限公司" in page and "测试企业2有限公司" in page
    assert "测试企业10有限公司" not in page
    assert f'value="{mine[0]}"' in page and "推送所选" in page and "推送进度" in page
    fragment = city.get("/docking/push?lib=pilots&q=企业2", headers=HX)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "测试企业2有限公司" in body and "测试企业1有限公司" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert "还没有已入库" in city.get("/docking/push?lib=targets").get_data(as_text=True)


def test_pushing_selected_records_queues_them_and_the_lists_show_the_state(dapp, city, upper):
    ids = approved_pilots(dapp, city.user, 3)
    response = city.post("/docking/push", data={"lib": "pilots", "ids": ids[:2], "scope": "selected"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "docking-queued"
    assert "已加入推送队列 2 条" in body and "<html" not in body
    listing = city.get("/lib/pilots/").get_data(as_text=True)
    assert listing.count('data-push-state="queued"') == 2 and listing.count('data-push-state="none"') == 1
    progress = city.get("/docking/progress", headers=HX).get_data(as_text=True)
    assert "待推送 2 条" in progress and 'hx-trigger="every 2s"' in progress

    push(dapp)
    listing = city.get("/lib/pilots/").get_data(as_text=True)
    assert listing.count("已推送（新增）") == 2 and "推送状态" in listing
    detail = city.get(f"/lib/pilots/{ids[0]}").get_data(as_text=True)
    assert "已推送（新增）" in detail
    progress = city.get("/docking/progress", headers=HX).get_data(as_text=True)
    assert "已推送 2 条" in progress and "every 2s" not in progress and "docking-queued from:body" in progress
    batches = city.get("/docking/batches").get_data(as_text=True)
    assert "已完成" in batches and "新增 2" in batches and ids and "91410783" in batches


def test_a_failed_record_shows_its_reason_in_the_list(dapp, city, upper):
    upper.fail_names = {"测试企业1有限公司"}
    ids = approved_pilots(dapp, city.user, 1)
    city.post("/docking/push", data={"lib": "pilots", "ids": ids, "scope": "selected"})
    push(dapp)
    listing = city.get("/lib/pilots/").get_data(as_text=True)
    assert "推送失败" in listing and "统一社会信用代码校验未通过" in listing


def test_pushing_everything_the_filter_matches(dapp, city):
    approved_pilots(dapp, city.user, 4)
    response = city.post("/docking/push", data={"lib": "pilots", "q": "企业", "scope": "all"})
    assert response.status_code == 302
    assert len(items(dapp)) == 4
    assert "已加入推送队列 4 条" in city.get(response.headers["Location"]).get_data(as_text=True)


def test_nothing_selected_says_so(dapp, city):
    approved_pilots(dapp, city.user, 1)
    body = city.post("/docking/push", data={"lib": "pilots", "scope": "selected"}, headers=HX).get_data(as_text=True)
    assert "请先勾选要推送的记录" in body and not items(dapp)


def test_another_regions_record_cannot_be_queued_by_id(dapp, city, make_user):
    other = approved_pilots(dapp, make_user(roles.CITY_ADMIN, "410100"), 1, county="410102", start=20)
    body = city.post("/docking/push", data={"lib": "pilots", "ids": other, "scope": "selected"},
                     headers=HX).get_data(as_text=True)
    assert "1 条未入库或不在管辖范围内" in body and not items(dapp)


def test_dead_letters_are_listed_and_retried_or_dropped(dapp, city, upper):
    ids = approved_pilots(dapp, city.user, 2)
    city.post("/docking/push", data={"lib": "pilots", "ids": ids, "scope": "selected"})
    with dapp.app_context():
        session = get_session()
        with write(session):
            for item in session.exec(select(OutboxItem)):
                item.state, item.attempts, item.message = DEAD, 8, "重试 8 次仍未成功：503 接口不可用"
    page = city.get("/docking/dead").get_data(as_text=True)
    assert page.count("重试 8 次仍未成功") == 2 and "放弃" in page
    first, second = items(dapp)
    body = city.post("/docking/dead/retry", data={"ids": first.id}, headers=HX).get_data(as_text=True)
    assert "已重新加入推送队列 1 条" in body and "<html" not in body
    body = city.post("/docking/dead/drop", data={"ids": second.id}, headers=HX).get_data(as_text=True)
    assert "已放弃推送 1 条" in body and "没有待处理的失败推送" in body
    assert [i.state for i in items(dapp)] == ["queued", "dropped"]
    assert push(dapp).added == 1
    assert {s.label for s in states(dapp).values()} == {"已推送（新增）", "未推送"}


def test_a_pause_shows_a_banner_and_resumes(dapp, city, upper):
    ids = approved_pilots(dapp, city.user, 1)
    city.post("/docking/push", data={"lib": "pilots", "ids": ids, "scope": "selected"})
    upper.script(protocol.UNAUTHORIZED, protocol.UNAUTHORIZED)
    push(dapp)
    for url in ("/docking/push", "/docking/settings"):
        page = city.get(url).get_data(as_text=True)
        assert 'id="push-paused"' in page and "恢复推送" in page and "403" in page
    assert "推送到上级平台已暂停" in city.get("/review/notifications").get_data(as_text=True)
    response = city.post("/docking/resume")
    assert response.status_code == 302
    assert 'id="push-paused"' not in city.get("/docking/push").get_data(as_text=True)
    assert push(dapp).added == 1


def test_saving_the_settings_resumes_a_paused_push(dapp, city):
    with dapp.app_context():
        session = get_session()
        with write(session):
            session.add(DockingState(paused=True, paused_reason="上级平台两次拒绝授权（403）。"))
    city.post("/docking/settings", data={"push_window": "00:00-00:00"})
    with dapp.app_context():
        assert not get_session().exec(select(DockingState)).first().paused


def test_the_cli_pushes_one_pass_and_prints_the_status(dapp, city, upper):
    ids = approved_pilots(dapp, city.user, 2)
    city.post("/docking/push", data={"lib": "pilots", "ids": ids, "scope": "selected"})
    runner = dapp.test_cli_runner()
    result = runner.invoke(args=["docking", "push"])
    assert result.exit_code == 0 and "新增 2 条" in result.output and "没有待推送的数据" in result.output
    result = runner.invoke(args=["docking", "status"])
    assert result.exit_code == 0
    assert "本周" in result.output and "已调用 1 / 100 次" in result.output and "已推送 2 条" in result.output
    assert "推送状态：运行中" in result.output


URLS = [("get", "/docking/push"), ("post", "/docking/push"), ("get", "/docking/progress"),
        ("get", "/docking/batches"), ("get", "/docking/dead"), ("post", "/docking/dead/retry"),
        ("post", "/docking/dead/drop"), ("post", "/docking/resume"), ("get", "/docking/settings"),
        ("post", "/docking/settings"), ("post", "/docking/settings/import"), ("post", "/docking/settings/test")]


@pytest.mark.parametrize("role", [roles.COUNTY_OFFICIAL, roles.ENTERPRISE, roles.PROVIDER, roles.HUB_ADMIN,
                                  roles.SYS_ADMIN, roles.SEC_ADMIN, roles.AUDIT_ADMIN])
def test_only_the_city_administrator_reaches_the_push_client(client, login_as, role):
    login_as(role, "410783" if role in (roles.COUNTY_OFFICIAL, roles.ENTERPRISE, roles.PROVIDER) else "410700")
    assert {url: getattr(client, method)(url).status_code for method, url in URLS} == {url: 403 for _, url in URLS}


@pytest.mark.parametrize(("method", "url"), URLS)
def test_anonymous_visitors_are_sent_to_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_nav_offers_the_push_centre_to_the_city_administrator(city, client, login_as):
    page = city.get("/home").get_data(as_text=True)
    assert "推送中心" in page and "对接配置" in page
    login_as(roles.COUNTY_OFFICIAL, "410783")
    assert "推送中心" not in client.get("/home").get_data(as_text=True)


def test_batch_history_shows_only_my_regions_batches(dapp, city, make_user, upper):
    ids = approved_pilots(dapp, city.user, 1)
    city.post("/docking/push", data={"lib": "pilots", "ids": ids, "scope": "selected"})
    push(dapp)
    other = dapp.test_client()
    login(other, make_user(roles.CITY_ADMIN, "410100").username)
    assert "还没有推送记录" in other.get("/docking/batches").get_data(as_text=True)
    assert "已完成" in city.get("/docking/batches").get_data(as_text=True)
    assert json.loads(json.dumps(upper.uploads[0].objects))[0]["creditCode"].startswith("91410783")
