"""The analysis tables as an Excel workbook (openpyxl), one sheet per table, the same numbers as the page."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from app.evaluations.analysis import LEVELS, Analysis

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(wb, title: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, _ in enumerate(header, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 18


def _levels(a: Analysis, rows: list[dict], first: str) -> tuple[list[str], list[list]]:
    header = [first, *(a.level_names[lvl] for lvl in LEVELS), "合计"]
    return header, [[r["label"], *(r["levels"][lvl] for lvl in LEVELS), r["total"]] for r in rows]


def _r(x) -> float | None:
    return None if x is None else round(x, 2)


def workbook(a: Analysis, *, filters_text: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "总体情况"
    ws.append(["筛选条件", filters_text])
    ws.append(["评测企业数", a.total])
    ws.append(["平均得分（基础+管理+成效）", _r(a.average)])
    for lvl in LEVELS:
        ws.append([a.level_names[lvl], a.overall.get(lvl, 0)])
    _sheet(wb, "按区县", *_levels(a, a.by_county, "区县"))
    _sheet(wb, "按国民经济行业", *_levels(a, a.by_industry, "行业（GB/T 4754）"))
    _sheet(wb, "按试点产业", *_levels(a, a.by_pilot_industry, "试点产业"))
    _sheet(wb, "维度平均分", ["维度", "平均分", "满分"],
           [[d["name"], _r(d["average"]), d["points"]] for d in a.dimensions])
    _sheet(wb, "指标平均分", ["题号", "维度", "二级指标", "平均分", "满分"],
           [[i["id"], i["dimension"], i["item"], _r(i["average"]), i["points"]] for i in a.items])
    _sheet(wb, "场景等级分布", ["场景", "类型", *(f"{lvl} 级" if lvl else "未达到一级" for lvl in range(5))],
           [[h["name"], "约束性" if h["constrained"] else "指导性", *h["counts"]] for h in a.heat])
    _sheet(wb, "约束性场景条件", ["等级", "约束性场景最低数", "满足比例（%）"],
           [[c["name"], c["min_constrained"], _r((c["share"] or 0) * 100)] for c in a.constrained])
    _sheet(wb, "改造前后对比", ["阶段", "企业数", "平均得分", *(d["name"] for d in a.dimensions)],
           [[{"before": "改造前", "after": "改造后"}[s], v["count"], _r(v["average"]),
             *(_r(x) for x in v["dimensions"])]
            for s, v in sorted(a.before_after.items(), key=lambda kv: kv[0] != "before")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
