"""The archive's pages over real HTTP requests: starting from the pilot record, saving stage by stage,
nested rows, the pickers, submitting, printing, the Word file, the spec JSON, and who may do what."""
from __future__ import annotations

import io
import json
import re

import pytest
from docx import Document
from sqlmodel import select

from app.accounts import roles
from app.archives import stages
from app.archives.forms import ArchiveForm
from app.archives.models import Archive
from app.audit.models import AuditEvent
from app.db import get_session
from app.libraries.registry import LIBRARIES
from app.libraries.service import save
from app.pilots.forms import PilotEnterpriseForm
from tests.samples import CLOUD, CREDIT, PAIRS, PILOT, _store, csrf_token_from, full, seed_catalogue

OTHER_CREDIT = "914403001922038216"


@pytest.fixture
def world(app, db, make_user):
    """Providers, products and the enterprise's pilot record in 长垣市 (410783)."""
    admin = make_user(roles.CITY_ADMIN, "410700")
    with app.test_request_context():
        seed_catalogue(db, admin)
        form = PilotEnterpriseForm.from_wire(PILOT)
        form.region.data = "410783"
        assert form.validate_for(submit=True), form.errors
        save(LIBRARIES["pilots"], form, user=admin, session=db, submit=True)
    return admin


def _archive(app) -> Archive | None:
    with app.app_context():
        return get_session().exec(select(Archive)).first()


def _basic_post(token: str, **changes) -> dict:
    payload = full()
    data = {k: payload[k] for k in stages.BASIC_REQUIRED if k not in ("baseType", "transResult")}
    data.update(baseType="3434", transResult="1", csrf_token=token, action="next")
    data.update({"businessInfo-year": "2024", "businessInfo-operateIncome": "18500", "businessInfo-profit": "-3"})
    data.update(changes)
    return data


def test_an_enterprise_starts_its_archive_from_its_pilot_record(app, client, login_as, world):
    login_as(roles.ENTERPRISE, "410783", credit_code=CREDIT, display_name="长垣市恒力起重机械有限公司")
    page = client.get("/archives/new").get_data(as_text=True)
    assert 'value="河南省/新乡市/长垣市/蒲西街道 18 号"' in page and 'value="起重机械"' in page
    assert "填报进度：已完成 0 / 6 个阶段" in page
    response = client.post("/archives/new", data=_basic_post(csrf_token_from(page)))
    assert response.status_code == 302, response.get_data(as_text=True)
    record = _archive(app)
    assert response.headers["Location"].endswith(f"/archives/{record.id}/stage/needs")
    assert record.region_code == "410783" and record.credit_code == CREDIT and record.status == "draft"
    wire = record.wire
    assert wire["companyNatureLabel"] == "有限责任公司" and wire["baseTypeName"] == "连续搬运设备制造"
    assert wire["businessInfo"]["profit"] == -3 and record.progress == "basic"
    # The enterprise's own archive opens instead of a second one.
    assert client.get("/archives/new").headers["Location"].endswith(f"/archives/{record.id}")
    with app.app_context():
        event = get_session().exec(select(AuditEvent).where(AuditEvent.action == "archives.create")).one()
        assert json.loads(event.detail)["stage"] == "basic"


