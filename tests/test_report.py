"""The consolidated outputs: numbers agree everywhere, the Word layout is the state's, charts exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from conftest import ROOT
from pipeline.cycle import report as build_report
from pipeline.model.numbers import vn_number
from pipeline.workspace.load import load_workspace

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The sample workspace with its real inbox (2014-2016), reported for 2015."""
    dest = tmp_path_factory.mktemp("ws")
    for name in ("baocao.toml",):
        shutil.copy(ROOT / name, dest / name)
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, dest / folder)
    ws = load_workspace(dest)
    return ws, build_report(ws, 2015)


def _docx_numbers(path: Path) -> dict[str, str]:
    """The totals row of the appendix table."""
    document = docx.Document(str(path))
    table = next(t for t in document.tables if "Tổng cộng" in "".join(c.text for c in t.rows[-1].cells))
    cells = [c.text.strip() for c in table.rows[-1].cells]
    numbers = [c for c in cells if re.fullmatch(r"[\d.,]+", c)]
    return dict(zip(("events", "people", "money_state", "money_other"), numbers))


def test_numbers_agree_in_docx_workbook_and_merged_table(built) -> None:  # type: ignore[no-untyped-def]
    ws, result = built
    merged = result.summary.merged.rows
    sums = {k: float(merged[k].sum()) for k in ("events", "people", "money_state", "money_other")}
    book = openpyxl.load_workbook(result.workbook, data_only=True)
    sheet = book["Theo hoạt động"]
    total_row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 3).value == "Tổng cộng")
    workbook = {"events": sheet.cell(total_row, 9).value, "people": sheet.cell(total_row, 10).value,
                "money_state": sheet.cell(total_row, 11).value, "money_other": sheet.cell(total_row, 12).value}
    for key, value in sums.items():
        assert workbook[key] == pytest.approx(value)
    in_doc = _docx_numbers(result.document)
    assert in_doc == {"events": vn_number(sums["events"]), "people": vn_number(sums["people"]),
                      "money_state": vn_number(sums["money_state"], 1), "money_other": vn_number(sums["money_other"], 1)}
    detail = book["Chi tiết"]
    heads = [c.value for c in detail[1]]
    people = sum(r[heads.index("Lượt người")] or 0 for r in detail.iter_rows(min_row=2, values_only=True))
    assert people == pytest.approx(sums["people"])
    trail = [r[heads.index("Ô nguồn")] for r in detail.iter_rows(min_row=2, values_only=True)]
    assert all(t and "status=" in t for t in trail)  # every row names its source cells


def test_docx_layout(built) -> None:  # type: ignore[no-untyped-def]
    _, result = built
    document = docx.Document(str(result.document))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    mm = {k: round(getattr(section, f"{k}_margin").mm) for k in ("top", "bottom", "left", "right")}
    assert 20 <= mm["top"] <= 25 and 20 <= mm["bottom"] <= 25
    assert 30 <= mm["left"] <= 35 and 15 <= mm["right"] <= 20
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and 13 <= normal.font.size.pt <= 14
    header = document.tables[0]
    text = "\n".join(c.text for c in header.rows[0].cells)
    assert "UBND TỈNH ĐẮK LẮK" in text and "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    body = "\n".join(p.text for p in document.paragraphs)
    for heading in ("I. KẾT QUẢ THỰC HIỆN", "II. ĐÁNH GIÁ CHUNG", "III. PHƯƠNG HƯỚNG", "IV. ĐỀ XUẤT, KIẾN NGHỊ",
                    "Kính gửi: Ủy ban nhân dân tỉnh Đắk Lắk"):
        assert heading in body
    assert "Khuyến nghị số 12" in body and "Khuyến nghị số 83, 84" in body
    assert "BIỂU TỔNG HỢP KẾT QUẢ THỰC HIỆN" in body.upper()
    xml = section.header._element.xml if not section.header.is_linked_to_previous else ""
    assert "PAGE" in xml and section.different_first_page_header_footer
    assert any("Nơi nhận" in c.text for t in document.tables for r in t.rows for c in r.cells)
    with zipfile.ZipFile(result.document) as zf:
        assert any(n.startswith("word/media/") for n in zf.namelist())  # the chart


def test_summary_workbook_sheets_and_charts(built) -> None:  # type: ignore[no-untyped-def]
    _, result = built
    book = openpyxl.load_workbook(result.workbook)
    assert book.sheetnames == ["Theo hoạt động", "Theo đơn vị", "Chi tiết", "Hoạt động khác", "Đánh giá của đơn vị",
                               "Tình trạng nộp", "Kết quả kiểm tra", "Biểu đồ", "Qua các năm"]
    assert book["Chi tiết"].auto_filter.ref and book["Chi tiết"].freeze_panes == "A2"
    with zipfile.ZipFile(result.workbook) as zf:
        assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(zf.namelist())
    years = [r[0] for r in book["Qua các năm"].iter_rows(min_row=2, values_only=True)]
    assert years == ["2014", "2015"]


def test_agency_text_is_never_a_formula(tmp_path: Path) -> None:
    from pipeline.outputs.xlsx import formats, workbook, write

    path = tmp_path / "t.xlsx"
    with workbook(path) as book:
        sheet = book.add_worksheet("x")
        for r, text in enumerate(("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "http://example.vn")):
            write(sheet, r, 0, text, formats(book)["text"])
    cells = [c for (c,) in openpyxl.load_workbook(path)["x"].iter_rows()]
    assert all(c.data_type == "s" for c in cells)
    assert not list(tmp_path.glob(".tmp-*"))


def test_period_review(built) -> None:  # type: ignore[no-untyped-def]
    ws, _ = built
    result = build_report(ws, period=(2014, 2020))
    assert result.document.name == "bao-cao-tong-ket-2014-2020.docx"
    body = "\n".join(p.text for p in docx.Document(str(result.document)).paragraphs)
    assert "giai đoạn 2014-2020" in body and "Năm 2014:" in body and "Năm 2016:" in body
    assert [h.year for h in result.history] == [2014, 2015, 2016]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice không có trên máy")
def test_docx_renders_to_pdf_and_png(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, result = built
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(result.document)], check=True, capture_output=True, timeout=300)
    pdf = tmp_path / (result.document.stem + ".pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 20_000
