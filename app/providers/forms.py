"""服务商库 (spec 2.2), declared row by row."""
from __future__ import annotations

from app.dicts.fields import RegionField
from app.dicts.validators import CreditCode
from app.spec import fields as f
from app.spec.form import SpecForm
from app.validators import NameText, Phone


class ProviderForm(SpecForm):
    serviceName = f.text("服务商名称", 255)
    unifiedCreditCode = f.text("统一信用代码", 255, validators=[CreditCode()])
    contactPerson = f.text("联系人", 50, validators=[NameText()])
    contactPhone = f.text("联系电话", 50, validators=[Phone()])
    # provinceCode / cityCode (注册城市所属省 code / 市 code); the county is kept locally for scope only.
    region = RegionField("注册城市", [f.Required()], min_level=2,
                         part_names=("provinceCode", "cityCode", "countyCode"))
    address = f.text("详细地址", 100)
    serviceType = f.choice("服务商类型", "service_type", integer_codes=True)