def test_a_bad_value_is_shown_beside_its_field_and_the_rest_is_kept(app, client, login_as, world):
    login_as(roles.ENTERPRISE, "410783", credit_code=CREDIT)
    token = csrf_token_from(client.get("/archives/new").get_data(as_text=True))
    response = client.post("/archives/new", data=_basic_post(token, contactPhone="电话号码"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _archive(app) is None
    assert re.search(r'id="contactPhone-errors">\s*<li>联系电话格式不正确', page)
    assert 'value="王建国"' in page  # the other input is kept


def _stage_page(client, record_id: int, key: str) -> str:
    response = client.get(f"/archives/{record_id}/stage/{key}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_needs_and_contents_are_saved_stage_by_stage_with_links(app, client, login_as, world):
    user = login_as(roles.ENTERPRISE, "410783", credit_code=CREDIT)
    basic = {k: v for k, v in full().items() if k not in ("transNeeds", "transInfo", "transResultAfter", "evaluation")}
    record_id = _store(app, basic, user)
    page = _stage_page(client, record_id, "needs")
    token = csrf_token_from(page)
    # 添加: a new need row arrives as a fragment with the next 添加 button out of band.
    row = client.get(f"/archives/{record_id}/rows/transNeeds?index=0", headers={"HX-Request": "true"})
    fragment = row.get_data(as_text=True)
    assert "<html" not in fragment and 'name="transNeeds-0-sceneDesc"' in fragment
    assert 'hx-swap-oob="true"' in fragment and "index=1" in fragment
    needs = {"csrf_token": token, "action": "save",
             "transNeeds-0-sceneDesc": "设备数据人工抄录", "transNeeds-0-problemNeed": "需要实时监测",
             "transNeeds-0-useScenes_l1": "PRODUCTION_DIGITALIZATION", "transNeeds-0-useScenes_l2": "EQUIPMENT_MANAGEMENT",
             "transNeeds-0-useScenes_l3": "EQUIPMENT_OPERATION_MONITORING",
             "transNeeds-1-sceneDesc": "质量问题追溯难", "transNeeds-1-problemNeed": "需要质量追溯",
             "transNeeds-1-useScenes": "生产执行数字化/质量管理/产品质量追溯",
             # Not this stage's: ignored, the evaluation is the officials'.
             "evaluation-hadExpanded": "1", "companyName": "改名"}
    response = client.post(f"/archives/{record_id}/stage/needs", data=needs)
    assert response.status_code == 302, response.get_data(as_text=True)
    wire = _archive(app).wire
    assert [n["useScenes"] for n in wire["transNeeds"]] == ["生产执行数字化/设备管理/设备运行实时监测",
                                                          "生产执行数字化/质量管理/产品质量追溯"]
    assert wire["evaluation"]["hadExpanded"] is None and wire["companyName"] == basic["companyName"]
    assert _archive(app).progress == "basic,needs"

    assert "添加数字化转型改造内容" in _stage_page(client, record_id, "contents")
    row = client.get(f"/archives/{record_id}/rows/transInfo-transMaps?index=0", headers={"HX-Request": "true"})
    fragment = row.get_data(as_text=True)  # the link checkboxes offer this archive's stored needs
    assert 'name="transInfo-transMaps-0-linkTransNeeds" value="0"> 需求 1：设备数据人工抄录' in fragment
    assert 'value="1"> 需求 2：质量问题追溯难' in fragment
    contents = {"csrf_token": token, "action": "next",
                "transInfo-transMaps-0-transContentDesc": "部署设备联网平台",
                "transInfo-transMaps-0-transStartTime": "2025-03-01", "transInfo-transMaps-0-transEndTime": "2025-06-30",
                "transInfo-transMaps-0-transCosts": "30.5", "transInfo-transMaps-0-publicCloud": "设备数据上云",
                "transInfo-transMaps-0-privateCloud": "", "transInfo-transMaps-0-ServiceProviderName": CLOUD,
                "transInfo-transMaps-0-productName": PAIRS[0][1], "transInfo-transMaps-0-linkTransNeeds": "1"}
    response = client.post(f"/archives/{record_id}/stage/contents", data=contents)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/stage/after")
    wire = _archive(app).wire
    [content] = wire["transInfo"]["transMaps"]
    assert content["linkTransNeeds"] == [wire["transNeeds"][1]] and content["privateCloud"] == "无"
    assert wire["transInfo"]["totalTransCost"] == 30.5

    # Removing the linked need is refused on the needs stage, with the conflict named.
    response = client.post(f"/archives/{record_id}/stage/needs", data={
        "csrf_token": token, "action": "save", "transNeeds-0-sceneDesc": "设备数据人工抄录",
        "transNeeds-0-problemNeed": "需要实时监测", "transNeeds-0-useScenes": "生产执行数字化/设备管理/设备运行实时监测"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "其他阶段的内容与本次修改有冲突" in page
    assert "改造内容关联的需求必须是本档案“数字化转型需求”中填写的需求。" in page
    assert len(_archive(app).wire["transNeeds"]) == 2  # nothing stored changed


def test_pickers_offer_library_providers_and_their_products(client, login_as, world):
    login_as(roles.ENTERPRISE, "410783", credit_code=CREDIT)
    options = client.get("/archives/pickers/providers", query_string={"transInfo-transMaps-0-ServiceProviderName": "智云"},
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'<option value="{CLOUD}">' in options and "中原" not in options
    products = client.get("/archives/pickers/products", query_string={"transInfo-transMaps-3-ServiceProviderName": CLOUD},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "起重设备远程运维平台" in products and "质量追溯系统" in products and "工业设备物联平台" not in products
    nothing = client.get("/archives/pickers/products").get_data(as_text=True)
    assert "请先选择服务商" in nothing


def test_evaluation_is_the_officials_and_keeps_a_submitted_archive_submitted(app, client, login_as, make_user, world):
    enterprise = make_user(roles.ENTERPRISE, "410783", credit_code=CREDIT)
    payload = full()
    payload["evaluation"] = {}
    record_id = _store(app, payload, enterprise)
    from tests.samples import login
    login(client, enterprise.username)
    token = csrf_token_from(_stage_page(client, record_id, "basic"))
    page = _stage_page(client, record_id, "evaluation")
    assert "本阶段由主管部门填写，您可以查看" in page and 'name="evaluation-hadExpanded"' not in page
    assert client.post(f"/archives/{record_id}/stage/evaluation",
                       data={"csrf_token": token, "evaluation-hadExpanded": "1"}).status_code == 403
    assert client.post(f"/archives/{record_id}/submit", data={"csrf_token": token}).status_code == 302
    assert _archive(app).status == "submitted"
    client.post("/logout", data={"csrf_token": token})

    login_as(roles.COUNTY_OFFICIAL, "410783")
    page = _stage_page(client, record_id, "evaluation")
    token = csrf_token_from(page)
    bad = client.post(f"/archives/{record_id}/stage/evaluation", data={
        "csrf_token": token, "evaluation-hadExpanded": "1", "evaluation-hadPassed": "1",
        "evaluation-awardFunds": "20", "evaluation-fundsAllocated": "25"})
    assert "已拨付资金不能超过奖补资金（20 万元）。" in bad.get_data(as_text=True)
    good = client.post(f"/archives/{record_id}/stage/evaluation", data={
        "csrf_token": token, "evaluation-hadExpanded": "1", "evaluation-hadPassed": "0",
        "evaluation-failureReason": "改造未达预期", "evaluation-awardFunds": "20", "evaluation-fundsAllocated": "0"})
    assert good.status_code == 302
    record = _archive(app)
    assert record.status == "submitted" and record.wire["evaluation"]["failureReason"] == "改造未达预期"


def test_submitting_lists_what_is_missing_by_stage(app, client, login_as, world):
    user = login_as(roles.ENTERPRISE, "410783", credit_code=CREDIT)
    record_id = _store(app, {"companyName": "长垣市恒力起重机械有限公司", "creditCode": CREDIT}, user)
    token = csrf_token_from(client.get(f"/archives/{record_id}").get_data(as_text=True))
    response = client.post(f"/archives/{record_id}/submit", data={"csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "基本信息</a>：联系人：提交审核时必须填写“联系人”。" in page
    assert _archive(app).status == "draft"


@pytest.mark.parametrize(("role", "region", "credit", "status"), [
    (roles.ENTERPRISE, "410783", OTHER_CREDIT, 404),  # another enterprise
    (roles.COUNTY_OFFICIAL, "410721", None, 404),  # 新乡县: another county
    (roles.COUNTY_OFFICIAL, "410783", None, 200),
    (roles.CITY_ADMIN, "410700", None, 200),
    (roles.PROVIDER, "410783", OTHER_CREDIT, 403),
])
def test_who_may_open_an_archive(app, client, login_as, make_user, world, role, region, credit, status):
    owner = make_user(roles.ENTERPRISE, "410783", credit_code=CREDIT)
    record_id = _store(app, full(), owner)
    login_as(role, region, credit_code=credit)
    for url in (f"/archives/{record_id}", f"/archives/{record_id}/stage/needs", f"/archives/{record_id}/print",
                f"/archives/{record_id}/archive.docx", f"/archives/{record_id}/rows/transNeeds?index=3"):
        assert client.get(url).status_code == status, url


def test_the_archive_prints_and_downloads_whole(app, client, login_as, world):
    login_as(roles.COUNTY_OFFICIAL, "410783")
    record_id = _store(app, full(), world)
    page = client.get(f"/archives/{record_id}/print").get_data(as_text=True)
    for text in ("一企一档：长垣市恒力起重机械有限公司", "有限责任公司", "需求 3", "改造内容 2", "服务商和产品评价 1",
                 "生产执行数字化/设备管理/设备运行实时监测", "改造路径清晰", "css/print.css", "data-print"):
        assert text in page, text
    response = client.get(f"/archives/{record_id}/archive.docx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    doc = Document(io.BytesIO(response.data))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    for expected in ("一企一档：长垣市恒力起重机械有限公司", "绩效评价", "改造路径清晰", "质量追溯系统", "三级（集成级）"):
        assert expected in text, expected


@pytest.mark.parametrize(("mode", "snippet"), [("code", '"transResultAfter": {'), ("object", '"transResultCode": 1'),
                                               ("both", '"transResult": 1')])
def test_the_spec_json_page_follows_the_transresult_setting(make_app, make_user, world, mode, snippet):
    app = make_app(ARCHIVE_TRANS_RESULT=mode)
    client = app.test_client()
    official = make_user(roles.CITY_ADMIN, "410700")
    record_id = _store(app, full(), official, submit=True)  # an official's entry is formal at once: it has a wire
    from tests.samples import login
    login(client, official.username)
    page = client.get(f"/lib/archives/{record_id}/wire?download=1").get_data(as_text=True)
    assert snippet in page
    if mode == "both":
        assert page.count('"transResult"') == 2


def test_a_wrong_transresult_setting_stops_the_start(make_app):
    with pytest.raises(ValueError, match="ARCHIVE_TRANS_RESULT"):
        make_app(ARCHIVE_TRANS_RESULT="int")


def test_the_archive_list_and_the_pilot_record_link_to_the_archive(app, client, login_as, world):
    login_as(roles.COUNTY_OFFICIAL, "410783")
    record_id = _store(app, full(), world)
    listing = client.get("/lib/archives/").get_data(as_text=True)
    assert f'href="/archives/{record_id}"' in listing
    assert client.get(f"/lib/archives/{record_id}").headers["Location"].endswith(f"/archives/{record_id}")
    overview = client.get(f"/archives/{record_id}").get_data(as_text=True)
    assert "试点企业库记录" in overview and "填报进度：已完成 6 / 6 个阶段" in overview
    with app.app_context():
        pilot_id = get_session().exec(select(LIBRARIES["pilots"].model.id)).one()
    assert f'href="/archives/{record_id}"' in client.get(f"/lib/pilots/{pilot_id}").get_data(as_text=True)


def test_wire_json_is_exactly_the_stored_payload_in_code_mode(app, client, login_as, world):
    app.config["ARCHIVE_TRANS_RESULT"] = "code"  # an explicit option (the default is both)
    login_as(roles.CITY_ADMIN, "410700")
    record_id = _store(app, full(), world, submit=True)  # world is a city administrator: formal at once
    response = client.get(f"/lib/archives/{record_id}/wire?download=1")
    assert json.loads(response.data) == full()


def test_the_contract_and_files_are_uploaded_on_the_contents_stage(app, client, login_as, world):
    from tests.samples import PDF

    user = login_as(roles.ENTERPRISE, "410783", credit_code=CREDIT)
    record_id = _store(app, full(needs=1, maps=1), user)
    token = csrf_token_from(_stage_page(client, record_id, "contents"))
    stored = ArchiveForm.formdata_of(_archive(app).wire)
    data = {k: v for k, v in stored.items(multi=True) if k.startswith("transInfo-transMaps-")}
    data.update({"csrf_token": token, "action": "save", "contractInfo-fileType": "5",
                 "contractInfo-file": (io.BytesIO(PDF), "改造项目合同.pdf"),
                 "fileList-0-fileType": "6", "fileList-0-file": (io.BytesIO(b"not really a pdf"), "验收.pdf")})
    response = client.post(f"/archives/{record_id}/stage/contents", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="fileList-0-file-errors"' in page  # the fake PDF is refused
    assert _archive(app).wire["contractInfo"] is None  # nothing half-written
    assert "改造项目合同.pdf" in page  # the contract that was accepted is kept for the next try
    stored_id = re.search(r'name="contractInfo-file" type="hidden" value="(\d+)"', page)[1]
    data.update({"contractInfo-file": stored_id, "fileList-0-file": (io.BytesIO(PDF), "验收.pdf")})
    response = client.post(f"/archives/{record_id}/stage/contents", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    wire = _archive(app).wire
    assert wire["contractInfo"]["fileName"] == "改造项目合同.pdf" and wire["contractInfo"]["fileType"] == 5
    assert wire["contractInfo"]["fileCategory"] == "pdf" and wire["contractInfo"]["fileSize"] == str(len(PDF))
    assert [f["fileName"] for f in wire["fileList"]] == ["验收.pdf"]
    assert client.get(f"/files/{wire['contractInfo']['file']}").data == PDF
