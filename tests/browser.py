"""Real-browser test support: the platform served by waitress on loopback, driven by Playwright in
Debian's Chromium (the `live_server` and `browser_page` fixtures are in conftest.py), and the steps the
browser tests share. Browser tests skip where Chromium is missing, unless SMEDT_REQUIRE_BROWSER=1 (CI)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.samples import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("SMEDT_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium 未安装，但 SMEDT_REQUIRE_BROWSER=1 要求运行浏览器测试")
        pytest.skip("Chromium 未安装（apt-get install chromium）")


def stop_server(server, thread) -> None:
    """Stop a waitress server that `thread` runs (create_server(...).run): every socket is closed from the
    server's own loop, woken through its trigger, so the loop ends at once instead of after its 1 s select
    timeout, and never selects on a socket another thread closed."""
    from waitress import wasyncore

    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(timeout=5)


def _settled(page):
    """Wait until no htmx request is in flight (htmx marks the requesting element with .htmx-request).
    Polled from here: the page's CSP forbids the string evaluation wait_for_function relies on."""
    for _ in range(100):
        if not page.evaluate("document.querySelector('.htmx-request') !== null"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("htmx request still in flight after 5 s")


def _choose(page, selector, value):
    page.select_option(selector, value)
    _settled(page)


def _login(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
