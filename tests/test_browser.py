"""In a real Chromium: log in (with the forced password change), walk the region, scene and industry
pickers through htmx, submit, and use the user list's htmx actions with CSRF in the header."""
from __future__ import annotations

import pytest

from app.accounts import roles
from tests.browser import _choose, _login, _settled
from tests.samples import PASSWORD

pytestmark = pytest.mark.browser


def test_login_and_walk_the_pickers(live_server, browser_page, make_user):
    app, base = live_server
    page = browser_page
    make_user(roles.COUNTY_OFFICIAL, "410783", username="official", must_change_password=True)

    _login(page, base, "official")
    page.wait_for_url(f"{base}/account/password")
    assert "请先修改密码" in page.inner_text("#flashes")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "Browser-Passw0rd")
    page.fill("#confirm", "Browser-Passw0rd")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/home")
    assert "河南省 / 新乡市 / 长垣市" in page.inner_text("main")

    page.goto(f"{base}/dicts/demo-pickers")
    # Region: each choice refills the next select through htmx, without a page load.
    page.evaluate("window.__same_page = true")
    _choose(page, "#region-region_province", "410000")
    page.wait_for_selector('#region-region_city option[value="410700"]', state="attached")
    assert page.locator("#region-region_city option", has_text="济源市").count() == 1  # stands in for 419000
    _choose(page, "#region-region_city", "410700")
    page.wait_for_selector('#region-region_county option[value="410783"]', state="attached")
    _choose(page, "#region-region_county", "410783")
    # Changing the province clears the now-foreign city and county.
    _choose(page, "#region-region_province", "110000")
    page.wait_for_selector('#region-region_city option[value="110101"]', state="attached")
    assert page.locator("#region-region_city option", has_text="市辖区").count() == 0
    _choose(page, "#region-region_province", "410000")
    page.wait_for_selector('#region-region_city option[value="410700"]', state="attached")
    _choose(page, "#region-region_city", "410700")
    page.wait_for_selector('#region-region_county option[value="410783"]', state="attached")
    _choose(page, "#region-region_county", "410783")

    # Scene: 一级 → 二级 → 三级, by keyboard on the first select to show it is keyboard usable.
    _choose(page, "#scene-scene_l1", "PRODUCT_LIFRCYCLE_DIGITALIZATION")
    page.wait_for_selector('#scene-scene_l2 option[value="PRODUCT_DESIGN"]', state="attached")
    _choose(page, "#scene-scene_l2", "PRODUCT_DESIGN")
    page.wait_for_selector('#scene-scene_l3 option[value="DIGITAL_MODEL_VISUALIZATION_DESIGN"]', state="attached")
    _choose(page, "#scene-scene_l3", "DIGITAL_MODEL_VISUALIZATION_DESIGN")

    # Industry: type, wait for the matches, pick one.
    page.fill("#industry-q", "锅炉")
    page.wait_for_selector('input[name="industry"][value="3411"]')
    page.check('input[name="industry"][value="3411"]')
    page.fill("#industry-q", "软件开发")
    page.press("#industry-q", "Enter")  # searches, does not submit the form
    page.wait_for_selector('input[name="industry"][value="6511"]')
    assert page.is_checked('input[name="industry"][value="3411"]')  # the choice survives a new search
    assert page.evaluate("window.__same_page") is True  # every step above was an htmx swap
    assert page.locator("text=校验通过").count() == 0

    page.click("main input[type=submit], main button[type=submit]")
    page.wait_for_selector("text=校验通过")
    result = page.inner_text("main")
    assert "410783" in result and "provinceCode 410000，cityCode 410700" in result
    assert "产品生命周期数字化/产品设计/数字化建模及可视化设计" in result and "3411" in result
    assert page.console_errors == []


def test_keyboard_alone_reaches_the_city_level(live_server, browser_page, make_user):
    app, base = live_server
    page = browser_page
    make_user(roles.SYS_ADMIN, "410000", username="keyboard_admin")
    _login(page, base, "keyboard_admin")
    page.wait_for_url(f"{base}/home")
    page.goto(f"{base}/dicts/demo-pickers")
    province = page.locator("#region-region_province")
    province.focus()
    page.keyboard.press("ArrowDown")  # a closed native select changes (and fires change) on arrow keys
    page.wait_for_selector('#region-region_city option[value="110101"]', state="attached")
    assert page.input_value("#region-region_province") == "110000"
    assert page.evaluate("document.activeElement.id") == "region-region_province"  # focus kept over the swap
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "region-region_city"
    # Quick successive changes: the superseded request is cancelled, the last choice wins.
    page.select_option("#region-region_province", "410000")
    page.select_option("#region-region_province", "320000")
    _settled(page)
    assert page.input_value("#region-region_province") == "320000"
    assert page.locator('#region-region_city option[value="321100"]').count() == 1  # 镇江, not in the spec table
    assert page.get_attribute("label[for=region-region_city]", "for") == "region-region_city"


