"""In a real Chromium: an enterprise submits its pilot record, the county official approves it in the queue
and the city administrator confirms it (htmx, no page load), and the record is in the formal library. A
later change is rejected; the reason must be given beside its field and the enterprise then reads it."""
from __future__ import annotations

import pytest

from app.accounts import roles
from tests.browser import _choose, _login, _settled
from tests.samples import PILOT

pytestmark = pytest.mark.browser

CREDIT = PILOT["creditCode"]


def _as(page, base, username):
    page.context.clear_cookies()
    _login(page, base, username)
    page.wait_for_url(f"{base}/home")


def _open_first_in_queue(page, base):
    page.goto(f"{base}/review/")
    page.evaluate("window.__same_page = true")
    page.click("#queue-table a.button")  # the row's 审核
    page.wait_for_selector("#decide-form")
    _settled(page)


def test_submit_approve_confirm_then_reject_with_a_reason(live_server, browser_page, make_user):
    app, base = live_server
    page = browser_page
    make_user(roles.ENTERPRISE, "410783", username="crane", credit_code=CREDIT, display_name=PILOT["companyName"])
    make_user(roles.COUNTY_OFFICIAL, "410783", username="county", display_name="长垣市工信局")
    make_user(roles.CITY_ADMIN, "410700", username="city", display_name="新乡市工信局")

    # The enterprise fills and submits its pilot record.
    _as(page, base, "crane")
    page.goto(f"{base}/lib/pilots/new")
    assert page.input_value("#creditCode") == CREDIT
    page.fill("#companyName", PILOT["companyName"])
    _choose(page, "#region-provinceCode", "410000")
    page.wait_for_selector('#region-cityCode option[value="410700"]', state="attached")
    _choose(page, "#region-cityCode", "410700")
    page.wait_for_selector('#region-countyCode option[value="410783"]', state="attached")
    _choose(page, "#region-countyCode", "410783")
    page.fill("#registAddress", PILOT["registAddress"])
    page.select_option("#industryName", PILOT["industryName"])
    page.fill("#industrySegments", PILOT["industrySegments"])
    page.click("main button[value=submit]")
    page.wait_for_selector("#record-review")
    record_url = page.url
    assert "待审核" in page.inner_text("h1") and "尚未入库" in page.inner_text("#record-review")

    # The county official approves it in the queue: the row and the counter change in place.
    _as(page, base, "county")
    _open_first_in_queue(page, base)
    assert page.locator('[data-count="pilots"]').inner_text() == "1"
    assert page.locator("#review-pane tr.changed").count() >= 5  # nothing is formal yet: every field is new
    page.click("#approve")
    page.wait_for_selector('#queue-table tr [data-status="county_approved"]')
    _settled(page)
    assert page.locator('[data-count="pilots"]').inner_text() == "0"
    assert "已通过区县初审" in page.inner_text("#pane-message")
    assert page.evaluate("window.__same_page") is True

    # The city administrator confirms it; the record is in the formal library.
    _as(page, base, "city")
    _open_first_in_queue(page, base)
    page.click("#approve")
    page.wait_for_selector('#queue-table tr [data-status="approved"]')
    _settled(page)
    assert page.locator('[data-count="all"]').inner_text() == "0"
    assert page.evaluate("window.__same_page") is True
    page.goto(record_url + "/wire")
    assert CREDIT in page.inner_text("#wire-json")
    page.goto(record_url)
    assert "已入库" in page.inner_text("h1")
    history = page.inner_text("#record-review")
    assert "审核通过" in history and "市级确认通过" in history and "新乡市工信局" in history

    # The enterprise changes its address and submits again; the county official rejects it.
    _as(page, base, "crane")
    page.goto(record_url + "/edit")
    page.fill("#registAddress", "河南省/新乡市/长垣市/山海大道 1 号")
    page.click("main button[value=submit]")
    page.wait_for_selector("#record-review")
    _as(page, base, "county")
    _open_first_in_queue(page, base)
    changed = page.inner_text("#review-pane tr.changed")
    assert "山海大道" in changed and "蒲西街道" in changed  # only the address changed, old beside new
    assert page.locator("#review-pane tr.changed").count() == 1
    page.click("#reject")
    page.wait_for_selector("#reason-errors")
    assert "驳回时必须填写原因" in page.inner_text("#reason-errors")
    page.fill("#reason", "注册地址与营业执照不一致，请核对。")
    page.click("#reject")
    page.wait_for_selector('#queue-table tr [data-status="rejected"]')
    assert page.evaluate("window.__same_page") is True

    _as(page, base, "crane")
    assert page.inner_text("#notice-count") == "3"  # 初审, 入库, 驳回
    page.goto(record_url)
    assert "已驳回" in page.inner_text("h1")
    assert page.inner_text(".review-reason") == "注册地址与营业执照不一致，请核对。"
    page.click("#notice-link")
    assert "注册地址与营业执照不一致" in page.inner_text("main")
    # The formal record keeps the approved address: a rejection changes nothing there.
    assert page.console_errors == []
