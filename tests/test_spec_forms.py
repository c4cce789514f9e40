"""The spec tables 2.2–2.5 declared as forms: exact attribute names, draft vs submit, bad input, and
JSON → form → JSON losing nothing."""
from __future__ import annotations

import copy
import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from app.files.fields import Owner, uploads_for
from app.files.service import save_upload
from app.pilots.forms import PilotEnterpriseForm
from app.products.forms import ProductForm
from app.providers.forms import ProviderForm
from app.spec.form import flatten
from app.targets.forms import TargetForm
from tests.samples import PDF, PILOT, PRODUCT, PROVIDER, TARGET, png_bytes

CASES = [(ProviderForm, PROVIDER), (PilotEnterpriseForm, PILOT), (ProductForm, PRODUCT), (TargetForm, TARGET)]


OWNER = Owner("410783", "914403001922038216", None)


@pytest.fixture
def ctx(app, db):
    """A request context in which uploads belong to OWNER, and PRODUCT carries one stored cover."""
    with app.test_request_context(), uploads_for(OWNER):
        cover = save_upload(FileStorage(io.BytesIO(png_bytes()), filename="封面.png"), file_type=3,
                            owner_region=OWNER.region_code, owner_credit=OWNER.credit_code, user_id=None, session=db)
        PRODUCT["fileList"] = [{"fileType": 3, "fileName": "封面.png", "file": cover.id, "fileSize": str(cover.size),
                                "fileCategory": "png"}]
        yield


def _errors(form) -> dict:
    return form.errors


@pytest.mark.parametrize(("form_cls", "payload"), CASES)
def test_spec_json_round_trips_through_the_form(ctx, form_cls, payload):
    form = form_cls.from_wire(payload)
    assert form.validate_for(submit=True), form.errors
    wire = form.to_wire()
    assert wire == payload
    assert list(wire) == list(payload)  # the spec's attribute order
    assert form_cls.from_wire(wire).to_wire() == payload


def test_file_rows_take_name_size_and_category_from_the_stored_file(ctx, db):
    sent = copy.deepcopy(PRODUCT)
    sent["fileList"][0].update(fileName="伪造.exe", fileSize="1", fileCategory="exe")
    form = ProductForm.from_wire(sent)
    assert form.validate_for(submit=True), form.errors
    assert form.to_wire()["fileList"] == PRODUCT["fileList"]


def test_a_file_row_refuses_a_pdf_cover_and_someone_elses_file(ctx, db):
    pdf = save_upload(FileStorage(io.BytesIO(PDF), filename="说明.pdf"), file_type=4, owner_region=OWNER.region_code,
                      owner_credit=OWNER.credit_code, user_id=None, session=db)
    as_cover = _with(PRODUCT, ("fileList", 0, "file"), pdf.id)
    form = ProductForm.from_wire(as_cover)
    assert not form.validate_for(submit=True) and "封面文件只能是" in str(form.errors["fileList"])
    foreign = save_upload(FileStorage(io.BytesIO(png_bytes()), filename="别人的.png"), file_type=3,
                          owner_region="410102", owner_credit=None, user_id=None, session=db)
    form = ProductForm.from_wire(_with(PRODUCT, ("fileList", 0, "file"), foreign.id))
    assert not form.validate_for(submit=True) and "文件不存在或已失效" in str(form.errors["fileList"])


def test_an_upload_in_the_form_is_stored_and_its_row_filled(ctx, db):
    post = MultiDict(flatten({k: v for k, v in PRODUCT.items() if k != "fileList"}))
    post.add("fileList-0-fileType", "3")
    post.add("fileList-0-file", FileStorage(io.BytesIO(png_bytes()), filename="新封面.png"))
    form = ProductForm(formdata=post, meta={"csrf": False})
    assert form.validate_for(submit=True), form.errors
    row = form.to_wire()["fileList"][0]
    assert row["fileName"] == "新封面.png" and row["fileCategory"] == "png" and int(row["fileSize"]) == len(png_bytes())
    exe = MultiDict(flatten({k: v for k, v in PRODUCT.items() if k != "fileList"}))
    exe.add("fileList-0-fileType", "4")
    exe.add("fileList-0-file", FileStorage(io.BytesIO(b"MZ" + bytes(200)), filename="介绍.pdf"))
    form = ProductForm(formdata=exe, meta={"csrf": False})
    assert not form.validate_for(submit=True) and "PDF" in str(form.errors["fileList"])


def test_browser_post_uses_the_spec_attribute_names(ctx):
    """What a browser posts: the region picker's selects are named provinceCode / cityCode / countyCode and
    the scene picker posts its three levels; the wire JSON comes out the same."""
    post = MultiDict(flatten({k: v for k, v in PRODUCT.items() if k != "useSceneList"}))
    post.update({"useSceneList-0-desc": "设备运行数据实时采集与告警", "useSceneList-0-subdivideIndustry": "起重机械",
                 "useSceneList-0-itemName_l1": "PRODUCTION_DIGITALIZATION",
                 "useSceneList-0-itemName_l2": "EQUIPMENT_MANAGEMENT",
                 "useSceneList-0-itemName_l3": "EQUIPMENT_OPERATION_MONITORING",
                 "useSceneList-0-industryName": "专用设备制造业"})
    form = ProductForm(formdata=post, meta={"csrf": False})
    assert form.validate_for(submit=True), form.errors
    assert form.to_wire()["useSceneList"] == PRODUCT["useSceneList"][:1]
    provider = ProviderForm(formdata=MultiDict({**flatten(PROVIDER), "countyCode": "410783"}), meta={"csrf": False})
    assert provider.validate_for(submit=True) and provider.region.data == "410783"
    assert provider.to_wire()["cityCode"] == "410700" and "countyCode" not in provider.to_wire()


