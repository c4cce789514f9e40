"""一企一档 (spec 2.6) declared as a form: every attribute, the round trip, and each cross-field rule
broken once, with the Chinese message where the user sees it."""
from __future__ import annotations

import copy
import json

import pytest
from werkzeug.datastructures import MultiDict

from app.archives import stages, wire
from app.archives.forms import ArchiveForm
from tests.samples import CREDIT, IIOT, full, seed_catalogue

SPEC_ATTRIBUTES = {  # table 2.6 and each nested table, as the spec prints them
    None: ["companyName", "creditCode", "registAddress", "industryName", "industrySegments", "companyNature",
           "companyNatureLabel", "companyScale", "companyScaleLabel", "highQualitySme", "highQualitySmeLabel",
           "contactPerson", "contactPhone", "baseSituation", "productType", "productTypeName", "transResult",
           "companyScaleRange", "companyScaleRangeLabel", "baseTypeName", "baseType", "businessInfo", "transNeeds",
           "transInfo", "transResult", "evaluation", "contractInfo", "fileList"],
    "businessInfo": ["year", "operateIncome", "perOperateIncome", "profit", "digitalInvestment"],
    "transNeed": ["sceneDesc", "problemNeed", "useScenes"],
    "transInfo": ["degitalLevel", "degitalLevelName", "totalTransCost", "innovationDimension", "marketDimension",
                  "upgradeDimension", "reduceDimension", "synergiaDimension", "greenDimension", "safeDimension",
                  "otherDimension", "transMaps"],
    "transMap": ["transContentDesc", "transStartTime", "transEndTime", "transCosts", "publicCloud", "privateCloud",
                 "mixedCloud", "noneCloud", "ServiceProviderName", "productName", "linkTransNeeds"],
    "transResult": ["degitalLevel", "digitalLevelName", "innovationDimension", "marketDimension", "upgradeDimension",
                    "reduceDimension", "synergiaDimension", "greenDimension", "safeDimension", "otherDimension",
                    "ProductList"],
    "productEva": ["providerName", "productName", "evaluationStar", "evaluationInfo", "providerStar", "providerInfo",
                   "behaviourStar", "behaviourInfo", "afterSalesStar", "afterSalesInfo"],
    "evaluation": ["hadExpanded", "hadPassed", "failureReason", "awardFunds", "asATemplate", "asTemplateReason",
                   "fundsAllocated"],
    "uploadFile": ["fileType", "fileName", "file", "fileSize", "fileCategory"],
}


@pytest.fixture
def ctx(app, db, make_user):
    from app.accounts import roles
    admin = make_user(roles.CITY_ADMIN, "410700")
    with app.test_request_context():
        seed_catalogue(db, admin)
        yield db


def _form(payload: dict) -> ArchiveForm:
    return ArchiveForm.from_wire(payload)


def _names(form) -> list[str]:
    return [f.short_name for f in form if f.short_name != "csrf_token"]


def test_every_attribute_of_2_6_is_a_field_with_that_html_name(ctx):
    form = _form(full(needs=1, maps=1))
    assert _names(form) == SPEC_ATTRIBUTES[None]
    assert _names(form.businessInfo.form) == SPEC_ATTRIBUTES["businessInfo"]
    assert _names(form.transNeeds[0].form) == SPEC_ATTRIBUTES["transNeed"]
    assert _names(form.transInfo.form) == SPEC_ATTRIBUTES["transInfo"]
    assert _names(form.transInfo.form.transMaps[0].form) == SPEC_ATTRIBUTES["transMap"]
    assert _names(form.transResultAfter.form) == SPEC_ATTRIBUTES["transResult"]
    assert _names(form.transResultAfter.form.ProductList[0].form) == SPEC_ATTRIBUTES["productEva"]
    assert _names(form.evaluation.form) == SPEC_ATTRIBUTES["evaluation"]
    assert sorted(_names(form.contractInfo.form)) == sorted(SPEC_ATTRIBUTES["uploadFile"])
    # Nested attributes carry their object's name as a prefix: the two transResults do not collide.
    assert form.transResult.name == "transResult"
    assert form.transResultAfter.form.degitalLevel.name == "transResult-degitalLevel"
    assert form.transInfo.form.transMaps[0].form.ServiceProviderName.name == "transInfo-transMaps-0-ServiceProviderName"


def test_a_full_archive_round_trips_form_record_json_form(ctx):
    payload = full()
    form = _form(payload)
    assert form.validate_for(submit=True), form.errors
    assert form.to_wire() == payload
    again = _form(json.loads(json.dumps(form.to_wire())))
    assert again.validate_for(submit=True), again.errors
    assert again.to_wire() == payload


