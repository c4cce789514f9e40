"""试点企业库 (spec 2.4), declared row by row."""
from __future__ import annotations

from app.dicts.fields import RegionField
from app.dicts.validators import CreditCode
from app.spec import fields as f
from app.spec.form import SpecForm


class PilotEnterpriseForm(SpecForm):
    companyName = f.text("企业名称", 255)
    creditCode = f.text("信用代码", 255, validators=[CreditCode()])
    region = RegionField("注册城市", [f.Required()], min_level=2,
                         part_names=("provinceCode", "cityCode", "countyCode"))
    registAddress = f.text("注册地址", 255, validators=[f.SlashParts()],
                           description="使用“/”符号间隔，例如：河南省/新乡市/长垣市/蒲西街道 18 号。")
    industryName = f.choice("行业名称", "industry")
    industrySegments = f.text("细分行业名称", 100, description="按照地市绩效目标中的细分行业填写。")
