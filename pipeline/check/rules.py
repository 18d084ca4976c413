"""The checks of one returned workbook: small functions that read cells and yield findings."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.check.identify import find_sheet, read_labelled
from pipeline.model.assignments import Assignment
from pipeline.model.cells import address
from pipeline.model.findings import Finding, finding
from pipeline.model.layout import (FIRST_DATA_ROW, GENERAL_FIELDS, INFO_FIELDS, SHEET_GENERAL, SHEET_GUIDE, SHEET_INFO,
                                   SHEET_META, SHEET_OTHER, SHEET_REPORT, Column, label_key, other_columns,
                                   report_columns)
from pipeline.model.numbers import vn_number
from pipeline.model.plan import Plan
from pipeline.model.submission import Figures, OtherRecord, RowRecord, Submission
from pipeline.model.text import fold
from pipeline.model.vocab import LOCAL_STATUS_CHOICES, STATUS_CHOICES, Role, Status
from pipeline.read.book import Sheets
from pipeline.read.legacy import fix_legacy
from pipeline.read.values import clean_text, parse_date, parse_number, parse_status

COUNT_KEYS = ("events", "people")
MONEY_KEYS = ("money_state", "money_other")
TEXT_KEYS = ("result", "difficulties", "proposals", "evidence")
INPUT_KEYS = ("status", *TEXT_KEYS, *COUNT_KEYS, *MONEY_KEYS)
MONEY_LIMIT = 100_000  # triệu đồng = 100 tỷ: more than a province spends on one activity
_ID = re.compile(r"^HD\s*0*(\d{1,3})$")
_IN_DONG = re.compile(r"\d\s*(đ|đồng|vnđ|vnd)\.?\s*$", re.IGNORECASE)
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")


@dataclass
class Cursor:
    """Where the checks are, and what they found so far."""

    book: Sheets
    path: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, code: str, **kw: Any) -> None:
        self.findings.append(finding(code, self.path, **kw))

    def formula_without_value(self, sheet: str, cell: str) -> bool:
        return cell in self.book.formulas_without_value(sheet)


def _text(cur: Cursor, value: Any, sheet: str, cell: str, activity: str = "") -> str:
    """Cell text as NFC, converting legacy TCVN3/VNI typing (with a warning)."""
    if value is None:
        return ""
    if isinstance(value, str):
        fixed, encoding = fix_legacy(value)
        if encoding is not None:
            label = {"tcvn3": "TCVN3 (ABC, font .VnTime)", "vni": "VNI (font VNI-Times)"}.get(encoding, encoding)
            cur.add("legacy-encoding", sheet=sheet, cell=cell, activity=activity, value=value,
                    expected=clean_text(fixed), detail=label)
        return clean_text(fixed)
    return clean_text(value)


def _number(cur: Cursor, key: str, value: Any, sheet: str, cell: str, activity: str) -> int | float | None:
    if type(value) is int or (type(value) is float and value == value and abs(value) != float("inf")):
        # the usual case, a number typed as a number: skip the text parser
        if value < 0:
            cur.add("number-negative", sheet=sheet, cell=cell, activity=activity, value=value, expected=vn_number(value, None))
            return None
        if key in MONEY_KEYS and value > MONEY_LIMIT:
            cur.add("money-implausible", sheet=sheet, cell=cell, activity=activity, value=vn_number(value, None))
        return value
    if value is None:
        if cur.formula_without_value(sheet, cell):
            cur.add("formula-no-value", sheet=sheet, cell=cell, activity=activity)
        return None
    if isinstance(value, str):
        fixed, _ = fix_legacy(value)
        value = fixed
    parsed = parse_number(value)
    code = parsed.code
    number = parsed.value if isinstance(parsed.value, (int, float)) else None
    if key in MONEY_KEYS and isinstance(value, str) and number is not None and _IN_DONG.search(value):
        # "1.500.000 đồng" in a column counted in triệu đồng: whole đồng, converted
        number, code = number / 1_000_000, "number-unit-converted"
    if code == "number-unit-converted" and key in COUNT_KEYS:
        code, number = "not-a-number", None  # "2 triệu" people: too vague to count
    if code is not None:
        cur.add(code, sheet=sheet, cell=cell, activity=activity, value=value, expected=vn_number(number, None))
    if key in MONEY_KEYS and number is not None and number > MONEY_LIMIT:
        cur.add("money-implausible", sheet=sheet, cell=cell, activity=activity, value=vn_number(number, None))
    return number if code in (None, "number-as-text", "number-unit-converted", "number-ambiguous") else None


def _status(cur: Cursor, value: Any, role: Role, sheet: str, cell: str, activity: str) -> Status | None:
    allowed = LOCAL_STATUS_CHOICES if role == Role.LOCAL else STATUS_CHOICES
    parsed = parse_status(fix_legacy(value)[0] if isinstance(value, str) else value, role == Role.LOCAL)
    choices = ", ".join(s.label for s in allowed)
    if parsed.code == "missing":
        if role == Role.LEAD:
            cur.add("missing-status", sheet=sheet, cell=cell, activity=activity, expected=choices)
        return None
    status = parsed.value
    if parsed.code == "status-normalised" and status is not None:
        cur.add("status-normalised", sheet=sheet, cell=cell, activity=activity, value=value, expected=status.label)
    elif parsed.code is not None:
        cur.add(parsed.code, sheet=sheet, cell=cell, activity=activity, value=value, expected=choices)
        return None
    return status


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


def _locate(cur: Cursor, wanted: str, columns: tuple[Column, ...]) -> str | None:
    """The sheet by name, else (renamed) the sheet whose header matches the columns."""
    name = find_sheet(cur.book, wanted)
    if name is not None:
        return name
    known = {fold(s) for s in (SHEET_GUIDE, SHEET_INFO, SHEET_GENERAL, SHEET_META, SHEET_REPORT, SHEET_OTHER)}
    for other in cur.book.sheet_names:
        if fold(other) in known:
            continue
        if header_map(cur.book.rows(other), columns)[0] >= 0:
            cur.add("sheet-renamed", sheet=other, value=other, expected=wanted)
            return other
    return None


def _columns_present(cur: Cursor, sheet: str, cols: dict[str, int], columns: tuple[Column, ...],
                     required: tuple[str, ...]) -> bool:
    ok = True
    for column in columns:
        if column.key in cols or column.locked:
            continue
        if column.key in required:
            cur.add("column-missing", sheet=sheet, expected=column.label, detail=f"“{sheet}”")
            ok = False
        elif column.key not in ("stt", "note"):
            cur.add("column-missing-optional", sheet=sheet, expected=column.label, detail=f"“{sheet}”")
    if "activity_id" in [c.key for c in columns] and "activity_id" not in cols:
        cur.add("column-missing", sheet=sheet, expected="Mã HĐ", detail=f"“{sheet}”")
        ok = False
    return ok


def _data_rows(rows: list[list[Any]], header: int) -> list[tuple[int, list[Any]]]:
    out = []
    for r in range(header + 1, len(rows)):
        row = rows[r]
        values = [v for v in row if v is not None]
        if not values:
            continue
        if r < FIRST_DATA_ROW and all(_COLUMN_NUMBER.match(str(v).strip()) for v in values):
            continue  # the "(1) (2) …" column-number row
        out.append((r, row))
    return out


def _get(row: list[Any], cols: dict[str, int], key: str) -> Any:
    index = cols.get(key)
    return row[index] if index is not None and index < len(row) else None


def _activity_id(value: Any) -> str:
    match = _ID.match(str(value or "").strip().upper())
    return f"HD{int(match.group(1)):02d}" if match else str(value or "").strip()


def _read_inputs(cur: Cursor, sheet: str, r: int, row: list[Any], cols: dict[str, int], role: Role,
                 activity: str) -> tuple[Status | None, dict[str, str], Figures, tuple[tuple[str, str], ...]]:
    cell = {key: address(r, cols[key]) for key in INPUT_KEYS if key in cols}
    status = _status(cur, _get(row, cols, "status"), role, sheet, cell.get("status", ""), activity) \
        if "status" in cols else None
    texts = {k: _text(cur, _get(row, cols, k), sheet, cell.get(k, ""), activity) for k in TEXT_KEYS}
    numbers = {k: _number(cur, k, _get(row, cols, k), sheet, cell.get(k, ""), activity) if k in cols else None
               for k in (*COUNT_KEYS, *MONEY_KEYS)}
    if status is not None and status.implemented and not texts["result"]:
        cur.add("missing-result", sheet=sheet, cell=cell.get("result", cell.get("status", "")), activity=activity,
                value=status.label)
    return status, texts, Figures(**numbers), tuple(cell.items())


def _has_inputs(row: list[Any], cols: dict[str, int]) -> bool:
    return any(_get(row, cols, k) is not None for k in INPUT_KEYS)


def check_report(cur: Cursor, plan: Plan, assigned: list[Assignment]) -> tuple[list[RowRecord], list[OtherRecord]]:
    """Read the activity rows by id; find edits to the locked context."""
    columns = report_columns(plan.terms.item)  # the number column carries the plan's own word
    sheet = _locate(cur, SHEET_REPORT, columns)
    if sheet is None:
        cur.add("sheet-missing", sheet=SHEET_REPORT, expected=SHEET_REPORT)
        return [], []
    rows = cur.book.rows(sheet)
    header, cols = header_map(rows, columns)
    if header < 0 or not _columns_present(cur, sheet, cols, columns, ("status", "result")):
        if header < 0:
            cur.add("column-missing", sheet=sheet, expected="Mã HĐ, Tình trạng", detail=f"“{sheet}”")
        return [], []
    roles = {a.activity.id: a.role for a in assigned}
    by_content = {fold(a.activity.content): a.activity.id for a in assigned}
    records: dict[str, RowRecord] = {}
    seen_rows: dict[str, list[int]] = {}
    order: list[str] = []
    others: list[OtherRecord] = []
    for r, row in _data_rows(rows, header):
        aid = _activity_id(_get(row, cols, "activity_id"))
        content = _get(row, cols, "content")
        if not aid and _has_inputs(row, cols):
            aid = by_content.get(fold(str(content or "")), "")
        if aid not in roles:
            if _has_inputs(row, cols):
                code = "row-not-in-plan" if aid else "row-without-id"
                cur.add(code, sheet=sheet, cell=address(r, cols.get("activity_id", 0)), value=aid)
                others.append(_other_from_report(cur, sheet, r, row, cols, content))
            continue
        seen_rows.setdefault(aid, []).append(r + 1)
        activity = plan.activity(aid)
        if content is not None and "content" in cols and fold(str(content)) != fold(activity.content):
            cur.add("context-changed", sheet=sheet, cell=address(r, cols["content"]), activity=aid, value=content)
        if aid in records:
            _repeat(cur, sheet, r, row, cols, records, aid, seen_rows[aid])
            continue
        order.append(aid)
        status, texts, figures, cells = _read_inputs(cur, sheet, r, row, cols, roles[aid], aid)
        records[aid] = RowRecord(aid, roles[aid], status, texts["result"], figures, texts["difficulties"],
                                 texts["proposals"], texts["evidence"], sheet, r + 1, cells)
    expected = [a.activity.id for a in assigned]
    if [a for a in expected if a in order] != order:
        cur.add("rows-reordered", sheet=sheet)
    for a in assigned:
        if a.activity.id not in records:
            code = "row-missing" if a.role == Role.LEAD else "row-missing-partner"
            cur.add(code, sheet=sheet, activity=a.activity.id)
    return list(records.values()), others


def _repeat(cur: Cursor, sheet: str, r: int, row: list[Any], cols: dict[str, int], records: dict[str, RowRecord],
            aid: str, lines: list[int]) -> None:
    """A second row for the same activity: harmless if empty or identical, an error otherwise."""
    first = records[aid]
    if not _has_inputs(row, cols):
        cur.add("row-repeated", sheet=sheet, cell=address(r, cols["activity_id"]), activity=aid,
                detail=", ".join(map(str, lines)))
        return
    scratch = Cursor(cur.book, cur.path)
    status, texts, figures, _ = _read_inputs(scratch, sheet, r, row, cols, first.role, aid)
    same = (status, texts["result"], figures) == (first.status, first.result, first.figures)
    if same:
        cur.add("row-repeated", sheet=sheet, cell=address(r, cols["activity_id"]), activity=aid,
                detail=", ".join(map(str, lines)))
    else:
        cur.add("row-duplicated", sheet=sheet, cell=address(r, cols["activity_id"]), activity=aid,
                detail=", ".join(map(str, lines)))


def _other_from_report(cur: Cursor, sheet: str, r: int, row: list[Any], cols: dict[str, int],
                       content: Any) -> OtherRecord:
    status, texts, figures, cells = _read_inputs(cur, sheet, r, row, cols, Role.PARTNER, "")
    return OtherRecord(_text(cur, content, sheet, address(r, cols.get("content", 0))),
                       _text(cur, _get(row, cols, "recommendations"), sheet, ""), status, texts["result"], figures,
                       texts["proposals"], sheet, r + 1, cells)


def check_other(cur: Cursor, plan: Plan) -> list[OtherRecord]:
    """Rows of "Hoạt động khác": work beyond the plan, added freely."""
    sheet = find_sheet(cur.book, SHEET_OTHER)
    if sheet is None:
        return []
    rows = cur.book.rows(sheet)
    header, cols = header_map(rows, other_columns(plan.terms.item))
    if header < 0:
        return []
    out = []
    for r, row in _data_rows(rows, header):
        if not any(_get(row, cols, k) is not None for k in cols if k != "stt"):
            continue
        cells = {k: address(r, c) for k, c in cols.items()}
        content = _text(cur, _get(row, cols, "content"), sheet, cells.get("content", ""))
        status = _status(cur, _get(row, cols, "status"), Role.PARTNER, sheet, cells.get("status", ""), "")
        result = _text(cur, _get(row, cols, "result"), sheet, cells.get("result", ""))
        numbers = {k: _number(cur, k, _get(row, cols, k), sheet, cells.get(k, ""), "") if k in cols else None
                   for k in (*COUNT_KEYS, *MONEY_KEYS)}
        out.append(OtherRecord(content, _text(cur, _get(row, cols, "recommendations"), sheet, ""), status, result,
                               Figures(**numbers), _text(cur, _get(row, cols, "note"), sheet, ""), sheet, r + 1,
                               tuple(cells.items())))
    return out


def check_info(cur: Cursor) -> tuple[dict[str, str], dt.date | None]:
    """The reporter's details; name and report date are required."""
    sheet = find_sheet(cur.book, SHEET_INFO)
    if sheet is None:
        cur.add("sheet-missing", sheet=SHEET_INFO, expected=SHEET_INFO)
        return {}, None
    values = read_labelled(cur.book, sheet, INFO_FIELDS)
    info = {k: _text(cur, v, sheet, cell) for k, (v, cell) in values.items() if k != "report_date"}
    if not info.get("reporter"):
        cur.add("missing-reporter", sheet=sheet, cell=values.get("reporter", (None, ""))[1])
    raw, cell = values.get("report_date", (None, ""))
    parsed = parse_date(raw)
    if parsed.value is None and parsed.code is None:
        cur.add("missing-report-date", sheet=sheet, cell=cell)
    elif parsed.code is not None:
        shown = parsed.value.strftime("%d/%m/%Y") if parsed.value is not None else ""
        cur.add(parsed.code, sheet=sheet, cell=cell, value=raw, expected=shown)
    return info, parsed.value