@pytest.mark.parametrize("mode", sorted(wire.MODES))
def test_the_two_transresults_travel_as_the_setting_says_and_read_back(ctx, mode):
    payload = full(needs=2, maps=2)
    text = wire.dumps(payload, mode)
    if mode == "code":
        assert '"transResult": 1' in text and '"transResultAfter": {' in text
    elif mode == "object":
        assert '"transResultCode": 1' in text and '"transResult": {' in text
    else:
        assert text.index('"transResult": 1') < text.index('"transResult": {')
        assert "transResultAfter" not in text and "transResultCode" not in text
    received = wire.loads(text)
    assert received == payload
    form = _form(received)
    assert form.validate_for(submit=True), form.errors
    assert form.to_wire() == payload


def _errors_of(form) -> str:
    return json.dumps(form.errors, ensure_ascii=False)


def test_a_linked_need_must_be_one_of_the_archives_needs(ctx):
    payload = full()
    payload["transInfo"]["transMaps"][0]["linkTransNeeds"] = [{"sceneDesc": "别的需求", "problemNeed": "x",
                                                               "useScenes": None}]
    form = _form(payload)
    assert not form.validate_for(submit=False)
    assert "改造内容关联的需求必须是本档案“数字化转型需求”中填写的需求。" in form.transInfo.form.transMaps[0].form.linkTransNeeds.errors


def test_a_link_follows_its_need_when_another_need_is_removed(ctx):
    payload = full(needs=3, maps=1)
    payload["transInfo"]["transMaps"][0]["linkTransNeeds"] = [payload["transNeeds"][2]]
    data = ArchiveForm.formdata_of(payload)
    kept = MultiDict([(k, v) for k, v in data.items(multi=True) if not k.startswith("transNeeds-1-")])
    form = ArchiveForm(formdata=kept, meta={"csrf": False})
    assert form.validate_for(submit=False), form.errors
    out = form.to_wire()
    assert len(out["transNeeds"]) == 2
    assert out["transInfo"]["transMaps"][0]["linkTransNeeds"] == [payload["transNeeds"][2]]


def test_removing_a_linked_need_is_refused_while_a_content_links_it(ctx):
    payload = full(needs=2, maps=1)  # content 1 links need 1
    data = ArchiveForm.formdata_of(payload)
    kept = MultiDict([(k, v) for k, v in data.items(multi=True) if not k.startswith("transNeeds-0-")])
    form = ArchiveForm(formdata=kept, meta={"csrf": False})
    assert not form.validate_for(submit=False)
    assert "改造内容关联的需求必须是本档案" in _errors_of(form)


def test_provider_and_product_must_be_in_the_libraries(ctx):
    payload = full()
    payload["transInfo"]["transMaps"][0]["ServiceProviderName"] = "不存在的服务商"
    payload["transInfo"]["transMaps"][1]["productName"] = "别家的产品"
    form = _form(payload)
    assert not form.validate_for(submit=False)
    rows = form.transInfo.form.transMaps
    assert rows[0].form.ServiceProviderName.errors == [
        "服务商库中没有“不存在的服务商”，服务商名称需与服务商库一致，请从候选中选择。"]
    assert rows[1].form.productName.errors == [f"产品库中没有服务商“{IIOT}”的产品“别家的产品”，请从列表中选择。"]


def test_product_choices_are_the_chosen_providers_products(ctx):
    form = _form(full())
    offered = [c.value for c in form.transInfo.form.transMaps[0].form.productName.choices if c.value]
    assert offered == ["质量追溯系统", "起重设备远程运维平台"]


def test_a_rating_must_name_a_pair_used_in_the_contents(ctx):
    payload = full()
    payload["transResultAfter"]["ProductList"][0]["productName"] = "工业设备物联平台"  # with CLOUD: not a used pair
    form = _form(payload)
    assert not form.validate_for(submit=False)
    assert form.transResultAfter.form.ProductList[0].form.productName.errors == [
        "评价的服务商和产品必须是“改造内容”中使用的服务商和产品。"]


def test_total_cost_is_the_sum_of_the_contents_whatever_was_sent(ctx):
    payload = full()
    payload["transInfo"]["totalTransCost"] = 1
    form = _form(payload)
    assert form.validate_for(submit=False)
    assert form.to_wire()["transInfo"]["totalTransCost"] == 13.5 + 14.5 + 15.5


