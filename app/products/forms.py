"""产品和解决方案库 (spec 2.3) and its useSceneList rows, declared row by row."""
from __future__ import annotations

from wtforms.validators import ValidationError

from app.dicts.fields import SceneField
from app.files.fields import UploadFileRow
from app.spec import fields as f
from app.spec.form import SpecForm, SpecRow

RELEASE_TYPES = [(1, "草稿"), (2, "审核"), (3, "发布"), (4, "下线"), (5, "驳回")]


class UseSceneRow(SpecRow):
    desc = f.text("使用场景描述", 2000, words=1000, textarea=True)
    subdivideIndustry = f.text("服务细分行业", 100, description="依据所属地市绩效目标中的细分行业填写。")
    itemName = SceneField("场景名称", [f.Required()])
    industryName = f.choice("服务行业名称", "industry")


class ProductForm(SpecForm):
    softwareName = f.text("产品和解决方案名称", 255)
    companyName = f.text("所属企业名称", 255)
    depTypeCode = f.choice("部署方式", "deploy_type")
    buyMethodCode = f.choice("购买方式", "buy_method")
    sofDes = f.text("简介", 65535, textarea=True)
    sofInfoDes = f.text("产品和解决方案的详细介绍", 2000, textarea=True)
    releaseType = f.choice("发布标识", integer_codes=True, options=RELEASE_TYPES)
    releaseDate = f.date("发布日期")
    priceRangeMax = f.decimal("报价区间最大值")
    priceRangeMin = f.decimal("报价区间最小值")
    fileList = f.rows(UploadFileRow, "文件信息", min_entries=0, max_entries=20)
    useSceneList = f.rows(UseSceneRow, "软件应用场景", min_entries=1)

    def validate_priceRangeMin(self, field):
        top = self.priceRangeMax.data
        if field.data is not None and top is not None and field.data > top:
            raise ValidationError("报价区间最小值不能大于最大值。")
