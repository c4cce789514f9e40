"""绩效管理 (spec 2.5) and its performanceCycle rows, declared row by row."""
from __future__ import annotations

from wtforms.validators import ValidationError

from app.spec import fields as f
from app.spec.form import SpecForm, SpecRow

CYCLE_STATUS = [(1, "已拆解"), (0, "未拆解")]


class PerformanceCycleRow(SpecRow):
    cycleStartTime = f.date("周期开始时间", required=False)
    cycleEndTime = f.date("周期结束时间", required=False)
    regulateUpEnt = f.integer("拟改造规上工业中小企业数量（家）", required=False,
                              description="原则上不低于试点行业规上中小企业总数的 90%。")
    regulateUnderEnt = f.integer("拟改造规下工业中小企业数量", required=False)
    reformInnovateEnt = f.integer("拟改造企业中创新型（含专精特新）中小企业数量", required=False)
    digitWorkshop = f.integer("拟建设数字化车间及智能工厂数量（个）", required=False)
    solution = f.integer("拟打造“小快轻准”解决方案数量（个）", required=False)
    serviceSelect = f.integer("拟遴选服务商数量（家）", required=False)
    cloudEnt = f.integer("拟上云用云中小企业数量（家）", required=False)

    def validate_cycleEndTime(self, field):
        start = self.cycleStartTime.data
        if field.data and start and field.data < start:
            raise ValidationError("周期结束时间不能早于开始时间。")


class TargetForm(SpecForm):
    industryName = f.choice("行业名称", "industry")
    subIndustryId = f.text("细分行业名称", 50)
    practiceRegion = f.text("试点区域", 255)
    regulateUpEntTotal = f.integer("规上工业中小型企业总数")
    regulateUnderEntTotal = f.integer("规下工业中小企业总数")
    regulateUnderIndustryTotal = f.decimal("试点行业基准年工业总产值")
    regulateUpIndustryTotal = f.decimal("试点行业基准年规上工业总产值")
    regulateUpReformEnt = f.integer("拟改造规上中小企业数量")
    regulateUnderReformEnt = f.integer("拟改造规下中小企业数量")
    serviceSelectTotal = f.integer("拟遴选服务商总数")
    reformInnovateEntTotal = f.integer("拟改造企业中创新型（含专精特新）中小企业数量")
    cloudEntTotal = f.integer("拟上云用云中小企业数量（家）")
    solution = f.integer("拟打造小快精准解决方案总数量（个）")
    digitWorkshop = f.integer("拟建设数字化车间及智能工厂数量（个）")
    OtherSituations = f.text(
        "其他情况", 1000, textarea=True,
        description="包括但不限于复制推广目标、中小企业创新能力提升目标、“链式”转型目标、具有创新性或者地方特色的典型做法及模式等。",
    )
    cycleNumber = f.choice("周期拆解数量", required=False, integer_codes=True, options=[(2, "2"), (4, "4")],
                           description="拆解周期只能是 2 或者 4。")
    cycleStatus = f.choice("周期拆解状态", required=False, integer_codes=True, options=CYCLE_STATUS)
    performanceCycleList = f.rows(PerformanceCycleRow, "绩效拆解周期", required=False, max_entries=4)

    def validate_regulateUpReformEnt(self, field):
        total = self.regulateUpEntTotal.data
        if field.data is not None and total is not None and field.data > total:
            raise ValidationError("拟改造规上中小企业数量不能超过规上工业中小型企业总数。")

    def validate_regulateUnderReformEnt(self, field):
        total = self.regulateUnderEntTotal.data
        if field.data is not None and total is not None and field.data > total:
            raise ValidationError("拟改造规下中小企业数量不能超过规下工业中小企业总数。")

    def validate_performanceCycleList(self, field):
        if self.cycleStatus.data == 1 and self.cycleNumber.data and len(field.entries) != self.cycleNumber.data:
            raise ValidationError(f"已拆解为 {self.cycleNumber.data} 个周期，请填写 {self.cycleNumber.data} 个周期。")
