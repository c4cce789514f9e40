"""一企一档 (spec 2.6) and each of its nested objects, declared row by row.

The spec names two top-level attributes `transResult`: the INT 改造结果 and the Object 数字化改造成效
（改造后）. Both are fields here under that HTML name (`transResult`, and `transResult-degitalLevel` …
for the object's attributes); the object's attribute on the form, and its key in the stored payload, is
`transResultAfter`. How the two travel to an upper platform is app.archives.wire's business.
"""
from __future__ import annotations

import re
from decimal import Decimal

from wtforms import FieldList, FormField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.db import get_session
from app.dicts import service as dicts_service
from app.dicts.fields import IndustryField, SceneField
from app.dicts.validators import CreditCode
from app.files.fields import UploadFileRow
from app.products.models import product_names_of
from app.providers.models import provider_names_in
from app.spec import fields as f
from app.spec.form import SpecForm, SpecRow, flatten, wire_of
from app.validators import NoMarkup, Phone, strip_filter

YES_NO = [(1, "是"), (0, "否")]
TRANS_RESULTS = [(0, "未改造"), (1, "改造完成"), (2, "改造中")]
CONTRACT_TYPE = 5  # 文件类型表: 项目合同文件
NO_CLOUD = "无"
DIMENSIONS = (  # the eight dimensions of transInfo and transResult, in the spec's order
    ("innovationDimension", "创新维度"), ("marketDimension", "市场维度"), ("upgradeDimension", "提质维度"),
    ("reduceDimension", "降本维度"), ("synergiaDimension", "增效维度"), ("greenDimension", "绿色维度"),
    ("safeDimension", "安全维度"), ("otherDimension", "其他维度"),
)


def _dimension(label: str):
    return f.text(label, 1000, required=False, words=500, textarea=True)


def _row_index(entry) -> int:
    """The index a need was posted under (transNeeds-3-…), which the contents' links refer to."""
    return int(entry.name.rsplit("-", 1)[1])


class NeedRows(FieldList):
    """transNeeds. WTForms renumbers posted rows 0…n-1; these keep the indices they were posted under,
    because the contents' linkTransNeeds name needs by that index: removing need 2 of 3 must leave a
    link to need 3 pointing at need 3, also when the page comes back with an error and is posted again."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "FieldList"  # rendered and walked like any other list

    def _compact_indices(self):
        pass


class BusinessInfoRow(SpecRow):
    year = f.text("年份", 50, required=False)
    operateIncome = f.decimal("营业收入（万元）", required=False)
    perOperateIncome = f.decimal("人均营业收入（万元）", required=False)
    profit = f.decimal("利润（万元）", required=False, minimum=None)  # a loss is a negative profit
    digitalInvestment = f.decimal("已有数字化转型投入（万元）", required=False)

    def validate_year(self, field):
        if field.data and not re.fullmatch(r"(19|20)\d{2}", field.data):
            raise ValidationError("年份应为四位数字，例如 2024。")


class TransNeedRow(SpecRow):
    """transNeed: one digital-transformation need."""

    sceneDesc = f.text("场景描述", 1000, required=False, textarea=True)
    problemNeed = f.text("问题及需求", 1000, required=False, textarea=True)
    useScenes = SceneField("一二三级场景", [Optional()],
                           description="依次选择一级、二级、三级场景，报文中以“/”连接。")


class NeedLinks(SelectMultipleField):
    """linkTransNeeds: checkboxes over this archive's needs, by the index each need was posted under.
    The spec JSON carries the linked need objects themselves (ArchiveForm.to_wire)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
    UNKNOWN = -1  # a pushed need object that is none of the archive's transNeeds

    def process_formdata(self, valuelist):
        # ASCII digits only: "²".isdigit() is true, and int() refuses it.
        self.data = [int(v) if re.fullmatch(r"-?[0-9]{1,9}", str(v)) else self.UNKNOWN for v in valuelist]

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices}
        if any(value not in known for value in self.data or ()):
            raise ValidationError("改造内容关联的需求必须是本档案“数字化转型需求”中填写的需求。")


