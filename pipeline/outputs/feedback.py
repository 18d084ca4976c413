"""Feedback for agencies: their own workbook with the faulty cells marked, and a list to fix."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook

from pipeline.model.cells import parse_address
from pipeline.model.findings import Finding
from pipeline.model.layout import SHEET_META
from pipeline.model.vocab import Severity
from pipeline.workspace.files import write_atomic

SHEET_FIXES = "Lỗi cần sửa"
# Red for errors, orange for warnings: neither may look like the light-yellow input cells.
FILL = {Severity.ERROR: "FF8B8B", Severity.WARNING: "F4B084"}


def write_feedback_copy(data: bytes, kind: str, findings: list[Finding], path: Path, author: str) -> Path:
    """Mark each finding's cell (fill + comment) and add the sheet "Lỗi cần sửa"; returns the file written.

    .xlsx/.xlsm are marked in place in a copy of the agency's own file. openpyxl cannot
    write .xls or .ods, so for those the copy is a new workbook holding the list alone.
    """
    import openpyxl
    from openpyxl.cell.cell import MergedCell
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if kind in ("xlsx", "xlsm"):
        book = openpyxl.load_workbook(io.BytesIO(data), keep_vba=False)
        for f in findings:
            if f.sheet in book.sheetnames and f.cell and f.sheet != SHEET_META:
                cell = book[f.sheet][f.cell]
                if isinstance(cell, MergedCell):  # a covered cell shows nothing and takes no comment: mark the range
                    ranges = [m for m in book[f.sheet].merged_cells.ranges if f.cell in m]
                    cell = book[f.sheet].cell(ranges[0].min_row, ranges[0].min_col) if ranges else None
                if cell is None:
                    continue
                worst = cell.comment is not None and f"{Severity.ERROR.label}:" in cell.comment.text
                if f.severity == Severity.ERROR or not worst:
                    cell.fill = PatternFill("solid", fgColor=FILL[f.severity])
                text = f"{f.severity.label}: {f.message_vi}"
                if cell.comment is not None:
                    text = cell.comment.text + "\n\n" + text
                comment = Comment(text, author)
                comment.width, comment.height = 320, 160
                cell.comment = comment
    else:
        book = openpyxl.Workbook()
        book.remove(book.worksheets[0])
    _fixes_sheet(book, findings)
    path = path.with_suffix(".xlsx")
    out = io.BytesIO()
    book.save(out)
    write_atomic(path, out.getvalue())
    return path


def _cell_order(cell: str) -> tuple[int, int]:
    """'H17' after 'K6': by row, then column."""
    return parse_address(cell) or (-1, -1)


def _fixes_sheet(book: Workbook, findings: list[Finding]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet = book.create_sheet(SHEET_FIXES, 0)
    book.active = 0
    for s in book.worksheets:
        s.sheet_view.tabSelected = s is sheet
    sheet.append(["STT", "Mức độ", "Trang", "Ô", "Mã HĐ", "Nội dung cần sửa"])
    for c in sheet[1]:
        c.font = Font(name="Times New Roman", bold=True)
        c.fill = PatternFill("solid", fgColor="DDEBF7")
    ordered = sorted(findings, key=lambda f: (f.severity != Severity.ERROR, f.sheet, _cell_order(f.cell)))
    for i, f in enumerate(ordered, start=1):
        sheet.append([i, f.severity.label, f.sheet, f.cell, f.activity_id, f.message_vi])
        for c in sheet[i + 1]:
            c.data_type = "s" if isinstance(c.value, str) else c.data_type  # agency text stays text
            c.font = Font(name="Times New Roman", color="C00000" if f.severity == Severity.ERROR else "000000")
            c.alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEF", (5, 10, 16, 6, 8, 90)):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"
