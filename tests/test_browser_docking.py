"""In a real Chromium: the city administrator opens the push centre, ticks three approved pilot
enterprises, presses 推送, and watches the polled progress partial reach 已推送 while the worker thread
inside the served platform sends them to a strict upper platform on loopback. No page load, no console
errors."""
from __future__ import annotations

import threading

import pytest

from app.accounts import roles
from app.docking import worker
from tests.browser import _login, _settled, stop_server
from tests.samples import code
from tests.upper_stub import approved_pilots

pytestmark = pytest.mark.browser


@pytest.fixture
def served(make_app, upper):
    """The platform with CSRF on and its push worker running, served by waitress on loopback."""
    from waitress import create_server

    app = make_app(WTF_CSRF_ENABLED=True, DOCKING_WORKER=True, DOCKING_POLL_SECONDS=1, **upper.settings())
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.effective_port}"
    worker.stop(app)
    stop_server(server, thread)


def test_select_three_pilots_push_and_watch_them_arrive(served, browser_page, make_user, upper):
    app, base = served
    page = browser_page
    admin = make_user(roles.CITY_ADMIN, "410700", username="city", display_name="新乡市工信局")
    ids = approved_pilots(app, admin, 4)

    _login(page, base, "city")
    page.wait_for_url(f"{base}/home")
    page.click("nav.mainnav >> text=推送中心")
    page.wait_for_selector("#push-form")
    page.evaluate("window.__same_page = true")
    assert "未推送" in page.inner_text("#candidates")
    for record_id in ids[:3]:
        page.check(f"#pick-{record_id}")
    page.click("#push-selected")
    page.wait_for_selector("#push-message")
    assert "已加入推送队列 3 条" in page.inner_text("#push-message")

    for _ in range(200):  # the progress partial polls every 2 s; the worker sends at once
        if page.locator("#recent-items .badge.ok").count() == 3:
            break
        page.wait_for_timeout(100)
    _settled(page)
    progress = page.inner_text("#push-progress")
    assert progress.count("已推送（新增）") == 3 and "已推送 3 条" in progress
    # The record list follows without a reload once the queue has settled.
    page.wait_for_function("document.querySelectorAll('#candidates [data-push-state=added]').length === 3")
    assert page.evaluate("window.__same_page") is True
    assert sorted(upper.keys_received("pilots")) == [code(n, "410783") for n in (1, 2, 3)]  # just the three

    page.goto(f"{base}/lib/pilots/")
    assert page.locator('[data-push-state="added"]').count() == 3
    assert page.locator('[data-push-state="none"]').count() == 1
    assert page.console_errors == []
