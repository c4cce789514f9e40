"""In a real Chromium: an enterprise completes a self-assessment with one warned inconsistency, sees its
report (charts drawn) and downloads it; the city assigns an on-site assessment; the assessor fills it with an
attachment; the enterprise confirms; the city approves; the archive shows the level; the city's analysis
shows the enterprise in its county and industry."""
from __future__ import annotations

import zipfile

import pytest

from app.accounts import roles
from app.demo import _credit_code
from tests.evaluation_support import BASE, CREDIT, MANAGE, PNG, RESULTS, SCENES, seed_pilot
from tests.samples import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(chromium):
    """The run's one Chromium (conftest); each user gets a context of its own."""
    return chromium


def _page_as(browser, base, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/home")
    return page


def _settled(page):
    for _ in range(200):
        if not page.evaluate("document.querySelector('.htmx-request') !== null"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("htmx request still in flight")


def _answer(page, values: dict) -> None:
    for name, value in values.items():
        if "." in name:
            page.fill(f"#{name.replace('.', '-')}", value)
        elif name.startswith("S"):
            page.check(f'input[name="{name}"][value="{value}"]')
        else:
            for key in value if isinstance(value, list) else [value]:
                page.check(f'input[name="{name}"][value="{key}"]')


def _fill_all(page, ev_url: str) -> None:
    for data, following in ((BASE, "d2"), (MANAGE, "d3"), (RESULTS, "scenes"), (SCENES, "result")):
        _answer(page, data)
        page.click("#step-area button[type=submit]")
        page.wait_for_selector(f'li.step.current a[href$="/step/{following}"]')
        _settled(page)
        assert page.url.endswith(f"/step/{following}")  # htmx pushed the step's own address


def test_self_then_onsite_then_archive_and_analysis(live_server, browser, make_user, tmp_path):
    app, base = live_server
    city = make_user(roles.CITY_ADMIN, "410700", username="city", display_name="新乡市工业和信息化局")
    seed_pilot(app, city)
    make_user(roles.ENTERPRISE, "410783", username="crane", credit_code=CREDIT, display_name="长垣市恒力起重机械有限公司")
    make_user(roles.PROVIDER, "410700", username="assessor", credit_code=_credit_code("410700", "MA47F2W9H"),
              display_name="新乡智云数字科技有限公司")

    # 1. The enterprise's self-assessment, with 42 of 100 devices digitised but (60%,100%] chosen.
    ent = _page_as(browser, base, "crane")
    ent.click("nav >> text=数字化水平评测")
    ent.select_option("#stage", "before")
    ent.click("main >> text=开始填写")
    ent.wait_for_url("**/step/d1")
    ev_url = ent.url.rsplit("/step/", 1)[0]
    # A refused step first: a negative device count; nothing typed is lost.
    _answer(ent, dict(BASE, **{"Q2.f2": "-5"}))
    ent.check('input[name="Q6"][value="A"]')  # 无 clears the other options of its question
    assert not ent.is_checked('input[name="Q6"][value="B"]')
    ent.check('input[name="Q6"][value="B"]')  # and another option clears 无
    assert not ent.is_checked('input[name="Q6"][value="A"]')
    ent.click("#step-area button[type=submit]")
    ent.wait_for_selector("#Q2-f2-errors")
    _settled(ent)
    assert "不能为负数。" in ent.inner_text("#Q2-f2-errors")
    assert ent.url.endswith("/step/d1")
    assert ent.input_value("#Q2-f3") == "42" and ent.is_checked('input[name="Q1"][value="C"]')
    ent.fill("#Q2-f2", "100")
    ent.click("#step-area button[type=submit]")
    ent.wait_for_selector('li.step.current a[href$="/step/d2"]')
    _settled(ent)
    ent.goto(f"{ev_url}/step/d1")
    assert "设备数字化率为 42.0%" in ent.inner_text("#Q2-warning")
    ent.goto(f"{ev_url}/step/d2")
    for data, following in ((MANAGE, "d3"), (RESULTS, "scenes"), (SCENES, "result")):
        _answer(ent, data)
        ent.click("#step-area button[type=submit]")
        ent.wait_for_selector(f'li.step.current a[href$="/step/{following}"]')
        _settled(ent)
    assert "设备数字化率为 42.0%" in ent.inner_text("#warnings")
    ent.check("#pledge")
    ent.click("main >> text=生成评测结果")
    ent.wait_for_url("**/report")
    level = ent.inner_text("#level-name")
    assert level and "待核实" in ent.inner_text("#confidence-notes")
    ent.wait_for_selector('[data-chart="radar"].drawn svg')
    ent.wait_for_selector('[data-chart="scenes"].drawn svg')
    with ent.expect_download() as info:
        ent.click("#download-docx")
    path = tmp_path / "report.docx"
    info.value.save_as(path)
    assert level in zipfile.ZipFile(path).read("word/document.xml").decode()
    ent.screenshot(path=str(tmp_path / "report.png"), full_page=True)

    # 2. The city assigns an on-site assessment.
    cty = _page_as(browser, base, "city")
    cty.goto(f"{base}/evaluations/")
    cty.click("main >> text=指派现场评定")
    cty.select_option("#credit_code", CREDIT)
    cty.select_option("#assessor_id", label="新乡智云数字科技有限公司")
    cty.select_option("#stage", "before")
    cty.click("main button[type=submit]")
    cty.wait_for_selector("text=已指派")
    onsite_url = cty.url

    # 3. The assessor fills it, with an attachment to question 1.
    ass = _page_as(browser, base, "assessor")
    ass.click("nav >> text=数字化水平评测")
    ass.click("main >> text=查看")
    ass.click("main >> text=开始填写")
    ass.wait_for_url("**/step/d1")
    ass.select_option("#question_id", "Q1")
    ass.fill("#material", "网络拓扑图")
    ass.set_input_files("#file", files=[{"name": "topo.png", "mimeType": "image/png", "buffer": PNG}])
    ass.click("#evidence-upload button[type=submit]")
    ass.wait_for_selector("#evidence-Q1 >> text=网络拓扑图")
    _fill_all(ass, onsite_url)
    ass.check("#pledge")
    ass.click("main >> text=提交现场评定结果")
    ass.wait_for_selector("text=等待企业确认")

    # 4. The enterprise confirms.
    ent.goto(onsite_url)
    assert "网络拓扑图" in ent.inner_text("main")
    ent.click("main >> text=确认无误")
    ent.wait_for_selector("text=等待市级审核")

    # 5. The city approves; the archive shows the level and where it came from.
    # The assessor opens its own supporting material again.
    ass.goto(onsite_url)
    with ass.expect_download() as got:
        ass.click("main >> text=网络拓扑图")
    assert got.value.suggested_filename == "topo.png"
    # The city decides in the review queue, from the evaluation's page.
    cty.goto(onsite_url)
    cty.click("#decide >> text=到审核队列审核")
    cty.wait_for_selector("#evaluation-under-review")
    onsite_level = cty.inner_text("#evaluation-under-review strong")
    cty.click("#approve")
    cty.wait_for_selector("#pane-message >> text=已审核通过")
    cty.goto(onsite_url)
    assert "将数字化水平等级写入企业档案" in cty.inner_text("main")
    cty.click("nav >> text=一企一档")
    cty.click("main table >> text=长垣市恒力起重机械有限公司")
    cty.wait_for_selector("#level-source")
    assert onsite_level in cty.inner_text("main")
    assert "来自 " in cty.inner_text("#level-source")

    # 6. The analysis shows the enterprise in its county and industry, with the charts drawn.
    cty.goto(f"{base}/evaluations/analysis")
    assert "长垣市" in cty.inner_text("#county-table")
    assert "专用设备制造业" in cty.inner_text("#industry-table")
    assert "起重装备" in cty.inner_text("#pilot-table")
    cty.wait_for_selector('[data-chart="heat"].drawn svg')
    cty.wait_for_selector('[data-chart="by_county"].drawn svg')
    with cty.expect_download() as info:
        cty.click("#export-xlsx")
    assert info.value.suggested_filename.endswith(".xlsx")
    for page in (ent, cty, ass):
        assert page.console_errors == [], page.console_errors