@pytest.mark.parametrize(("form_cls", "payload"), CASES)
def test_a_draft_may_leave_fields_empty_but_submitting_needs_every_y_field(ctx, form_cls, payload):
    first = next(iter(payload))
    draft = form_cls.from_wire({first: payload[first]})
    assert draft.validate_for(submit=False), draft.errors
    submitted = form_cls.from_wire({first: payload[first]})
    assert not submitted.validate_for(submit=True)
    messages = [m for msgs in submitted.errors.values() for m in (msgs if isinstance(msgs, list) else [msgs])]
    assert any("提交审核时必须填写" in str(m) for m in messages)
    assert first not in submitted.errors


def test_target_cycle_fields_are_optional_even_on_submit(ctx):
    payload = {k: v for k, v in TARGET.items() if k not in ("cycleNumber", "cycleStatus", "performanceCycleList")}
    assert TargetForm.from_wire(payload).validate_for(submit=True)


def _with(payload, path, value):
    data = copy.deepcopy(payload)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


BAD = [
    (ProviderForm, PROVIDER, ("serviceName",), "长" * 256, "serviceName", "不能超过 255 个字"),
    (ProviderForm, PROVIDER, ("unifiedCreditCode",), "914403001922038217", "unifiedCreditCode", "校验位不正确"),
    (ProviderForm, PROVIDER, ("contactPhone",), "call me", "contactPhone", "联系电话格式不正确"),
    (ProviderForm, PROVIDER, ("contactPerson",), "<b>李明</b>", "contactPerson", "只能包含"),
    (ProviderForm, PROVIDER, ("provinceCode",), "130000", "region", "所选城市不属于该省份"),
    (ProviderForm, PROVIDER, ("cityCode",), "999900", "region", "不存在"),
    (ProviderForm, PROVIDER, ("serviceType",), 9, "serviceType", "代码无效"),
    (ProviderForm, PROVIDER, ("serviceType",), "综合型", "serviceType", ""),
    (PilotEnterpriseForm, PILOT, ("registAddress",), "河南省新乡市长垣市", "registAddress", "请用“/”分隔"),
    (PilotEnterpriseForm, PILOT, ("registAddress",), "河南省//长垣市", "registAddress", "请用“/”分隔"),
    (PilotEnterpriseForm, PILOT, ("industryName",), "软件和信息技术服务业", "industryName", "代码无效"),
    (PilotEnterpriseForm, PILOT, ("industrySegments",), "x" * 101, "industrySegments", "不能超过 100 个字"),
    (ProductForm, PRODUCT, ("depTypeCode",), "deployment_other", "depTypeCode", "代码无效"),
    (ProductForm, PRODUCT, ("releaseType",), 6, "releaseType", "代码无效"),
    (ProductForm, PRODUCT, ("releaseDate",), "2025/03/01", "releaseDate", "日期格式应为 YYYY-MM-DD"),
    (ProductForm, PRODUCT, ("priceRangeMax",), "二十万", "priceRangeMax", "请输入数字"),
    (ProductForm, PRODUCT, ("priceRangeMin",), 300000, "priceRangeMin", "不能大于最大值"),
    (ProductForm, PRODUCT, ("useSceneList", 0, "desc"), "场" * 1001, "useSceneList", "不能超过 1000 个字"),
    (ProductForm, PRODUCT, ("useSceneList", 0, "itemName"), "生产执行数字化/设备管理", "useSceneList", "请选择三级场景"),
    (ProductForm, PRODUCT, ("useSceneList", 1, "itemName"), "生产执行数字化/设备管理/不存在的场景", "useSceneList",
     "不是场景字典中的场景"),
    (TargetForm, TARGET, ("regulateUpEntTotal",), "一百", "regulateUpEntTotal", "请输入整数"),
    (TargetForm, TARGET, ("regulateUpEntTotal",), -1, "regulateUpEntTotal", "不小于 0"),
    (TargetForm, TARGET, ("regulateUpReformEnt",), 121, "regulateUpReformEnt", "不能超过规上工业中小型企业总数"),
    (TargetForm, TARGET, ("cycleNumber",), 3, "cycleNumber", "代码无效"),
    (TargetForm, TARGET, ("cycleNumber",), 4, "performanceCycleList", "请填写 4 个周期"),
    (TargetForm, TARGET, ("performanceCycleList", 1, "cycleEndTime"), "2025-12-31", "performanceCycleList",
     "不能早于开始时间"),
    (TargetForm, TARGET, ("OtherSituations",), "<script>alert(1)</script>", "OtherSituations", "HTML"),
]


@pytest.mark.parametrize(("form_cls", "payload", "path", "value", "field", "message"), BAD,
                         ids=[f"{b[0].__name__}-{'.'.join(map(str, b[2]))}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_gets_a_chinese_message_beside_its_field(ctx, form_cls, payload, path, value, field, message):
    form = form_cls.from_wire(_with(payload, path, value))
    assert not form.validate_for(submit=True)
    assert field in form.errors, form.errors
    assert message in str(form.errors[field])
    # The rest of the input is kept: every other top-level attribute still holds what was sent.
    wire = form.to_wire()
    for key in payload:
        if key not in (path[0], "provinceCode", "cityCode"):
            assert wire[key] == payload[key], key


@pytest.mark.parametrize(("form_cls", "payload"), CASES)
def test_every_spec_attribute_is_an_html_field_name(ctx, form_cls, payload):
    form = form_cls.from_wire(payload)
    html = "".join(str(field()) for field in form)
    for key, value in payload.items():
        if isinstance(value, list):
            for attr in value[0]:
                assert f'name="{key}-0-{attr}"' in html, f"{key}-0-{attr}"
        else:
            assert f'name="{key}"' in html, key
