"""The code lists of section 3 of the national docking spec (plus its error codes), declared once.

Codes are spelled exactly as the spec prints them, typos and spaces included (`Individual Champion`,
`CUSTOMER SERVICE`, `SCENC_OTHER`, `PRODUCT_LIFRCYCLE_DIGITALIZATION`): they are the wire format.
The loader copies these lists into the `dict_item` table; code that needs only the codes (a form's
choices check, say) can use `codes()` without touching the database.
"""
from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

MB = 1024 * 1024


class Entry(NamedTuple):
    code: str
    label: str
    note: str = ""
    max_bytes: int | None = None
    level: int | None = None
    parent_code: str | None = None


TITLES: dict[str, str] = {
    "service_type": "服务商类型表",
    "file_type": "文件类型表",
    "buy_method": "购买方式类型表",
    "deploy_type": "部署方式类型表",
    "industry": "行业类型对照表",
    "company_nature": "企业性质字典对照表",
    "company_scale": "企业规模字典对照表",
    "quality_cert": "优质中小企业认定情况字典对照表",
    "scale_range": "规模范围字典对照表",
    "digital_level": "数字化水平等级字典对照表",
    "star_rating": "评价星级字典表",
    "scene": "场景字典对应表",
    "token_error": "获取令牌接口错误码",
    "push_error": "数据推送接口错误码",
}

_PAIRS: dict[str, list[tuple[str, str]]] = {
    "service_type": [("1", "综合型服务商"), ("2", "行业型服务商"), ("3", "场景型服务商")],
    "buy_method": [
        ("disposable", "一次性购买"),
        ("purchase", "按需购买"),
        ("subscribe", "订阅"),
        ("month_bill", "包月计费"),
        ("year_bill", "包年计费"),
        ("demand_bill", "按需计费"),
        ("Pay_other", "其他"),
    ],
    "deploy_type": [
        ("PC", "PC 单机部署"),
        ("C_S", "C/S"),
        ("B_S", "B/S"),
        ("OFFLINE_DEPLOYMENT", "单机部署"),
        ("CLUSTER_DEPLOYMENT", "多机/集群部署"),
        ("MICROSERVICE_DEPLOYMENT", "微服务架构部署"),
        ("CONTAINERIZED_DEPLOYMENT", "容器化部署"),
        ("MIXED_DEPLOYMENT", "混合部署"),
        ("EDGE_COMPUT_DEPLOYMENT", "边缘计算部署"),
        ("CLOUD_NATIVE_DEPLOYMENT", "云原生部署"),
        ("Deployment_other", "其他"),
    ],
    # The spec's 行业类型对照表 has names only; the name is what goes on the wire (industryName).
    "industry": [(name, name) for name in (
        "通用设备制造业",
        "专用设备制造业",
        "汽车制造业",
        "铁路、船舶、航空航天和其他运输设备制造业",
        "轻工纺织业",
        "石油、煤炭及其他燃料加工业",
        "化学原料和化学制品制造业",
        "医药制造业",
        "化学纤维制造业",
        "非金属矿物制品业",
        "黑色金属冶炼和压延加工业",
        "有色金属冶炼和压延加工业",
        "金属制品业",
        "电气机械和器材制造业",
        "计算机、通信和其他电子设备制造业",
        "仪器仪表制造业",
    )],
    "company_nature": [
        ("state_owned_enterprise", "国有企业"),
        ("collective_enterprise", "集体企业"),
        ("joint_stock_cooperative_enterprise", "股份合作企业"),
        ("joint_venture", "联营企业"),
        ("limited_liability_company", "有限责任公司"),
        ("joint_stock_company", "股份有限公司"),
    ],
    "company_scale": [("ent_scale_medium", "中型"), ("ent_scale_small", "小型"), ("ent_scale_micro", "微型")],
    "quality_cert": [
        ("Innovative", "创新型企业"),
        ("mastery", "专精特新中小企业"),
        ("littleGiant", "专精特新“小巨人”企业"),
        ("Individual Champion", "制造业单项冠军企业"),
        ("nothing", "无"),
    ],
    "scale_range": [("scale_below", "规模以下企业"), ("scale_above", "规模以上企业")],
    "digital_level": [
        ("level_one", "一级（初始级）"),
        ("level_two", "二级（规范级）"),
        ("level_three", "三级（集成级）"),
        ("level_four", "四级（协同级）"),
        ("none_level", "无等级"),
    ],
    "star_rating": [("1", "一星"), ("2", "二星"), ("3", "三星"), ("4", "四星"), ("5", "五星")],
    # Section 2.1 (token) and 2.2–2.6 (every push API) error codes; the spec lists 40003 first.
    "token_error": [
        ("40001", "当前密钥错误"),
        ("40002", "grant_type 类型错误"),
        ("40003", "授权验证失败"),
        ("40004", "当前账号不可用"),
    ],
    "push_error": [
        ("89501", "今日调用次数已使用完,详情请联系管理员"),
        ("89502", "同步数据量超出,详情请联系管理员"),
        ("89503", "当前时间段不能进行同步数据"),
        ("503", "接口不可用"),
        ("403", "接口未授权"),
    ],
}

