"""Intake of pushes for all five libraries over real HTTP: valid and invalid records counted in the spec's
answer (addTotal, updateTotal / updataTotal, faidTotal, faidEntName) with the per-record resultList, a second
push counted as an update, Base64 files stored, submissions in the review queue as 下级平台推送 from the
platform, and an official's approval putting them in the formal library."""
from __future__ import annotations

import base64
import copy
import json

import pytest
from sqlmodel import select

from app.accounts import roles
from app.archives.example import example_payload
from app.db import get_session
from app.dicts.validators import credit_code_check_char
from app.files.models import StoredFile
from app.hub.models import HubCall
from app.libraries.registry import LIBRARIES
from app.review.models import HUB, Notification, Submission
from tests.hub_support import COUNTY
from tests.samples import PILOT, PRODUCT, PROVIDER, TARGET, login, png_bytes

PLATFORM_NAME = "长垣市中小企业数字化转型公共服务平台"


def code(n: int, region: str = COUNTY) -> str:
    first17 = f"91{region}7{n:08d}"
    return first17 + credit_code_check_char(first17)


def provider(n: int) -> dict:
    return {**PROVIDER, "serviceName": f"长垣智造科技{n}有限公司", "unifiedCreditCode": code(n)}


def product(n: int, company: str) -> dict:
    png = png_bytes()
    return {**copy.deepcopy(PRODUCT), "softwareName": f"设备远程运维平台{n}", "companyName": company,
            "fileList": [{"fileType": 3, "fileName": "封面.png", "file": base64.b64encode(png).decode(),
                          "fileSize": str(len(png)), "fileCategory": "png"}]}


def pilot(n: int) -> dict:
    return {**PILOT, "companyName": f"长垣市试点企业{n}有限公司", "creditCode": code(100 + n)}


def target(sub: str) -> dict:
    return {**copy.deepcopy(TARGET), "subIndustryId": sub}


def archive(n: int, pair: tuple[str, str]) -> dict:
    return example_payload(f"长垣市试点企业{n}有限公司", code(100 + n), [pair])


def results(body) -> list[tuple[str, str]]:
    return [(r["result"], r["reason"]) for r in body["resultList"]]


def in_app(upper, fn):
    with upper.app.app_context():
        return fn(get_session())


