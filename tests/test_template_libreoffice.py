"""Generated workbooks re-saved by LibreOffice (as agencies do) and rendered to paper.

One LibreOffice run per target format, started together, each with a private profile.
What survives which re-save is recorded in docs/template.md.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import olefile
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.model import layout
from pipeline.model.vocab import Status
from pipeline.generate.workbooks import GenerateResult, generate
from pipeline.generate.master import LOCAL_STATUS_LABELS, STATUS_LABELS, header_columns
from pipeline.workspace.templates import SUBMISSION_TEMPLATE as TEMPLATE_FILE
from pipeline.workspace.load import load_workspace

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice không có trên máy")

CODES = ("YTE", "LAK")  # an agency (no "Không phát sinh") and a district (with it)
FORMATS = ("xlsx", "xls", "ods", "pdf")
ROOT = Path(__file__).resolve().parent.parent


def copy_workspace(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for folder in ("plan", "templates"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


def meta(wb: Workbook) -> dict[str, str]:
    return {str(k): str(v) for k, v in wb[layout.SHEET_META].iter_rows(values_only=True)}


def report_rows(sheet: Worksheet) -> list[dict[str, Any]]:
    """Data rows of "Báo cáo", columns found by header label."""
    columns = header_columns(sheet, layout.REPORT_COLUMNS)
    rows = []
    for r in range(layout.FIRST_DATA_ROW, sheet.max_row + 1):
        if sheet.cell(r, columns["activity_id"]).value:
            rows.append({"row": r, **{k: sheet.cell(r, c).value for k, c in columns.items()}})
    return rows


def letter(sheet: Worksheet, key: str) -> str:
    return get_column_letter(header_columns(sheet, layout.REPORT_COLUMNS)[key])


def validations(sheet: Worksheet, ref: str) -> list[Any]:
    return [dv for dv in sheet.data_validations.dataValidation if ref in dv.sqref]


def _convert_all(files: list[Path], out: Path, profiles: Path) -> None:
    """Convert `files` to every format, one soffice per format, all running at once."""
    procs = []
    for fmt in FORMATS:
        (out / fmt).mkdir(parents=True)
        profile = (profiles / fmt).as_uri()
        cmd = ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(out / fmt), *map(str, files)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerateResult, Path]:
    base = tmp_path_factory.mktemp("lo")
    result = generate(load_workspace(copy_workspace(base / "ws")), 2015)
    files = [w.workbook for w in result.workbooks if w.agency.code in CODES]
    _convert_all([*files, ROOT / "templates" / TEMPLATE_FILE], base / "out", base / "profiles")
    shutil.rmtree(base / "profiles", ignore_errors=True)
    return result, base / "out"


def _original(result: GenerateResult, code: str) -> tuple[Path, dict[str, str], list[dict[str, Any]]]:
    w = next(w for w in result.workbooks if w.agency.code == code)
    wb = load_workbook(w.workbook)
    return w.workbook, meta(wb), report_rows(wb[layout.SHEET_REPORT])


@pytest.mark.parametrize("code", CODES)
def test_xlsx_resave_keeps_dropdown_text_and_identity(converted: tuple[GenerateResult, Path], code: str) -> None:
    result, out = converted
    path, identity, rows = _original(result, code)
    wb = load_workbook(out / "xlsx" / path.name)
    assert wb.sheetnames == [*layout.SHEETS, layout.SHEET_META]
    assert wb[layout.SHEET_META].sheet_state == "hidden"  # LibreOffice has no "very hidden"
    assert meta(wb) == identity
    assert {p.name: p.value for p in wb.custom_doc_props.props} == identity
    report = wb[layout.SHEET_REPORT]
    assert [(r["activity_id"], r["content"], r["role"]) for r in report_rows(report)] == \
        [(r["activity_id"], r["content"], r["role"]) for r in rows]
    statuses = LOCAL_STATUS_LABELS if code == "LAK" else STATUS_LABELS
    last = rows[-1]["row"]
    (dv,) = validations(report, f"{letter(report, 'status')}{last}")
    assert dv.type == "list" and dv.formula1 == '"' + ",".join(statuses) + '"'
    assert dv.prompt and "danh sách" in dv.prompt
    (num,) = validations(report, f"{letter(report, 'money_state')}{last}")
    assert (num.type, num.operator, num.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert report.protection.sheet and not report.protection.password
    assert report[f"{letter(report, 'status')}{last}"].protection.locked is False
    assert report[f"{letter(report, 'content')}{last}"].protection.locked is True
    assert report.print_title_rows == "$4:$5" and report.page_setup.orientation == "landscape"


def test_master_resaved_by_libreoffice_still_generates(converted: tuple[GenerateResult, Path],
                                                      tmp_path: Path) -> None:
    """An officer may edit the master in LibreOffice Calc instead of Excel."""
    _, out = converted
    root = copy_workspace(tmp_path / "ws")
    shutil.copy(out / "xlsx" / TEMPLATE_FILE, root / "templates" / TEMPLATE_FILE)
    result = generate(load_workspace(root), 2015)
    assert not result.warnings
    lak = next(w for w in result.workbooks if w.agency.code == "LAK")
    wb = load_workbook(lak.workbook)
    assert wb[layout.SHEET_META].sheet_state == "veryHidden" and meta(wb)["agency_code"] == "LAK"
    report = wb[layout.SHEET_REPORT]
    rows = report_rows(report)
    assert [r["activity_id"] for r in rows] == [f"HD{i:02d}" for i in range(1, 20)]
    (dv,) = validations(report, f"{letter(report, 'status')}{rows[-1]['row']}")
    assert Status.NOT_APPLICABLE.label in dv.formula1
    assert report.freeze_panes == "C6" and report.print_title_rows == "$4:$5"
    assert report[f"{letter(report, 'result')}{rows[-1]['row']}"].protection.locked is False


def _calamine(path: Path) -> CalamineWorkbook:
    return CalamineWorkbook.from_path(str(path))


@pytest.mark.parametrize("fmt", ["xls", "ods"])
@pytest.mark.parametrize("code", CODES)
def test_old_excel_and_ods_resave_keep_text_and_identity(converted: tuple[GenerateResult, Path],
                                                         code: str, fmt: str) -> None:
    result, out = converted
    path, identity, rows = _original(result, code)
    saved = out / fmt / f"{path.stem}.{fmt}"
    book = _calamine(saved)
    assert book.sheet_names == [*layout.SHEETS, layout.SHEET_META]
    visibility = {m.name: str(m.visible) for m in book.sheets_metadata}
    assert visibility[layout.SHEET_META].endswith("Hidden")
    assert {str(k): str(v) for k, v in book.get_sheet_by_name(layout.SHEET_META).to_python()} == identity
    report = book.get_sheet_by_name(layout.SHEET_REPORT).to_python()
    header = report[layout.HEADER_ROW - 1]
    assert [str(h) for h in header[: len(layout.REPORT_COLUMNS)]] == [c.label for c in layout.report_columns("Khuyến nghị")]
    got = [(r[1], r[3], r[4]) for r in report[layout.FIRST_DATA_ROW - 1:] if r[1]]
    assert got == [(r["activity_id"], r["content"], r["role"]) for r in rows]
    assert _custom_properties_survive(saved, identity["fingerprint"])


def _custom_properties_survive(path: Path, fingerprint: str) -> bool:
    """The fingerprint among the document's user-defined properties (OLE stream or ODF meta.xml)."""
    if path.suffix == ".xls":
        with olefile.OleFileIO(str(path)) as ole:
            stream = ole.openstream("\x05DocumentSummaryInformation").read()
        return fingerprint.encode("ascii") in stream or fingerprint.encode("utf-16-le") in stream
    with zipfile.ZipFile(path) as z:
        text = z.read("meta.xml").decode("utf-8")
    return re.search(rf'meta:name="fingerprint"[^>]*>{fingerprint}<', text) is not None


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")[:-1]


