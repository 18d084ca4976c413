"""Feedback for agencies: their own workbook with the faulty cells marked, and a list to fix.

The copy is written from the agency's own bytes, so it runs in a worker process like the
check (pipeline.isolation): a file openpyxl cannot load, or that makes it crash, costs that
agency's marked copy, never the run. When the own workbook cannot be annotated the agency gets
a new workbook with the list alone. Either way the copy carries values, not the agency's
formulas, links or macros, and does not recalculate on opening: it is attached to an e-mail the
department sends.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.intake.unpack import reread_member
from pipeline.model.cells import parse_address
from pipeline.model.findings import Finding
from pipeline.model.layout import SHEET_META
from pipeline.model.vocab import FileKind, Severity
from pipeline.outputs.feedback_xml import CellStyle, ListRow, ListSheet, cell_note, write_feedback_xml
from pipeline.workspace.files import write_atomic

SHEET_FIXES = "Lỗi cần sửa"
SHEET_NOTES = "Điểm cần lưu ý"  # the same list when nothing must be corrected (a copy for information)
HEADER_ROW = 4  # title, what to do and by when above it
MESSAGE_CHARS = 95  # characters of 11 pt Times New Roman on one line of the 90-wide message column
# Red for errors, orange for warnings: neither may look like the light-yellow input cells.
FILL = {Severity.ERROR: "FF8B8B", Severity.WARNING: "F4B084"}
WIDTHS = (5, 10, 16, 6, 8, 90)  # of the list's columns: STT, severity, sheet, cell, activity, message


@dataclass(frozen=True)
class FeedbackJob:
    """One feedback copy to write: where the agency's file lies in the inbox, and what to mark."""

    inbox_file: Path  # the inbox entry holding the file (the file itself, or its zip or e-mail)
    display: str  # the entry's path as the check shows it
    member: str  # the file's own display path (inside the zip or e-mail, if any)
    kind: str
    digest: str  # the bytes the check read; a file changed since gets the list alone
    findings: tuple[Finding, ...]
    path: Path
    author: str
    resubmit_by: str = ""  # dd/mm/yyyy the corrected file is due; "" when nothing must be corrected
    year: int = 0


def write_feedback_job(_: None, job: FeedbackJob) -> str:
    """Write one feedback copy (in a worker): "marked" for the agency's own workbook, "list" for the list alone."""

    member = reread_member(job.inbox_file, job.display, job.member) if FileKind(job.kind).ooxml else None
    data = member.data if member is not None and member.rejection is None else b""
    if data and hashlib.sha256(data).hexdigest() == job.digest:
        findings = list(job.findings)
        try:
            # patching the XML is ten times faster than openpyxl; anything it does not expect goes to openpyxl
            write_feedback_xml(data, findings, list_sheet(findings, job.resubmit_by, job.year), FILL, job.author,
                               job.path)
            return "marked"
        except Exception:
            pass
        try:
            write_feedback_copy(data, job.kind, findings, job.path, job.author, job.resubmit_by, job.year)
            return "marked"
        except Exception:  # a workbook openpyxl cannot load or save: the agency still gets the list
            pass
    write_findings_only(list(job.findings), job.path, job.resubmit_by, job.year)
    return "list"


def write_findings_only(findings: list[Finding], path: Path, resubmit_by: str = "", year: int = 0) -> Path:
    """A new workbook with the sheet "Lỗi cần sửa" alone (only the tool's own text)."""
    book = Workbook()
    book.remove(book.worksheets[0])
    _fixes_sheet(book, findings, resubmit_by, year)
    return _save(book, path)


def write_feedback_copy(data: bytes, kind: str, findings: list[Finding], path: Path, author: str,
                        resubmit_by: str = "", year: int = 0) -> Path:
    """Mark each finding's cell (fill + comment) and add the sheet "Lỗi cần sửa"; returns the file written.

    .xlsx/.xlsm are marked in a copy of the agency's own file, read as values (cached results of
    formulas); openpyxl cannot write .xls or .ods, so for those the copy holds the list alone.
    """
    if not FileKind(kind).ooxml:
        return write_findings_only(findings, path, resubmit_by, year)
    book = load_workbook(io.BytesIO(data), keep_vba=False, data_only=True, keep_links=False)
    _inert(book)
    marks: dict[tuple[str, str], tuple[Any, list[Finding]]] = {}
    for f in findings:
        if f.sheet not in book.sheetnames or f.sheet == SHEET_META or parse_address(f.cell) is None:
            continue
        # a cell a merge covers shows nothing and takes no comment: its finding goes on the range's first cell
        cell = _writable(book[f.sheet], f.cell)
        marks.setdefault((f.sheet, cell.coordinate), (cell, []))[1].append(f)
    for cell, items in marks.values():
        worst, text = cell_note(items)
        cell.fill = PatternFill("solid", fgColor=FILL[worst])
        comment = Comment(text, author)
        comment.width, comment.height = 320, 160
        cell.comment = comment
    _fixes_sheet(book, findings, resubmit_by, year)
    return _save(book, path)


