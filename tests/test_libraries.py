"""The library pages over real HTTP requests: create, draft and submit, detail, 查看报文, list filters,
nested rows, uploads, and who may see what."""
from __future__ import annotations

import copy
import io
import json

import pytest
from sqlmodel import select

from app.accounts import roles
from app.db import get_session
from app.libraries.registry import LIBRARIES
from tests.samples import PILOT, PRODUCT, PROVIDER, TARGET, _post, login, png_bytes

ENT_A, ENT_B = "91110000600037341L", "914403001922038216"


def _product_post(**kw) -> dict:
    """PRODUCT as a browser posts it: the scenes through the picker, a new cover upload."""
    payload = copy.deepcopy(PRODUCT)
    payload.pop("fileList")
    data = _post(payload, **kw)
    data["fileList-0-fileType"] = "3"
    data["fileList-0-file"] = (io.BytesIO(png_bytes()), "封面.png")
    return data


def _records(app, key):
    with app.app_context():
        return list(get_session().exec(select(LIBRARIES[key].model)))


CASES = [("providers", PROVIDER), ("pilots", PILOT), ("targets", TARGET)]


@pytest.mark.parametrize(("key", "payload"), CASES)
def test_an_official_creates_a_record_and_its_spec_json_round_trips(app, client, login_as, key, payload):
    login_as(roles.CITY_ADMIN, "410700")
    response = client.post(f"/lib/{key}/new", data=_post(payload))
    assert response.status_code == 302, response.get_data(as_text=True)
    [record] = _records(app, key)
    # An official's own entry needs no review: it is in the formal library at once (app/review).
    assert record.wire == payload and record.status == "approved" and record.formal == payload
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已入库" in detail and "主管部门直接入库" in detail and str(record.title) in detail
    wire_page = client.get(f"/lib/{key}/{record.id}/wire").get_data(as_text=True)
    assert json.dumps(payload, ensure_ascii=False, indent=2).replace('"', "&#34;") in wire_page
    download = client.get(f"/lib/{key}/{record.id}/wire?download=1")
    assert download.json == payload
    # The edit page shows the record back; posting it unchanged changes nothing on the wire.
    edit = client.get(f"/lib/{key}/{record.id}/edit").get_data(as_text=True)
    assert f'value="{payload[next(iter(payload))]}"' in edit
    assert client.post(f"/lib/{key}/{record.id}/edit", data=_post(payload)).status_code == 302
    assert _records(app, key)[0].wire == payload


