"""Native Word charts: DrawingML chart parts with cached values, which Word and LibreOffice draw themselves.

python-docx has no chart API. The chart XML is the same in Word and Excel, so xlsxwriter (already
the summary workbook's writer) builds it: a one-sheet workbook holds the data, its chart part is
lifted into the .docx with the workbook embedded beside it, so "Edit Data" in Word opens the
figures. No image library is imported: matplotlib cost a second of every run.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Length, Mm

CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT = "Times New Roman"
SIZE = 10  # points: the chart is inserted at 100 %, so 10 pt prints as 10 pt (≥ 9 pt)
WIDTH = Mm(160)
HEIGHT = Mm(54)
PROGRESS_COLOURS = ("#70AD47", "#FFC000", "#C00000", "#A5A5A5")
MONEY_COLOURS = ("#4472C4", "#ED7D31")
SHEET = "Số liệu"


def _font(size: int = SIZE, bold: bool = False) -> dict[str, Any]:
    return {"name": FONT, "size": size, "bold": bold}


def chart_parts(spec: dict[str, Any]) -> tuple[bytes, bytes]:
    """(chart XML, embedded workbook) for one chart spec of the report context."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(SHEET)
    categories = [str(c) for c in spec["categories"]]
    series: dict[str, list[float]] = dict(spec["series"])
    line: dict[str, list[float]] = dict(spec.get("line", {}))
    sheet.write_string(0, 0, spec["axis"])
    for r, c in enumerate(categories, start=1):
        sheet.write_string(r, 0, c)
    names = [*series, *line]
    for col, name in enumerate(names, start=1):
        sheet.write_string(0, col, name)
        for r, v in enumerate((series | line)[name], start=1):
            sheet.write_number(r, col, float(v))
    n = len(categories)
    stacked = book.add_chart({"type": "column", "subtype": "stacked"})
    colours = PROGRESS_COLOURS if spec["kind"] == "progress" else MONEY_COLOURS
    for col, name in enumerate(series, start=1):
        options: dict[str, Any] = {"name": [SHEET, 0, col], "categories": [SHEET, 1, 0, n, 0],
                                   "values": [SHEET, 1, col, n, col],
                                   "fill": {"color": colours[(col - 1) % len(colours)]}, "gap": 60}
        stacked.add_series(options)
    if line:
        people = book.add_chart({"type": "line"})
        col = len(series) + 1
        people.add_series({"name": [SHEET, 0, col], "categories": [SHEET, 1, 0, n, 0],
                           "values": [SHEET, 1, col, n, col], "y2_axis": True,
                           "line": {"color": "#404040", "width": 2}, "marker": {"type": "circle", "size": 5,
                                                                                 "fill": {"color": "#404040"},
                                                                                 "border": {"color": "#404040"}}})
        people.set_y2_axis({"name": spec.get("y2_title", ""), "name_font": _font(), "num_font": _font(),
                            "num_format": "[$-42A]#,##0", "major_gridlines": {"visible": False}})
        stacked.combine(people)
    stacked.set_x_axis({"name": spec.get("x_title", ""), "num_font": _font(), "name_font": _font(),
                        "interval_unit": 1})
    stacked.set_y_axis({"name": spec.get("y_title", ""), "name_font": _font(), "num_font": _font(),
                        "num_format": "[$-42A]#,##0", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                        **({"major_unit": 1} if spec["kind"] == "progress" and _max_stack(series) <= 10 else {})})
    stacked.set_legend({"position": "bottom", "font": _font()})
    stacked.set_title({"none": True})
    stacked.set_chartarea({"border": {"none": True}})
    stacked.set_size({"width": int(WIDTH.mm * 3.78), "height": int(HEIGHT.mm * 3.78)})
    sheet.insert_chart(0, len(names) + 2, stacked)
    book.close()
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/charts/chart1.xml")
    return xml, data


def _max_stack(series: dict[str, list[float]]) -> float:
    columns = list(zip(*series.values())) if series else []
    return max((sum(c) for c in columns), default=0)


def insert_chart(document: Any, paragraph: Any, spec: dict[str, Any], number: int,
                 width: Length = WIDTH, height: Length = HEIGHT) -> None:
    """Replace `paragraph`'s runs with the native chart of `spec`."""
    chart_xml, workbook = chart_parts(spec)
    package = document.part.package
    embedded = Part(PackURI(f"/word/embeddings/Microsoft_Excel_Worksheet{number}.xlsx"), CT_XLSX, workbook, package)
    chart = Part(PackURI(f"/word/charts/chart{number}.xml"), CT_CHART, b"", package)
    data_rel = chart.relate_to(embedded, RT.PACKAGE)
    chart._blob = _with_external_data(chart_xml, data_rel)
    rel = document.part.relate_to(chart, RT.CHART)
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    inline = parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
        ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
        ' xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{int(width)}" cy="{int(height)}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{9000 + number}" name="Biểu đồ {number}"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart r:id="{rel}"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>')
    paragraph._p.append(inline)


def _with_external_data(xml: bytes, rel: str) -> bytes:
    """Point the chart at its embedded workbook (c:externalData goes before c:printSettings)."""
    # the chart's language decides its number format: 1.800, not 1,800
    text = xml.decode("utf-8").replace('<c:lang val="en-US"/>', '<c:lang val="vi-VN"/>')
    if 'xmlns:r="' not in text[:500]:
        text = text.replace("<c:chartSpace ",
                            '<c:chartSpace xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ',
                            1)
    data = f'<c:externalData r:id="{rel}"><c:autoUpdate val="0"/></c:externalData>'
    if "<c:printSettings>" in text:
        text = text.replace("<c:printSettings>", data + "<c:printSettings>", 1)
    else:
        text = re.sub(r"</c:chartSpace>\s*$", data + "</c:chartSpace>", text)
    return text.encode("utf-8")
