"""The picker fields as other areas use them: spec attribute names, object data, optional fields."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import Optional

from app.dicts.fields import IndustryField, RegionField, SceneField


class SpecForm(Form):
    region = RegionField("注册城市", depth=2, min_level=2, part_names=("provinceCode", "cityCode"))
    scene = SceneField("应用场景", [Optional()])
    industry = IndustryField("国民经济行业", [Optional()], min_level=2)


@pytest.fixture
def ctx(app, db):
    with app.test_request_context():
        yield db


def test_spec_names_post_and_validate(ctx):
    form = SpecForm(MultiDict({"provinceCode": "110000", "cityCode": "110105"}))
    assert form.validate(), form.errors
    assert form.region.data == "110105" and form.region.wire_codes() == ("110000", "110105")
    assert form.scene.data is None and form.industry.data is None  # optional and empty
    html = form.region()
    assert 'name="provinceCode"' in html and 'name="cityCode"' in html and 'name="region_county"' not in html


@pytest.mark.parametrize("data, message", [
    ({"provinceCode": "410000", "cityCode": "410721"}, "所选城市不属于该省份"),  # a county is not a wire city
    ({"provinceCode": "410000", "cityCode": "419000"},
     "“省直辖县级行政区划”（419000）不是具体的行政区，请直接选择其下的区县"),
    ({"provinceCode": "410000"}, "请选择城市"),
    ({}, "请选择省份"),
])
def test_spec_names_reject(ctx, data, message):
    form = SpecForm(MultiDict(data))
    assert not form.validate()
    assert form.region.errors == [message]


def test_object_data_fills_the_parts(ctx):
    form = SpecForm(data={"region": "410721", "scene": "CUSTOMER SERVICE", "industry": "34"})
    assert form.region.parts == ["410000", "410700"] and form.region.data == "410700"
    assert form.scene.parts == ["PRODUCT_LIFRCYCLE_DIGITALIZATION", "AFTER_SALES_SERVICE", "CUSTOMER SERVICE"]
    assert form.scene.path() == "产品生命周期数字化/售后服务/客户服务管理"
    assert form.industry.industry_path() == "制造业 / 通用设备制造业"
    assert 'value="CUSTOMER SERVICE" selected' in form.scene()


def test_data_assigned_after_processing_is_rendered(ctx):
    """Edit views set `form.region.data = user.region_code` after building the form."""
    form = SpecForm()
    form.region.data = "419001"
    html = form.region()
    assert '<option value="410000" selected>' in html and '<option value="419001" selected>' in html


def test_industry_level_and_existence(ctx):
    assert SpecForm(MultiDict({"provinceCode": "110000", "cityCode": "110105", "industry": "34"})).validate()
    form = SpecForm(MultiDict({"provinceCode": "110000", "cityCode": "110105", "industry": "C"}))
    assert not form.validate() and form.industry.errors == ["请选择到大类（所选“制造业”是门类）"]