def test_disable_a_user_in_the_list_without_reload(live_server, browser_page, make_user):
    app, base = live_server
    page = browser_page
    make_user(roles.SYS_ADMIN, "410700", username="admin_b")
    target = make_user(roles.ENTERPRISE, "410783", username="ent_b")
    _login(page, base, "admin_b")
    page.wait_for_url(f"{base}/home")
    page.goto(f"{base}/admin/users")
    page.evaluate("window.__same_page = true")
    page.once("dialog", lambda dialog: dialog.accept())  # the hx-confirm question
    page.click(f"#user-{target.id} button:has-text('停用')")
    page.wait_for_selector(f"#user-{target.id} >> text=已停用")
    assert page.evaluate("window.__same_page") is True
    # The search box filters through htmx and keeps the state in the URL.
    page.fill("#q", "ent_b")
    page.wait_for_url("**q=ent_b**")
    assert page.locator("#user-table tbody tr").count() == 1
    assert page.console_errors == []


def test_create_a_product_with_two_scenes_and_a_cover(live_server, browser_page, make_user):
    from tests.samples import png_bytes

    app, base = live_server
    page = browser_page
    make_user(roles.PROVIDER, "410700", username="provider_b", credit_code="914403001922038216",
              display_name="新乡智云数字科技有限公司")
    _login(page, base, "provider_b")
    page.wait_for_url(f"{base}/home")
    page.goto(f"{base}/lib/products/new")
    assert page.input_value("#companyName") == "新乡智云数字科技有限公司"  # its own name, filled in
    page.fill("#softwareName", "起重设备远程运维平台")
    page.select_option("#depTypeCode", "CLOUD_NATIVE_DEPLOYMENT")
    page.select_option("#buyMethodCode", "subscribe")
    page.fill("#sofDes", "面向起重机械企业的设备联网与远程运维。")
    page.fill("#sofInfoDes", "设备接入、告警、工单。")
    page.select_option("#releaseType", "3")
    page.fill("#releaseDate", "2025-03-01")
    page.fill("#priceRangeMax", "200000")
    page.fill("#priceRangeMin", "50000")

    def scene_row(i, levels, desc):
        prefix = f"useSceneList-{i}-itemName"
        page.fill(f"#useSceneList-{i}-desc", desc)
        page.fill(f"#useSceneList-{i}-subdivideIndustry", "起重机械")
        page.select_option(f"#useSceneList-{i}-industryName", "专用设备制造业")
        for level, code in zip(("l1", "l2", "l3"), levels, strict=True):
            page.wait_for_selector(f'#{prefix}-{prefix}_{level} option[value="{code}"]', state="attached")
            _choose(page, f"#{prefix}-{prefix}_{level}", code)

    page.evaluate("window.__same_page = true")
    scene_row(0, ("PRODUCTION_DIGITALIZATION", "EQUIPMENT_MANAGEMENT", "EQUIPMENT_OPERATION_MONITORING"), "设备实时监测")
    page.click("#add-useSceneList")  # a second row, added in place
    page.wait_for_selector("#useSceneList-1-row")
    scene_row(1, ("SUPPLY_CHAIN_DIGITALIZATION", "WAREHOUSE_MANAGEMENT", "AUTOMATED_WAREHOUSE_OPERATIONS"), "智能仓储")
    page.click("#add-useSceneList")  # a third row, then removed again in place
    page.wait_for_selector("#useSceneList-2-row")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#useSceneList-2-row button:has-text('删除这一行')")
    page.wait_for_selector("#useSceneList-2-row", state="detached")
    page.click("#add-fileList")
    page.wait_for_selector("#fileList-0-row")
    page.select_option("#fileList-0-fileType", "3")
    page.set_input_files("#fileList-0-file", files=[{"name": "封面.png", "mimeType": "image/png",
                                                     "buffer": png_bytes()}])
    assert page.evaluate("window.__same_page") is True
    page.click("main button[value=submit]")
    page.wait_for_selector("text=已提交审核")
    body = page.inner_text("main")
    assert "生产执行数字化/设备管理/设备运行实时监测" in body
    assert "供应链数字化/仓储物流/自动化仓储作业" in body
    assert "封面.png" in body
    with page.expect_download() as download:
        page.click("a:has-text('封面.png')")
    assert download.value.suggested_filename == "封面.png"
    assert page.console_errors == []
