"""Small helpers for writing xlsxwriter workbooks safely and consistently.

Tables are streamed: `table` renders each data row's XML once, straight into a temporary file of
its sheet (`StreamedSheet`), so a sheet of 100,000 rows costs neither a Python object per cell nor
the memory to hold them, and the workbook itself is assembled on disk, not in memory.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.model.vocab import AgencyState
from pipeline.workspace.files import output_error

FONT = "Times New Roman"
LINE_HEIGHT = 15.0  # points per line of 11 pt text
STATE_STYLE = {AgencyState.ON_TIME: "good", AgencyState.LATE: "warning", AgencyState.MISSING: "error",
               AgencyState.REJECTED: "error", AgencyState.UNREADABLE: "error"}
OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


@contextmanager
def workbook(path: Path) -> Iterator[Workbook]:
    """An xlsxwriter workbook assembled in a temporary file beside `path`, renamed over it when complete.

    Readers never see half a file (as with write_atomic); a failure leaves the old file and no
    temporary one. `strings_to_formulas` and friends are off: agency text such as "=HYPERLINK(…)"
    or "+1" stays text and never becomes a formula, a number or a link.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        book = xlsxwriter.Workbook(tmp, OPTIONS)
        book.worksheet_class = StreamedSheet
        yield book
        try:
            book.close()
            os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are shared with colleagues
            os.replace(tmp, path)
        except FileCreateError as exc:  # xlsxwriter wraps the operating system's refusal
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))
            raise output_error(path, cause) from None
        except OSError as exc:
            raise output_error(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


class StreamedSheet(Worksheet):  # type: ignore[misc]  # xlsxwriter ships no type information
    """A worksheet that also takes blocks of rows already rendered as XML, kept in a temporary file.

    xlsxwriter's own cells (titles, headers, totals) go above, between or below the blocks; when the
    sheet is assembled the blocks are copied in row order between them.
    """

    dim_rowmin: int | None
    dim_rowmax: int | None
    dim_colmin: int | None
    dim_colmax: int | None

    def __init__(self) -> None:
        super().__init__()
        self._spool: IO[bytes] | None = None
        self._blocks: list[tuple[int, int, int, int]] = []  # first row, last row, start and end offset

    def stream(self, first: int, last_col: int, rows: Iterable[str]) -> int:
        """Append `<row>` elements for rows `first`, `first` + 1, …; returns how many there were."""
        if self._blocks and first <= self._blocks[-1][1]:
            raise ValueError(f"rows from {first} overlap an earlier block of the sheet")
        if self._spool is None:
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed when the sheet is assembled
        spool = self._spool
        start = spool.tell()
        count, chunk = 0, []
        for count, xml in enumerate(rows, start=1):
            chunk.append(xml)
            if len(chunk) == 512:
                spool.write("".join(chunk).encode("utf-8"))
                chunk.clear()
        spool.write("".join(chunk).encode("utf-8"))
        if count:
            last = first + count - 1
            self._blocks.append((first, last, start, spool.tell()))
            # the <dimension> element covers the streamed rows too
            self.dim_rowmin = first if self.dim_rowmin is None else min(self.dim_rowmin, first)
            self.dim_rowmax = last if self.dim_rowmax is None else max(self.dim_rowmax, last)
            self.dim_colmin = 0 if self.dim_colmin is None else min(self.dim_colmin, 0)
            self.dim_colmax = last_col if self.dim_colmax is None else max(self.dim_colmax, last_col)
        return count

    def _write_sheet_data(self) -> None:
        # Overrides xlsxwriter's: its own rows in the gaps between the blocks, each block copied as it is.
        if not self._blocks:
            super()._write_sheet_data()
            return
        own = self._own()
        for first, last, _, _ in self._blocks:
            if any(first <= r <= last for r in own):
                raise ValueError(f"cells written inside the streamed rows {first + 1}-{last + 1}")
        low, high = self.dim_rowmin, self.dim_rowmax
        assert low is not None and high is not None  # set by stream()
        self._xml_start_tag("sheetData")
        try:
            at = low
            for first, last, start, end in self._blocks:
                self._own_rows(at, first - 1)
                self._copy(start, end)
                at = last + 1
            self._own_rows(at, high)
        finally:
            self.dim_rowmin, self.dim_rowmax = low, high
            self._close_spool()
        self._xml_end_tag("sheetData")

    def _own(self) -> set[int]:
        """Rows xlsxwriter itself writes: with cells, a height or comments."""
        return {r for r, cells in self.table.items() if cells} | set(self.row_info) | set(self.comments)

    def _own_rows(self, low: int, high: int) -> None:
        if low <= high and any(low <= r <= high for r in self._own()):
            self.dim_rowmin, self.dim_rowmax = low, high
            self._write_rows()

    def _copy(self, start: int, end: int) -> None:
        assert self._spool is not None
        decoder = codecs.getincrementaldecoder("utf-8")()
        self._spool.seek(start)
        left = end - start
        while left:
            data = self._spool.read(min(left, 1 << 16))
            left -= len(data)
            self.fh.write(decoder.decode(data, final=not left))

    def _close_spool(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None
            self._blocks = []


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
          rows: Iterable[Sequence[Any]], kinds: Sequence[str] | None = None,
          row_formats: Iterable[str | None] | None = None) -> int:
    """Write a header row and data rows with an autofilter and frozen header; returns the next free row.

    `rows` (and `row_formats`, one per row) are consumed once, as they come: on a StreamedSheet
    each row goes to XML at once and nothing of it is kept.
    """
    for c, (label, width) in enumerate(headers):
        sheet.write_string(top, c, label, fmt["header"])
        sheet.set_column(c, c, width)
    kinds = kinds or ["text"] * len(headers)
    widths = [w for _, w in headers]
    sheet.set_row(top, _height([label for label, _ in headers], widths))
    specials = iter(row_formats) if row_formats is not None else None
    if isinstance(sheet, StreamedSheet):
        count = sheet.stream(top + 1, len(headers) - 1, _row_xml(fmt, top + 1, widths, kinds, rows, specials))
    else:
        count = 0
        for r, values in enumerate(rows, start=top + 1):
            # Excel does not grow wrapped rows on open (nor does LibreOffice print them grown): size them here
            sheet.set_row(r, _height(values, widths))
            special = next(specials) if specials is not None else None
            for c, value in enumerate(values):
                kind = kinds[c]
                style = fmt[special] if special and kind == "text" else fmt[kind]
                write(sheet, r, c, value, style)
            count += 1
    sheet.autofilter(top, 0, top + max(count, 1), len(headers) - 1)
    sheet.freeze_panes(top + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(top)
    sheet.set_margins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    return top + count + 2


def _height(values: Sequence[Any], widths: Sequence[float]) -> float:
    """Row height in points for wrapped text in columns of these widths (in characters)."""
    lines = 1
    for value, width in zip(values, widths):
        if isinstance(value, str) and value:
            per_line = max(width * 1.1 - 1, 4)
            lines = max(lines, sum(math.ceil(max(len(part), 1) / per_line) for part in value.split("\n")))
    return min(LINE_HEIGHT * lines + 3, 409)


# What xlsxwriter escapes in cell text: XML's own characters, control characters as _xHHHH_ (and a
# literal "_xHHHH_" by escaping its underscore), the two non-characters.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_UNDERSCORE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
STRING_MAX = 32767  # Excel's limit, in UTF-16 units
_EPOCH = dt.datetime(1899, 12, 31)


def _text_xml(ref: str, style: int, text: str) -> str:
    """An inline-string cell as xlsxwriter writes it: the text escaped, edge spaces preserved."""
    if len(text) > STRING_MAX // 2 and len(text.encode("utf-16-le", "surrogatepass")) // 2 > STRING_MAX:
        text = _truncate(text)
    if _SPECIAL.search(text):
        text = _ESCAPED_UNDERSCORE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # xlsxwriter's test is the regex ^\s|\s$, the same as str.isspace at either end
    space = ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()) else ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _truncate(text: str) -> str:
    """The longest start of `text` Excel keeps in a cell (32,767 UTF-16 units, a surrogate pair never split)."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > STRING_MAX:
            return text[:i]
    return text


def _number_xml(ref: str, style: int, number: float) -> str:
    if math.isinf(number):
        raise ValueError(f"ô {ref}: giá trị vô hạn không ghi được vào Excel")
    return f'<c r="{ref}" s="{style}"><v>{number:.16G}</v></c>'


def _cell_xml(ref: str, style: int, value: Any) -> str:
    """One cell, typed as `write` types it."""
    if value is None or (isinstance(value, float) and value != value):
        return f'<c r="{ref}" s="{style}"/>'
    if isinstance(value, bool):
        return _text_xml(ref, style, "Có" if value else "Không")
    if isinstance(value, (int, float)):
        return _number_xml(ref, style, value)
    if isinstance(value, (dt.date, dt.datetime)):
        # xlsxwriter's serial: days since 31/12/1899, one more from 1/3/1900 (Excel's 29/02/1900), and
        # 1/1/1900 as 0 (it takes that day for a time of day)
        days = (dt.datetime(value.year, value.month, value.day) - _EPOCH).days
        return _number_xml(ref, style, 0 if days == 1 else days + 1 if days > 59 else days)
    return _text_xml(ref, style, str(value))


def _row_xml(fmt: dict[str, Any], first: int, widths: Sequence[float], kinds: Sequence[str],
             rows: Iterable[Sequence[Any]], specials: Iterator[str | None] | None) -> Iterator[str]:
    """Each row's `<row>` element: heights as `_height`, cells as `write`, styles as the cell-by-cell table.

    The inner loop of a 100,000-row sheet: plain text and numbers are written inline from per-column
    pieces, anything else through `_cell_xml`.
    """
    letters = [xl_col_to_name(c) for c in range(len(kinds))]
    per_line = [float(max(w * 1.1 - 1, 4)) for w in widths]
    pieces: dict[str | None, list[tuple[str, str, str, str, int, float, str]]] = {}

    def styled(special: str | None) -> list[tuple[str, str, str, str, int, float, str]]:
        """Per column: the cell's opening, what follows the row number for a text, a number, a blank; the style,
        characters per line, column letter."""
        out = []
        for letter, kind, width in zip(letters, kinds, per_line):
            style = fmt[special if special and kind == "text" else kind]._get_xf_index()
            out.append((f'<c r="{letter}', f'" s="{style}" t="inlineStr"><is><t>', f'" s="{style}"><v>',
                        f'" s="{style}"/>', style, width, letter))
        return out

    plain = pieces[None] = styled(None)
    half = STRING_MAX // 2
    for r, values in enumerate(rows, start=first + 1):
        if specials is not None:
            special = next(specials)
            columns = pieces.get(special) or pieces.setdefault(special, styled(special))
        else:
            columns = plain
        lines = 1
        number = str(r)
        cells = []
        for (start, text, num, blank, style, width, letter), value in zip(columns, values):
            cls = value.__class__
            if cls is str:
                if value:
                    if len(value) > width or "\n" in value:  # else it fits one line
                        lines = max(lines, sum(math.ceil(max(len(part), 1) / width) for part in value.split("\n")))
                    # printable text without XML's characters, edge spaces or "_xHHHH_" goes as it is
                    if (value.isprintable() and "&" not in value and "<" not in value and ">" not in value
                            and "_x" not in value and not value[0].isspace() and not value[-1].isspace()
                            and len(value) <= half):
                        cells.append(f"{start}{number}{text}{value}</t></is></c>")
                    else:
                        cells.append(_text_xml(letter + number, style, value))
                else:
                    cells.append(f"{start}{number}{text}</t></is></c>")
            elif (cls is float and value - value == 0) or cls is int:  # a finite number
                cells.append(f"{start}{number}{num}{value:.16G}</v></c>")
            elif value is None or (cls is float and value != value):
                cells.append(f"{start}{number}{blank}")
            else:
                if isinstance(value, str) and value:
                    lines = max(lines, sum(math.ceil(max(len(part), 1) / width) for part in value.split("\n")))
                cells.append(_cell_xml(letter + number, style, value))
        # set_row's arithmetic: points to whole pixels, written back in points
        pixels = int(min(LINE_HEIGHT * lines + 3, 409) * 4.0 / 3.0 + 0.5)
        height = f' ht="{pixels * 0.75:.16g}" customHeight="1"' if pixels != 20 else ""
        yield f'<row r="{number}"{height}>{"".join(cells)}</row>'


def write(sheet: Worksheet, row: int, col: int, value: Any, style: Any) -> None:
    """Write by type: text always as a string, numbers as numbers, dates as dates."""
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
