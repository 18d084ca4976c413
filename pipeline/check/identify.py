"""Where a returned workbook's sheets are, which agency and year it belongs to, and whether its identity agrees."""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, TypeVar

from pipeline.model.agencies import Registry
from pipeline.model.cells import address
from pipeline.model.findings import Finding, finding
from pipeline.model.layout import (GENERAL_FIELDS, INFO_FIELDS, OTHER_COLUMNS, REPORT_COLUMNS, other_columns, report_columns, SHEET_GENERAL,
                                   SHEET_GUIDE, SHEET_INFO, SHEET_META, SHEET_OTHER, SHEET_REPORT, TEMPLATE_VERSION,
                                   Column, label_key)
from pipeline.model.text import fold, nfc
from pipeline.read.book import Sheets
from pipeline.read.legacy import fix_legacy

# A sheet found by its content must show this many of its labels: the guide sheet quotes one
# label of each ("Năm báo cáo", "(15) Đề xuất, kiến nghị") and must never pass for them.
_MIN_INFO_LABELS, _MIN_GENERAL_LABELS = 3, 2


@dataclass(frozen=True)
class Identity:
    """The agency and year a file was identified as, and how."""

    agency: str | None
    year: int | None
    source: str  # "meta", "name", "file", ""
    meta: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table sheet ("Báo cáo", "Hoạt động khác"): its header row (0-based, -1 if none) and column per key."""

    sheet: str
    header: int = -1
    cols: dict[str, int] = field(default_factory=dict)


Labelled = dict[str, tuple[Any, str]]


@dataclass(frozen=True)
class Located:
    """Where the contract's sheets are in one workbook: by name when the content fits, else by content."""

    report: Table | None
    other: Table | None
    info: str | None
    general: str | None
    info_values: Labelled
    general_values: Labelled
    renamed: tuple[tuple[str, str], ...]  # (name in the contract, name in the file) of sheets found by content


def find_sheet(book: Sheets, wanted: str) -> str | None:
    """The sheet named `wanted`, tolerant of case, marks and spacing."""
    if wanted in book.sheet_names:
        return wanted
    loose = nfc(wanted).casefold()
    for name in book.sheet_names:
        if nfc(name).casefold() == loose:
            return name
    if wanted.startswith("_"):
        return None  # the hidden sheet is never guessed: "_baocao" folds like "Báo cáo"
    key = fold(wanted)
    return next((n for n in book.sheet_names if not n.startswith("_") and fold(n) == key), None)


def read_meta(book: Sheets) -> dict[str, str]:
    """Key/value pairs of the hidden identity sheet (empty if it was stripped)."""
    name = find_sheet(book, SHEET_META)
    if name is None:
        return {}
    out = {}
    for row in book.rows(name):
        if len(row) >= 2 and isinstance(row[0], str) and row[1] is not None:
            out[row[0].strip()] = str(row[1]).strip()
    return out


