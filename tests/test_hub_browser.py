"""In a real Chromium: the hub administrator registers a county platform, the approver approves it and
downloads the configuration file, and the administrator opens docking and stops the platform, each
destructive switch asking first; no console errors (the CSP allows no inline script)."""
from __future__ import annotations

import pytest

from app.accounts import roles
from app.docking import protocol
from tests.browser import _login

pytestmark = pytest.mark.browser


def _as(page, base, username):
    page.context.clear_cookies()
    _login(page, base, username)
    page.wait_for_url(f"{base}/home")


def test_register_approve_download_and_switch(live_server, browser_page, make_user, tmp_path):
    app, base = live_server
    page = browser_page
    make_user(roles.HUB_ADMIN, "410700", username="hubadmin")
    make_user(roles.HUB_APPROVER, "410700", username="approver")
    bound = make_user(roles.COUNTY_OFFICIAL, "410783", username="county", display_name="长垣市工信局")

    _as(page, base, "hubadmin")
    page.click("nav.mainnav >> text=对接平台管理")
    page.wait_for_url(f"{base}/hub/")
    page.click("text=登记下级平台")
    page.fill("#name", "长垣市平台")
    page.fill("#domain", "szzx.changyuan.gov.cn")
    page.select_option("#bound_user_id", str(bound.id))
    page.fill("#push_window", "00:00-24:00")
    page.click("main button[type=submit]")
    page.wait_for_selector('[data-status="pending"]')
    platform_url = page.url

    _as(page, base, "approver")
    page.goto(platform_url)
    page.click("text=批准并签发密钥")
    page.wait_for_selector("#client-secret")
    secret = page.inner_text("#client-secret")
    with page.expect_download() as info:
        page.click("form[action$='/config'] button")
    path = tmp_path / "config.json"
    info.value.save_as(path)
    cfg = protocol.read_config_file(path.read_bytes())
    assert cfg["clientSecret"] == secret and cfg["regionCode"] == "410783" and cfg["pushWindow"] == "00:00-00:00"
    page.goto(platform_url)
    assert secret not in page.content()

    _as(page, base, "hubadmin")
    page.goto(f"{base}/hub/")
    page.click("text=开启对接")
    page.wait_for_selector('[data-docking="on"]')
    dialogs, accept = [], []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()
    page.on("dialog", answer)
    page.click("#docking-switch button[type=submit]")  # 关闭对接, dismissed: nothing changes
    page.wait_for_timeout(300)
    assert dialogs and "确定关闭对接" in dialogs[0]
    page.goto(f"{base}/hub/")
    assert page.locator('[data-docking="on"]').count() == 1
    accept.append(True)
    page.goto(platform_url)
    page.click("#admin-actions >> text=停用")
    page.wait_for_selector("text=已停用该平台")
    assert "停用" in page.inner_text("main dl.facts")
    assert page.console_errors == []
