"""Build the check corpus: real generated workbooks, filled and then damaged one way each."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from pipeline.model.layout import SHEET_GENERAL, SHEET_INFO, SHEET_META, SHEET_OTHER, SHEET_REPORT
from fill import Fill, fill_workbook

YEAR = 2015
DAY = dt.date(2015, 12, 10)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# Report sheet columns (see docs/template.md): C content, E role, H status, I result, J events,
# K people, L money NSNN, M money other; data from row 6.
STATUS, RESULT, EVENTS, PEOPLE, MONEY = "H", "I", "J", "K", "L"


def filled(blank: bytes, quality: str = "clean", day: dt.date = DAY, seed: int = 7) -> bytes:
    return fill_workbook(blank, Fill(YEAR, day, seed, quality, progress=0.6))


def edit(data: bytes, change: Callable[[Any], None]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(book: Any, role: str | None = None) -> int:
    """The first data row (of a role, if given)."""
    sheet = book[SHEET_REPORT]
    for r in range(6, sheet.max_row + 1):
        if sheet[f"B{r}"].value and (role is None or sheet[f"E{r}"].value == role):
            return r
    raise AssertionError(role)


def setcell(sheet: str, ref: str | Callable[[Any], str], value: Any) -> Callable[[Any], None]:
    """Type a value; a string is stored as text (as Excel does for '=… typed after an apostrophe)."""
    def change(book: Any) -> None:
        cell = ref(book) if callable(ref) else ref
        book[sheet][cell].value = value
        if isinstance(value, str):
            book[sheet][cell].data_type = "s"
    return change


def lead(col: str) -> Callable[[Any], str]:
    return lambda book: f"{col}{row_of(book, 'Chủ trì')}"


def partner(col: str) -> Callable[[Any], str]:
    return lambda book: f"{col}{row_of(book, 'Phối hợp')}"


def delete_lead_row(book: Any) -> None:
    book[SHEET_REPORT].delete_rows(row_of(book, "Chủ trì"))


def duplicate_lead_row(book: Any, change_value: bool = True) -> None:
    sheet = book[SHEET_REPORT]
    r = row_of(book, "Chủ trì")
    last = sheet.max_row + 1
    for col in range(1, 17):
        sheet.cell(last, col).value = sheet.cell(r, col).value
    if change_value:
        sheet.cell(last, 11).value = 99999


def swap_rows(book: Any) -> None:
    sheet = book[SHEET_REPORT]
    for col in range(1, 17):
        a, b = sheet.cell(6, col), sheet.cell(7, col)
        a.value, b.value = b.value, a.value


def rename_report(book: Any) -> None:
    book[SHEET_REPORT].title = "Bao cao nam 2015"


def drop_meta(book: Any) -> None:
    del book[SHEET_META]


def meta(key: str, value: str) -> Callable[[Any], None]:
    def change(book: Any) -> None:
        sheet = book[SHEET_META]
        for row in sheet.iter_rows():
            if row[0].value == key:
                row[1].value = value
    return change


def add_other(book: Any) -> None:
    sheet = book[SHEET_OTHER]
    sheet["B6"].value = "Tổ chức Tết Trung thu cho trẻ em nghèo"
    sheet["D6"].value = "Đã hoàn thành"
    sheet["E6"].value = "Tặng 300 suất quà"
    sheet["G6"].value = 300
    sheet["I6"].value = 45.5


def formula(book: Any) -> None:
    book[SHEET_REPORT][f"{EVENTS}{row_of(book, 'Chủ trì')}"].value = "=2+3"


def last_row(book: Any) -> int:
    """The last activity row of "Báo cáo"."""
    sheet = book[SHEET_REPORT]
    return max(r for r in range(6, sheet.max_row + 1) if sheet[f"B{r}"].value)


def add_totals(label: str | None = "Tổng cộng", change: dict[str, float] | None = None,
               sheet_name: str = SHEET_REPORT) -> Callable[[Any], None]:
    """A totals row under the rows, as agencies add one: the label in A (or none) and each figure column's sum."""
    def add(book: Any) -> None:
        sheet = book[sheet_name]
        first, cols = (6, "JKLM") if sheet_name == SHEET_REPORT else (6, "FGHI")
        end = max(r for r in range(first, sheet.max_row + 1) if any(sheet.cell(r, c).value for c in range(1, 11)))
        total = end + 1
        if label is not None:
            sheet[f"A{total}"].value = label
            sheet[f"A{total}"].data_type = "s"
        for col in cols:
            value = sum(sheet[f"{col}{r}"].value or 0 for r in range(first, end + 1))
            sheet[f"{col}{total}"].value = (change or {}).get(col, value)
    return add


def with_formulas(data: bytes, sheet_name: str, formulas: dict[str, str]) -> bytes:
    """Give cells a formula over their cached value, as Excel saves =SUM(...) (openpyxl writes one or the other)."""
    out = io.BytesIO()
    book = openpyxl.load_workbook(io.BytesIO(data))
    part = f"xl/worksheets/sheet{book.sheetnames.index(sheet_name) + 1}.xml"
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == part:
                for cell, text in formulas.items():
                    body = re.sub(rb'(<c r="' + cell.encode() + rb'"[^>]*>)(<v>)', rb"\1<f>" + text.encode() + rb"</f>\2",
                                  body)
            dst.writestr(item, body)
    return out.getvalue()


def translate_sheets(book: Any) -> None:
    """Every sheet renamed to English, the hidden one left alone, as a translated copy of the workbook."""
    for name, english in ((SHEET_REPORT, "Report"), (SHEET_INFO, "Agency"), (SHEET_OTHER, "Other activities"),
                          (SHEET_GENERAL, "Assessment"), ("Hướng dẫn", "Guide")):
        book[name].title = english


def merge(sheet: str, ref: str | Callable[[Any], str], *values: tuple[str, Any]) -> Callable[[Any], None]:
    """Type values, then merge a range (Excel keeps the first cell's value only)."""
    def change(book: Any) -> None:
        for cell, value in values:
            setcell(sheet, cell, value)(book)
        book[sheet].merge_cells(ref(book) if callable(ref) else ref)
    return change


def tcvn3(text: str) -> str:
    """Text typed with a TCVN3 (.VnTime) font, as a reader sees it."""
    from pipeline.read.legacy import TCVN3_TO_UNICODE

    back = {letter: code for code, letter in TCVN3_TO_UNICODE.items()}
    return "".join(back.get(ch, ch) for ch in text)


def chain(*changes: Callable[[Any], None]) -> Callable[[Any], None]:
    def change(book: Any) -> None:
        for c in changes:
            c(book)
    return change


def macro(data: bytes) -> bytes:
    """The same workbook saved as .xlsm (macro-enabled content type and a vbaProject part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "[Content_Types].xml":
                body = body.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
            dst.writestr(item, body)
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(508))
    return out.getvalue()


def zipped(name: str, data: bytes, inner: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(inner or name, data)
    return out.getvalue()


def eml(name: str, data: bytes) -> bytes:
    from pipeline.mail import Attachment, addresses, build_message, to_bytes

    sent = dt.datetime(2015, 12, 12, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    msg = build_message(addresses("vanthu.yte@daklak.example", "Sở Y tế"), addresses("a@daklak.example"),
                        "Fw: Báo cáo", "Gửi Sở báo cáo.", [Attachment(name, data)], draft=False, date=sent)
    return to_bytes(msg)


def convert(files: dict[str, bytes], target: str) -> dict[str, bytes]:
    """Re-save workbooks through LibreOffice in one call (each start costs seconds)."""
    assert SOFFICE is not None
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in files.items():
            p = Path(tmp) / name
            p.write_bytes(data)
            paths.append(str(p))
        out = Path(tmp) / "out"
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", target,
                        "--outdir", str(out), *paths], check=True, capture_output=True, timeout=300)
        return {Path(n).stem + "." + target: (out / (Path(n).stem + "." + target)).read_bytes() for n in files}


__all__ = ["SHEET_GENERAL", "SHEET_INFO"]
