"""The evaluation report as a Word (.docx) file, as app/archives/word.py does for the archive."""
from __future__ import annotations

import io

from docx import Document

from app.archives.word import MIMETYPE, _use_chinese_font  # noqa: F401  (one font rule for every export)
from app.db import utcnow
from app.evaluations.report import Report
from app.site.templating import to_local


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = str(text)


def report_docx(report: Report, *, region_name: str) -> bytes:
    ev, result = report.ev, report.result
    doc = Document()
    _use_chinese_font(doc)
    doc.add_heading(f"数字化水平评测报告：{ev.company_name}", level=0)
    doc.add_paragraph(f"统一社会信用代码：{ev.credit_code}　所属区域：{region_name}　"
                      f"评测方式：{ev.kind_label}　阶段：{ev.stage_label}　年度：{ev.period}")
    doc.add_paragraph(f"评测依据：{report.rules.label}　完成时间：{to_local(ev.completed_at)}")
    if ev.kind == "onsite":
        doc.add_paragraph(f"评定人：{ev.assessor_name or '—'}　状态：{ev.status_label}"
                          f"　审核：{ev.decided_by_name or '—'} {to_local(ev.decided_at)}")
    doc.add_heading("评测结论", level=1)
    decided = result.get("decided_by")
    rule = (f"依据：基础、管理、成效得分 ≥ {decided['min_base_score']}，不少于 {decided['min_scenes']} 个场景"
            f"（其中约束性场景不少于 {decided['min_constrained']} 个）达到{decided['name']}。") if decided else \
        "未满足任何等级的全部条件。"
    doc.add_paragraph(f"数字化水平等级：{result['level_name']}　"
                      f"基础、管理、成效合计得分：{result['base_score']} 分。{rule}")
    for note in report.notes:
        doc.add_paragraph(f"说明：{note}")
    gap = result.get("next")
    if gap:
        doc.add_paragraph(f"距{gap['name']}：还差 {gap['points_short']} 分；需再有 {gap['scenes_short']} 个场景达到"
                          f"{gap['level']}级，其中约束性场景 {gap['constrained_short']} 个。建议提升："
                          + ("、".join(f"{r['name']}（{r['from']}→{r['to']}级）" for r in gap["raise"]) or "无"))
    doc.add_heading("维度得分", level=1)
    _table(doc, ["维度", "得分", "满分"], [[d["name"], d["score"], d["points"]] for d in report.dimensions])
    doc.add_heading("指标得分", level=1)
    _table(doc, ["维度", "二级指标", "题目", "所选", "得分", "满分"],
           [[i["dimension"], i["item"], i["text"], report.answer_text(i), i["score"], i["points"]]
            for i in result["items"]])
    doc.add_heading("数字化经营场景等级", level=1)
    _table(doc, ["场景", "类型", "等级", "等级描述"],
           [[s["name"], "约束性" if s["constrained"] else "指导性", f"{s['level']} 级" if s["level"] else "未达到",
             report.scene_text(s)] for s in result["scenes"]])
    doc.add_heading("产品和解决方案推荐", level=1)
    rows = [[p["scene"]["name"], x["name"], x["company"]] for p in report.suggestions for x in p["products"]]
    if rows:
        _table(doc, ["待提升场景", "产品和解决方案", "服务商"], rows)
    else:
        doc.add_paragraph("产品库中暂无与待提升场景匹配的产品和解决方案。")
    doc.add_paragraph(f"导出时间：{to_local(utcnow())}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
