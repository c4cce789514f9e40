"""The archive as a Word (.docx) file: the same sections as the printable page, as officials file it."""
from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from app.archives.document import Fact, Section
from app.db import utcnow
from app.site.templating import to_local

MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "宋体"


def _use_chinese_font(doc) -> None:
    """Word picks a Latin font for CJK text unless the East Asian font is named."""
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
        style = doc.styles[name]
        style.font.name = FONT
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _facts_table(doc, facts: list[Fact]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for fact in facts:
        label, value = table.add_row().cells
        label.text, value.text = fact.label, fact.text or "—"
        label.width = Pt(130)


def archive_docx(record, sections: list[Section], *, region_name: str) -> bytes:
    doc = Document()
    _use_chinese_font(doc)
    doc.add_heading(f"一企一档：{record.title or '未命名企业'}", level=0)
    doc.add_paragraph(f"统一社会信用代码：{record.credit_code or '—'}　所属区域：{region_name}　"
                      f"状态：{record.status_label}　导出时间：{to_local(utcnow())}")
    for section in sections:
        doc.add_heading(section.title, level=1)
        if not section.facts and not section.groups:
            doc.add_paragraph("（未填写）")
        if section.facts:
            _facts_table(doc, section.facts)
        for group in section.groups:
            doc.add_heading(group.title, level=2)
            _facts_table(doc, group.facts)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