def test_labels_are_derived_from_their_codes(ctx):
    payload = full()
    payload.update(companyNatureLabel="国有企业", companyScaleLabel="微型", highQualitySmeLabel="无",
                   companyScaleRangeLabel="规模以下企业", baseTypeName="别的行业")
    payload["transInfo"]["degitalLevelName"] = "四级（协同级）"
    payload["transResultAfter"]["digitalLevelName"] = "无等级"
    form = _form(payload)
    assert form.validate_for(submit=True), form.errors
    assert form.to_wire() == full()


def test_funds_allocated_may_not_exceed_the_award(ctx):
    payload = full()
    payload["evaluation"].update(awardFunds=20, fundsAllocated=30)
    form = _form(payload)
    assert not form.validate_for(submit=False)
    assert form.evaluation.form.fundsAllocated.errors == ["已拨付资金不能超过奖补资金（20 万元）。"]


def test_evaluation_reasons_follow_the_decisions(ctx):
    payload = full()
    payload["evaluation"].update(hadPassed=0, failureReason=None, asATemplate=1, asTemplateReason=None)
    form = _form(payload)
    assert not form.validate_for(submit=False)
    e = form.evaluation.form
    assert e.failureReason.errors == ["绩效评价未通过时，请填写不通过理由。"]
    assert e.asTemplateReason.errors == ["作为模板时，请填写作为模板理由。"]
    payload["evaluation"].update(hadExpanded=0, hadPassed=1, failureReason="x", asTemplateReason="y")
    form = _form(payload)
    assert not form.validate_for(submit=False)
    assert form.evaluation.form.hadPassed.errors == ["尚未开展绩效评价，不能填写“是否已通过”。"]


def test_an_end_date_may_not_precede_its_start(ctx):
    payload = full()
    payload["transInfo"]["transMaps"][0].update(transStartTime="2025-05-01", transEndTime="2025-04-30")
    form = _form(payload)
    assert not form.validate_for(submit=False)
    assert form.transInfo.form.transMaps[0].form.transEndTime.errors == ["改造结束时间不能早于开始时间。"]


def test_limits_of_the_spec_remarks(ctx):
    payload = full()
    payload["transNeeds"][0]["problemNeed"] = "需" * 1001
    payload["transInfo"]["greenDimension"] = "绿" * 501
    payload["evaluation"]["failureReason"] = "理" * 251
    payload["businessInfo"]["year"] = "24年"
    form = _form(payload)
    assert not form.validate_for(submit=False)
    assert form.transNeeds[0].form.problemNeed.errors == ["不能超过 1000 个字。"]
    assert form.transInfo.form.greenDimension.errors == ["不能超过 500 个字。"]
    assert form.evaluation.form.failureReason.errors == ["不能超过 250 个字。"]
    assert form.businessInfo.form.year.errors == ["年份应为四位数字，例如 2024。"]


def test_an_unused_cloud_is_sent_as_wu(ctx):
    payload = full()
    payload["transInfo"]["transMaps"][0].update(privateCloud=None, mixedCloud="")
    form = _form(payload)
    assert form.validate_for(submit=False)
    row = form.to_wire()["transInfo"]["transMaps"][0]
    assert row["privateCloud"] == "无" and row["mixedCloud"] == "无"


def test_submitting_requires_the_basic_attributes_but_a_draft_does_not(ctx):
    payload = {"companyName": "长垣市恒力起重机械有限公司", "creditCode": CREDIT}
    form = _form(payload)
    assert form.validate_for(submit=False), form.errors
    form = _form(payload)
    assert not form.validate_for(submit=True)
    assert form.contactPerson.errors == ["提交审核时必须填写“联系人”。"]
    assert form.baseType.errors == ["提交审核时必须填写“国民经济行业”。"]


def test_stage_states_follow_what_is_filled(ctx):
    payload = full()
    assert set(stages.progress(payload).values()) == {stages.DONE}
    partial = copy.deepcopy(payload)
    partial["transNeeds"][1]["problemNeed"] = None
    partial["evaluation"] = {"hadExpanded": None}
    progress = stages.progress(partial)
    assert progress["needs"] == stages.PARTIAL and progress["evaluation"] == stages.EMPTY
    assert stages.progress({})["basic"] == stages.EMPTY


def test_the_stages_cover_every_field_once(ctx):
    form = ArchiveForm(meta={"csrf": False})
    seen = [f for stage in stages.STAGES for f in stage.fields(form)]
    assert len({id(f) for f in seen}) == len(seen)
    everything = [f for f in form if f.name not in ("csrf_token", "transInfo")] + list(form.transInfo.form)
    assert {id(f) for f in seen} == {id(f) for f in everything}
