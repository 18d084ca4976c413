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
from functools import cached_property
from typing import Any

ENGINES = ("calamine", "openpyxl")


def column_letter(index: int) -> str:
    """0-based column index -> 'A', 'B', … 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def address(row: int, col: int) -> str:
    """0-based (row, col) -> 'H7'."""
    return f"{column_letter(col)}{row + 1}"


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
    def formula_cells(self) -> dict[str, frozenset[str]]:
        """Per sheet, the cells holding a formula with no cached value (.xlsx/.xlsm only)."""
        if self.kind not in ("xlsx", "xlsm"):
            return {}
        return _uncached_formulas(self.data)

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


def _uncached_formulas(data: bytes) -> dict[str, frozenset[str]]:
    """Scan sheet XML for <f> without a <v>: programs that never calculated leave these."""
    out: dict[str, frozenset[str]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            targets = _sheet_targets(zf)
            for name, part in targets.items():
                try:
                    xml = zf.read(part)
                except KeyError:
                    continue
                if b"<f" not in xml:
                    continue
                cells = set()
                for match in _CELL.finditer(xml):
                    inner = match.group(2) or b""
                    if b"<f" in inner and not re.search(rb"<v>[^<]+</v>", inner):
                        cells.add(match.group(1).decode())
                if cells:
                    out[name] = frozenset(cells)
    except (zipfile.BadZipFile, OSError, ValueError):
        return {}
    return out


def _sheet_targets(zf: zipfile.ZipFile) -> dict[str, str]:
    from defusedxml import ElementTree

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    rels_ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{rels_ns}Relationship")}
    out = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", ns):
        target = targets.get(sheet.get(f"{{{ns['r']}}}id"), "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[sheet.get("name", "")] = target
    return out
