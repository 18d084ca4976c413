"""Legacy .xls (BIFF in an OLE2 container): structure, encryption, sheet and cell counts."""

from __future__ import annotations

import io
import struct

import olefile

from pipeline.intake.limits import Limits, UnsafeFile, unsafe_file

_BIFF_SINGLE_CELLS = frozenset({0x00FD, 0x0203, 0x027E, 0x0205, 0x0006, 0x0406, 0x0204, 0x00D6})
_BIFF_BLANK = 0x0201
_BIFF_MULRK = 0x00BD
_BIFF_MULBLANK = 0x00BE
_BIFF_DIMENSIONS = 0x0200


def check_xls(data: bytes, limits: Limits) -> None:
    """Check a BIFF workbook inside an OLE2 container: structure, encryption, sheets and cells."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:
        # olefile raises assorted exception types on damaged containers.
        raise unsafe_file("corrupt-file", limits) from exc
    try:
        if ole.exists("EncryptedPackage"):
            raise unsafe_file("encrypted", limits)
        stream_name = "Workbook" if ole.exists("Workbook") else "Book" if ole.exists("Book") else None
        if stream_name is None or ole.get_size(stream_name) > len(data):
            raise unsafe_file("corrupt-file", limits)
        stream = ole.openstream(stream_name).read()
    except UnsafeFile:
        raise
    except Exception as exc:
        raise unsafe_file("corrupt-file", limits) from exc
    finally:
        ole.close()
    _walk_biff(stream, limits)


def _walk_biff(stream: bytes, limits: Limits) -> None:
    """Walk every BIFF record: FILEPASS, BOUNDSHEET count, real cell count and extent per sheet."""
    pos = 0
    n = len(stream)
    sheets = 0
    cells = 0
    max_row = max_col = 0
    unpack = struct.unpack_from
    while pos + 4 <= n:
        rtype, rlen = unpack("<HH", stream, pos)
        body = pos + 4
        if rtype == 0 and rlen == 0:
            break  # Excel pads the stream with zeros up to 4 KB
        if body + rlen > n:
            raise unsafe_file("corrupt-file", limits)
        if rtype in _BIFF_SINGLE_CELLS or rtype == _BIFF_BLANK:
            if rlen < 4:
                raise unsafe_file("corrupt-file", limits)
            cells += 1
            if rtype != _BIFF_BLANK:
                row, col = unpack("<HH", stream, body)
                max_row = max(max_row, row + 1)
                max_col = max(max_col, col + 1)
        elif rtype in (_BIFF_MULRK, _BIFF_MULBLANK):
            if rlen < 6:
                raise unsafe_file("corrupt-file", limits)
            row, first = unpack("<HH", stream, body)
            last = unpack("<H", stream, body + rlen - 2)[0]
            cells += max(0, last - first + 1)
            if rtype == _BIFF_MULRK:
                max_row = max(max_row, row + 1)
                max_col = max(max_col, last + 1)
        elif rtype == 0x002F:
            raise unsafe_file("encrypted", limits)
        elif rtype == 0x0085:
            sheets += 1
            if sheets > limits.max_sheets:
                raise unsafe_file("too-many-sheets", limits)
        elif rtype == 0x0809:
            max_row = max_col = 0  # a new substream (sheet) starts: extent is per sheet
        elif rtype == _BIFF_DIMENSIONS:
            if rlen >= 14:
                _, row_end, _, col_end = unpack("<IIHH", stream, body)
            elif rlen >= 8:
                _, row_end, _, col_end = unpack("<HHHH", stream, body)
            else:
                row_end = col_end = 0
            max_row = max(max_row, row_end)
            max_col = max(max_col, col_end)
        if cells > limits.max_cells or max_row * max_col > limits.max_cells:
            raise unsafe_file("too-many-cells", limits)
        pos = body + rlen
