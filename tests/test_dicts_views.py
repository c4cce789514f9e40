"""The dictionary pages, the picker fragments and the pickers' server-side validation."""
from __future__ import annotations

import re

import pytest

from app.accounts import roles

HX = {"HX-Request": "true"}

VALID = {
    "region_province": "410000", "region_city": "410700", "region_county": "410721",
    "scene_l1": "PRODUCT_LIFRCYCLE_DIGITALIZATION", "scene_l2": "PRODUCT_DESIGN",
    "scene_l3": "DIGITAL_MODEL_VISUALIZATION_DESIGN",
    "industry": "3411", "industry-q": "",
}


def selected(html: str, name: str) -> str | None:
    """The selected option's value of the <select name=...> on the page."""
    select = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', html, re.S)
    if not select:
        return None
    option = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return option.group(1) if option else ""


def errors_of(html: str, field_id: str) -> list[str]:
    block = re.search(rf'<ul class="errors" id="{field_id}-errors">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


@pytest.mark.parametrize("url", ["/dicts/", "/dicts/scene", "/dicts/regions", "/dicts/industries",
                                 "/dicts/demo-pickers"])
def test_anonymous_users_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/dicts/", "/dicts/scene", "/dicts/regions", "/dicts/industries",
                                 "/dicts/demo-pickers"])
def test_enterprise_users_may_not_read_the_dictionaries(client, login_as, url):
    login_as(roles.ENTERPRISE, credit_code="914403001922038216")
    assert client.get(url).status_code == 403


def test_picker_fragments_need_a_login(client, make_user):
    scene = client.get("/dicts/pickers/scene?field=scene&id=scene&parts=a,b", headers=HX)
    assert scene.status_code in (302, 401)
    make_user(roles.SYS_ADMIN)  # the region picker also serves the first-run page until then (test_first_run)
    response = client.get("/dicts/pickers/region?field=region&id=region&parts=a,b", headers=HX)
    assert response.status_code in (302, 401)


def test_index_lists_every_dictionary_with_its_count(client, login_as):
    login_as(roles.CITY_ADMIN)
    html = client.get("/dicts/").get_data(as_text=True)
    for title, n in [("服务商类型表", 3), ("场景字典对应表", 70), ("数据推送接口错误码", 5)]:
        assert re.search(rf">{title}</a></td>\s*<td><code>\w+</code></td>\s*<td>{n}</td>", html)
    assert "3219" in html and "1971" in html


def test_dictionary_pages_show_codes_as_spelled(client, login_as):
    login_as(roles.AUDIT_ADMIN)
    scene = client.get("/dicts/scene").get_data(as_text=True)
    assert "<code>CUSTOMER SERVICE</code>" in scene and "<code>SCENC_OTHER</code>" in scene
    assert "1.4.1 客户服务管理" in scene
    assert "<code>Individual Champion</code>" in client.get("/dicts/quality_cert").get_data(as_text=True)
    files = client.get("/dicts/file_type").get_data(as_text=True)
    assert "文件大小不能超过 1M" in files and str(1024 * 1024) in files
    assert client.get("/dicts/no_such_dict").status_code == 404


def test_region_browser_filters_and_pages(client, login_as):
    login_as(roles.SYS_ADMIN)
    html = client.get("/dicts/regions?level=2&spec=missing&q=新乡").get_data(as_text=True)
    assert "<code>410700</code>" in html and "新乡市" in html and "<html" in html
    spec_only = client.get("/dicts/regions?spec=spec_only", headers=HX)
    fragment = spec_only.get_data(as_text=True)
    assert "<html" not in fragment and "新疆生产建设兵团" in fragment and "共 1 条" in fragment
    assert "HX-Request" in spec_only.headers["Vary"]
    page2 = client.get("/dicts/regions?level=1&page=2", headers=HX).get_data(as_text=True)
    assert "第 2 / 2 页" in page2 and "page=1" in page2 and "level=1" in page2


