"""Tests for the Word report template and renderer."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from pipeline.outputs.word.render import render_report
from pipeline.workspace.templates import REPORT_TEMPLATE, install_template


def build_default_template(path: Path) -> None:
    install_template(REPORT_TEMPLATE, path)

TNR = "Times New Roman"
THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
TRICKY_TEXT = 'Dùng thẻ <b> & ký hiệu {{ x }} trong ô =HYPERLINK(1) "trích dẫn"'


CHARTS = [
    {"key": "progress", "title": "Tiến độ các hoạt động theo khuyến nghị (năm 2015)", "categories": ["12", "27"],
     "axis": "Khuyến nghị", "x_title": "Khuyến nghị số", "kind": "progress", "y_title": "Số hoạt động",
     "series": {"Đã hoàn thành": [1, 0], "Đang thực hiện": [1, 0], "Chưa thực hiện": [0, 1]}},
    {"key": "money", "title": "Kinh phí và lượt người tham gia theo khuyến nghị (năm 2015)", "categories": ["12", "27"],
     "axis": "Khuyến nghị", "x_title": "Khuyến nghị số", "kind": "money", "y_title": "Triệu đồng",
     "y2_title": "Lượt người", "series": {"Ngân sách nhà nước (triệu đồng)": [385.0, 0.0],
                                          "Tài trợ, viện trợ, huy động (triệu đồng)": [50.5, 0.0]},
     "line": {"Lượt người tham gia, hưởng lợi": [1490.0, 0.0]}},
]


def sample_context(charts: bool = True) -> dict[str, Any]:
    """A realistic consolidated-report context (several activities, some empty lists)."""
    return {
        "authority": "UBND TỈNH ĐẮK LẮK",
        "department": "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
        "department_name": "Sở Lao động - Thương binh và Xã hội",
        "plan_title": "Kế hoạch triển khai các Khuyến nghị của Ủy ban về Quyền trẻ em của Liên hợp quốc",
        "number_line": "Số:        /BC-SLĐTBXH",
        "place_date": "Đắk Lắk, ngày      tháng      năm 2015",
        "title": "BÁO CÁO",
        "subject": (
            "Kết quả thực hiện Kế hoạch triển khai các Khuyến nghị của Ủy ban về Quyền trẻ em "
            "của Liên hợp quốc năm 2015"
        ),
        "recipient": "Ủy ban nhân dân tỉnh Đắk Lắk",
        "intro": (
            "Thực hiện Quyết định số 2130/QĐ-UBND ngày 28/7/2014 của Ủy ban nhân dân tỉnh về việc "
            "ban hành Kế hoạch triển khai thực hiện các Khuyến nghị của Ủy ban về Quyền trẻ em của "
            "Liên hợp quốc giai đoạn 2014-2020 trên địa bàn tỉnh Đắk Lắk, báo cáo như sau:"
        ),
        "year_label": "năm 2015",
        "years_label": "năm 2015",
        "is_period_review": False,
        "key_figures": ["Tiến độ: trong 3 hoạt động của Kế hoạch, 1 hoạt động đã hoàn thành (33,3%).",
                        "Quy mô: tổ chức 15 hoạt động/đợt, thu hút 1.490 lượt người tham gia, hưởng lợi.",
                        "Kinh phí: 435,5 triệu đồng, trong đó ngân sách nhà nước 385,0 triệu đồng (88,4%)."],
        "direction": ["Theo Kế hoạch, 40 cơ quan, đơn vị có nhiệm vụ báo cáo kết quả thực hiện năm 2015."],
        "results_intro": "Kết quả từng hoạt động như sau (số liệu chi tiết tại Phụ lục kèm theo):",
        "groups": [
            {"title": "", "activities": [
                {"label": "Khuyến nghị số 12", "content": "Rà soát, hoàn thiện hệ thống văn bản về bảo vệ trẻ em",
                 "text": "Chủ trì: Sở Lao động - Thương binh và Xã hội, đã hoàn thành. Kết quả nổi bật: Sở Tư pháp "
                         + TRICKY_TEXT, "details": []},
                {"label": "Khuyến nghị số 12", "content": "Tập huấn kỹ năng bảo vệ trẻ em cho cán bộ cấp xã",
                 "text": "Chủ trì: Sở Lao động - Thương binh và Xã hội, đang thực hiện.",
                 "details": ["Phối hợp rà soát 05 văn bản (Sở Y tế)."]},
            ]},
        ],
        "other_activities": {"text": "Ngoài các hoạt động theo Kế hoạch, 1 cơ quan báo cáo 1 hoạt động khác.",
                             "lines": ["Tổ chức Diễn đàn trẻ em cấp tỉnh (Tỉnh đoàn; 150 lượt người)."], "rest": ""},
        "shortcomings": ["Còn 1 hoạt động chưa được triển khai theo báo cáo của cơ quan chủ trì."],
        "causes": {"lines": [], "more": ""},
        "directions": {"own": ["Tập trung triển khai 2 hoạt động chưa hoàn thành."],
                       "lines": ["Tiếp tục tham mưu triển khai các hoạt động còn lại (3 cơ quan, đơn vị)."],
                       "more": ""},
        "proposals_to_department": {"lines": [], "more": ""},
        "own_proposals": [],
        "proposals": {"lines": [], "more": ""},
        "comparison": {
            "years": ["Năm 2014", "Năm 2015"],
            "title": "So sánh kết quả qua các năm",
            "rows": [
                {"label": "Số hoạt động", "values": ["12", "15"]},
                {"label": "Số lượt người tham gia", "values": ["980", "1.490"]},
                {"label": "Kinh phí (triệu đồng)", "values": ["310,0", "435,5"]},
            ],
            "status_changes": ["So với năm 2014, năm 2015 số lượt người tham gia, hưởng lợi tăng 52,0%."],
        },
        "appendix_rows": [
            {"stt": "1", "id": "HD01", "recommendations": "12", "content": "Rà soát, hoàn thiện văn bản",
             "lead": "Sở Lao động - Thương binh và Xã hội", "status": "Đã hoàn thành", "events": "12",
             "people": "1.250", "money_state": "300,0", "money_other": "50,5", "reporters": "3/5", "locals": "2/4"},
            {"stt": "2", "id": "HD02", "recommendations": "12", "content": "Tập huấn kỹ năng bảo vệ trẻ em",
             "lead": "Sở Lao động - Thương binh và Xã hội", "status": "Đang thực hiện", "events": "3",
             "people": "240", "money_state": "85,0", "money_other": "0,0", "reporters": "1/3", "locals": "—"},
            {"stt": "3", "id": "HD05", "recommendations": "27", "content": "Truyền thông phòng, chống xâm hại",
             "lead": "Sở Thông tin và Truyền thông", "status": "Chưa thực hiện", "events": "0", "people": "0",
             "money_state": "0,0", "money_other": "0,0", "reporters": "1/4", "locals": "0/4"},
        ],
        "appendix_totals": {"events": "15", "people": "1.490", "money_state": "385,0", "money_other": "50,5"},
        "appendix_status_label": "Tình trạng",
        "charts": CHARTS if charts else [],
        "signer": {"authority": "KT. GIÁM ĐỐC", "title": "PHÓ GIÁM ĐỐC", "name": "Nguyễn Văn A"},
        "recipients": ["Như trên;", "Bộ LĐTBXH (để b/c);", "Lưu: VT, BVCSTE."],
    }


# --------------------------------------------------------------------------- helpers


def iter_paragraphs(doc: DocumentObject) -> Iterator[Paragraph]:
    """Every paragraph in document order (tables included), then the page headers."""

    def from_table(table: Table) -> Iterator[Paragraph]:
        """Paragraphs of a table, nested tables included."""
        for row in table.rows:
            for cell in row.cells:
                for item in cell.iter_inner_content():
                    if isinstance(item, Paragraph):
                        yield item
                    else:
                        yield from from_table(item)

    for item in doc.iter_inner_content():
        if isinstance(item, Paragraph):
            yield item
        else:
            yield from from_table(item)
    for section in doc.sections:
        for part in (section.header, section.first_page_header):
            yield from part.paragraphs


def body_text(doc: DocumentObject) -> str:
    """All paragraph text joined by newlines."""
    return "\n".join(p.text for p in iter_paragraphs(doc))


def style_chain_font(style: Any) -> str | None:
    """First explicit ascii font along a style's basedOn chain."""
    while style is not None:
        rpr = style.element.rPr
        rfonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
        if rfonts is not None and rfonts.get(qn("w:ascii")):
            return str(rfonts.get(qn("w:ascii")))
        style = style.base_style
    return None


