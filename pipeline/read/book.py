"""One reader for every workbook format: values with their sheet and cell address.

python-calamine reads .xlsx/.xlsm/.xls/.ods fast (Rust); openpyxl is the second engine for
.xlsx/.xlsm, kept so that tests can show both give the same findings. Values are normalised
the same way whatever the engine: empty -> None, integral floats -> int, midnight -> date.
What the values do not say (merged ranges, formula texts) is read from the file itself, the
same way whatever the engine: the sheet XML of .xlsx/.xlsm, content.xml of .ods, calamine for .xls.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Mapping
from functools import cached_property, lru_cache
from typing import Any, NamedTuple, Protocol

from pipeline.model.cells import address, parse_address

ENGINES = ("calamine", "openpyxl")


class Span(NamedTuple):
    """A merged range, 0-based and inclusive: its first cell holds the value, the others are covered."""

    top: int
    left: int
    bottom: int
    right: int


class Sheets(Protocol):
    """What the checks read of a workbook: sheet names, rows of values, formulas, merged ranges."""

    @property
    def sheet_names(self) -> list[str]: ...

    def rows(self, name: str) -> list[list[Any]]: ...

    def formulas_without_value(self, name: str) -> frozenset[str]: ...

    def formulas(self, name: str) -> Mapping[str, str]: ...

    def merged(self, name: str) -> tuple[Span, ...]: ...


class Grid:
    """A workbook given as literal rows per sheet (values as a reader returns them): for tests and tools.

    `formulas` gives formula texts by cell ("SUM(J6:J9)"); a formula cell whose value is empty
    is one without a cached value. `merged` gives ranges as written in Excel ("I6:I8").
    """

    def __init__(self, sheets: Mapping[str, list[list[Any]]], formulas: Mapping[str, Mapping[str, str]] | None = None,
                 merged: Mapping[str, Iterable[str]] | None = None) -> None:
        self._sheets = {name: [_trim([_normalise(v) for v in row]) for row in rows] for name, rows in sheets.items()}
        self._formulas = {name: dict(cells) for name, cells in (formulas or {}).items()}
        self._merged = {name: tuple(s for s in map(span_of, refs) if s is not None)
                        for name, refs in (merged or {}).items()}

    @property
    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def rows(self, name: str) -> list[list[Any]]:
        return self._sheets[name]

    def formulas_without_value(self, name: str) -> frozenset[str]:
        rows = self._sheets.get(name, [])
        empty = set()
        for cell in self._formulas.get(name, {}):
            at = parse_address(cell)
            if at is not None and (at[0] >= len(rows) or at[1] >= len(rows[at[0]]) or rows[at[0]][at[1]] is None):
                empty.add(cell)
        return frozenset(empty)

    def formulas(self, name: str) -> Mapping[str, str]:
        return self._formulas.get(name, {})

    def merged(self, name: str) -> tuple[Span, ...]:
        return self._merged.get(name, ())


@lru_cache(maxsize=4096)
def span_of(ref: str) -> Span | None:
    """'I6:I8' -> Span(5, 8, 7, 8); None unless `ref` is a range of two cells' addresses (kept: titles repeat)."""
    first, _, last = ref.strip().upper().partition(":")
    a, b = parse_address(first), parse_address(last or first)
    if a is None or b is None:
        return None
    return Span(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))


def _openpyxl_rows(data: bytes, name: str) -> list[list[Any]]:
    import warnings

    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "marked as a date but outside the limits": reported as a finding
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [list(r) for r in book[name].iter_rows(values_only=True)]
        finally:
            book.close()


