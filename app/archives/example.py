"""A complete example archive: the demo city's, and the full-size record the tests and the benchmark use.

Every attribute of table 2.6 is filled, the labels agree with their codes, each transformation content
links to needs of the same archive and uses a provider/product pair given by the caller (they must exist
in the libraries), and each rating names a pair that a content used.
"""
from __future__ import annotations

from decimal import Decimal

SCENES = (
    "生产执行数字化/设备管理/设备运行实时监测",
    "产品生命周期数字化/产品设计/数字化建模及可视化设计",
    "生产执行数字化/质量管理/产品质量追溯",
    "供应链数字化/采购管理/供应商数字化管理",
)
LEVELS = {"level_one": "一级（初始级）", "level_two": "二级（规范级）", "level_three": "三级（集成级）"}
DIMENSIONS = ("innovationDimension", "marketDimension", "upgradeDimension", "reduceDimension",
              "synergiaDimension", "greenDimension", "safeDimension", "otherDimension")


def _need(n: int) -> dict:
    return {"sceneDesc": f"第 {n} 条产线的设备运行数据靠人工抄录，故障发现滞后。",
            "problemNeed": f"需求 {n}：设备联网、实时监测与预警，减少非计划停机。",
            "useScenes": SCENES[(n - 1) % len(SCENES)]}


def _map(n: int, needs: list[dict], pair: tuple[str, str]) -> dict:
    month = (n - 1) % 12 + 1
    return {"transContentDesc": f"改造内容 {n}：部署设备物联网关与远程运维平台，覆盖关键设备。",
            "transStartTime": f"2025-{month:02d}-01", "transEndTime": f"2025-{month:02d}-28",
            "transCosts": 12.5 + n, "publicCloud": "设备数据上公有云", "privateCloud": "无", "mixedCloud": "无",
            "noneCloud": "无", "ServiceProviderName": pair[0], "productName": pair[1],
            "linkTransNeeds": [needs[(n - 1) % len(needs)]]}


def _dimensions(when: str) -> dict:
    return {name: f"{when}：{name} 方面的情况说明。" for name in DIMENSIONS}


def _rating(provider: str, product: str) -> dict:
    return {"providerName": provider, "productName": product, "evaluationStar": 5, "evaluationInfo": "运行稳定",
            "providerStar": 4, "providerInfo": "响应及时", "behaviourStar": 5, "behaviourInfo": "态度好",
            "afterSalesStar": 4, "afterSalesInfo": "售后到位"}


def example_payload(company: str, credit_code: str, pairs: list[tuple[str, str]], *, needs: int = 2,
                    maps: int = 2, base_type: str = "3434", base_type_name: str = "连续搬运设备制造") -> dict:
    """The stored payload of a complete archive (transResult INT and the transResultAfter object)."""
    need_rows = [_need(n) for n in range(1, needs + 1)]
    map_rows = [_map(n, need_rows, pairs[(n - 1) % len(pairs)]) for n in range(1, maps + 1)]
    total = sum(Decimal(str(m["transCosts"])) for m in map_rows)
    used = list(dict.fromkeys((m["ServiceProviderName"], m["productName"]) for m in map_rows))
    return {
        "companyName": company, "creditCode": credit_code, "registAddress": "河南省/新乡市/长垣市/蒲西街道 18 号",
        "industryName": "专用设备制造业", "industrySegments": "起重机械",
        "companyNature": "limited_liability_company", "companyNatureLabel": "有限责任公司",
        "companyScale": "ent_scale_medium", "companyScaleLabel": "中型",
        "highQualitySme": "mastery", "highQualitySmeLabel": "专精特新中小企业",
        "contactPerson": "王建国", "contactPhone": "0373-8881234",
        "baseSituation": "主营桥式、门式起重机，员工 320 人。",
        "productType": "C3434", "productTypeName": "起重机", "transResult": 1,
        "companyScaleRange": "scale_above", "companyScaleRangeLabel": "规模以上企业",
        "baseTypeName": base_type_name, "baseType": base_type,
        "businessInfo": {"year": "2024", "operateIncome": 18500, "perOperateIncome": 57.8, "profit": -120.5,
                         "digitalInvestment": 350},
        "transNeeds": need_rows,
        "transInfo": {"degitalLevel": "level_one", "degitalLevelName": LEVELS["level_one"],
                      "totalTransCost": int(total) if total == total.to_integral_value() else float(total),
                      **_dimensions("改造前"), "transMaps": map_rows},
        "transResultAfter": {"degitalLevel": "level_three", "digitalLevelName": LEVELS["level_three"],
                             **_dimensions("改造后"),
                             "ProductList": [_rating(p, q) for p, q in used]},
        "evaluation": {"hadExpanded": 1, "hadPassed": 1, "failureReason": None, "awardFunds": 50, "asATemplate": 1,
                       "asTemplateReason": "改造路径清晰，可在起重机械行业复制。", "fundsAllocated": 30},
        "contractInfo": None,
        "fileList": [],
    }
