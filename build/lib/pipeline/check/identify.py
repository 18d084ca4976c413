"""Which agency and year a returned workbook belongs to, and whether its identity agrees."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from pipeline.model.agencies import Registry
from pipeline.model.cells import address
from pipeline.model.findings import Finding, finding
from pipeline.model.layout import INFO_FIELDS, SHEET_INFO, SHEET_META, TEMPLATE_VERSION, label_key
from pipeline.model.text import fold, nfc
from pipeline.read.book import Sheets


@dataclass(frozen=True)
class Identity:
    """The agency and year a file was identified as, and how."""

    agency: str | None
    year: int | None
    source: str  # "meta", "name", "file", ""
    meta: tuple[tuple[str, str], ...]


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


def read_labelled(book: Sheets, sheet: str, fields: tuple[tuple[str, str], ...]) -> dict[str, tuple[Any, str]]:
    """Values of a label/value sheet, found by label text: key -> (value, cell address)."""
    wanted = {label_key(label): key for key, label in fields}
    out: dict[str, tuple[Any, str]] = {}
    for r, row in enumerate(book.rows(sheet)):
        for c, value in enumerate(row[:4]):
            if isinstance(value, str) and label_key(value) in wanted:
                key = wanted[label_key(value)]
                if key in out:
                    continue
                # the value sits in the next column; a hint may follow it, never read as the value
                out[key] = (row[c + 1] if c + 1 < len(row) else None, address(r, c + 1))
                break
    return out


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


def identify(book: Sheets, path: str, registry: Registry, year: int, plan_id: str) -> tuple[Identity, list[Finding]]:
    """Identify agency and year from the hidden identity, else the name cell, else the file name."""
    findings: list[Finding] = []
    meta = read_meta(book)
    info_sheet = find_sheet(book, SHEET_INFO)
    info = read_labelled(book, info_sheet, INFO_FIELDS) if info_sheet else {}
    name_value, name_cell = info.get("agency_name", (None, ""))
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
    found_year = _year(meta.get("year")) or _year(info.get("year", (None, ""))[0])
    if found_year is not None and found_year != year:
        findings.append(finding("wrong-year", path, sheet="" if meta.get("year") else (info_sheet or ""),
                                value=found_year, expected=year))
    if meta.get("plan_id") and meta["plan_id"] != plan_id:
        findings.append(finding("wrong-plan", path, value=meta["plan_id"], expected=plan_id))
    version = meta.get("template_version", "")
    if version and version != TEMPLATE_VERSION:
        newer = version.isdigit() and int(version) > int(TEMPLATE_VERSION)
        findings.append(finding("newer-template" if newer else "older-template", path, value=version,
                                expected=TEMPLATE_VERSION, detail="Năm sau đề nghị dùng biểu mẫu mới được gửi."))
    return Identity(agency, found_year or year, source, tuple(sorted(meta.items()))), findings