def _writable(ws: Any, ref: str) -> Any:
    """The cell that holds `ref`'s value: the top-left cell when `ref` lies inside a merged range."""
    cell = ws[ref]
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if ref in rng:
                return ws.cell(rng.min_row, rng.min_col)
    return cell


def _inert(book: Workbook) -> None:
    """No active content in the copy: no external links, hyperlinks or recalculation on opening."""
    book.calculation.fullCalcOnLoad = False
    # keep_links=False drops the linked data; the list of link parts is private in openpyxl (not in its stubs)
    book._external_links = []  # type: ignore[attr-defined]
    for name in list(book.defined_names):
        value = str(book.defined_names[name].value or "")
        if "[" in value or "!" not in value:
            del book.defined_names[name]  # names pointing outside the workbook, or formulas
    for ws in book.worksheets:
        if not isinstance(ws, Worksheet):
            continue
        for row in ws.iter_rows():  # the writer collects a sheet's links from its cells
            for cell in row:
                if cell.hyperlink is not None:
                    cell.hyperlink = None


def _save(book: Workbook, path: Path) -> Path:
    path = path.with_suffix(".xlsx")
    out = io.BytesIO()
    book.save(out)
    write_atomic(path, out.getvalue())
    return path


def _cell_order(cell: str) -> tuple[int, int]:
    """'H17' after 'K6': by row, then column."""
    return parse_address(cell) or (-1, -1)


def one_per_cell(findings: list[Finding]) -> list[Finding]:
    """Where a cell has an error, its warnings are dropped: one instruction per cell."""
    errors = {(f.sheet, f.cell) for f in findings if f.severity == Severity.ERROR and f.cell}
    return [f for f in findings if f.severity == Severity.ERROR or not f.cell or (f.sheet, f.cell) not in errors]


def list_sheet(findings: list[Finding], resubmit_by: str = "", year: int = 0) -> ListSheet:
    """The list to fix: a title, what to do and by when, then one row per finding."""
    findings = one_per_cell(findings)
    errors = any(f.severity == Severity.ERROR for f in findings)
    of_year = f" năm {year}" if year else ""
    if errors:
        title = f"LỖI CẦN SỬA TRONG BÁO CÁO{of_year.upper()}"
        todo = ("Đề nghị sửa các lỗi dưới đây ngay trên tệp đã điền và gửi lại"
                + (f" trước ngày {resubmit_by}" if resubmit_by else "") + ". Các điểm “Cảnh báo” không bắt buộc sửa.")
    else:
        title = f"CÁC ĐIỂM CẦN LƯU Ý TRONG BÁO CÁO{of_year.upper()} (ĐỂ BIẾT)"
        todo = "Báo cáo đã được đưa vào tổng hợp; Quý đơn vị không cần sửa, không cần gửi lại."
    red, black = "C00000", "000000"
    rows = [ListRow(1, (title,), CellStyle(bold=True, size=13)),
            ListRow(2, (todo,), CellStyle(italic=True, color=red if errors else black)),
            ListRow(HEADER_ROW, ("STT", "Mức độ", "Trang", "Ô", "Mã HĐ", "Nội dung cần sửa" if errors else "Nội dung cần lưu ý"),
                    CellStyle(bold=True, fill="DDEBF7"))]
    ordered = sorted(findings, key=lambda f: (f.severity != Severity.ERROR, f.sheet, _cell_order(f.cell)))
    for i, f in enumerate(ordered, start=1):
        # neither Excel nor LibreOffice grows a wrapped row of a file it opens: give it the height it needs
        lines = sum(math.ceil(max(len(part), 1) / MESSAGE_CHARS) for part in f.message_vi.split("\n"))
        rows.append(ListRow(HEADER_ROW + i, (i, f.severity.label, f.sheet, f.cell, f.activity_id, f.message_vi),
                            CellStyle(color=red if f.severity == Severity.ERROR else black, wrap=True), 15 * lines + 3))
    return ListSheet(SHEET_FIXES if errors else SHEET_NOTES, tuple(rows), WIDTHS, HEADER_ROW)


def _fixes_sheet(book: Workbook, findings: list[Finding], resubmit_by: str = "", year: int = 0) -> None:
    """The list sheet in an openpyxl workbook, first and selected; printed one page wide."""
    spec = list_sheet(findings, resubmit_by, year)
    sheet = book.create_sheet(spec.name, 0)
    book.active = 0
    for s in book.worksheets:
        s.sheet_view.tabSelected = s is sheet
    for row in spec.rows:
        st = row.style
        for col, value in enumerate(row.values, start=1):
            c = sheet.cell(row.number, col, value)
            c.data_type = "s" if isinstance(value, str) else c.data_type  # agency text stays text
            c.font = Font(name="Times New Roman", bold=st.bold or None, italic=st.italic or None,
                          color=st.color or None, size=st.size or None)
            if st.fill:
                c.fill = PatternFill("solid", fgColor=st.fill)
            if st.wrap:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        if row.height is not None:
            sheet.row_dimensions[row.number].height = row.height
    for i, width in enumerate(spec.widths):
        sheet.column_dimensions[chr(65 + i)].width = width
    sheet.freeze_panes = f"A{spec.header_row + 1}"
    sheet.print_title_rows = f"{spec.header_row}:{spec.header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