def _normalise(value: Any) -> Any:
    kind = type(value)
    if kind is str:  # most cells: text, kept as it is
        return value or None
    if value is None:
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

    def __init__(self, data: bytes, kind: str, engine: str = "calamine", parts: Mapping[str, bytes] | None = None):
        if engine not in ENGINES:
            raise ValueError(engine)
        if engine == "openpyxl" and kind not in ("xlsx", "xlsm"):
            engine = "calamine"  # openpyxl reads only OOXML
        self.data, self.kind, self.engine = data, kind, engine
        self._given = parts or {}  # zip parts already inflated (by the guard), by part name
        self._rows: dict[str, list[list[Any]]] = {}
        self._formulas: dict[str, frozenset[str]] = {}
        self._texts: dict[str, dict[str, str]] = {}
        self._sheets: dict[str, Any] = {}  # calamine's sheet objects, kept for their merged ranges
        self._spans: dict[str, tuple[Span, ...]] = {}
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
                sheet = self._sheets[name] = self._cal.get_sheet_by_name(name)
                try:
                    raw = sheet.to_python(skip_empty_area=False)
                except BaseException as exc:  # noqa: B036  a Rust panic is a BaseException
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)) or self.kind not in ("xlsx", "xlsm"):
                        raise
                    # calamine panics on some values (a date-formatted cell holding 1e20); openpyxl reads the
                    # sheet and shows such a cell as an error value, which the rules report at the cell
                    raw = _openpyxl_rows(self.data, name)
            else:
                raw = [[v for v in r] for r in self._wb[name].iter_rows(values_only=True)]
            rows = [[_normalise(v) for v in r] for r in raw]
            while rows and all(v is None for v in rows[-1]):
                rows.pop()
            self._rows[name] = [_trim(r) for r in rows]
        return self._rows[name]

    @cached_property
    def _parts(self) -> dict[str, bytes]:
        """The XML of every sheet of an .xlsx/.xlsm, by sheet name ({} for other kinds)."""
        if self.kind not in ("xlsx", "xlsm"):
            return {}
        if "xl/workbook.xml" in self._given and "xl/_rels/workbook.xml.rels" in self._given:
            try:
                targets = _targets(self._given["xl/workbook.xml"], self._given["xl/_rels/workbook.xml.rels"])
                if all(part in self._given for part in targets.values()):
                    return {name: self._given[part] for name, part in targets.items()}
            except Exception:  # noqa: BLE001  parts the guard let through but cannot be parsed: read the zip
                pass
        return _sheet_parts(self.data)

    @cached_property
    def _formula_parts(self) -> dict[str, bytes]:
        return {name: xml for name, xml in self._parts.items() if b"<f" in xml}

    @cached_property
    def _ods(self) -> dict[str, tuple[list[Span], dict[str, str]]]:
        return _ods_tables(self.data) if self.kind == "ods" else {}

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

    def formulas(self, name: str) -> Mapping[str, str]:
        """Formula text by cell address of sheet `name` (without "="), where the file keeps it (.xlsx, .ods).

        Asked only about rows that may be totals rows, so it is rarely computed at all.
        """
        found = self._texts.get(name)
        if found is None:
            if self.kind == "ods":
                found = self._ods.get(name, ([], {}))[1]
            else:
                part = self._formula_parts.get(name)
                found = _formula_texts(part) if part is not None else {}
            self._texts[name] = found
        return found

    def merged(self, name: str) -> tuple[Span, ...]:
        """The merged ranges of sheet `name`, 0-based like rows() (from A1)."""
        if self.kind in ("xlsx", "xlsm"):
            found = self._spans.get(name)
            if found is None:
                found = self._spans[name] = _merge_cells(self._parts.get(name, b""))
            return found
        if self.kind == "ods":
            return tuple(self._ods.get(name, ([], {}))[0])
        if self.engine != "calamine":
            return ()
        sheet = self._sheets.get(name) or self._cal.get_sheet_by_name(name)
        ranges = getattr(sheet, "merged_cell_ranges", None) or ()  # python-calamine >= 0.4 reads them in .xls
        return tuple(Span(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
                     for a, b in itertools.islice(ranges, _SPAN_CAP))

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


def _sheet_parts(data: bytes) -> dict[str, bytes]:
    """The XML of every sheet, by sheet name ({} when the file cannot say)."""
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            targets = _sheet_targets(zf)
            for name, part in targets.items():
                try:
                    out[name] = zf.read(part)
                except KeyError:
                    continue
    except (zipfile.BadZipFile, OSError, ValueError):
        return {}
    return out


_SPAN_CAP = 10_000  # merged ranges kept per sheet: a hostile file gets no more than this
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+[0-9]+(?::[A-Za-z]+[0-9]+)?)"')


def _merge_cells(xml: bytes) -> tuple[Span, ...]:
    """Merged ranges of one sheet's XML; <mergeCells> follows the cells, so it is looked for from the end."""
    at = xml.rfind(b"<mergeCells")
    if at < 0:
        at = xml.rfind(b":mergeCells")
        if at < 0:
            return ()
    refs = itertools.islice(_MERGE_CELL.finditer(xml, at), _SPAN_CAP)
    return tuple(s for s in (span_of(m.group(1).decode()) for m in refs) if s is not None)


_FORMULA = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_SHARED_INDEX = re.compile(rb'\bsi="([0-9]+)"')


