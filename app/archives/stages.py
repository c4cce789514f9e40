"""The archive's stages, as the national platform names them: basic information → transformation needs →
situation before → transformation contents → results after → evaluation.

A stage is a set of the archive form's fields. Each is edited and saved on its own: the stage's inputs
are laid over the stored archive (`owns` says which posted names are the stage's), and the whole archive
is validated, so rules that span stages (a content's linked needs) still hold. `state` says how far a
stage is filled in, from the stored payload alone.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.accounts import roles
from app.archives.forms import DIMENSIONS, ArchiveForm
from app.dicts.fields import CascadeField, IndustryField

EMPTY, PARTIAL, DONE = "empty", "partial", "done"
STATE_LABELS = {EMPTY: "未填写", PARTIAL: "填写中", DONE: "已完成"}
ENTERPRISE_AND_OFFICIALS = frozenset({roles.ENTERPRISE}) | roles.OFFICIALS

# The top-level attributes (all 单次逻辑校验 Y) the enterprise states itself; labels are derived.
BASIC_REQUIRED = ("companyName", "creditCode", "registAddress", "industryName", "industrySegments", "companyNature",
                  "companyScale", "highQualitySme", "contactPerson", "contactPhone", "baseSituation", "productType",
                  "productTypeName", "transResult", "companyScaleRange", "baseType")
DIMENSION_NAMES = tuple(name for name, _ in DIMENSIONS)


def _filled(value) -> bool:
    return value not in (None, "", [], {})


def _share(obj: dict | None, names) -> str:
    obj = obj or {}
    count = sum(_filled(obj.get(name)) for name in names)
    return EMPTY if count == 0 else DONE if count == len(names) else PARTIAL


def _rows(rows: list | None, names) -> str:
    states = {_share(row, names) for row in rows or ()}
    return EMPTY if not states else DONE if states == {DONE} else PARTIAL


def _basic(p: dict) -> str:
    return _share(p, BASIC_REQUIRED)


def _needs(p: dict) -> str:
    return _rows(p.get("transNeeds"), ("sceneDesc", "problemNeed", "useScenes"))


def _before(p: dict) -> str:
    return _share(p.get("transInfo"), ("degitalLevel", *DIMENSION_NAMES))


def _contents(p: dict) -> str:
    return _rows((p.get("transInfo") or {}).get("transMaps"),
                 ("transContentDesc", "transStartTime", "transEndTime", "transCosts", "ServiceProviderName",
                  "productName", "linkTransNeeds"))


def _after(p: dict) -> str:
    after = p.get("transResultAfter") or {}
    head = _share(after, ("degitalLevel", *DIMENSION_NAMES))
    ratings = _rows(after.get("ProductList"), ("providerName", "productName", "evaluationStar", "providerStar",
                                               "behaviourStar", "afterSalesStar"))
    return head if head == ratings else PARTIAL


def _evaluation(p: dict) -> str:
    e = p.get("evaluation") or {}
    if e.get("hadExpanded") is None:
        return PARTIAL if any(_filled(v) for v in e.values()) else EMPTY
    if e["hadExpanded"] == 0:
        return DONE
    return DONE if e.get("hadPassed") is not None else PARTIAL


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    paths: tuple[str, ...]  # the form's fields, "transInfo.degitalLevel" for a nested one
    state_of: Callable[[dict], str]  # payload -> EMPTY / PARTIAL / DONE
    editors: frozenset[str] = ENTERPRISE_AND_OFFICIALS
    hint: str = ""

    def fields(self, form: ArchiveForm) -> list:
        out = []
        for path in self.paths:
            first, *rest = path.split(".")
            field = form[first]
            for name in rest:
                field = field.form[name]
            out.append(field)
        return out

    def owns(self, form: ArchiveForm):
        """A test: is a posted name one of this stage's inputs? (Anything else posted is ignored.)"""
        exact: set[str] = set()
        prefixes: list[str] = []
        for field in self.fields(form):
            if field.type in ("FieldList", "FormField"):
                prefixes.append(field.name + "-")
            else:
                exact.add(field.name)
                if isinstance(field, CascadeField):
                    exact.update(field.part_names)
                if isinstance(field, IndustryField):
                    exact.add(field.search_name)
        return lambda name: name in exact or name.startswith(tuple(prefixes))

    def state(self, payload: dict) -> str:
        return self.state_of(payload)


INFO_BEFORE = ("degitalLevel", "degitalLevelName", "totalTransCost", *DIMENSION_NAMES)
BASIC_PATHS = ("companyName", "creditCode", "registAddress", "industryName", "industrySegments", "companyNature",
               "companyNatureLabel", "companyScale", "companyScaleLabel", "highQualitySme", "highQualitySmeLabel",
               "contactPerson", "contactPhone", "baseSituation", "productType", "productTypeName", "transResult",
               "companyScaleRange", "companyScaleRangeLabel", "baseType", "baseTypeName", "businessInfo")

STAGES: tuple[Stage, ...] = (
    Stage("basic", "基本信息", BASIC_PATHS, _basic, hint="企业基本情况、行业与营业信息。"),
    Stage("needs", "转型需求", ("transNeeds",), _needs, hint="数字化转型需求：场景描述、问题及需求、关联场景。"),
    Stage("before", "改造前情况", tuple(f"transInfo.{n}" for n in INFO_BEFORE), _before,
          hint="改造前的数字化水平等级和八个维度的情况。"),
    Stage("contents", "改造内容", ("transInfo.transMaps", "contractInfo", "fileList"), _contents,
          hint="每项改造内容的时间、花费、用云情况、服务商和产品，以及关联的需求；项目合同和附件。"),
    Stage("after", "改造后成效", ("transResultAfter",), _after,
          hint="改造后的数字化等级、八个维度的成效，以及对服务商和产品的评价。"),
    Stage("evaluation", "绩效评价", ("evaluation",), _evaluation, editors=roles.OFFICIALS,
          hint="由主管部门填写：是否开展绩效评价、是否通过、奖补和拨付资金。"),
)
BY_KEY = {stage.key: stage for stage in STAGES}


def progress(payload: dict) -> dict[str, str]:
    """Each stage's state, by key."""
    return {stage.key: stage.state(payload) for stage in STAGES}


def done_keys(payload: dict) -> str:
    return ",".join(key for key, state in progress(payload).items() if state == DONE)