class ProductSelect(SelectField):
    """A product name; its choices are filled by the archive form (the chosen provider's products)."""

    def pre_validate(self, form):  # the library check in TransMapRow says what is wrong, in Chinese
        pass


class TransMapRow(SpecRow):
    """transMap: one transformation content, with the provider and product that carried it out."""

    transContentDesc = f.text("数字化转型内容介绍", 2000, required=False, textarea=True)
    transStartTime = f.date("改造开始时间", required=False)
    transEndTime = f.date("改造结束时间", required=False)
    transCosts = f.decimal("改造花费金额（万元）", required=False)
    publicCloud = f.text("公有云应用情况", 255, required=False, default=NO_CLOUD,
                         description="依据用云情况填写，未使用的填写“无”。")
    privateCloud = f.text("私有云应用情况", 255, required=False, default=NO_CLOUD)
    mixedCloud = f.text("混合云应用情况", 255, required=False, default=NO_CLOUD)
    noneCloud = f.text("未上云应用情况", 255, required=False, default=NO_CLOUD)
    ServiceProviderName = StringField("服务商名称", [Optional(), NoMarkup()], filters=[strip_filter],
                                      description="需与服务商库中的名称一致，输入关键字后从候选中选择。")
    productName = ProductSelect("产品名称", [Optional()], choices=[SelectChoice("", "请先选择服务商")],
                                description="需与产品库中该服务商的产品名称一致。")
    linkTransNeeds = NeedLinks("关联的数字化转型需求", coerce=int, choices=[])

    def validate_transEndTime(self, field):
        start = self.transStartTime.data
        if field.data and start and field.data < start:
            raise ValidationError("改造结束时间不能早于开始时间。")

    # What the libraries hold for this archive's providers, looked up once per archive by
    # ArchiveForm.offer_choices (a pushed batch validates thousands of rows).
    known_providers: set[str] = set()
    catalogue: dict[str, list[str]] = {}

    def validate_ServiceProviderName(self, field):
        if field.data and field.data not in self.known_providers:
            raise ValidationError(f"服务商库中没有“{field.data}”，服务商名称需与服务商库一致，请从候选中选择。")

    def validate_productName(self, field):
        if not field.data:
            return
        provider = self.ServiceProviderName.data
        if not provider:
            raise ValidationError("请先填写服务商名称，再选择其产品。")
        if field.data not in self.catalogue.get(provider, ()):
            raise ValidationError(f"产品库中没有服务商“{provider}”的产品“{field.data}”，请从列表中选择。")

    def cloud_defaults(self) -> None:
        """未使用的云应用情况填“无” (the spec's rule), so an empty cloud field never travels."""
        for name in ("publicCloud", "privateCloud", "mixedCloud", "noneCloud"):
            if not self[name].data:
                self[name].data = NO_CLOUD


def _total_costs(form) -> Decimal | None:
    costs = [entry.form.transCosts.data for entry in form.transMaps if entry.form.transCosts.data is not None]
    return sum(costs, Decimal(0)) if costs else None


class TotalField(f.DerivedField):
    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = Decimal(raw) if re.fullmatch(r"-?\d+(\.\d+)?", raw) else None


class TransInfoForm(SpecRow):
    """transInfo: the situation before the transformation, and the transformation contents."""

    degitalLevel = f.choice("数字化水平等级", "digital_level", required=False)
    degitalLevelName = f.DerivedField("数字化水平等级名称", compute=f.label_of("degitalLevel", "digital_level"))
    totalTransCost = TotalField("改造总花费（万元）", compute=_total_costs,
                                description="所有改造内容花费之和，自动计算。")
    innovationDimension = _dimension("创新维度（改造前）")
    marketDimension = _dimension("市场维度（改造前）")
    upgradeDimension = _dimension("提质维度（改造前）")
    reduceDimension = _dimension("降本维度（改造前）")
    synergiaDimension = _dimension("增效维度（改造前）")
    greenDimension = _dimension("绿色维度（改造前）")
    safeDimension = _dimension("安全维度（改造前）")
    otherDimension = _dimension("其他维度（改造前）")
    transMaps = f.rows(TransMapRow, "数字化转型改造内容", required=False)

    def validate(self, extra_validators=None):
        for entry in self.transMaps:
            entry.form.cloud_defaults()
        return super().validate(extra_validators)


