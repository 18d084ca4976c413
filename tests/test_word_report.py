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


def make_chart_png() -> bytes:
    """Small bar chart rendered with the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4), dpi=100)
    ax = fig.add_subplot()
    ax.bar(["Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện"], [9, 4, 2], color="#4472c4")
    ax.set_title("Tình trạng thực hiện các hoạt động năm 2015")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def sample_context(chart: bytes | None = None) -> dict[str, Any]:
    """A realistic consolidated-report context (several recommendations, some empty lists)."""
    agencies_on_time = ["Sở Y tế", "Sở Giáo dục và Đào tạo", "Công an tỉnh", "Tỉnh đoàn"]
    return {
        "authority": "UBND TỈNH ĐẮK LẮK",
        "department": "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
        "department_name": "Sở Lao động - Thương binh và Xã hội",
        "plan_title": "Kế hoạch triển khai các Khuyến nghị của Ủy ban về Quyền trẻ em của Liên hợp quốc",
        "number_line": "Số:        /BC-SLĐTBXH",
        "place_date": "Đắk Lắk, ngày      tháng      năm 2026",
        "title": "BÁO CÁO",
        "subject": (
            "Kết quả thực hiện Kế hoạch triển khai các Khuyến nghị của Ủy ban về Quyền trẻ em "
            "của Liên hợp quốc năm 2015"
        ),
        "recipient": "Ủy ban nhân dân tỉnh Đắk Lắk",
        "intro": (
            "Thực hiện Quyết định số 2130/QĐ-UBND ngày 28/7/2014 của Ủy ban nhân dân tỉnh về việc "
            "ban hành Kế hoạch triển khai thực hiện các Khuyến nghị của Ủy ban về Quyền trẻ em của "
            "Liên hợp quốc giai đoạn 2014-2020 trên địa bàn tỉnh Đắk Lắk."
        ),
        "year_label": "năm 2015",
        "is_period_review": False,
        "recommendations": [
            {
                "title": "Khuyến nghị số 12",
                "activities": [
                    {
                        "id": "HD01",
                        "content": "Rà soát, hoàn thiện hệ thống văn bản về bảo vệ, chăm sóc trẻ em",
                        "lead": "Sở Lao động - Thương binh và Xã hội",
                        "status": "Đã hoàn thành",
                        "summary": "Tổ chức 12 hoạt động, 1.250 lượt người tham gia, kinh phí 350,5 triệu đồng.",
                        "reports": [
                            {"agency": "Sở Y tế", "role": "Phối hợp",
                             "text": "Phối hợp rà soát 05 văn bản liên quan đến chăm sóc sức khỏe trẻ em."},
                            {"agency": "Sở Tư pháp", "role": "Phối hợp", "text": TRICKY_TEXT},
                        ],
                    },
                    {
                        "id": "HD02",
                        "content": "Tập huấn kỹ năng bảo vệ trẻ em cho cán bộ cấp xã.",
                        "lead": "Sở Lao động - Thương binh và Xã hội",
                        "status": "Đang thực hiện",
                        "summary": "Tổ chức 3 hoạt động, 240 lượt người tham gia, kinh phí 85,0 triệu đồng.",
                        "reports": [],
                    },
                ],
            },
            {
                "title": "Khuyến nghị số 27",
                "activities": [
                    {
                        "id": "HD05",
                        "content": "Truyền thông về phòng, chống xâm hại tình dục trẻ em",
                        "lead": "Sở Thông tin và Truyền thông",
                        "status": "Chưa thực hiện",
                        "summary": "",
                        "reports": [
                            {"agency": "Hội Liên hiệp Phụ nữ tỉnh", "role": "Phối hợp",
                             "text": "Lồng ghép nội dung vào 36 buổi sinh hoạt chi hội."},
                        ],
                    }
                ],
            },
            {"title": "Khuyến nghị số 45", "activities": []},
        ],
        "other_activities": [
            {"agency": "Tỉnh đoàn", "text": "Tổ chức Diễn đàn trẻ em cấp tỉnh với 150 em tham gia."},
        ],
        "highlights": [
            "Công tác phối hợp giữa các sở, ngành được tăng cường.",
            "Nhận thức của cộng đồng về quyền trẻ em từng bước được nâng lên.",
        ],
        "difficulties": [],
        "directions": [
            {"agency": "Sở Lao động - Thương binh và Xã hội",
             "text": "Tiếp tục tham mưu triển khai các hoạt động còn lại của Kế hoạch."},
        ],
        "proposals": [],
        "reporting": {
            "expected": 40,
            "received": 35,
            "on_time": agencies_on_time,
            "late": ["UBND huyện Krông Bông", "UBND huyện Ea Súp"],
            "missing": ["UBND huyện Lắk", "Sở Nội vụ"],
        },
        "comparison": {
            "years": [2014, 2015],
            "rows": [
                {"label": "Số hoạt động", "values": ["12", "15"]},
                {"label": "Số lượt người tham gia", "values": ["980", "1.490"]},
                {"label": "Kinh phí (triệu đồng)", "values": ["310,0", "435,5"]},
            ],
            "status_changes": ["HD02: Chưa thực hiện → Đang thực hiện"],
        },
        "appendix_rows": [
            {"stt": "1", "id": "HD01", "recommendations": "12", "content": "Rà soát, hoàn thiện văn bản",
             "lead": "Sở LĐTBXH", "status": "Đã hoàn thành", "events": "12", "people": "1.250",
             "money_state": "300,0", "money_other": "50,5", "reporters": "3/5"},
            {"stt": "2", "id": "HD02", "recommendations": "12", "content": "Tập huấn kỹ năng bảo vệ trẻ em",
             "lead": "Sở LĐTBXH", "status": "Đang thực hiện", "events": "3", "people": "240",
             "money_state": "85,0", "money_other": "0,0", "reporters": "1/3"},
            {"stt": "3", "id": "HD05", "recommendations": "27", "content": "Truyền thông phòng, chống xâm hại",
             "lead": "Sở TT&TT", "status": "Chưa thực hiện", "events": "0", "people": "0",
             "money_state": "0,0", "money_other": "0,0", "reporters": "1/4"},
        ],
        "appendix_totals": {"events": "15", "people": "1.490", "money_state": "385,0", "money_other": "50,5"},
        "chart_png": chart,
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
def chart_png() -> bytes:
    """Chart PNG shared by the module."""
    return make_chart_png()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, chart_png: bytes) -> Path:
    """The sample report rendered from a freshly built default template."""
    folder = tmp_path_factory.mktemp("report")
    template = folder / "bao_cao.docx"
    build_default_template(template)
    out = folder / "out" / "bao_cao_2015.docx"
    render_report(template, sample_context(chart_png), out)
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
    assert fmt.space_after is not None and fmt.space_after >= Pt(6)
    assert fmt.line_spacing is not None and 1.15 <= float(fmt.line_spacing) <= 1.3


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
    assert date.text == "Đắk Lắk, ngày      tháng      năm 2026"
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
        "I. KẾT QUẢ THỰC HIỆN",
        "II. ĐÁNH GIÁ CHUNG",
        "1. Kết quả nổi bật",
        "2. Tồn tại, hạn chế và nguyên nhân",
        "III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM TỚI",
        "IV. ĐỀ XUẤT, KIẾN NGHỊ",
        "V. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ",
        "Nơi nhận:",
        "PHỤ LỤC",
    ]
    positions = [text.find("\n" + h) for h in headings]
    assert all(p >= 0 for p in positions), dict(zip(headings, positions))
    assert positions == sorted(positions)
    assert "{{" not in text.replace("{{ x }}", "") and "{%" not in text


def test_recommendation_blocks(doc: DocumentObject) -> None:
    text = body_text(doc)
    assert "1.1. Khuyến nghị số 12" in text and "1.3. Khuyến nghị số 45" in text
    activity = next(p for p in doc.paragraphs if p.text.startswith("HD01."))
    assert activity.runs[0].italic
    assert "tình trạng (theo cơ quan chủ trì): đã hoàn thành" in activity.text
    assert "Tổ chức 12 hoạt động, 1.250 lượt người tham gia, kinh phí 350,5 triệu đồng." in text
    assert "- Sở Y tế (phối hợp): Phối hợp rà soát 05 văn bản" in text
    assert "- Chưa có cơ quan, đơn vị nào báo cáo kết quả thực hiện hoạt động này." in text
    assert "Không có hoạt động nào được báo cáo." in text
    # Empty lists read as a sentence rather than a bare heading.
    proposals = text.split("IV. ĐỀ XUẤT, KIẾN NGHỊ", 1)[1].split("\n")[1]
    assert proposals == "Không có."


def test_reporting_section(doc: DocumentObject) -> None:
    text = body_text(doc)
    assert "có 40 cơ quan, đơn vị phải báo cáo" in text
    assert "báo cáo của 35 cơ quan, đơn vị (đạt 87,5%)" in text
    assert "- Các đơn vị gửi báo cáo chậm: UBND huyện Krông Bông, UBND huyện Ea Súp." in text
    assert "- Các đơn vị chưa gửi báo cáo: UBND huyện Lắk, Sở Nội vụ." in text


def test_comparison_table(doc: DocumentObject) -> None:
    table = next(t for t in doc.tables if t.cell(0, 0).text == "Chỉ tiêu")
    assert [c.text for c in table.rows[0].cells] == ["Chỉ tiêu", "Năm 2014", "Năm 2015"]
    assert [c.text for c in table.rows[2].cells] == ["Số lượt người tham gia", "980", "1.490"]
    grid = table._tbl.find(qn("w:tblGrid"))
    assert len(grid) == 3
    assert "- HD02: Chưa thực hiện → Đang thực hiện" in body_text(doc)


def test_literal_agency_text(doc: DocumentObject) -> None:
    text = body_text(doc)
    assert f"- Sở Tư pháp (phối hợp): {TRICKY_TEXT}" in text
    for fragment in ("<b>", "&", "{{ x }}", "=HYPERLINK(1)"):
        assert fragment in text


def test_appendix_table(doc: DocumentObject) -> None:
    table = next(t for t in doc.tables if t.cell(0, 0).text == "STT")
    rows = sample_context()["appendix_rows"]
    header_rows = [r for r in table.rows if r._tr.trPr is not None and r._tr.trPr.find(qn("w:tblHeader")) is not None]
    assert len(header_rows) == 2
    assert len(table.rows) == len(header_rows) + len(rows) + 1
    assert table.rows[2].cells[1].text == "HD01"
    assert table.rows[-1].cells[0].text == "Tổng cộng"
    assert table.rows[-1].cells[7].text == "1.490"
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    size = run.font.size or paragraph.style.font.size
                    assert size in (Pt(11), Pt(12))


def test_chart_inserted(rendered: Path, doc: DocumentObject) -> None:
    assert len(doc.inline_shapes) == 1
    assert abs(doc.inline_shapes[0].width - Mm(150)) < Mm(1)
    with zipfile.ZipFile(rendered) as zf:
        assert any(n.startswith("word/media/") for n in zf.namelist())


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
    context = sample_context()
    context.update(
        recommendations=[], other_activities=[], highlights=[], difficulties=[], directions=[],
        proposals=[], appendix_rows=[], comparison=None, chart_png=None, is_period_review=True,
        year_label="giai đoạn 2014-2020",
        reporting={"expected": 40, "received": 40, "on_time": ["Sở Y tế"] * 40, "late": [], "missing": []},
        signer={"authority": "", "title": "Giám đốc", "name": "Trần Thị B"},
    )
    out = tmp_path / "empty.docx"
    render_report(tmp_path / "missing" / "tpl.docx", context, out)  # template built on the fly
    doc = Document(str(out))
    text = body_text(doc)
    assert "III. PHƯƠNG HƯỚNG, NHIỆM VỤ GIAI ĐOẠN TIẾP THEO" in text
    assert "chưa có hoạt động nào theo Kế hoạch được các cơ quan, đơn vị báo cáo" in text
    assert text.count("Không có.") == 5
    assert "- Tất cả các cơ quan, đơn vị đã gửi báo cáo." in text
    assert "Chỉ tiêu" not in text and "3. So sánh" not in text
    assert "Không có hoạt động nào được báo cáo." in text
    assert len(doc.inline_shapes) == 0
    assert "GIÁM ĐỐC" in text and "KT." not in text
    assert (tmp_path / "missing" / "tpl.docx").exists()


def test_atomic_write_keeps_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "report.docx"
    out.write_bytes(b"previous")
    context = sample_context(chart=b"not a png")
    with pytest.raises(Exception):
        render_report(tmp_path / "tpl.docx", context, out)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx", "tpl.docx"]


def test_missing_key_is_reported(tmp_path: Path) -> None:
    context = sample_context()
    del context["reporting"]
    with pytest.raises(ValueError, match="reporting"):
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
