"""Small helpers for writing xlsxwriter workbooks safely and consistently."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.model.vocab import AgencyState
from pipeline.workspace.files import write_atomic

FONT = "Times New Roman"
LINE_HEIGHT = 15.0  # points per line of 11 pt text
STATE_STYLE = {AgencyState.ON_TIME: "good", AgencyState.LATE: "warning", AgencyState.MISSING: "error",
               AgencyState.REJECTED: "error", AgencyState.UNREADABLE: "error"}


@contextmanager
def workbook(path: Path) -> Iterator[Workbook]:
    """An xlsxwriter workbook built in memory and written with the one atomic writer when complete.

    `strings_to_formulas` and friends are off: agency text such as "=HYPERLINK(…)" or "+1"
    stays text and never becomes a formula, a number or a link.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_numbers": False,
                                        "strings_to_urls": False, "in_memory": True})
    yield book
    book.close()
    write_atomic(path, buffer.getvalue())


def formats(book: Workbook) -> dict[str, Any]:
    """The shared cell formats."""
    base = {"font_name": FONT, "font_size": 11, "valign": "top", "text_wrap": True, "border": 1}
    return {
        "title": book.add_format({"font_name": FONT, "font_size": 14, "bold": True}),
        "subtitle": book.add_format({"font_name": FONT, "font_size": 11, "italic": True}),
        "header": book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "align": "center",
                                   "valign": "vcenter"}),
        "text": book.add_format(base),
        "int": book.add_format({**base, "num_format": "#,##0"}),
        "year": book.add_format({**base, "num_format": "0", "align": "center"}),
        "money": book.add_format({**base, "num_format": "#,##0.0"}),
        "date": book.add_format({**base, "num_format": "dd/mm/yyyy"}),
        "bold": book.add_format({**base, "bold": True}),
        "error": book.add_format({**base, "bg_color": "#F8CBAD"}),
        "warning": book.add_format({**base, "bg_color": "#FFF2CC"}),
        "good": book.add_format({**base, "bg_color": "#E2EFDA"}),
        "total": book.add_format({**base, "bold": True, "num_format": "#,##0.0", "bg_color": "#F2F2F2"}),
        "total_int": book.add_format({**base, "bold": True, "num_format": "#,##0", "bg_color": "#F2F2F2"}),
    }


def table(sheet: Worksheet, fmt: dict[str, Any], top: int, headers: Sequence[tuple[str, float]],
          rows: Sequence[Sequence[Any]], kinds: Sequence[str] | None = None,
          row_formats: Sequence[str | None] | None = None) -> int:
    """Write a header row and data rows with an autofilter and frozen header; returns the next free row."""
    for c, (label, width) in enumerate(headers):
        sheet.write_string(top, c, label, fmt["header"])
        sheet.set_column(c, c, width)
    kinds = kinds or ["text"] * len(headers)
    sheet.set_row(top, _height([label for label, _ in headers], [w for _, w in headers]))
    for r, values in enumerate(rows, start=top + 1):
        # Excel does not grow wrapped rows on open (nor does LibreOffice print them grown): size them here
        sheet.set_row(r, _height(values, [w for _, w in headers]))
        special = row_formats[r - top - 1] if row_formats else None
        for c, value in enumerate(values):
            kind = kinds[c]
            style = fmt[special] if special and kind == "text" else fmt[kind]
            write(sheet, r, c, value, style)
    sheet.autofilter(top, 0, top + max(len(rows), 1), len(headers) - 1)
    sheet.freeze_panes(top + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(top)
    sheet.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    return top + len(rows) + 2


def _height(values: Sequence[Any], widths: Sequence[float]) -> float:
    """Row height in points for wrapped text in columns of these widths (in characters)."""
    lines = 1
    for value, width in zip(values, widths):
        if isinstance(value, str) and value:
            per_line = max(width * 1.1 - 1, 4)
            lines = max(lines, sum(math.ceil(max(len(part), 1) / per_line) for part in value.split("\n")))
    return min(LINE_HEIGHT * lines + 3, 409)


def write(sheet: Worksheet, row: int, col: int, value: Any, style: Any) -> None:
    """Write by type: text always as a string, numbers as numbers, dates as dates."""
    import datetime as dt
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, col, None, style)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "Có" if value else "Không", style)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, style)
    elif isinstance(value, (dt.date, dt.datetime)):
        sheet.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), style)
    else:
        sheet.write_string(row, col, str(value), style)