def _star(label: str):
    return f.choice(label, "star_rating", required=False, integer_codes=True)


class ProductEvaRow(SpecRow):
    """productEva: the enterprise's rating of a provider and product used in its transformation."""

    providerName = ProductSelect("服务商名称", [Optional()], choices=[],
                                 description="与改造内容中的服务商名称一致。")
    productName = ProductSelect("产品名称", [Optional()], choices=[])
    evaluationStar = _star("评价星级")
    evaluationInfo = f.text("评价内容信息", 255, required=False, textarea=True)
    providerStar = _star("服务商评价总星级")
    providerInfo = f.text("服务商评价内容信息", 255, required=False, textarea=True)
    behaviourStar = _star("服务态度评价星级")
    behaviourInfo = f.text("服务态度评价内容信息", 255, required=False, textarea=True)
    afterSalesStar = _star("售后评价星级")
    afterSalesInfo = f.text("售后评价内容信息", 255, required=False, textarea=True)


class TransResultForm(SpecRow):
    """transResult (Object): the results after the transformation, and the ratings."""

    degitalLevel = f.choice("数字化等级", "digital_level", required=False)
    digitalLevelName = f.DerivedField("数字化等级名称", compute=f.label_of("degitalLevel", "digital_level"))
    innovationDimension = _dimension("创新维度（改造后）")
    marketDimension = _dimension("市场维度（改造后）")
    upgradeDimension = _dimension("提质维度（改造后）")
    reduceDimension = _dimension("降本维度（改造后）")
    synergiaDimension = _dimension("增效维度（改造后）")
    greenDimension = _dimension("绿色维度（改造后）")
    safeDimension = _dimension("安全维度（改造后）")
    otherDimension = _dimension("其他维度（改造后）")
    ProductList = f.rows(ProductEvaRow, "服务商和产品评价", required=False)


class EvaluationRow(SpecRow):
    """evaluation: the officials' performance evaluation."""

    hadExpanded = f.choice("是否开展绩效评价", required=False, integer_codes=True, options=YES_NO)
    hadPassed = f.choice("是否已通过", required=False, integer_codes=True, options=YES_NO)
    failureReason = f.text("不通过理由", 500, required=False, words=250, textarea=True)
    awardFunds = f.decimal("奖补资金（万元）", required=False)
    asATemplate = f.choice("是否作为模板", required=False, integer_codes=True, options=YES_NO)
    asTemplateReason = f.text("作为模板理由", 500, required=False, words=250, textarea=True)
    fundsAllocated = f.decimal("已拨付资金（万元）", required=False)

    def validate_hadPassed(self, field):
        if field.data is not None and self.hadExpanded.data != 1:
            raise ValidationError("尚未开展绩效评价，不能填写“是否已通过”。")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # A reason is required by the decision beside it (an empty field runs no validator of its own).
        for reason, needed, message in (
                (self.failureReason, self.hadPassed.data == 0, "绩效评价未通过时，请填写不通过理由。"),
                (self.asTemplateReason, self.asATemplate.data == 1, "作为模板时，请填写作为模板理由。")):
            if needed and not reason.data:
                reason.errors = [*reason.errors, message]
                valid = False
        return valid

    def validate_fundsAllocated(self, field):
        award = self.awardFunds.data
        if field.data is not None and (award is None or field.data > award):
            raise ValidationError(f"已拨付资金不能超过奖补资金（{award if award is not None else '未填写'} 万元）。")


