"""In a real Chromium: an enterprise fills its archive stage by stage — basic information, two needs
added in place, one transformation content whose provider, product and linked need come from the
pickers — and the archive is printed (print media, and a PDF from Chromium's own print)."""
from __future__ import annotations

import pytest

from app.accounts import roles
from app.db import get_session
from app.libraries.registry import LIBRARIES
from app.libraries.service import save
from app.pilots.forms import PilotEnterpriseForm
from tests.browser import _choose, _login, _settled
from tests.samples import CLOUD, CREDIT, PILOT, seed_catalogue

pytestmark = pytest.mark.browser


def _scene(page, prefix: str, levels: tuple[str, str, str]) -> None:
    for level, code in zip(("l1", "l2", "l3"), levels, strict=True):
        select = f"#{prefix}-{prefix}_{level}"
        page.wait_for_selector(f'{select} option[value="{code}"]', state="attached")
        _choose(page, select, code)


def test_fill_an_archive_with_two_needs_and_a_linked_content_then_print_it(live_server, browser_page,
                                                                          make_user, tmp_path):
    app, base = live_server
    page = browser_page
    admin = make_user(roles.CITY_ADMIN, "410700")
    with app.test_request_context():
        seed_catalogue(get_session(), admin)
        pilot = PilotEnterpriseForm.from_wire(PILOT)
        pilot.region.data = "410783"
        assert pilot.validate_for(submit=True)
        save(LIBRARIES["pilots"], pilot, user=admin, session=get_session(), submit=True)
    make_user(roles.ENTERPRISE, "410783", username="crane", credit_code=CREDIT, display_name=PILOT["companyName"])
    _login(page, base, "crane")
    page.wait_for_url(f"{base}/home")
    page.click("nav >> text=一企一档")
    page.click("main >> text=新建企业档案")
    page.wait_for_url(f"{base}/archives/new")

    # 1 基本信息: the pilot record's facts are already there.
    assert page.input_value("#registAddress") == PILOT["registAddress"]
    for selector, value in (("#companyNature", "limited_liability_company"), ("#companyScale", "ent_scale_medium"),
                            ("#highQualitySme", "mastery"), ("#transResult", "2"), ("#companyScaleRange", "scale_above")):
        page.select_option(selector, value)
    page.fill("#contactPerson", "王建国")
    page.fill("#contactPhone", "0373-8881234")
    page.fill("#baseSituation", "主营桥式起重机。")
    page.fill("#productType", "C3434")
    page.fill("#productTypeName", "起重机")
    page.fill("#baseType-q", "连续搬运")
    page.wait_for_selector('input[name="baseType"][value="3434"]')
    page.check('input[name="baseType"][value="3434"]')
    page.click("main button[value=next]")
    page.wait_for_url("**/stage/needs")
    assert "“基本信息”已保存" in page.inner_text("#flashes")
    assert "已完成 1 / 6" in page.inner_text(".stepper")

    # 2 转型需求: two needs, added in place, each with its scene picker.
    page.evaluate("window.__same_page = true")
    for i, (text, levels) in enumerate((
            ("设备运行数据靠人工抄录", ("PRODUCTION_DIGITALIZATION", "EQUIPMENT_MANAGEMENT", "EQUIPMENT_OPERATION_MONITORING")),
            ("质量问题难以追溯", ("PRODUCTION_DIGITALIZATION", "QUALITY_ASSURANCE", "PRODUCT_QUALITY_TRACEABILITY")))):
        page.click("#add-transNeeds")
        page.wait_for_selector(f"#transNeeds-{i}-row")
        page.fill(f"#transNeeds-{i}-sceneDesc", text)
        page.fill(f"#transNeeds-{i}-problemNeed", f"需求：解决{text}")
        _scene(page, f"transNeeds-{i}-useScenes", levels)
    assert page.evaluate("window.__same_page") is True
    page.click("main button[value=save]")
    page.wait_for_selector("text=“转型需求”已保存")
    assert page.locator(".stepper .state-done").count() == 2

    # 4 改造内容: one content; the provider from the library's candidates, its product, need 2 linked.
    page.click(".stepper >> text=改造内容")
    page.wait_for_url("**/stage/contents")
    page.evaluate("window.__same_page = true")
    page.click("#add-transInfo-transMaps")
    page.wait_for_selector("#transInfo-transMaps-0-row")
    row = "#transInfo-transMaps-0"
    page.fill(f"{row}-transContentDesc", "部署质量追溯系统")
    page.fill(f"{row}-transStartTime", "2025-03-01")
    page.fill(f"{row}-transEndTime", "2025-08-31")
    page.fill(f"{row}-transCosts", "42.5")
    assert page.input_value(f"{row}-privateCloud") == "无"
    page.type(f"{row}-ServiceProviderName", "智云")
    page.wait_for_selector(f'{row}-ServiceProviderName-options option[value="{CLOUD}"]', state="attached")
    page.fill(f"{row}-ServiceProviderName", CLOUD)
    page.dispatch_event(f"{row}-ServiceProviderName", "change")
    page.wait_for_selector(f'{row}-productName option[value="质量追溯系统"]', state="attached")
    _settled(page)
    page.select_option(f"{row}-productName", "质量追溯系统")
    page.check('input[name="transInfo-transMaps-0-linkTransNeeds"][value="1"]')
    assert page.evaluate("window.__same_page") is True
    page.click("main button[value=save]")
    page.wait_for_selector("text=“改造内容”已保存")
    assert page.is_checked('input[name="transInfo-transMaps-0-linkTransNeeds"][value="1"]')
    assert not page.is_checked('input[name="transInfo-transMaps-0-linkTransNeeds"][value="0"]')

    # The overview shows the link, the computed total; then the printable page.
    page.click("text=档案概览")
    overview = page.inner_text("main")
    assert "需求 2：质量问题难以追溯" in overview and "42.5" in overview
    page.click("text=打印档案")
    page.wait_for_url("**/print")
    printed = page.inner_text("main")
    for text in ("一企一档：长垣市恒力起重机械有限公司", "连续搬运设备制造", "设备运行数据靠人工抄录",
                 "生产执行数字化/质量管理/产品质量追溯", "质量追溯系统", "需求 2：质量问题难以追溯"):
        assert text in printed, text
    page.emulate_media(media="print")
    assert not page.is_visible("button[data-print]")  # the print button is not printed
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert page.console_errors == []
