"""Real-browser test support: the platform served by waitress on loopback, driven by Playwright in
Debian's Chromium. Browser tests skip where Chromium is missing, unless SMEDT_REQUIRE_BROWSER=1 (CI)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("SMEDT_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium 未安装，但 SMEDT_REQUIRE_BROWSER=1 要求运行浏览器测试")
        pytest.skip("Chromium 未安装（apt-get install chromium）")


@pytest.fixture
def live_server(make_app):
    """The app with CSRF on, served by waitress on a free loopback port; yields its base URL."""
    from waitress import create_server

    app = make_app(WTF_CSRF_ENABLED=True)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def browser_page(tmp_path):
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.console_errors = errors
        yield page
        context.close()
        browser.close()
