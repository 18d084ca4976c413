"""Render the consolidated Word report from the editable docxtpl template and a plain dict context."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path
from typing import Any

import jinja2
from docx.oxml.ns import qn
from docx.shared import Length, Mm
from docxtpl import DocxTemplate, InlineImage
from lxml import etree

from pipeline.workspace.files import write_atomic
from pipeline.workspace.templates import REPORT_TEMPLATE, install_template

CHART_WIDTH = Mm(150)
TEXT_WIDTH = Mm(165)  # A4 less the margins of Nghị định 30 (30 mm left, 15 mm right)
# The comparison table's alt-text: the table whose column count depends on the data.
COMPARISON_TABLE_CAPTION = "Bảng so sánh kết quả qua các năm"

REQUIRED_KEYS = (
    "authority", "department", "department_name", "plan_title", "number_line", "place_date", "title", "subject", "recipient",
    "intro", "year_label", "is_period_review", "recommendations", "other_activities",
    "highlights", "difficulties", "directions", "proposals", "reporting", "appendix_rows",
    "appendix_totals", "signer", "recipients",
)

# XML 1.0 forbids these; one stray control character from a pasted Excel cell would make
# Word refuse the whole file. \t and \n are kept (docxtpl turns them into tab / line break).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_report(template: Path, context: dict[str, Any], out: Path) -> None:
    """Fill `template` (the package default is copied there first if missing) and write the .docx to `out`."""
    template = Path(template)
    out = Path(out)
    missing = [key for key in REQUIRED_KEYS if key not in context]
    if missing:
        raise ValueError(f"report context lacks keys: {', '.join(missing)}")
    if not template.exists():
        install_template(REPORT_TEMPLATE, template)

    tpl = DocxTemplate(str(template))
    values: dict[str, Any] = {key: _clean(value) for key, value in context.items()}
    values.setdefault("comparison", None)
    png = context.get("chart_png")
    values["chart_image"] = InlineImage(tpl, io.BytesIO(png), width=CHART_WIDTH) if png else None
    # Autoescape keeps agency text such as "<b>" or "&" literal instead of breaking the XML.
    tpl.render(values, jinja_env=jinja2.Environment(autoescape=True), autoescape=True)
    _fit_comparison_table(tpl.docx.element.body)
    buffer = io.BytesIO()
    tpl.save(buffer)
    write_atomic(out, buffer.getvalue())


def _clean(value: Any) -> Any:
    """NFC-normalise every string in value and drop characters XML cannot carry."""
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
        return _XML_ILLEGAL.sub("", unicodedata.normalize("NFC", text))
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    return value


def _fit_comparison_table(body: Any) -> None:
    """Re-spread the comparison table's columns once the {%tc %} loops fixed the year count."""
    for tbl in body.iter(qn("w:tbl")):
        caption = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblCaption')}")
        if caption is None or caption.get(qn("w:val")) != COMPARISON_TABLE_CAPTION:
            continue
        rows = tbl.findall(qn("w:tr"))
        years = max((len(tr.findall(qn("w:tc"))) for tr in rows), default=1) - 1
        if years < 1:
            continue
        year_width = Length(min(Mm(25), (TEXT_WIDTH - Mm(45)) // years))
        label_width = Length(min(Mm(70), TEXT_WIDTH - years * year_width))
        widths = [label_width] + [year_width] * years
        grid = tbl.find(qn("w:tblGrid"))
        if grid is not None:
            for col in list(grid):
                grid.remove(col)
            for width in widths:
                etree.SubElement(grid, qn("w:gridCol"), {qn("w:w"): str(width.twips)})
        tbl_w = tbl.find(f"{qn('w:tblPr')}/{qn('w:tblW')}")
        if tbl_w is not None:
            tbl_w.set(qn("w:w"), str(sum(w.twips for w in widths)))
            tbl_w.set(qn("w:type"), "dxa")
        for tr in rows:
            for tc, width in zip(tr.findall(qn("w:tc")), widths):
                tc_pr = tc.find(qn("w:tcPr"))
                if tc_pr is None:
                    tc_pr = etree.Element(qn("w:tcPr"))
                    tc.insert(0, tc_pr)
                tc_w = tc_pr.find(qn("w:tcW"))
                if tc_w is None:
                    tc_w = etree.Element(qn("w:tcW"))
                    tc_pr.insert(0, tc_w)
                tc_w.set(qn("w:w"), str(width.twips))
                tc_w.set(qn("w:type"), "dxa")