def check_general(cur: Cursor) -> tuple[dict[str, str], dict[str, str]]:
    """Free-text assessment, difficulties, proposals and directions."""
    sheet = find_sheet(cur.book, SHEET_GENERAL)
    if sheet is None:
        cur.add("sheet-missing", sheet=SHEET_GENERAL, expected=SHEET_GENERAL)
        return {}, {}
    values = read_labelled(cur.book, sheet, GENERAL_FIELDS)
    texts = {k: _text(cur, v, sheet, cell) for k, (v, cell) in values.items()}
    return texts, {k: cell for k, (_, cell) in values.items()}


def check_workbook(cur: Cursor, agency: str, year: int, plan: Plan,
                   assigned: list[Assignment]) -> Submission:
    """Every check of one identified workbook; findings accumulate in `cur`."""
    info, report_date = check_info(cur)
    rows, others = check_report(cur, plan, assigned)
    others += check_other(cur, plan)
    general, general_cells = check_general(cur)
    filled = any(r.status or r.result or any(v is not None for v in vars(r.figures).values()) for r in rows)
    if not (filled or others or any(general.values())):
        cur.add("empty-submission")
    return Submission(agency, year, tuple(sorted(info.items())), report_date,
                      tuple(rows), tuple(others), tuple(general.items()), tuple(general_cells.items()))