def _word_heights(pdf: Path, page: int) -> list[float]:
    xml = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, check=True).stdout.decode("utf-8")
    boxes = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', xml)
    return [float(b) - float(a) for a, b in boxes]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler (pdftoppm) không có trên máy")
def test_rendered_report_is_readable(converted: tuple[GenerateResult, Path], tmp_path: Path) -> None:
    result, out = converted
    path, _, rows = _original(result, "LAK")
    pdf = out / "pdf" / f"{path.stem}.pdf"
    pages = _pdf_pages(pdf)
    # A page of "Báo cáo" shows the repeated column-number row "(1) (2) … (16)".
    report_pages = [i for i, p in enumerate(pages, start=1) if re.search(r"\(14\)\s+\(15\)\s+\(16\)", p)]
    assert len(report_pages) >= 2
    flat = " ".join(" ".join(pages[i - 1].split()) for i in report_pages)
    for row in rows:  # every activity's full text is on paper: nothing cut off by a short row
        words = row["content"].split()
        assert words[0] in flat and words[-1] in flat
    assert all(re.search(r"Trang \d+/\d+", p) for p in pages)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == len(pages)
    from PIL import Image

    for number in report_pages:
        with Image.open(pngs[number - 1]) as image:
            assert image.width > image.height  # landscape
        heights = _word_heights(pdf, number)
        assert statistics.median(heights) >= 7.0  # points on paper: the table is not shrunk unreadably