class ContractRow(UploadFileRow):
    """contractInfo: the project contract, one file. Left without a file, the object is simply empty."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.fileType.data is None:
            self.fileType.data = CONTRACT_TYPE
        for field in self:  # the contract is optional: no field of it is marked as one that must be filled
            field.flags.spec_required = False

    def validate(self, extra_validators=None):
        if self.file.upload is None and self.file.data is None:
            return True
        return super().validate(extra_validators)


class ArchiveForm(SpecForm):
    companyName = f.text("企业名称", 255)
    creditCode = f.text("信用代码", 255, validators=[CreditCode()])
    registAddress = f.text("注册地址", 255)
    industryName = f.choice("行业名称", "industry")
    industrySegments = f.text("细分行业名称", 100, description="按照地市绩效目标中的细分行业填写。")
    companyNature = f.choice("企业性质", "company_nature")
    companyNatureLabel = f.DerivedField("企业性质中文名称", compute=f.label_of("companyNature", "company_nature"))
    companyScale = f.choice("企业规模", "company_scale")
    companyScaleLabel = f.DerivedField("企业规模中文名称", compute=f.label_of("companyScale", "company_scale"))
    highQualitySme = f.choice("优质中小企业认定", "quality_cert")
    highQualitySmeLabel = f.DerivedField("优质中小企业认定名称", compute=f.label_of("highQualitySme", "quality_cert"))
    contactPerson = f.text("联系人", 255)
    contactPhone = f.text("联系电话", 255, validators=[Phone()])
    baseSituation = f.text("企业基本情况", 255, textarea=True)
    productType = f.text("主营产品分类代码", 255)
    productTypeName = f.text("主营产品分类名称", 255)
    transResult = f.choice("改造结果", integer_codes=True, options=TRANS_RESULTS)
    companyScaleRange = f.choice("规模范围", "scale_range")
    companyScaleRangeLabel = f.DerivedField("规模范围名称", compute=f.label_of("companyScaleRange", "scale_range"))
    baseTypeName = f.DerivedField("国民经济行业名称", compute=lambda form: _industry_name(form))
    baseType = IndustryField("国民经济行业", [f.Required()], min_level=4,
                             description="按 GB/T 4754-2017 搜索并选择到小类。")
    businessInfo = FormField(BusinessInfoRow, "企业营业信息")
    transNeeds = NeedRows(FormField(TransNeedRow), "数字化转型需求", max_entries=50)
    transInfo = FormField(TransInfoForm, "数字化改造情况（改造前）")
    transResultAfter = FormField(TransResultForm, "数字化改造成效（改造后）", name="transResult", id="transResultAfter")
    evaluation = FormField(EvaluationRow, "绩效评价")
    contractInfo = FormField(ContractRow, "项目合同文件")
    fileList = f.rows(UploadFileRow, "文件信息", required=False, max_entries=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_choices()

    # -- the pickers' choices, from this archive's own needs and maps -------------------------------
    def need_choices(self) -> list[SelectChoice]:
        out = []
        for n, entry in enumerate(self.transNeeds, start=1):
            need = entry.form
            text = need.sceneDesc.data or need.problemNeed.data or "（未填写描述）"
            out.append(SelectChoice(_row_index(entry), f"需求 {n}：{text[:40]}{'…' if len(text) > 40 else ''}"))
        return out

    def used_pairs(self) -> list[tuple[str, str]]:
        """(provider, product) of every transformation content, in order, without repeats."""
        pairs = [(m.form.ServiceProviderName.data, m.form.productName.data) for m in self.transInfo.form.transMaps]
        return list(dict.fromkeys((p, q) for p, q in pairs if p and q))

    def _libraries_for(self, providers: frozenset[str]) -> tuple[dict[str, list[str]], set[str]]:
        """(products by provider, providers the library holds), queried again only when the providers
        changed: the form is built, then validated, with the same ones."""
        cached = getattr(self, "_looked_up", None)
        if cached is None or cached[0] != providers:
            session = get_session()
            catalogue = product_names_of(providers, session=session) if providers else {}
            cached = self._looked_up = (providers, catalogue, provider_names_in(providers, session=session))
        return cached[1], cached[2]

    def offer_choices(self) -> None:
        needs = self.need_choices()
        maps = [entry.form for entry in self.transInfo.form.transMaps]
        providers = {m.ServiceProviderName.data for m in maps if m.ServiceProviderName.data}
        catalogue, known = self._libraries_for(frozenset(providers))
        for row in maps:
            row.known_providers, row.catalogue = known, catalogue
            row.linkTransNeeds.choices = needs
            offered = catalogue.get(row.ServiceProviderName.data, [])
            blank = "请选择产品" if offered else "请先选择服务商"
            row.productName.choices = _options(blank, [(p, p) for p in offered], row.productName.data)
        pairs = self.used_pairs()
        providers_used = list(dict.fromkeys(p for p, _ in pairs))
        for entry in self.transResultAfter.form.ProductList:
            row = entry.form
            row.providerName.choices = _options("请选择", [(p, p) for p in providers_used], row.providerName.data)
            row.productName.choices = _options("请选择", [(q, f"{q}（{p}）") for p, q in pairs], row.productName.data)

    # -- whole-archive rules -----------------------------------------------------------------------
    def validate(self, extra_validators=None):
        self.offer_choices()  # needs and maps may have changed since the form was built
        valid = super().validate(extra_validators)
        pairs = set(self.used_pairs())
        for entry in self.transResultAfter.form.ProductList:
            row = entry.form
            if (row.providerName.data or row.productName.data) and (
                    (row.providerName.data, row.productName.data) not in pairs):
                row.productName.errors = list(row.productName.errors) + [
                    "评价的服务商和产品必须是“改造内容”中使用的服务商和产品。"]
                valid = False
        return valid

    # -- the spec JSON -----------------------------------------------------------------------------
    def to_wire(self) -> dict:
        """The archive's payload: the spec's attributes, linkTransNeeds as the linked need objects, and the
        改造后 object under `transResultAfter` (app.archives.wire decides its key on the wire)."""
        wire = wire_of(self)
        needs = {_row_index(entry): wire_of(entry.form) for entry in self.transNeeds}
        for row in wire["transInfo"]["transMaps"]:
            row["linkTransNeeds"] = [needs[i] for i in row["linkTransNeeds"] or () if i in needs]
        if not wire["contractInfo"].get("file"):
            wire["contractInfo"] = None
        return wire

    @classmethod
    def formdata_of(cls, payload: dict):
        """A stored payload as the form data a browser would post (links by need index, the 改造后
        object's attributes under `transResult-`)."""
        payload = dict(payload)
        needs = payload.get("transNeeds") or []
        info = dict(payload.get("transInfo") or {})
        info["transMaps"] = [
            {**row, "linkTransNeeds": [_need_index(link, needs) for link in row.get("linkTransNeeds") or ()]}
            for row in info.get("transMaps") or ()]
        payload["transInfo"] = info
        after = payload.pop("transResultAfter", None)
        flat = flatten(payload)
        if after:
            flat.update(flatten(after, "transResult-"))
        return flat

    @classmethod
    def from_wire(cls, payload: dict, **kwargs) -> ArchiveForm:
        return cls(formdata=cls.formdata_of(payload), meta={"csrf": False}, **kwargs)

    @classmethod
    def for_editing(cls, payload: dict) -> ArchiveForm:
        """A stored payload as the form a browser edits (with its CSRF token)."""
        return cls(formdata=cls.formdata_of(payload))


def _need_index(link, needs: list) -> int:
    """Where a linked need object sits among the archive's needs; NeedLinks.UNKNOWN if it is not there."""
    if isinstance(link, int):
        return link
    return next((i for i, need in enumerate(needs) if need == link), NeedLinks.UNKNOWN)


def _options(blank: str, pairs: list[tuple[str, str]], current) -> list[SelectChoice]:
    """A picker's choices; a stored value no longer offered stays visible, so the user sees what is wrong."""
    values = {value for value, _ in pairs}
    missing = [(current, f"{current}（不在可选范围内）")] if current and current not in values else []
    return [SelectChoice(value, label) for value, label in [("", blank), *pairs, *missing]]


def _industry_name(form) -> str | None:
    industry = dicts_service.get_industry(form.baseType.data, session=get_session()) if form.baseType.data else None
    return industry.name if industry is not None else None