@functools.lru_cache(maxsize=8)
def _field_index(fields: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {label_key(label): key for key, label in fields}


def read_labelled(book: Sheets, sheet: str, fields: tuple[tuple[str, str], ...]) -> Labelled:
    """Values of a label/value sheet, found by label text: key -> (value, cell address).

    The value is the cell right of the label, or right of the label's merged range when the
    label was merged over several columns; a hint may follow it, never read as the value.
    """
    wanted = _field_index(fields)
    out: Labelled = {}
    spans = None
    for r, row in enumerate(book.rows(sheet)):
        for c, value in enumerate(row[:4]):
            if not isinstance(value, str):
                continue
            key = wanted.get(label_key(value))
            if key is None or key in out:
                continue
            at = c + 1
            if at >= len(row) or row[at] is None:
                spans = book.merged(sheet) if spans is None else spans
                at = next((s.right + 1 for s in spans if s.top == r and s.left == c and s.right > c), at)
            out[key] = (row[at] if at < len(row) else None, address(r, at))
            break
    return out


@functools.lru_cache(maxsize=8)
def _label_index(columns: tuple[Column, ...]) -> dict[str, str]:
    """Folded header label -> column key, for every label and alias of `columns`."""
    return {k: column.key for column in reversed(columns) for k in column.keys}


def header_map(rows: list[list[Any]], columns: tuple[Column, ...]) -> tuple[int, dict[str, int]]:
    """The header row (0-based) and column index per key, found by label text."""
    index = _label_index(columns)
    best: tuple[int, dict[str, int]] = (-1, {})
    for r, row in enumerate(rows[:15]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            if isinstance(value, str) and len(value) < 120:
                key = index.get(label_key(value))
                if key is not None and key not in found:
                    found[key] = c
        if len(found) > len(best[1]):
            best = (r, found)
    return best if len(best[1]) >= 3 else (-1, {})


def _report_table(book: Sheets, sheet: str, item: str) -> Table | None:
    header, cols = header_map(book.rows(sheet), _report_columns(item))
    return Table(sheet, header, cols) if header >= 0 and "activity_id" in cols else None


def _report_columns(item: str) -> tuple[Column, ...]:
    return report_columns(item) if item else REPORT_COLUMNS


def _other_columns(item: str) -> tuple[Column, ...]:
    return other_columns(item) if item else OTHER_COLUMNS


def _other_table(book: Sheets, sheet: str, by_name: bool, item: str) -> Table | None:
    rows = book.rows(sheet)
    header, cols = header_map(rows, _other_columns(item))
    if header < 0:
        return None
    if not by_name and "activity_id" in header_map(rows, _report_columns(item))[1]:
        return None  # a second copy of "Báo cáo" is not work beyond the plan
    return Table(sheet, header, cols)


_LOCATED: weakref.WeakKeyDictionary[Sheets, dict[str, Located]] = weakref.WeakKeyDictionary()


def locate(book: Sheets, item: str = "") -> Located:
    """Find each sheet of the contract: by its name if its content fits, else by its content.

    Renamed, translated or reordered sheets are found by their header row or labels; the hidden
    identity sheet is never one of them. `item` is the plan's word for its items ("Nhiệm vụ"), which
    heads the number column. Remembered per workbook: identify and the checks ask.
    """
    try:
        return _LOCATED[book][item]
    except (KeyError, TypeError):
        pass
    located = _locate(book, item)
    try:
        _LOCATED.setdefault(book, {})[item] = located
    except TypeError:
        pass  # an object that cannot be weakly referenced is simply located again
    return located


def _locate(book: Sheets, item: str) -> Located:
    meta = find_sheet(book, SHEET_META)
    named = {w: find_sheet(book, w) for w in (SHEET_GUIDE, SHEET_INFO, SHEET_REPORT, SHEET_OTHER, SHEET_GENERAL)}
    reserved = {n for n in named.values() if n is not None} | {meta}
    search = _Search([n for n in book.sheet_names if n not in reserved])

    def tables(make: Callable[[str], Table | None]) -> Callable[[str], tuple[Table | None, int]]:
        def score(name: str) -> tuple[Table | None, int]:
            table = make(name)
            return table, len(table.cols) if table is not None else 0
        return score

    report_name = named[SHEET_REPORT]
    report = _report_table(book, report_name, item) if report_name else None
    if report is None:
        report = search.best(SHEET_REPORT, tables(lambda n: _report_table(book, n, item)))
    if report is None and report_name is not None:
        report = Table(report_name, *header_map(book.rows(report_name), _report_columns(item)))
    other_name = named[SHEET_OTHER]
    other = _other_table(book, other_name, True, item) if other_name else None
    if other is None:
        other = search.best(SHEET_OTHER, tables(lambda n: _other_table(book, n, False, item)))

    def labelled(wanted: str, fields: tuple[tuple[str, str], ...], least: int) -> tuple[str | None, Labelled]:
        name = named[wanted]
        values = read_labelled(book, name, fields) if name else {}
        if values:
            return name, values

        def score(n: str) -> tuple[tuple[str, Labelled] | None, int]:
            found = read_labelled(book, n, fields)
            return ((n, found) if len(found) >= least else None), len(found)
        hit = search.best(wanted, score)
        return hit if hit is not None else (name, values)

    info, info_values = labelled(SHEET_INFO, INFO_FIELDS, _MIN_INFO_LABELS)
    general, general_values = labelled(SHEET_GENERAL, GENERAL_FIELDS, _MIN_GENERAL_LABELS)
    return Located(report, other, info, general, info_values, general_values, tuple(search.renamed))


_T = TypeVar("_T")


class _Search:
    """The sheets not yet placed, searched by content; each sheet found is placed once."""

    def __init__(self, free: list[str]) -> None:
        self.free = free
        self.renamed: list[tuple[str, str]] = []

    def best(self, wanted: str, score: Callable[[str], tuple[_T | None, int]]) -> _T | None:
        """What `score` reads from the free sheet that fits `wanted` best (the first of equals)."""
        best: tuple[str, _T] | None = None
        points = 0
        for name in self.free:
            value, got = score(name)
            if value is not None and got > points:
                best, points = (name, value), got
        if best is None:
            return None
        self.free.remove(best[0])
        self.renamed.append((wanted, best[0]))
        return best[1]


def _year(value: object) -> int | None:
    match = re.search(r"\b(20\d\d)\b", str(value or ""))
    return int(match.group(1)) if match else None


def agency_from_filename(path: str, registry: Registry) -> str | None:
    """An agency named in the file name ('YTE_so-y-te_2015.xlsx', 'Bao cao So Y te (1).xls')."""
    stem = PurePath(path.split(" » ")[-1]).stem
    tokens = [t for t in re.split(r"[\s_\-.()\[\]]+", stem) if t]
    codes = {t.upper() for t in tokens if t.upper() in registry and not registry.get(t.upper()).is_group}
    if len(codes) == 1:
        return codes.pop()
    found: set[str] = set()
    for size in range(len(tokens), 1, -1):
        for start in range(len(tokens) - size + 1):
            hit = registry.find(" ".join(tokens[start : start + size]))
            if hit is not None and not hit.is_group:
                found.add(hit.code)
        if found:
            break
    return found.pop() if len(found) == 1 else None


def identify(book: Sheets, path: str, registry: Registry, year: int, plan_id: str,
             item: str = "") -> tuple[Identity, list[Finding]]:
    """Identify agency and year from the hidden identity, else the name cell, else the file name."""
    findings: list[Finding] = []
    meta = read_meta(book)
    located = locate(book, item)
    info_sheet, info = located.info, located.info_values
    name_value, name_cell = info.get("agency_name", (None, ""))
    if isinstance(name_value, str):
        name_value = fix_legacy(name_value)[0]  # converted quietly: the info check reports it at its cell
    by_name = registry.find(str(name_value)) if isinstance(name_value, str) else None
    agency: str | None = None
    source = ""
    meta_code = meta.get("agency_code", "").upper()
    if meta_code and meta_code in registry:
        agency, source = meta_code, "meta"
        if by_name is not None and by_name.code != agency:
            findings.append(finding("agency-mismatch", path, sheet=info_sheet or "", cell=name_cell,
                                    value=name_value, expected=registry.get(agency).name))
    elif by_name is not None and not by_name.is_group:
        agency, source = by_name.code, "name"
    else:
        agency = agency_from_filename(path, registry)
        source = "file" if agency else ""
    if source != "meta":
        if agency is None:
            detail = f"tên đơn vị ghi “{name_value}”" if name_value else "không có tên đơn vị trong tệp"
            findings.append(finding("unknown-agency", path, sheet=info_sheet or "", cell=name_cell, detail=detail))
        else:
            how = "tên đơn vị trong tệp" if source == "name" else "tên tệp"
            findings.append(finding("no-identity", path, detail=how))
    year_value, year_cell = info.get("year", (None, ""))
    found_year = _year(meta.get("year")) or _year(year_value)
    if found_year is not None and found_year != year:
        at = {} if meta.get("year") else {"sheet": info_sheet or "", "cell": year_cell}
        findings.append(finding("wrong-year", path, **at, value=found_year, expected=year))
    if meta.get("plan_id") and meta["plan_id"] != plan_id:
        findings.append(finding("wrong-plan", path, value=meta["plan_id"], expected=plan_id))
    version = meta.get("template_version", "")
    if version and version != TEMPLATE_VERSION:
        newer = version.isdigit() and int(version) > int(TEMPLATE_VERSION)
        findings.append(finding("newer-template" if newer else "older-template", path, value=version,
                                expected=TEMPLATE_VERSION, detail="Năm sau đề nghị dùng biểu mẫu mới được gửi."))
    return Identity(agency, found_year or year, source, tuple(sorted(meta.items()))), findings
