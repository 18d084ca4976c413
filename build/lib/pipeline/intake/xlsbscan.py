"""Binary Excel (.xlsb) parts scanned as BIFF12 records while they inflate: cells, extents, sheets.

The reader allocates a sheet by the extent of its cells, so one far cell in a tiny file is as
dangerous here as in .xlsx; the records carry rows and columns as plain integers, read without
a parser. Only the first bytes of each record are looked at; long ones are skipped unread.
"""

from __future__ import annotations

import struct

from pipeline.intake.limits import Limits, unsafe_file

_ROW_HEADER = 0x0000
_CELLS = frozenset(range(0x0001, 0x000C))  # BrtCellBlank .. BrtFmlaError: column first
_WS_DIM = 0x0094
_BUNDLE_SHEET = 0x009C
_MERGE_CELL = 0x00B0
_KEEP = 16  # bytes of a record body any check needs


class Counts:
    """Workbook-wide counts shared by every part of one .xlsb."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.cells = 0
        self.sheets_declared = 0


class XlsbPart:
    """One .bin part streamed record by record; sheets feed cells and extent, workbook.bin the sheet count."""

    def __init__(self, counts: Counts, name: str) -> None:
        self.counts = counts
        low = name.lower()
        self.sheet = low.startswith(("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/"))
        self.workbook = low == "xl/workbook.bin"
        self.buf = b""
        self.skip = 0
        self.max_row = self.max_col = 0

    def feed(self, chunk: bytes, last: bool) -> None:
        """Accept the next inflated chunk."""
        if not (self.sheet or self.workbook):
            return
        if self.skip:
            take = min(self.skip, len(chunk))
            self.skip -= take
            chunk = chunk[take:]
        buf = self.buf + chunk if self.buf else chunk
        pos, n = 0, len(buf)
        limits = self.counts.limits
        while pos < n:
            header = _header(buf, pos)
            if header is None:
                break
            rtype, size, body = header
            if body + min(size, _KEEP) > n:
                break  # the part of the body we read is not all here yet
            self._record(rtype, buf[body: body + min(size, _KEEP)], size)
            if body + size > n:
                self.skip = body + size - n
                pos = n
                break
            pos = body + size
        self.buf = buf[pos:]
        if len(self.buf) > 64:
            raise unsafe_file("corrupt-file", limits)
        if last and (self.buf or self.skip):
            raise unsafe_file("corrupt-file", limits)  # the part ends inside a record

    def _record(self, rtype: int, body: bytes, size: int) -> None:
        counts = self.counts
        limits = counts.limits
        if self.workbook:
            if rtype == _BUNDLE_SHEET:
                counts.sheets_declared += 1
                if counts.sheets_declared > limits.max_sheets:
                    raise unsafe_file("too-many-sheets", limits)
            return
        if rtype == _ROW_HEADER and len(body) >= 4:
            self.max_row = max(self.max_row, struct.unpack_from("<I", body)[0] + 1)
        elif rtype in _CELLS and len(body) >= 4:
            counts.cells += 1
            self.max_col = max(self.max_col, struct.unpack_from("<I", body)[0] + 1)
        elif rtype in (_WS_DIM, _MERGE_CELL) and len(body) >= 16:
            _, row_last, _, col_last = struct.unpack_from("<IIII", body)
            self.max_row = max(self.max_row, row_last + 1)
            self.max_col = max(self.max_col, col_last + 1)
        else:
            return
        if counts.cells > limits.max_cells or self.max_row * self.max_col > limits.max_cells:
            raise unsafe_file("too-many-cells", limits)

    def close(self) -> None:
        """Finish after the last chunk."""

    def contributes_nothing(self) -> bool:
        """Sheets and the workbook feed the counts; other parts are judged by their bytes alone."""
        return not (self.sheet or self.workbook)


def _header(buf: bytes, pos: int) -> tuple[int, int, int] | None:
    """(record type, body size, body offset) at pos, or None when the header is cut by the chunk."""
    n = len(buf)
    rtype = 0
    for i in range(2):
        if pos >= n:
            return None
        b = buf[pos]
        pos += 1
        rtype |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            break
    size = 0
    for i in range(4):
        if pos >= n:
            return None
        b = buf[pos]
        pos += 1
        size |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            break
    return rtype, size, pos
