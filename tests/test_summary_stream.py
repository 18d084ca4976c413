"""The streamed tables: the same workbook as cell by cell, agency text kept as text, memory flat, written atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from xlsxwriter.worksheet import Worksheet

from conftest import ROOT
from pipeline.check.run import run_check
from pipeline.consolidate.summary import summarise
from pipeline.model.errors import OutputError
from pipeline.model.vocab import Role, Status
from pipeline.outputs import summary_workbook
from pipeline.outputs.xlsx import OPTIONS, StreamedSheet, formats, table, workbook
from pipeline.workspace.load import load_workspace

# Every kind of value a table meets, the awkward ones included.
AWKWARD: list[Any] = [
    None, math.nan, "", "plain", " leading space", "trailing space ", "two\nlines", "a & b < c > d", "\x01\x0bctrl",
    "_x0041_ literal", "tab\there", "nbsp\u00a0inside", "\u00a0edge", "Việt Nam đổi mới", "=HYPERLINK(\"x\")", "+1",
    "x" * 40000, "😀" * 20000, True, False, 0, 7, -3, 2**40, 8016.7, 0.1 + 0.2, 1e-9, 12345678.123456,
    dt.date(2015, 12, 10), dt.datetime(2016, 1, 2, 10, 30), dt.date(1900, 1, 1), Status.DONE, Role.LEAD,
]


def _rows(n: int, width: int = 4) -> list[tuple[Any, ...]]:
    return [tuple(AWKWARD[(r * width + c) % len(AWKWARD)] for c in range(width)) for r in range(n)]


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a reader sees of every sheet: each cell's value, type and look, each row's height, the sheet's set-up.

    Values as python-calamine reads them: openpyxl leaves Excel's _xHHHH_ escapes undone in inline strings
    (Excel, LibreOffice and calamine undo them).
    """
    book = openpyxl.load_workbook(path)
    calamine = CalamineWorkbook.from_path(str(path))
    out = {}
    for sheet in book.worksheets:
        grid = calamine.get_sheet_by_name(sheet.title).to_python(skip_empty_area=False)
        seen: list[tuple[Any, ...]] = [(sheet.freeze_panes, sheet.auto_filter.ref, sheet.print_title_rows,
                                        sheet.page_setup.orientation, sheet.dimensions)]
        seen += [(k, d.width) for k, d in sorted(sheet.column_dimensions.items())]
        seen += [(r, d.height) for r, d in sorted(sheet.row_dimensions.items()) if d.height is not None]
        for row in sheet.iter_rows():
            for c in row:
                f, a, fill = c.font, c.alignment, c.fill
                value = grid[c.row - 1][c.column - 1] if c.value is not None else None
                seen.append((c.coordinate, value, c.data_type if c.value is not None else None, c.number_format,
                             f.name, f.sz, f.b, f.i, fill.fgColor.rgb if fill.fill_type else None, a.wrap_text,
                             a.vertical, a.horizontal, c.border.left.style))
        out[sheet.title] = seen
    return out


@contextmanager
def _cell_by_cell(path: Path) -> Iterator[Any]:
    """The workbook as it was written before streaming: xlsxwriter's own worksheets, one call per cell."""
    book = xlsxwriter.Workbook(str(path), OPTIONS)
    book.worksheet_class = Worksheet
    yield book
    book.close()


def _tables(book: Any) -> None:
    fmt = formats(book)
    sheet = book.add_worksheet("Bảng")
    sheet.write_string(0, 0, "TIÊU ĐỀ", fmt["title"])  # xlsxwriter's own cells above, between and below
    kinds = ["text", "int", "money", "date"]
    heads = [("Văn bản", 20), ("Số", 8), ("Tiền", 10), ("Ngày", 11)]
    rows = _rows(60)
    nxt = table(sheet, fmt, 2, heads, iter(rows), kinds, iter(["error", None, "good", "warning"] * 15))
    nxt = table(sheet, fmt, nxt, heads, rows[:7], kinds)
    sheet.write_formula(nxt, 1, "=SUM(B4:B10)", fmt["total_int"], 3)
    sheet.write_string(nxt + 2, 0, "ghi chú", fmt["subtitle"])
    table(book.add_worksheet("Trống"), fmt, 0, heads, [], kinds)


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")  # awkward values in the date column too
def test_streamed_table_is_the_cell_by_cell_table(tmp_path: Path) -> None:
    with workbook(tmp_path / "streamed.xlsx") as book:
        _tables(book)
    with _cell_by_cell(tmp_path / "cells.xlsx") as book:
        _tables(book)
    streamed, cells = _cells(tmp_path / "streamed.xlsx"), _cells(tmp_path / "cells.xlsx")
    assert list(streamed) == ["Bảng", "Trống"]
    for name in cells:
        assert len(streamed[name]) == len(cells[name])
        for got, want in zip(streamed[name], cells[name]):
            assert got == want
    values = {v[1] for v in streamed["Bảng"][1:] if len(v) > 2}
    assert {"=HYPERLINK(\"x\")", "+1", " leading space", "\x01\x0bctrl", "_x0041_ literal"} <= values
    assert "x" * 32767 in values and "😀" * 16383 in values  # Excel's limit, as xlsxwriter truncates