def _formula_texts(xml: bytes) -> dict[str, str]:
    """Formula text by cell of one sheet's XML; a shared formula's followers get their leader's text.

    Only the cells around each "<f" are looked into (there are few), as in _scan_formulas.
    """
    out: dict[str, str] = {}
    shared: dict[bytes, str] = {}
    followers: list[tuple[str, bytes]] = []
    pos = 0
    while (at := xml.find(b"<f", pos)) >= 0:
        start = xml.rfind(b"<c ", 0, at)
        match = _CELL.match(xml, start) if start >= 0 else None
        if match is None or match.end() <= at:  # not in a cell: <formula1> of a validation, say
            pos = at + 2
            continue
        pos = match.end()
        formula = _FORMULA.search(match.group(2) or b"")
        if formula is None:
            continue
        cell = match.group(1).decode()
        text = html.unescape((formula.group(2) or b"").decode("utf-8", "replace"))
        index = _SHARED_INDEX.search(formula.group(1))
        if text:
            out[cell] = text
            if index is not None:
                shared.setdefault(index.group(1), text)
        elif index is not None:
            followers.append((cell, index.group(1)))
    for cell, key in followers:
        if key in shared:
            out[cell] = shared[key]
    return out


_ODS_TABLE = re.compile(rb"<[\w.-]+:table\b(?=[\s>])([^>]*)>")
_ODS_ROW = re.compile(rb"<[\w.-]+:table-row\b(?=[\s/>])([^>]*?)/?>")
_ODS_CELL = re.compile(rb"<[\w.-]+:(table-cell|covered-table-cell)\b(?=[\s/>])([^>]*?)/?>")
_ODS_ATTR = re.compile(rb'[\w.-]+:([\w-]+)="([^"]*)"')


def _ods_tables(data: bytes) -> dict[str, tuple[list[Span], dict[str, str]]]:
    """Merged ranges and formula texts of each table of an .ods, by table name ({} when unreadable).

    Replays the row and column repetition of content.xml, as readers do, to know each cell's
    address; only rows holding a span or a formula are walked cell by cell.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = zf.read("content.xml")
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return {}
    out: dict[str, tuple[list[Span], dict[str, str]]] = {}
    tables = list(_ODS_TABLE.finditer(xml))
    for i, table in enumerate(tables):
        name = html.unescape(dict(_ODS_ATTR.findall(table.group(1))).get(b"name", b"").decode("utf-8", "replace"))
        spans, texts = out.setdefault(name, ([], {}))
        stop = tables[i + 1].start() if i + 1 < len(tables) else len(xml)
        rows = list(_ODS_ROW.finditer(xml, table.end(), stop))
        r = 0
        for j, row in enumerate(rows):
            repeat = _count(dict(_ODS_ATTR.findall(row.group(1))).get(b"number-rows-repeated")) \
                if b"repeated" in row.group(1) else 1
            end = rows[j + 1].start() if j + 1 < len(rows) else stop
            body = xml[row.end():end]
            if b"spanned" in body or b"formula" in body:
                _ods_row(body, r, repeat, spans, texts)
            r += repeat
    return out


def _ods_row(body: bytes, r: int, repeat: int, spans: list[Span], texts: dict[str, str]) -> None:
    """The spans and formulas of one row of content.xml (repeated `repeat` times) at 0-based row `r`."""
    c = 0
    for cell in _ODS_CELL.finditer(body):
        attrs = cell.group(2)
        found = dict(_ODS_ATTR.findall(attrs)) if b"spanned" in attrs or b"formula" in attrs or b"repeated" in attrs \
            else {}
        columns = _count(found.get(b"number-columns-repeated"))
        if cell.group(1) == b"table-cell" and found:
            wide, tall = _count(found.get(b"number-columns-spanned")), _count(found.get(b"number-rows-spanned"))
            if (wide > 1 or tall > 1) and len(spans) < _SPAN_CAP:
                room = _SPAN_CAP - len(spans)
                spans.extend(itertools.islice((Span(top, left, top + tall - 1, left + wide - 1)
                                               for top in range(r, r + repeat) for left in range(c, c + columns)), room))
            formula = found.get(b"formula")
            if formula is not None and repeat == 1 and columns == 1:
                texts[address(r, c)] = _ods_formula(html.unescape(formula.decode("utf-8", "replace")))
        c += columns


def _count(value: bytes | None) -> int:
    """An ODF repetition or span count (1 when absent or unreadable)."""
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1


def _ods_formula(text: str) -> str:
    """'of:=SUM([.J6:.J9])' -> 'SUM(J6:J9)': the OpenFormula spelling as Excel writes it."""
    text = text.split(":", 1)[1] if text[:4].lower() in ("of:=", "oooc") else text
    return re.sub(r"\[\$?[^\].]*\.([A-Z$0-9]+)(?::\.([A-Z$0-9]+))?\]",
                  lambda m: m.group(1) + (":" + m.group(2) if m.group(2) else ""), text.lstrip("=")).replace("$", "")


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
    return _targets(zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels"))


def _targets(workbook: bytes, rels: bytes) -> dict[str, str]:
    """Sheet name -> its part, from the bytes of workbook.xml and its relationships."""
    sheets = _workbook_sheets(workbook)
    targets = _relationship_targets(rels)
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
