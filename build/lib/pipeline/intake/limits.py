"""Bounds every untrusted file must respect before a parser opens it, and the guard's refusal."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.model.findings import Params, render
from pipeline.model.numbers import vn_number

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource bounds a file must respect before any spreadsheet parser may open it."""

    max_file_bytes: int = 50 * MIB
    max_entry_uncompressed: int = 100 * MIB
    max_total_uncompressed: int = 200 * MIB
    max_ratio: int = 100
    ratio_min_entry_bytes: int = 1 * MIB
    max_entries: int = 2_000
    max_sheets: int = 50
    max_cells: int = 2_000_000
    max_zip_depth: int = 2


class UnsafeFile(Exception):
    """A file refused by the guard: a stable catalogue code and the parameters of its message."""

    def __init__(self, code: str, params: Params = ()) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    @property
    def message_vi(self) -> str:
        return render(self.code, self.params)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_vi}"


def unsafe_file(code: str, limits: Limits | None = None) -> UnsafeFile:
    """The UnsafeFile for a guard code, with the limit the officer needs to know about."""
    lim = limits or Limits()
    limit = {"file-too-large": f"{vn_number(lim.max_file_bytes // MIB)} MB",
             "too-many-sheets": vn_number(lim.max_sheets), "too-many-cells": vn_number(lim.max_cells)}.get(code)
    return UnsafeFile(code, (("limit", limit),) if limit else ())


# The flavours of zip the scanners tell apart, and sizes both the zip and the XML scanners use.
OOXML = "ooxml"
XLSB = "xlsb"
ODS = "ods"
CONTAINER = "container"
HEAD_BYTES = 64 * 1024
MAX_CARRY = 1 * MIB
WORKBOOK_KEEP = 16 * MIB
REPEAT_BYTES = 64 * 1024
MEDIA_EXT = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".emf", ".wmf", ".tif", ".tiff", ".svg", ".wdp", ".jfif")


class Escalate(Exception):
    """The fast scan met something it does not model; the entry is re-read by the exact scanner."""