def test_rich_text_markup_from_an_agency_stays_text(tmp_path: Path) -> None:
    """xlsxwriter copies a string "<r>…</r>" into the file as raw XML; a streamed cell escapes it."""
    text = "<r><t>chèn</t></r>"
    path = tmp_path / "t.xlsx"
    with workbook(path) as book:
        table(book.add_worksheet("x"), formats(book), 0, [("Nội dung", 20)], [(text,), ("<r>không đóng",)])
    assert [c.value for (c,) in openpyxl.load_workbook(path)["x"].iter_rows(min_row=2)] == [text, "<r>không đóng"]


def test_cells_inside_the_streamed_rows_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="streamed rows"), workbook(tmp_path / "t.xlsx") as book:
        sheet = book.add_worksheet("x")
        table(sheet, formats(book), 0, [("A", 5)], [("a",), ("b",)])
        sheet.write_string(2, 0, "đè", None)
    assert not list(tmp_path.iterdir())  # nothing half-written left


def test_memory_is_flat_in_the_number_of_rows(tmp_path: Path) -> None:
    def peak(n: int) -> int:
        row = ("Một kết quả thực hiện đủ dài để xuống dòng trong cột", 12, 3.5, "Báo cáo", None, "ghi chú")
        tracemalloc.start()
        with workbook(tmp_path / f"n{n}.xlsx") as book:
            table(book.add_worksheet("x"), formats(book), 0, [("A", 20), ("B", 8), ("C", 8), ("D", 10), ("E", 8),
                                                               ("F", 10)], (row for _ in range(n)))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, big = peak(2_000), peak(40_000)
    assert big < small + (4 << 20), (small, big)  # twenty times the rows, no more than a few MB more


def test_the_workbook_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "tong-hop.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), workbook(path) as book:
        table(book.add_worksheet("x"), formats(book), 0, [("A", 5)], ((i,) for i in range(10)))
        raise RuntimeError("stopped half-way")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["tong-hop.xlsx"]
    (tmp_path / "thu-muc.xlsx").mkdir()
    with pytest.raises(OutputError, match="thư mục cùng tên"), workbook(tmp_path / "thu-muc.xlsx") as book:
        book.add_worksheet("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thu-muc.xlsx", "tong-hop.xlsx"]


def test_summary_workbook_is_unchanged_by_streaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample year's whole summary workbook, with awkward agency text in it, as it was written cell by cell."""
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, tmp_path / "ws" / folder)
    shutil.copy(ROOT / "baocao.toml", tmp_path / "ws" / "baocao.toml")
    ws = load_workspace(tmp_path / "ws")
    summary = summarise(ws, run_check(ws, 2015, keep=False))
    rows = summary.merged.rows.copy()
    rows.loc[rows.index[:6], "result"] = [" đầu dòng", "cuối dòng ", "a & b < c", "\x07chuông", "_x0041_", "x\ny"]
    summary = dataclasses.replace(summary, merged=dataclasses.replace(summary.merged, rows=rows))
    summary_workbook.write_summary_workbook(ws, summary, tmp_path / "streamed.xlsx", history=[summary])
    monkeypatch.setattr(summary_workbook, "workbook", _cell_by_cell)
    summary_workbook.write_summary_workbook(ws, summary, tmp_path / "cells.xlsx", history=[summary])
    streamed, cells = _cells(tmp_path / "streamed.xlsx"), _cells(tmp_path / "cells.xlsx")
    assert list(streamed) == list(cells) and "Chi tiết" in streamed
    for name in cells:
        assert streamed[name] == cells[name], name
    assert len(streamed["Chi tiết"]) > 10 * len(rows)
