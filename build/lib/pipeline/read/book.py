"""One reader for every workbook format: values with their sheet and cell address.

python-calamine reads .xlsx/.xlsm/.xls/.ods fast (Rust); openpyxl is the second engine for
.xlsx/.xlsm, kept so that tests can show both give the same findings. Values are normalised
the same way whatever the engine: empty -> None, integral floats -> int, midnight -> date.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from functools import cached_property, lru_cache
from typing import Any, Protocol

ENGINES = ("calamine", "openpyxl")


class Sheets(Protocol):
    """What the checks read of a workbook: sheet names, rows of values, formulas without a value."""

    @property
    def sheet_names(self) -> list[str]: ...

    def rows(self, name: str) -> list[list[Any]]: ...

    def formulas_without_value(self, name: str) -> frozenset[str]: ...


class Grid:
    """A workbook given as literal rows per sheet (values as a reader returns them): for tests and tools."""

    def __init__(self, sheets: Mapping[str, list[list[Any]]],
                 formulas: Mapping[str, frozenset[str]] | None = None) -> None:
        self._sheets = {name: [_trim([_normalise(v) for v in row]) for row in rows] for name, rows in sheets.items()}
        self._formulas = {name: frozenset(cells) for name, cells in (formulas or {}).items()}

    @property
    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def rows(self, name: str) -> list[list[Any]]:
        return self._sheets[name]

    def formulas_without_value(self, name: str) -> frozenset[str]:
        return self._formulas.get(name, frozenset())


def _normalise(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    if isinstance(value, dt.timedelta):  # calamine gives durations for time-formatted cells
        return str(value)
    return value


class Book:
    """A workbook opened from bytes; sheets are read on first use."""

    def __init__(self, data: bytes, kind: str, engine: str = "calamine"):
        if engine not in ENGINES:
            raise ValueError(engine)
        if engine == "openpyxl" and kind not in ("xlsx", "xlsm"):
            engine = "calamine"  # openpyxl reads only OOXML
        self.data, self.kind, self.engine = data, kind, engine
        self._rows: dict[str, list[list[Any]]] = {}
        self._formulas: dict[str, frozenset[str]] = {}
        if engine == "calamine":
            from python_calamine import CalamineWorkbook

            self._cal = CalamineWorkbook.from_filelike(io.BytesIO(data))
            self.sheet_names: list[str] = list(self._cal.sheet_names)
        else:
            import openpyxl

            self._wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            self.sheet_names = list(self._wb.sheetnames)

    def rows(self, name: str) -> list[list[Any]]:
        """All rows of a sheet from A1, normalised values, ragged ends allowed."""
        if name not in self._rows:
            raw: list[list[Any]]
            if self.engine == "calamine":
                raw = self._cal.get_sheet_by_name(name).to_python(skip_empty_area=False)
            else:
                raw = [[v for v in r] for r in self._wb[name].iter_rows(values_only=True)]
            rows = [[_normalise(v) for v in r] for r in raw]
            while rows and all(v is None for v in rows[-1]):
                rows.pop()
            self._rows[name] = [_trim(r) for r in rows]
        return self._rows[name]

    @cached_property
    def _formula_parts(self) -> dict[str, bytes]:
        return _formula_parts(self.data) if self.kind in ("xlsx", "xlsm") else {}

    def formulas_without_value(self, name: str) -> frozenset[str]:
        """The cells of sheet `name` holding a formula with no cached value (.xlsx/.xlsm only).

        Asked for every empty number cell, so it stays cheap: each sheet's XML is scanned once,
        when that sheet is first asked about (the checks ask about one or two; the scan is the
        costly part), and only sheets that hold a formula at all are scanned.
        """
        found = self._formulas.get(name)
        if found is None:
            part = self._formula_parts.get(name)
            found = self._formulas[name] = _scan_formulas(part) if part is not None else frozenset()
        return found

    def close(self) -> None:
        """Release the engine's resources."""
        if self.engine == "openpyxl":
            self._wb.close()