def default_font(doc: DocumentObject) -> str | None:
    """ascii font of docDefaults."""
    rfonts = doc.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    return None if rfonts is None else rfonts.get(qn("w:ascii"))


def effective_font(doc: DocumentObject, paragraph: Paragraph, run_rpr: Any) -> str | None:
    """Resolve a run's font: run rFonts, then paragraph style chain, then docDefaults."""
    if run_rpr is not None:
        rfonts = run_rpr.find(qn("w:rFonts"))
        if rfonts is not None:
            assert not any(rfonts.get(qn(a)) for a in THEME_ATTRS)
            if rfonts.get(qn("w:ascii")):
                return str(rfonts.get(qn("w:ascii")))
    return style_chain_font(paragraph.style) or default_font(doc)


def is_bold(paragraph: Paragraph) -> bool:
    """Bold if every text run is bold directly or through the paragraph style."""
    runs = [r for r in paragraph.runs if r.text.strip()]
    style_bold = bool(paragraph.style.font.bold) if paragraph.style is not None else False
    return bool(runs) and all(r.bold or (r.bold is None and style_bold) for r in runs)


def find_paragraph(doc: DocumentObject, text: str) -> Paragraph:
    """First paragraph whose text equals text (after stripping)."""
    for paragraph in iter_paragraphs(doc):
        if paragraph.text.strip() == text:
            return paragraph
    raise AssertionError(f"paragraph {text!r} not found")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample report rendered from a freshly built default template."""
    folder = tmp_path_factory.mktemp("report")
    template = folder / "bao_cao.docx"
    build_default_template(template)
    out = folder / "out" / "bao_cao_2015.docx"
    render_report(template, sample_context(), out)
    return out


@pytest.fixture(scope="module")
def doc(rendered: Path) -> DocumentObject:
    """python-docx view of the rendered report."""
    return Document(str(rendered))


# --------------------------------------------------------------------------- tests


def test_page_setup_a4_margins(doc: DocumentObject) -> None:
    def mm(value: int | None) -> float:
        """Length in millimetres."""
        assert value is not None
        return value / Mm(1)

    section = doc.sections[0]
    assert mm(section.page_width) == pytest.approx(210, abs=0.5)
    assert mm(section.page_height) == pytest.approx(297, abs=0.5)
    assert mm(section.top_margin) == pytest.approx(20, abs=0.5)
    assert mm(section.bottom_margin) == pytest.approx(20, abs=0.5)
    assert mm(section.left_margin) == pytest.approx(30, abs=0.5)
    assert mm(section.right_margin) == pytest.approx(15, abs=0.5)
    # The appendix is a landscape A4 section.
    appendix = doc.sections[-1]
    assert mm(appendix.page_width) == pytest.approx(297, abs=0.5)
    assert mm(appendix.page_height) == pytest.approx(210, abs=0.5)


def test_normal_style(doc: DocumentObject) -> None:
    normal = doc.styles["Normal"]
    assert normal.font.name == TNR
    assert normal.font.size == Pt(14)
    fmt = normal.paragraph_format
    assert fmt.alignment is not None and fmt.alignment == 3  # justify
    assert fmt.first_line_indent is not None and abs(fmt.first_line_indent - Mm(12.7)) < Mm(0.2)
    assert fmt.space_before is not None and fmt.space_before >= Pt(6)
    # Nghị định 30: at least 6 pt between paragraphs (before + after)
    assert fmt.space_after is not None and fmt.space_before + fmt.space_after >= Pt(6)
    assert fmt.line_spacing is not None and 1.0 <= float(fmt.line_spacing) <= 1.5  # single to 1.5 lines


def test_no_theme_fonts_in_styles(doc: DocumentObject) -> None:
    for rfonts in doc.styles.element.iter(qn("w:rFonts")):
        for attr in THEME_ATTRS:
            assert rfonts.get(qn(attr)) is None, rfonts.getparent().getparent().get(qn("w:styleId"))
        assert rfonts.get(qn("w:ascii")) == TNR
        assert rfonts.get(qn("w:hAnsi")) == TNR
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        assert doc.styles[name].font.name == TNR


def test_every_run_is_times_new_roman(doc: DocumentObject) -> None:
    checked = 0
    for paragraph in iter_paragraphs(doc):
        for r in paragraph._p.iter(qn("w:r")):
            assert effective_font(doc, paragraph, r.rPr) == TNR, paragraph.text
            checked += 1
    assert checked > 100


def test_text_is_nfc(rendered: Path) -> None:
    with zipfile.ZipFile(rendered) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert unicodedata.is_normalized("NFC", xml)


def test_header_block(doc: DocumentObject) -> None:
    table = doc.tables[0]
    assert len(table.columns) == 2
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None
    assert all(b.get(qn("w:val")) in ("nil", "none") for b in borders)
    assert table._tbl.tblPr.find(qn("w:tblStyle")) is None
    left = [p for p in table.cell(0, 0).paragraphs if p.text.strip()]
    right = [p for p in table.cell(0, 1).paragraphs if p.text.strip()]
    assert [p.text for p in left] == ["UBND TỈNH ĐẮK LẮK", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"]
    assert not is_bold(left[0]) and is_bold(left[1])
    assert [p.text for p in right] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert all(is_bold(p) for p in right)
    assert left[0].runs[0].font.size == Pt(13) or left[0].style.font.size == Pt(13)
    assert right[1].runs[0].font.size == Pt(14)
    # A short ruled line sits under the department and under the motto.
    for cell in (table.cell(0, 0), table.cell(0, 1)):
        assert cell._tc.find(f".//{qn('w:pBdr')}/{qn('w:bottom')}") is not None
    assert table.cell(1, 0).text.strip() == "Số:        /BC-SLĐTBXH"
    date = table.cell(1, 1).paragraphs[0]
    assert date.text == "Đắk Lắk, ngày      tháng      năm 2015"
    assert all(r.italic for r in date.runs if r.text.strip())


def test_title_subject_recipient(doc: DocumentObject) -> None:
    title = find_paragraph(doc, "BÁO CÁO")
    assert is_bold(title)
    assert title.style is not None
    assert title.alignment == 1 or title.style.paragraph_format.alignment == 1
    subject = find_paragraph(doc, sample_context()["subject"])
    assert is_bold(subject)
    find_paragraph(doc, "Kính gửi: Ủy ban nhân dân tỉnh Đắk Lắk.")


def test_sections_in_order(doc: DocumentObject) -> None:
    text = body_text(doc)
    headings = [
        "Kết quả chủ yếu năm 2015:",
        "I. CÔNG TÁC CHỈ ĐẠO, TRIỂN KHAI",
        "II. KẾT QUẢ THỰC HIỆN",
        "2. Các hoạt động ngoài Kế hoạch",
        "3. So sánh kết quả qua các năm",
        "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
        "1. Tồn tại, hạn chế",
        "2. Nguyên nhân",
        "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM TỚI",
        "V. ĐỀ XUẤT, KIẾN NGHỊ",
        "Nơi nhận:",
        "Phụ lục",
    ]
    positions = [text.find("\n" + h) for h in headings]
    assert all(p >= 0 for p in positions), dict(zip(headings, positions))
    assert positions == sorted(positions)
    assert "{{" not in text.replace("{{ x }}", "") and "{%" not in text
    assert "TÌNH HÌNH BÁO CÁO" not in text  # reporting is part of section I, not a section after the proposals


def test_activity_paragraphs(doc: DocumentObject) -> None:
    text = body_text(doc)
    activity = next(p for p in doc.paragraphs if p.text.startswith("Khuyến nghị số 12: Rà soát"))
    assert activity.runs[0].bold and activity.runs[1].italic
    assert "- Phối hợp rà soát 05 văn bản (Sở Y tế)." in text
    assert "- Tổ chức Diễn đàn trẻ em cấp tỉnh (Tỉnh đoàn; 150 lượt người)." in text
    # an empty list of causes reads as a sentence rather than a bare heading
    assert "Các cơ quan, đơn vị không nêu khó khăn, vướng mắc." in text
    assert text.split("V. ĐỀ XUẤT, KIẾN NGHỊ", 1)[1].split("\n")[1] == "Không có."
    assert "Các cơ quan, đơn vị đề ra phương hướng:" in text and "đề nghị Sở Lao động" not in text
    assert "(kèm theo Phụ lục biểu tổng hợp)" in text


def test_key_figures_on_page_one(doc: DocumentObject) -> None:
    text = body_text(doc)
    first = text.index("Kết quả chủ yếu năm 2015:")
    assert text.index("- Quy mô: tổ chức 15 hoạt động/đợt") > first
    assert first < text.index("I. CÔNG TÁC CHỈ ĐẠO")


def test_comparison_table(doc: DocumentObject) -> None:
    table = next(t for t in doc.tables if t.cell(0, 0).text == "Chỉ tiêu")
    assert [c.text for c in table.rows[0].cells] == ["Chỉ tiêu", "Năm 2014", "Năm 2015"]
    assert [c.text for c in table.rows[2].cells] == ["Số lượt người tham gia", "980", "1.490"]
    grid = table._tbl.find(qn("w:tblGrid"))
    assert len(grid) == 3


def test_literal_agency_text(doc: DocumentObject) -> None:
    text = body_text(doc)
    assert TRICKY_TEXT in text
    for fragment in ("<b>", "&", "{{ x }}", "=HYPERLINK(1)"):
        assert fragment in text


def test_appendix_table(doc: DocumentObject) -> None:
    table = next(t for t in doc.tables if t.cell(0, 0).text == "STT")
    rows = sample_context()["appendix_rows"]
    header_rows = [r for r in table.rows if r._tr.trPr is not None and r._tr.trPr.find(qn("w:tblHeader")) is not None]
    assert len(header_rows) == 2
    assert len(table.rows) == len(header_rows) + len(rows) + 1
    assert [c.text for c in table.rows[2].cells][:2] == ["1", "12"]  # no internal activity code in the signed table
    assert "HD01" not in "".join(c.text for r in table.rows for c in r.cells)
    assert table.rows[-1].cells[0].text == "Tổng cộng"
    assert table.rows[-1].cells[8].text == "1.490"
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    size = run.font.size or paragraph.style.font.size
                    assert size in (Pt(11), Pt(12))


def test_appendix_heading_and_own_numbering(doc: DocumentObject) -> None:
    heading = find_paragraph(doc, "Phụ lục")
    assert is_bold(heading) and (heading.style.font.size == Pt(14))
    appendix = doc.sections[-1]
    pg = appendix._sectPr.find(qn("w:pgNumType"))
    assert pg is not None and pg.get(qn("w:start")) == "1"
    assert doc.sections[0]._sectPr.find(qn("w:pgNumType")) is None


def test_subject_rule_is_a_third_to_a_half_of_its_line(doc: DocumentObject) -> None:
    from pipeline.outputs.word.render import TEXT_WIDTH, _wrapped_line_mm

    subject = find_paragraph(doc, sample_context()["subject"])
    body = list(doc.paragraphs)
    rule = body[body.index(next(p for p in body if p._p is subject._p)) + 1]
    left = rule.paragraph_format.left_indent
    length = TEXT_WIDTH.mm - 2 * left.mm
    line = _wrapped_line_mm(subject.text, TEXT_WIDTH.mm)
    assert 1 / 3 <= length / line <= 1 / 2


def test_native_charts(rendered: Path, doc: DocumentObject) -> None:
    with zipfile.ZipFile(rendered) as zf:
        names = zf.namelist()
        chart = zf.read("word/charts/chart1.xml").decode("utf-8")
        types = zf.read("[Content_Types].xml").decode("utf-8")
    assert {"word/charts/chart1.xml", "word/charts/chart2.xml"} <= set(names)
    assert not any(n.startswith("word/media/") for n in names)  # no picture: Word draws the chart
    assert "<c:numCache>" in chart and "c:externalData" in chart and 'sz="1000"' in chart
    assert "drawingml.chart+xml" in types
    text = body_text(doc)
    assert "Biểu đồ 1. Tiến độ các hoạt động" in text and "Biểu đồ 2. Kinh phí" in text
    assert "Biểu đồ 1 và Biểu đồ 2 dưới đây" in text
    assert "[[chart:" not in text


def test_page_numbers_not_on_first_page(doc: DocumentObject) -> None:
    section = doc.sections[0]
    assert section._sectPr.find(qn("w:titlePg")) is not None
    assert section.different_first_page_header_footer
    header = section.header._element
    instr = "".join(t.text or "" for t in header.iter(qn("w:instrText")))
    assert instr.strip() == "PAGE"
    kinds = [f.get(qn("w:fldCharType")) for f in header.iter(qn("w:fldChar"))]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert section.first_page_header._element.find(f".//{qn('w:instrText')}") is None


def test_signature_block(doc: DocumentObject) -> None:
    table = next(t for t in doc.tables if t.cell(0, 0).paragraphs[0].text == "Nơi nhận:")
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert all(b.get(qn("w:val")) in ("nil", "none") for b in borders)
    left = table.cell(0, 0).paragraphs
    label = left[0].runs[0]
    assert label.bold and label.italic and label.font.size == Pt(12)
    assert [p.text for p in left[1:]] == ["- Như trên;", "- Bộ LĐTBXH (để b/c);", "- Lưu: VT, BVCSTE."]
    assert all(p.style.font.size == Pt(11) for p in left[1:])
    right = [p for p in table.cell(0, 1).paragraphs if p.text.strip()]
    assert [p.text for p in right] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn A"]
    assert all(is_bold(p) for p in right)
    assert len(table.cell(0, 1).paragraphs) >= 6  # room for the signature and seal


def test_empty_lists_and_period_review(tmp_path: Path) -> None:
    context = sample_context(charts=False)
    context.update(
        groups=[], other_activities=None, shortcomings=[], directions={"own": [], "lines": [], "more": ""},
        appendix_rows=[], comparison=None, is_period_review=True, year_label="giai đoạn 2014-2020",
        signer={"authority": "", "title": "Giám đốc", "name": "Trần Thị B"},
    )
    out = tmp_path / "empty.docx"
    render_report(tmp_path / "missing" / "tpl.docx", context, out)  # template built on the fly
    doc = Document(str(out))
    text = body_text(doc)
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ GIAI ĐOẠN TIẾP THEO" in text
    assert "Chưa có hoạt động nào của Kế hoạch được các cơ quan, đơn vị báo cáo." in text
    assert "Các cơ quan, đơn vị không báo cáo hoạt động nào ngoài Kế hoạch." in text
    assert "Chỉ tiêu" not in text and "3. So sánh" not in text
    assert "Không có hoạt động nào được báo cáo." in text
    assert "Biểu đồ" not in text
    assert "GIÁM ĐỐC" in text and "KT." not in text
    assert (tmp_path / "missing" / "tpl.docx").exists()


def test_atomic_write_keeps_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "report.docx"
    out.write_bytes(b"previous")
    context = sample_context()
    context["charts"] = [{"title": "a chart without data"}]
    with pytest.raises(Exception):
        render_report(tmp_path / "tpl.docx", context, out)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx", "tpl.docx"]


def test_missing_key_is_reported(tmp_path: Path) -> None:
    context = sample_context()
    del context["groups"]
    with pytest.raises(ValueError, match="groups"):
        render_report(tmp_path / "tpl.docx", context, tmp_path / "out.docx")


def test_committed_template_renders(tmp_path: Path) -> None:
    committed = Path(__file__).resolve().parent.parent / "templates" / "bao_cao.docx"
    assert "{{ department }}" in body_text(Document(str(committed)))
    out = tmp_path / "from_committed.docx"
    render_report(committed, sample_context(), out)
    text = body_text(Document(str(out)))
    assert "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI" in text and "{%" not in text


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice (soffice) or poppler (pdftoppm) not installed; .ci/run installs both")
def test_pdf_first_page_renders(rendered: Path, tmp_path: Path) -> None:
    # A private profile avoids clashing with any other LibreOffice running on the machine.
    profile = (tmp_path / "lo-profile").as_uri()
    env = {**os.environ, "HOME": str(tmp_path)}
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(rendered)],
        check=True, capture_output=True, timeout=240, env=env,
    )
    pdf = tmp_path / (rendered.stem + ".pdf")
    assert pdf.exists() and pdf.stat().st_size > 10_000
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True, capture_output=True, timeout=120,
    )
    pngs = sorted(tmp_path.glob("page*.png"))
    assert pngs and pngs[0].stat().st_size > 5_000