def test_a_product_with_an_uploaded_cover_and_two_scenes(app, client, login_as, make_user):
    login_as(roles.PROVIDER, "410700", credit_code=ENT_B)
    response = client.post("/lib/products/new", data=_product_post(), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    [record] = _records(app, "products")
    wire = record.wire
    assert wire["useSceneList"] == PRODUCT["useSceneList"]
    assert wire["fileList"][0]["fileName"] == "封面.png" and wire["fileList"][0]["fileCategory"] == "png"
    assert record.credit_code == ENT_B and record.industry == "专用设备制造业"
    # Posting the record back unchanged (the file row carries its stored id) changes nothing on the wire.
    assert client.post(f"/lib/products/{record.id}/edit", data=_post(wire)).status_code == 302
    assert _records(app, "products")[0].wire == wire
    file_id = wire["fileList"][0]["file"]
    assert client.get(f"/files/{file_id}").data == png_bytes()
    assert app.test_client().get(f"/files/{file_id}").status_code == 302  # not logged in
    elsewhere = app.test_client()
    login(elsewhere, make_user(roles.CITY_ADMIN, "410100").username)
    assert elsewhere.get(f"/files/{file_id}").status_code == 404
    assert elsewhere.get(f"/lib/products/{record.id}").status_code == 404


def test_a_draft_may_be_partial_but_submitting_needs_every_y_field(app, client, login_as):
    login_as(roles.CITY_ADMIN, "410700")
    draft = client.post("/lib/pilots/new", data={"companyName": "新乡县丰源粮食机械有限公司", "action": "draft"})
    assert draft.status_code == 302
    [record] = _records(app, "pilots")
    assert record.status == "draft" and record.title == "新乡县丰源粮食机械有限公司"
    page = client.post(f"/lib/pilots/{record.id}/edit",
                       data={"companyName": "新乡县丰源粮食机械有限公司", "registAddress": "河南省新乡市", "action": "submit"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "提交审核时必须填写“信用代码”" in html and "请用“/”分隔" in html
    assert 'value="河南省新乡市"' in html  # what was typed is kept
    assert _records(app, "pilots")[0].status == "draft"  # nothing half-stored


def test_a_duplicate_natural_key_is_refused_beside_the_key_field(app, client, login_as):
    login_as(roles.CITY_ADMIN, "410700")
    assert client.post("/lib/providers/new", data=_post(PROVIDER)).status_code == 302
    again = client.post("/lib/providers/new", data=_post({**PROVIDER, "serviceName": "另一个名字"}))
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "同一服务商已存在" in html and 'value="另一个名字"' in html
    assert len(_records(app, "providers")) == 1


def test_an_enterprise_reports_only_for_itself(app, client, login_as, make_user):
    login_as(roles.ENTERPRISE, "410783", credit_code=ENT_A)
    form = client.get("/lib/pilots/new").get_data(as_text=True)
    assert f'value="{ENT_A}"' in form and 'value="测试用户"' in form  # its own name and code are filled in
    foreign = client.post("/lib/pilots/new", data=_post({**PILOT, "creditCode": ENT_B}))
    assert "只能填报本单位" in foreign.get_data(as_text=True)
    assert client.post("/lib/pilots/new", data=_post(PILOT)).status_code == 302
    [mine] = _records(app, "pilots")
    again = client.get("/lib/pilots/new")  # its one record opens for editing instead of a second one
    assert again.headers["Location"].endswith(f"/lib/pilots/{mine.id}/edit")
    other = make_user(roles.ENTERPRISE, "410783", credit_code=ENT_B, username="ent_b")
    other_client = app.test_client()
    login(other_client, other.username)
    assert other_client.get(f"/lib/pilots/{mine.id}").status_code == 404
    assert other_client.get(f"/lib/pilots/{mine.id}/edit").status_code == 404
    assert mine.title not in other_client.get("/lib/pilots/").get_data(as_text=True)
    assert other_client.get("/lib/providers/").status_code == 403
    assert client.get(f"/lib/pilots/{mine.id}/wire").status_code == 403  # 查看报文 is for officials


def test_officials_see_their_region_only(app, client, login_as, make_user):
    login_as(roles.COUNTY_OFFICIAL, "410783")
    assert client.post("/lib/pilots/new", data=_post(PILOT, county="410783")).status_code == 302
    [record] = _records(app, "pilots")
    for region, expected in (("410700", 200), ("410000", 200), ("410721", 404), ("410102", 404)):
        official = make_user(roles.CITY_ADMIN if region.endswith("00") else roles.COUNTY_OFFICIAL, region)
        other = app.test_client()
        login(other, official.username)
        assert other.get(f"/lib/pilots/{record.id}").status_code == expected, region
    outside = client.post("/lib/pilots/new", data=_post({**PILOT, "creditCode": ENT_B}, county="410721"))
    assert "不在您的管辖范围内" in outside.get_data(as_text=True)


@pytest.mark.parametrize("role", [roles.HUB_ADMIN, roles.SYS_ADMIN, roles.SEC_ADMIN, roles.AUDIT_ADMIN])
@pytest.mark.parametrize("key", ["providers", "products", "pilots", "targets"])
def test_roles_outside_the_libraries_are_refused(client, login_as, role, key):
    login_as(role, "410700")
    assert client.get(f"/lib/{key}/").status_code == 403
    assert client.get(f"/lib/{key}/new").status_code == 403


def test_list_search_filters_sorting_and_paging(app, client, login_as):
    login_as(roles.CITY_ADMIN, "410700")
    for i in range(23):
        data = _post({**PILOT, "companyName": f"新乡测试企业{i:02d}", "creditCode": _code(i),
                      "industryName": "汽车制造业" if i % 2 else "专用设备制造业"},
                     action="submit" if i < 20 else "draft", county="410721" if i < 5 else "410783")
        assert client.post("/lib/pilots/new", data=data).status_code == 302
    page = client.get("/lib/pilots/?sort=title").get_data(as_text=True)
    assert "第 1 / 2 页" in page and page.index("新乡测试企业00") < page.index("新乡测试企业01")
    part = client.get("/lib/pilots/?sort=title&page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and "新乡测试企业22" in part
    assert "新乡测试企业07" in client.get("/lib/pilots/?q=企业07").get_data(as_text=True)
    drafts = client.get("/lib/pilots/?status=draft").get_data(as_text=True)
    assert "共 3 条" in drafts
    cars = client.get("/lib/pilots/?industry=汽车制造业").get_data(as_text=True)
    assert "共 11 条" in cars and '<option value="汽车制造业" selected>' in cars  # the filter shows its state
    county = client.get("/lib/pilots/?region=410721").get_data(as_text=True)
    assert "共 5 条" in county
    assert "没有符合条件的记录" in client.get("/lib/pilots/?q=不存在").get_data(as_text=True)


def _code(i: int) -> str:
    from app.dicts.validators import credit_code_check_char

    first17 = f"91410783MA{i:07d}"
    return first17 + credit_code_check_char(first17)


def test_nested_rows_are_added_in_place(client, login_as):
    login_as(roles.PROVIDER, "410700", credit_code=ENT_B)
    row = client.get("/lib/products/rows/useSceneList?index=3", headers={"HX-Request": "true"})
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and "<html" not in html
    for attr in ("desc", "subdivideIndustry", "industryName"):
        assert f'name="useSceneList-3-{attr}"' in html
    assert 'name="useSceneList-3-itemName_l1"' in html and 'name="useSceneList-3-itemName"' in html
    assert 'hx-swap-oob="true"' in html and "index=4" in html
    assert 'name="fileList-0-file"' in client.get("/lib/products/rows/fileList?index=0").get_data(as_text=True)
    assert client.get("/lib/products/rows/softwareName?index=0").status_code == 404
    assert client.get("/lib/targets/rows/performanceCycleList?index=0").status_code == 403  # providers set no targets


def test_a_bad_upload_is_refused_and_the_rest_kept(app, client, login_as):
    login_as(roles.PROVIDER, "410700", credit_code=ENT_B)
    data = _product_post()
    data["fileList-0-file"] = (io.BytesIO(b"MZ" + bytes(300)), "封面.png")
    response = client.post("/lib/products/new", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "PNG" in html
    assert 'value="起重设备远程运维平台"' in html
    assert _records(app, "products") == []


@pytest.mark.parametrize(("key", "payload"), [("providers", PROVIDER), ("pilots", PILOT), ("products", PRODUCT),
                                              ("targets", TARGET)])
def test_the_running_forms_carry_every_spec_attribute_as_an_html_name(client, login_as, key, payload):
    login_as(roles.CITY_ADMIN, "410700")
    html = client.get(f"/lib/{key}/new").get_data(as_text=True)
    for attr, value in payload.items():
        if isinstance(value, list):
            rows = client.get(f"/lib/{key}/rows/{attr}?index=0").get_data(as_text=True)
            sample = value[0] if value else {"fileType": 0, "fileName": 0, "file": 0, "fileSize": 0, "fileCategory": 0}
            for sub in sample:
                assert f'name="{attr}-0-{sub}"' in rows, f"{attr}-0-{sub}"
        else:
            assert f'name="{attr}"' in html, attr


def test_an_oversize_cover_is_refused_in_the_form(app, client, login_as):
    login_as(roles.PROVIDER, "410700", credit_code=ENT_B)
    data = _product_post()
    data["fileList-0-file"] = (io.BytesIO(png_bytes() + bytes(1024 * 1024)), "大封面.png")
    html = client.post("/lib/products/new", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "服务商产品封面文件不能超过 1 MB" in html and _records(app, "products") == []


def test_paging_totals_are_exact_with_and_without_the_count_shortcut(app, client, login_as):
    """A first page that is not full is its own total; a full one still counts (app.pagination)."""
    login_as(roles.CITY_ADMIN, "410700")
    for i in range(21):
        client.post("/lib/pilots/new", data=_post({**PILOT, "companyName": f"分页企业{i:02d}", "creditCode": _code(100 + i)}))
    assert "共 21 条" in client.get("/lib/pilots/?page=2").get_data(as_text=True)
    assert "第 1 / 2 页，共 21 条" in client.get("/lib/pilots/").get_data(as_text=True)
    assert "共 1 条" in client.get("/lib/pilots/?q=分页企业07").get_data(as_text=True)
    assert "第 2 / 2 页" in client.get("/lib/pilots/?page=99").get_data(as_text=True)  # a stale link is clamped