def _trim(row: list[Any]) -> list[Any]:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+[0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_CACHED_VALUE = re.compile(rb"<v>[^<]+</v>")


def _formula_parts(data: bytes) -> dict[str, bytes]:
    """The XML of every sheet that may hold a formula, by sheet name ({} when the file cannot say)."""
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            targets = _sheet_targets(zf)
            for name, part in targets.items():
                try:
                    xml = zf.read(part)
                except KeyError:
                    continue
                if b"<f" in xml:
                    out[name] = xml
    except (zipfile.BadZipFile, OSError, ValueError):
        return {}
    return out


def _scan_formulas(xml: bytes) -> frozenset[str]:
    """Cells of one sheet's XML with a formula and no cached value.

    Every cell is matched in order as before, but only a cell whose span holds one of the
    (few) "<f" of the sheet is looked into, and none after the last of them.
    """
    marks = []
    at = xml.find(b"<f")
    while at >= 0:
        marks.append(at)
        at = xml.find(b"<f", at + 2)
    if all(_outside_cells(xml, at) for at in marks):
        return frozenset()
    cells = set()
    i, n = 0, len(marks)
    for match in _CELL.finditer(xml):
        start = match.start()
        while i < n and marks[i] < start:
            i += 1  # cells come in order: a mark before this one lies before every later cell too
        if i == n:
            break
        if marks[i] < match.end():
            inner = match.group(2) or b""
            if b"<f" in inner and not _CACHED_VALUE.search(inner):
                cells.add(match.group(1).decode())
    return frozenset(cells)


def _outside_cells(xml: bytes, at: int) -> bool:
    """True when no cell that _CELL can match holds the "<f" at `at` (no need to scan for it).

    A match is `<c` up to the first `>`, then either ends (`/>`) or runs to the first `</c>`.
    So "<f" lies in one only inside an open tag begun after the last `>` before it, or before
    some later `</c>`. The formula-less sheets of the template have their "<f" (<formula1> of the
    validations, <firstHeader>) after every cell: checked here without scanning the cells.
    """
    if xml.find(b"</c>", at) >= 0:
        return False
    return xml.find(b"<c", xml.rfind(b">", 0, at) + 1, at) < 0


def _sheet_targets(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part, from workbook.xml and its relationships.

    Both are the same in every workbook made from one template, so their parses are remembered
    (failures are not, and are raised in the same order as ever: workbook.xml first).
    """
    sheets = _workbook_sheets(zf.read("xl/workbook.xml"))
    targets = _relationship_targets(zf.read("xl/_rels/workbook.xml.rels"))
    out = {}
    for name, rid in sheets:
        target = targets.get(rid, "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[name] = target
    return out


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_KEPT_XML_BYTES = 64 * 1024


def _workbook_sheets(xml: bytes) -> tuple[tuple[str, str | None], ...]:
    """(name, relationship id) of each sheet of workbook.xml."""
    return _workbook_sheets_kept(xml) if len(xml) <= _KEPT_XML_BYTES else _parse_workbook_sheets(xml)


def _relationship_targets(xml: bytes) -> dict[str | None, str]:
    """Relationship id -> target of workbook.xml.rels."""
    return dict(_relationship_targets_kept(xml) if len(xml) <= _KEPT_XML_BYTES else _parse_relationships(xml))


def _parse_workbook_sheets(xml: bytes) -> tuple[tuple[str, str | None], ...]:
    from defusedxml import ElementTree

    workbook = ElementTree.fromstring(xml)
    return tuple((sheet.get("name", ""), sheet.get(f"{{{_NS['r']}}}id"))
                 for sheet in workbook.iterfind("m:sheets/m:sheet", _NS))


def _parse_relationships(xml: bytes) -> tuple[tuple[str | None, str], ...]:
    from defusedxml import ElementTree

    rels = ElementTree.fromstring(xml)
    return tuple((r.get("Id"), r.get("Target", "")) for r in rels.iter(f"{_RELS_NS}Relationship"))


_workbook_sheets_kept = lru_cache(maxsize=64)(_parse_workbook_sheets)
_relationship_targets_kept = lru_cache(maxsize=64)(_parse_relationships)