def test_all_five_libraries_valid_and_invalid_records(hub):
    lower = hub.lower
    token = lower.access_token()

    bad_provider = {**provider(2), "contactPhone": None}
    response = lower.push("providers", [provider(1), bad_provider], token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "200" and body["addTotal"] == 1 and body["updateTotal"] == 0
    assert body["successTotal"] == 1 and body["faidTotal"] == 1 and body["faidEntName"] == ["长垣智造科技2有限公司"]
    assert "updataTotal" not in body
    assert body["resultList"][0] == {"index": 0, "key": code(1), "entName": "长垣智造科技1有限公司", "result": "add",
                                     "reason": ""}
    assert body["resultList"][1]["result"] == "fail" and "联系电话" in body["resultList"][1]["reason"]

    company = provider(1)["serviceName"]
    cheap = {**product(2, company), "priceRangeMin": 900000}
    body = lower.push("products", [product(1, company), cheap], token=token).json()
    assert (body["addTotal"], body["updateTotal"], body["faidTotal"]) == (1, 0, 1)
    assert body["faidEntName"] == [company] and "报价区间最小值不能大于最大值" in body["resultList"][1]["reason"]

    elsewhere = {**pilot(3), "cityCode": "410100"}  # 郑州: not the platform's region
    body = lower.push("pilots", [pilot(1), pilot(2), elsewhere], token=token).json()
    assert (body["addTotal"], body["updateTotal"], body["faidTotal"]) == (2, 0, 1)
    assert body["resultList"][2]["reason"] == "不属于本平台所属地区"

    too_many = {**target("电池材料"), "regulateUpReformEnt": 999}
    body = lower.push("targets", [target("起重机械"), too_many], token=token).json()
    assert body["addTotal"] == 1 and body["updataTotal"] == 0 and "updateTotal" not in body
    assert body["faidTotal"] == 1 and body["faidEntName"] == ["专用设备制造业/电池材料/新乡市长垣市"]

    pair = (company, product(1, company)["softwareName"])
    unknown_provider = archive(2, ("不存在的服务商", "不存在的产品"))
    body = lower.push("archives", [archive(1, pair), unknown_provider], token=token).json()
    assert body["addTotal"] == 1 and body["updataTotal"] == 0 and body["faidTotal"] == 1, body
    assert "服务商库中没有" in body["resultList"][1]["reason"]

    # The same records again: updates, by their natural keys.
    assert lower.push("providers", [provider(1)], token=token).json()["updateTotal"] == 1
    again = lower.push("pilots", [pilot(1), pilot(4)], token=token).json()
    assert (again["addTotal"], again["updateTotal"]) == (1, 1) and results(again) == [("update", ""), ("add", "")]
    assert lower.push("targets", [target("起重机械")], token=token).json()["updataTotal"] == 1
    assert lower.push("archives", [archive(1, pair)], token=token).json()["updataTotal"] == 1
    assert lower.push("products", [product(1, company)], token=token).json()["updateTotal"] == 1

    # The records: in the platform's region, with one open submission each from the platform.
    def check(session):
        for key in LIBRARIES:
            rows = session.exec(select(LIBRARIES[key].model)).all()
            assert rows and all(r.region_code == COUNTY and r.status == "submitted" for r in rows), key
            assert all(r.formal_payload is None for r in rows)
        subs = session.exec(select(Submission).where(Submission.status == "pending")).all()
        assert len(subs) == 7  # 1 provider, 1 product, 3 pilots, 1 target, 1 archive
        assert {s.source for s in subs} == {HUB} and {s.submitter_name for s in subs} == {PLATFORM_NAME}
        assert {s.submitter_id for s in subs} == {hub.bound.id}
        withdrawn = session.exec(select(Submission).where(Submission.status == "withdrawn")).all()
        assert len(withdrawn) == 5  # each second push replaced the waiting version
        prod = session.exec(select(LIBRARIES["products"].model)).one()
        file_id = prod.wire["fileList"][0]["file"]
        stored = session.get(StoredFile, file_id)
        assert stored.size == len(png_bytes()) and stored.category == "png" and stored.original_name == "封面.png"
        assert stored.owner_region == COUNTY and stored.owner_credit == code(1)
        assert prod.credit_code == code(1)
        calls = session.exec(select(HubCall).where(HubCall.code == "200", HubCall.endpoint != "token")).all()
        assert [(c.endpoint, c.records, c.added, c.updated, c.failed) for c in calls][:5] == [
            ("providers", 2, 1, 0, 1), ("products", 2, 1, 0, 1), ("pilots", 3, 2, 0, 1), ("targets", 2, 1, 0, 1),
            ("archives", 2, 1, 0, 1)]
    in_app(hub, check)


def test_duplicates_in_one_batch_and_malformed_items(hub):
    body = hub.lower.push("pilots", [pilot(1), pilot(1), 42, {"creditCode": "bad"}]).json()
    assert (body["addTotal"], body["updateTotal"], body["faidTotal"]) == (1, 1, 2)
    assert body["resultList"][2] == {"index": 2, "key": "", "entName": "", "result": "fail", "reason": "记录应为 JSON 对象"}
    assert body["faidEntName"] == ["", "bad"]
    assert in_app(hub, lambda s: len(s.exec(select(LIBRARIES["pilots"].model)).all())) == 1


def test_files_must_be_base64_content(hub):
    company = provider(1)["serviceName"]
    assert hub.lower.push("providers", [provider(1)]).json()["addTotal"] == 1
    not_b64 = product(1, company)
    not_b64["fileList"][0]["file"] = "%%%not base64%%%"
    by_number = product(2, company)
    by_number["fileList"][0]["file"] = 1  # a stored-file number here must not be usable
    fake = product(3, company)
    fake["fileList"][0]["file"] = base64.b64encode(b"MZ" + bytes(100)).decode()  # an .exe called 封面.png
    body = hub.lower.push("products", [not_b64, by_number, fake]).json()
    assert body["faidTotal"] == 3, body
    reasons = [r["reason"] for r in body["resultList"]]
    assert "不是有效的 Base64" in reasons[0] and "Base64" in reasons[1] and "文件信息第 1 项" in reasons[2]


def test_a_single_object_is_a_list_of_one_and_archives_accept_every_trans_result_form(hub):
    company = provider(1)["serviceName"]
    token = hub.lower.access_token()
    hub.lower.push("providers", provider(1), token=token)
    hub.lower.push("products", product(1, company), token=token)
    payload = archive(1, (company, product(1, company)["softwareName"]))
    after = payload.pop("transResultAfter")
    # "object" mode: transResult is the object, the INT travels as transResultCode
    obj_mode = {**payload, "transResult": after, "transResultCode": payload["transResult"]}
    body = hub.lower.push("archives", obj_mode, token=token).json()
    assert body["addTotal"] == 1, body
    # "both" mode: two transResult members in one object, INT first
    text = json.dumps(payload, ensure_ascii=False)[:-1] + ', "transResult": ' + json.dumps(after, ensure_ascii=False) + "}"
    body = hub.lower.push("archives", None, data=("[" + text + "]").encode(), token=token).json()
    assert body["updataTotal"] == 1, body
    stored = in_app(hub, lambda s: s.exec(select(LIBRARIES["archives"].model)).one().wire)
    assert stored["transResult"] == 1 and stored["transResultAfter"]["degitalLevel"] == "level_three"


@pytest.mark.parametrize("region", ["410721"])
def test_a_record_of_another_county_is_not_overwritten(hub, make_user, region):
    from tests.hub_support import Lower, register_and_approve

    other_bound = make_user(roles.COUNTY_OFFICIAL, region)
    _, creds = register_and_approve(hub.app, hub.base, admin=hub.admin, approver=hub.approver, bound=other_bound,
                                    name="新乡县平台", domain="szzx.xinxiangxian.gov.cn")
    other = Lower(creds.config_text)
    assert other.push("providers", [provider(1)]).json()["addTotal"] == 1  # now a 新乡县 provider
    body = hub.lower.push("providers", [provider(1)]).json()
    assert body["faidTotal"] == 1 and "已由其他地区登记" in body["resultList"][0]["reason"]
    # A product of that provider is still this platform's record, in its own region.
    assert hub.lower.push("products", [product(1, provider(1)["serviceName"])]).json()["addTotal"] == 1
    prod = in_app(hub, lambda s: s.exec(select(LIBRARIES["products"].model)).one())
    assert prod.region_code == COUNTY and prod.credit_code == code(1)


def test_the_review_queue_shows_pushes_and_approval_makes_them_formal(hub, app, make_user):
    token = hub.lower.access_token()
    assert hub.lower.push("providers", [provider(1)], token=token).json()["addTotal"] == 1
    assert hub.lower.push("pilots", [pilot(1)], token=token).json()["addTotal"] == 1
    city = make_user(roles.CITY_ADMIN, "410700")
    county = make_user(roles.COUNTY_OFFICIAL, COUNTY)

    city_client = app.test_client()  # the same database, served without CSRF for the test client
    login(city_client, city.username)
    page = city_client.get("/review/").get_data(as_text=True)
    assert "长垣智造科技1有限公司" in page and "下级平台推送" in page and PLATFORM_NAME in page
    assert "长垣智造科技1有限公司" in city_client.get("/review/?source=hub").get_data(as_text=True)

    county_client = app.test_client()
    login(county_client, county.username)
    assert "长垣市试点企业1有限公司" in county_client.get("/review/").get_data(as_text=True)

    sub = in_app(hub, lambda s: s.exec(select(Submission).where(Submission.library == "providers")).one())
    response = city_client.post(f"/review/{sub.id}/decide", data={"decision": "approve"},
                                headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)

    def formal(session):
        rec = session.exec(select(LIBRARIES["providers"].model)).one()
        notes = session.exec(select(Notification).where(Notification.user_id == hub.bound.id)).all()
        return rec.status, rec.formal, [n.text for n in notes]
    status, payload, notes = in_app(hub, formal)
    assert status == "approved" and payload["unifiedCreditCode"] == code(1)
    assert payload["provinceCode"] == "410000" and payload["cityCode"] == "410700"
    assert any("已审核通过" in text for text in notes)  # the bound account hears of the decision