# 文件类型表: code, 说明, 限制 as printed, limit in MB.
_FILE_TYPES = [
    ("1", "质量测试类型文件", "文件大小不能超过 50M", 50),
    ("2", "测试结论文件", "文件大小不能超过 50M", 50),
    ("3", "服务商产品封面文件", "文件大小不能超过 1M", 1),
    ("4", "服务商产品介绍", "文件大小不能超过 100M", 100),
    ("5", "项目合同文件", "文件大小不能超过 100M", 100),
    ("6", "项目验收文件", "文件大小不能超过 100M", 100),
]

# 场景字典对应表 in the spec's order: code, 场景名称 as printed, level (一级/二级/三级场景).
_SCENES = [
    ("PRODUCT_LIFRCYCLE_DIGITALIZATION", "1.产品生命周期数字化", 1),
    ("PRODUCT_DESIGN", "1.1 产品设计", 2),
    ("DIGITAL_MODEL_VISUALIZATION_DESIGN", "1.1.1 数字化建模及可视化设计", 3),
    ("FUNCTIONAL_PERFORMANCE_SIMULATION_ANALYSIS", "1.1.2 功能性能仿真分析", 3),
    ("PROJECT_INTEGRATION_MANAGEMENT", "1.1.3 研发项目集成管理", 3),
    ("TECHNOLOGICAL_DESIGN", "1.2 工艺设计", 2),
    ("PROCESS_BASIC_INFORMATION_MANAGEMENT", "1.2.1 工艺基础信息管理", 3),
    ("STRUCTURED_DATA_PROCESS", "1.2.2 工艺数据结构化管理", 3),
    ("PROCESS_DESIGN_VERIFICATION_SIMULATION", "1.2.3 工艺设计验证与仿真", 3),
    ("MARKETING_MANAGEMENT", "1.3 营销管理", 2),
    ("MARKETING_PROCESS_DIGITAL_MANAGEMENT", "1.3.1 营销过程数字化管理", 3),
    ("INTERNET_MARKETING", "1.3.2 互联网营销", 3),
    ("PRODUCTION_SUPPLY_MARKETING", "1.3.3 产供销协同", 3),
    ("PRECISION_MARKETING", "1.3.4 精准营销", 3),
    ("AFTER_SALES_SERVICE", "1.4 售后服务", 2),
    ("CUSTOMER SERVICE", "1.4.1 客户服务管理", 3),
    ("ELECTRONIC_CUSTOMER_SERVICE", "1.4.2 电子客户服务", 3),
    ("MAINTENANCE_SERVICE_MANAGEMENT", "1.4.3 远程运维服务管理", 3),
    ("PRODUCT_LIFRCYCLE_DIGITALIZATION_OTHER", "1.5 其他", 2),
    ("PRODUCT_LIFRCYCLE_DIGITALIZATION_OTHER_OTHER", "其他", 3),
    ("PRODUCTION_DIGITALIZATION", "2.生产执行数字化", 1),
    ("PLAN_SCHEDULING", "2.1 计划排程", 2),
    ("DIGITAL_PLAN_MANAGEMENT", "2.1.1 数字化计划管理", 3),
    ("COLLABORATIVE_DIGITALIZATION_PLAN", "2.1.2 数字化计划协同", 3),
    ("DIGITAL_SCHEDULING_OPTIMIZATION", "2.1.3 数字化排产与优化", 3),
    ("PRODUCTION_CONTROL", "2.2 生产管控", 2),
    ("PRODUCTION_PROCESS_DIGITAL_MANAGEMENT", "2.2.1 生产过程数字化管理", 3),
    ("AUTOMATED_PRODUCTION_ADVANCED_PROCESS_CONTROL", "2.2.2 自动化生产作业(离散)/先进过程控制(流程)", 3),
    ("PROCESS_PARAMETER_ANALYSIS_OPTIMIZATION", "2.2.3 工艺参数分析优化", 3),
    ("QUALITY_ASSURANCE", "2.3 质量管理", 2),
    ("QUALITY_INFORMATION_MANAGEMENT", "2.3.1 质量信息管理", 3),
    ("PRODUCT_QUALITY_TRACEABILITY", "2.3.2 产品质量追溯", 3),
    ("QUALITY_ANALYSIS_OPTIMIZATION", "2.3.3 质量分析与优化", 3),
    ("EQUIPMENT_MANAGEMENT", "2.4 设备管理", 2),
    ("DIGITAL_EQUIPMENT_MANAGEMENT", "2.4.1 数字化设备管理", 3),
    ("EQUIPMENT_OPERATION_MONITORING", "2.4.2 设备运行实时监测", 3),
    ("EQUIPMENT_FAILURE_PREDICTION", "2.4.3 设备故障预测", 3),
    ("SAFE_PRODUCT", "2.5 安全生产", 2),
    ("DIGITAL_SAFE_PRODUCTION_MANAGEMENT", "2.5.1 数字化安全生产管理", 3),
    ("PRODUCTION_SAFE_WARNING", "2.5.2 生产安全预警", 3),
    ("ENERGY_MANAGEMENT", "2.6 能耗管理", 2),
    ("ENERGY_CONSUMPTION_DATA_MONITORING", "2.6.1 能耗数据实时监测", 3),
    ("ENERGY_USAGE_OPTIMIZATION", "2.6.2 能源使用优化", 3),
    ("PRODUCTION_DIGITALIZATION_OTHER", "2.7 其他", 2),
    ("PRODUCTION_DIGITALIZATION_OTHER_OTHER", "其他", 3),
    ("SUPPLY_CHAIN_DIGITALIZATION", "3.供应链数字化", 1),
    ("DIGITAL_PROCUREMENT_MANAGEMENT", "3.1 采购管理", 2),
    ("SUPPLIER_DIGITAL_MANAGEMENT", "3.1.1 供应商数字化管理", 3),
    ("MATERIAL_REQUIREMENTS_CALCULATION", "3.1.2 物料需求计划生成", 3),
    ("SUPPLY_CHAIN_DIGITAL_COLLABORATION", "3.1.3 供应链数字化协同", 3),
    ("WAREHOUSE_MANAGEMENT", "3.2 仓储物流", 2),
    ("WAREHOUSE_OPERATION_DIGITAL_MANAGEMENT", "3.2.1 仓储运行数字化管理", 3),
    ("AUTOMATED_WAREHOUSE_OPERATIONS", "3.2.2 自动化仓储作业", 3),
    ("MATERIAL_PRECISION_DELIVERY", "3.2.3 物料精准配送与物流监控", 3),
    ("SUPPLY_CHAIN_DIGITALIZATION_OTHER", "3.3 其他", 2),
    ("SUPPLY_CHAIN_DIGITALIZATION_OTHER_OTHER", "其他", 3),
    ("MANAGEMENT_DECISION_DIGITALIZATION", "4.管理决策数字化", 1),
    ("FINANCIAL_MANAGEMENT", "4.1 财务管理", 2),
    ("DIGITAL_FINANCIAL_MANAGEMENT", "4.1.1 数字化财务管理", 3),
    ("BUSINESS_FINANCE_INTEGRATION", "4.1.2 业财一体化", 3),
    ("HUMAN_RESOURCE_MANAGEMENT", "4.2 人力资源", 2),
    ("DIGITAL_HUMAN_RESOURCE_MANAGEMENT", "4.2.1 数字化人力资源管理", 3),
    ("COLLABORATIVE_OFFICE", "4.3 协同办公", 2),
    ("INFORMATION_COLLABORATIVE_OFFICE", "4.3.1 信息化协同办公", 3),
    ("DECISION_SUPPORT", "4.4 决策支持", 2),
    ("INTELLIGENT_BUSINESS_DECISION_MAKING", "4.4.1 智能经营决策", 3),
    ("MANAGEMENT_DECISION_DIGITALIZATION_OTHER", "4.5 其他", 2),
    ("MANAGEMENT_DECISION_DIGITALIZATION_OTHER_OTHER", "其他", 3),
    ("SCENC_OTHER", "其他", 1),
    ("ARTIFICIAL_INTELLIGENCE_SCENE", "人工智能应用场景", 1),
]