def test_industry_browser(client, login_as):
    login_as(roles.COUNTY_OFFICIAL)
    fragment = client.get("/dicts/industries?q=软件开发", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "<code>6511</code>" in fragment and "基础软件开发" in fragment


def test_region_picker_fragment_refills_the_cities(client, login_as):
    login_as(roles.ENTERPRISE, credit_code="914403001922038216")  # any logged-in user may use pickers
    url = ("/dicts/pickers/region?field=region&id=region&label=所属地区&parts=region_province,region_city,"
           "region_county&min_level=1&region_province=110000&region_city=410700&region_county=410721")
    html = client.get(url, headers=HX).get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith("<fieldset")
    assert 'id="region-picker"' in html and "<legend>所属地区</legend>" in html
    # 新乡 is not a city of 北京: the stale choices below the province are forgotten
    assert selected(html, "region_province") == "110000" and selected(html, "region_city") == ""
    assert '<option value="110105">朝阳区</option>' in html and '<option value="110100"' not in html
    assert 'hx-get="/dicts/pickers/region"' in html


def test_scene_and_industry_picker_fragments(client, login_as):
    login_as(roles.CITY_ADMIN)
    scene = client.get("/dicts/pickers/scene?field=scene&id=scene&label=场景&parts=s1,s2,s3"
                       "&s1=SUPPLY_CHAIN_DIGITALIZATION&s2=WAREHOUSE_MANAGEMENT", headers=HX)
    scene = scene.get_data(as_text=True)
    assert "<html" not in scene and "3.2.1 仓储运行数字化管理" in scene
    assert selected(scene, "s2") == "WAREHOUSE_MANAGEMENT"
    industry = client.get("/dicts/pickers/industry?field=industry&id=industry&min_level=4"
                          "&industry-q=软件开发&industry=3411", headers=HX).get_data(as_text=True)
    assert "<html" not in industry and 'value="6511"' in industry
    assert re.search(r'value="3411"\s+checked', industry)  # the current choice stays
    assert industry.index('value="3411"') < industry.index('value="6511"')
    assert client.get("/dicts/pickers/scene?field=x&id=<script>&parts=a", headers=HX).status_code == 400


def test_demo_form_accepts_a_valid_choice_and_shows_wire_codes(client, login_as):
    login_as(roles.CITY_ADMIN)
    page = client.get("/dicts/demo-pickers").get_data(as_text=True)
    assert 'for="region-region_province"' in page and 'id="industry-results" aria-live="polite"' in page
    html = client.post("/dicts/demo-pickers", data=VALID).get_data(as_text=True)
    assert "校验通过" in html
    assert "provinceCode <code>410000</code>，cityCode <code>410700</code>" in html
    assert "产品生命周期数字化/产品设计/数字化建模及可视化设计" in html
    assert "河南省 / 新乡市 / 新乡县" in html


def test_demo_form_accepts_a_beijing_district_and_a_childless_scene(client, login_as):
    login_as(roles.CITY_ADMIN)
    data = {**VALID, "region_province": "110000", "region_city": "110105", "region_county": "",
            "scene_l1": "SCENC_OTHER", "scene_l2": "", "scene_l3": ""}
    html = client.post("/dicts/demo-pickers", data=data).get_data(as_text=True)
    assert "校验通过" in html and "cityCode <code>110105</code>" in html


@pytest.mark.parametrize("changes, field_id, message", [
    ({"region_province": "990000", "region_city": "", "region_county": ""}, "region", "所选省份不存在"),
    ({"region_province": "130000"}, "region", "所选城市不属于该省份"),
    ({"region_province": "110000", "region_city": "110100", "region_county": "110105"}, "region",
     "“市辖区”（110100）不是具体的行政区，请直接选择其下的区县"),
    ({"region_county": "410102"}, "region", "所选区县不属于该城市"),
    ({"region_city": "", "region_county": ""}, "region", "请选择城市"),
    ({"region_city": ""}, "region", "请先选择城市"),
    ({"scene_l2": "MARKETING_MANAGEMENT"}, "scene", "所选三级场景不属于该二级场景"),
    ({"scene_l3": ""}, "scene", "请选择三级场景"),
    ({"industry": "9999"}, "industry", "所选行业代码不存在"),
    ({"industry": "341"}, "industry", "请选择到小类（所选“锅炉及原动设备制造”是中类）"),
    ({"industry": ""}, "industry", "请选择行业"),
])
def test_demo_form_rejects_bad_choices_and_keeps_the_values(client, login_as, changes, field_id, message):
    login_as(roles.CITY_ADMIN)
    data = {**VALID, **changes}
    html = client.post("/dicts/demo-pickers", data=data).get_data(as_text=True)
    assert "校验通过" not in html
    assert errors_of(html, field_id) == [message]
    assert f'aria-describedby="{field_id}-errors"' in html
    for other in {"region", "scene", "industry"} - {field_id}:
        assert errors_of(html, other) == []
    # every posted value is still there, valid or not, so the user sees what to fix
    for name in ("region_province", "region_city", "region_county", "scene_l1", "scene_l2", "scene_l3"):
        if data[name] and (field_id != "region" or name.startswith("region")):
            assert selected(html, name) == data[name], name
    if data["industry"]:
        assert re.search(rf'value="{data["industry"]}"\s+checked', html)


def test_demo_form_without_javascript_offers_the_next_level(client, login_as):
    """A plain POST with only a province chosen answers with the cities of that province to pick from."""
    login_as(roles.CITY_ADMIN)
    data = {**VALID, "region_province": "410000", "region_city": "", "region_county": "",
            "industry": "", "industry-q": "软件开发"}
    html = client.post("/dicts/demo-pickers", data=data).get_data(as_text=True)
    assert errors_of(html, "region") == ["请选择城市"] and '<option value="410700">新乡市</option>' in html
    assert errors_of(html, "industry") == ["请选择行业"] and 'value="6511"' in html