_NUMBERING = re.compile(r"^\d+(?:\.\d+)*\.?\s*")


def scene_name(label: str) -> str:
    """The scene name without the spec's outline numbering: "1.1 产品设计" → "产品设计"."""
    return _NUMBERING.sub("", label)


def _scenes() -> list[Entry]:
    # The spec gives no parent column: each entry belongs to the nearest preceding entry one level up.
    last: dict[int, str] = {}
    out = []
    for code, label, level in _SCENES:
        last[level] = code
        out.append(Entry(code, label, level=level, parent_code=last[level - 1] if level > 1 else None))
    return out


@cache
def scene_chains() -> dict[str, tuple[str, ...]]:
    """Every scene's codes from level 1 down to itself, by code, from the declaration (no query)."""
    by_code = {e.code: e for e in _scenes()}
    out = {}
    for entry in by_code.values():
        chain, item = [], entry
        while item is not None:
            chain.insert(0, item.code)
            item = by_code.get(item.parent_code)
        out[entry.code] = tuple(chain)
    return out


@cache
def scene_options() -> dict[str | None, list[tuple[str, str]]]:
    """(code, label) of the scenes under each scene code (None: the level-1 scenes), in the spec's order,
    from the declaration: a pushed batch of archives checks thousands of scene choices, none by query."""
    out: dict[str | None, list[tuple[str, str]]] = {}
    for entry in _scenes():
        out.setdefault(entry.parent_code, []).append((entry.code, entry.label))
    return out


@cache
def scene_paths() -> dict[str, str]:
    """Every scene's spec path ("产品生命周期数字化/产品设计/数字化建模及可视化设计"), by code. Computed
    once: a form with many scenes must not walk the dictionary table per scene."""
    labels = {e.code: scene_name(e.label) for e in _scenes()}
    return {code: "/".join(labels[c] for c in chain) for code, chain in scene_chains().items()}


def entries() -> dict[str, list[Entry]]:
    """Every dictionary, in the order of TITLES, each in the spec's order."""
    out = {kind: [Entry(code, label) for code, label in pairs] for kind, pairs in _PAIRS.items()}
    out["file_type"] = [Entry(c, label, note, mb * MB) for c, label, note, mb in _FILE_TYPES]
    out["scene"] = _scenes()
    return {kind: out[kind] for kind in TITLES}


@cache
def codes(dict_type: str) -> tuple[str, ...]:
    """The codes of one dictionary, straight from the declaration (no database needed; computed once:
    every list page's filters ask for them)."""
    return tuple(e.code for e in entries()[dict_type])
