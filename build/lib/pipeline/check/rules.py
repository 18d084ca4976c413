"""The checks of one returned workbook: small functions that read cells and yield findings."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.check.identify import Labelled, Located, Table, locate
from pipeline.model.assignments import Assignment
from pipeline.model.cells import address
from pipeline.model.findings import Finding, finding
from pipeline.model.layout import (FIRST_DATA_ROW, REPORT_COLUMNS, SHEET_GENERAL, SHEET_INFO, SHEET_REPORT, Column,
                                   label_key, report_columns)
from pipeline.model.numbers import vn_number
from pipeline.model.plan import Plan
from pipeline.model.submission import Figures, OtherRecord, RowRecord, Submission
from pipeline.model.text import fold
from pipeline.model.vocab import LOCAL_STATUS_CHOICES, STATUS_CHOICES, Role, Status
from pipeline.read.book import Sheets, Span
from pipeline.read.legacy import fix_legacy
from pipeline.read.values import clean_text, parse_date, parse_number, parse_status

COUNT_KEYS = ("events", "people")
MONEY_KEYS = ("money_state", "money_other")
FIGURE_KEYS = (*COUNT_KEYS, *MONEY_KEYS)
TEXT_KEYS = ("result", "difficulties", "proposals", "evidence")
INPUT_KEYS = ("status", *TEXT_KEYS, *FIGURE_KEYS)
MONEY_LIMIT = 100_000  # triệu đồng = 100 tỷ: more than a province spends on one activity
_ID = re.compile(r"^HD\s*0*(\d{1,3})$")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
_LEGACY = {"tcvn3": "TCVN3 (ABC, font .VnTime)", "vni": "VNI (font VNI-Times)"}
_COLUMN_LABELS = {c.key: c.label for c in REPORT_COLUMNS}
# Labels of a totals row ("Tổng cộng", "Cộng:", "TỔNG SỐ", "Total"), folded; also any "Tổng cộng …".
_TOTAL_LABELS = frozenset({"tong", "cong", "tongcong", "tongso", "total", "grandtotal", "sum", "subtotal"})
_SUM_FORMULA = re.compile(r"^\s*=?\s*(?:SUM|SUBTOTAL|AGGREGATE)\s*\(", re.IGNORECASE)
_RANGE_END = re.compile(r"\$?[A-Z]{1,3}\$?[0-9]+\s*:\s*\$?[A-Z]{1,3}\$?([0-9]+)", re.IGNORECASE)
_MERGE_BUDGET = 100_000  # covered cells indexed per sheet: a hostile file gets no more


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


# --------------------------------------------------------------------------- one cell


def _legacy(cur: Cursor, value: str, sheet: str, cell: str, activity: str = "") -> str:
    """Text as NFC, converting legacy TCVN3/VNI typing, with a warning at the cell wherever it happened."""
    fixed, encoding = fix_legacy(value)
    if encoding is not None:
        cur.add("legacy-encoding", sheet=sheet, cell=cell, activity=activity, value=value,
                expected=clean_text(fixed), detail=_LEGACY.get(encoding, encoding))
    return fixed


def _text(cur: Cursor, value: Any, sheet: str, cell: str, activity: str = "") -> str:
    """Cell text as NFC, converting legacy TCVN3/VNI typing (with a warning)."""
    if value is None:
        return ""
    return clean_text(_legacy(cur, value, sheet, cell, activity) if isinstance(value, str) else value)


def _number(cur: Cursor, key: str, value: Any, sheet: str, cell: str, activity: str) -> int | float | None:
    """A count or an amount in triệu đồng; what was read differently from what was typed gets a finding."""
    count = key in COUNT_KEYS
    if type(value) is int or (type(value) is float and value == value and abs(value) != float("inf")):
        # the usual case, a number typed as a number: skip the text parser
        if value < 0:
            cur.add("number-negative", sheet=sheet, cell=cell, activity=activity, value=value, expected=vn_number(value, None))
            return None
        if count and type(value) is float:  # integral floats were read as int: this one has a fraction
            cur.add("number-not-whole", sheet=sheet, cell=cell, activity=activity, value=vn_number(value, None),
                    detail=_COLUMN_LABELS[key])
            return None
        if not count and value > MONEY_LIMIT:
            cur.add("money-implausible", sheet=sheet, cell=cell, activity=activity, value=vn_number(value, None))
        return value
    if value is None:
        if cur.formula_without_value(sheet, cell):
            cur.add("formula-no-value", sheet=sheet, cell=cell, activity=activity)
        return None
    if isinstance(value, str):
        value = _legacy(cur, value, sheet, cell, activity)
    parsed = parse_number(value, "count" if count else "money")
    number = parsed.value if isinstance(parsed.value, (int, float)) else None
    if parsed.code is not None:
        column = _COLUMN_LABELS[key] if parsed.code in ("number-not-whole", "number-thousands-comma") else None
        cur.add(parsed.code, sheet=sheet, cell=cell, activity=activity, value=value, expected=vn_number(number, None),
                detail=column)
    if not count and number is not None and number > MONEY_LIMIT:
        cur.add("money-implausible", sheet=sheet, cell=cell, activity=activity, value=vn_number(number, None))
    kept = (None, "number-as-text", "number-unit-converted", "number-ambiguous", "number-thousands-comma")
    return number if parsed.code in kept else None


def _status(cur: Cursor, value: Any, role: Role, sheet: str, cell: str, activity: str) -> Status | None:
    """The status of a row; only a lead must give one."""
    allowed = LOCAL_STATUS_CHOICES if role == Role.LOCAL else STATUS_CHOICES
    typed = _legacy(cur, value, sheet, cell, activity) if isinstance(value, str) else value
    parsed = parse_status(typed, role == Role.LOCAL)
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


def _date(cur: Cursor, value: Any, sheet: str, cell: str) -> dt.date | None:
    """The report date; required."""
    typed = _legacy(cur, value, sheet, cell) if isinstance(value, str) else value
    parsed = parse_date(typed)
    if parsed.value is None and parsed.code is None:
        cur.add("missing-report-date", sheet=sheet, cell=cell)
    elif parsed.code is not None:
        shown = parsed.value.strftime("%d/%m/%Y") if parsed.value is not None else ""
        cur.add(parsed.code, sheet=sheet, cell=cell, value=value, expected=shown)
    return parsed.value


# --------------------------------------------------------------------------- table sheets


class Rows:
    """The data rows of a table sheet, with the merged ranges that cover their cells."""

    def __init__(self, book: Sheets, table: Table) -> None:
        self.book, self.sheet, self.header, self.cols = book, table.sheet, table.header, table.cols
        self.rows = book.rows(table.sheet)
        self._covering: dict[int, list[Span]] | None = None

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        """(0-based row, values) of every non-empty row below the header, but the column numbers."""
        for r in range(self.header + 1, len(self.rows)):
            row = self.rows[r]
            values = [v for v in row if v is not None]
            if not values:
                continue
            if r < FIRST_DATA_ROW and all(_COLUMN_NUMBER.match(str(v).strip()) for v in values):
                continue  # the "(1) (2) …" column-number row
            yield r, row

    def get(self, row: list[Any], key: str) -> Any:
        index = self.cols.get(key)
        return row[index] if index is not None and index < len(row) else None

    def cell(self, r: int, key: str) -> str:
        """The address of `key`'s cell in row `r` ("" if the column is missing)."""
        index = self.cols.get(key)
        return address(r, index) if index is not None else ""

    @property
    def spans(self) -> bool:
        """True when merged ranges cover some data cell (asked once per row; the index is built once)."""
        if self._covering is None:
            self._covering = self._index_spans()
        return bool(self._covering)

    def covered(self, r: int, key: str) -> Span | None:
        """The merged range whose value shows over `key`'s empty cell in row `r`, when it starts elsewhere."""
        index = self.cols.get(key)
        if index is None:
            return None
        if self._covering is None:
            self._covering = self._index_spans()
        if not self._covering:
            return None
        for span in self._covering.get(r, ()):
            if span.left <= index <= span.right and (r, index) != (span.top, span.left) and self.anchor(span) is not None:
                return span
        return None

    def anchor(self, span: Span) -> Any:
        """The value of a merged range (its first cell's)."""
        row = self.rows[span.top] if span.top < len(self.rows) else []
        return row[span.left] if span.left < len(row) else None

    def _index_spans(self) -> dict[int, list[Span]]:
        """Merged ranges by data row they cover; those starting in or above the header are left out."""
        out: dict[int, list[Span]] = {}
        budget = _MERGE_BUDGET
        for span in self.book.merged(self.sheet):
            if span.top <= self.header or (span.top == span.bottom and span.left == span.right):
                continue
            for r in range(span.top, min(span.bottom, len(self.rows) - 1) + 1):
                out.setdefault(r, []).append(span)
                budget -= 1
            if budget <= 0:
                break
        return out


def _merged(cur: Cursor, rows: Rows, span: Span, r: int, key: str, activity: str, required: bool) -> None:
    """A cell left empty because a merged range starting elsewhere covers it."""
    cell = rows.cell(r, key)
    where = f"{address(span.top, span.left)}:{address(span.bottom, span.right)}"
    code = "merged-cell-missing" if required else "merged-cell"
    # the cell is named in the message: a feedback copy can only mark the range's first cell
    cur.add(code, sheet=rows.sheet, cell=cell, activity=activity, value=rows.anchor(span), expected=where,
            detail=cell)


def _inputs(cur: Cursor, rows: Rows, r: int, row: list[Any], role: Role,
            activity: str) -> tuple[Status | None, dict[str, str], Figures, tuple[tuple[str, str], ...]]:
    """Status, texts and figures of one row, with the findings of each cell."""
    cols, sheet = rows.cols, rows.sheet
    cell = {key: address(r, cols[key]) for key in INPUT_KEYS if key in cols}
    covered = {key: span for key in cell if rows.get(row, key) is None and (span := rows.covered(r, key)) is not None} \
        if rows.spans else {}
    status = None
    if "status" in covered:
        _merged(cur, rows, covered.pop("status"), r, "status", activity, role == Role.LEAD)
    elif "status" in cols:
        status = _status(cur, rows.get(row, "status"), role, sheet, cell["status"], activity)
    texts = {k: _text(cur, rows.get(row, k), sheet, cell.get(k, ""), activity) for k in TEXT_KEYS}
    numbers = {k: _number(cur, k, rows.get(row, k), sheet, cell[k], activity) if k in cols else None
               for k in FIGURE_KEYS}
    if status is not None and status.implemented and not texts["result"]:
        if "result" in covered:
            _merged(cur, rows, covered.pop("result"), r, "result", activity, True)
        else:
            cur.add("missing-result", sheet=sheet, cell=cell.get("result", cell.get("status", "")), activity=activity,
                    value=status.label)
    seen: set[Span] = set()
    for key, span in covered.items():
        if span not in seen:  # one warning per merged range and row, at its first covered input cell
            seen.add(span)
            _merged(cur, rows, span, r, key, activity, False)
    return status, texts, Figures(**numbers), tuple(cell.items())


def _has_inputs(rows: Rows, row: list[Any]) -> bool:
    return any(rows.get(row, k) is not None for k in INPUT_KEYS)


def _activity_id(value: Any) -> str:
    match = _ID.match(str(value or "").strip().upper())
    return f"HD{int(match.group(1)):02d}" if match else str(value or "").strip()


# --------------------------------------------------------------------------- totals rows


@dataclass(frozen=True)
class Total:
    """A totals row under the rows it sums: never merged, compared with the rows instead."""

    row: int  # 0-based
    figures: dict[str, int | float]  # the figures it shows, by key
    cells: dict[str, str]  # and the address of each


def _total_label(row: list[Any], rows: Rows) -> tuple[int, str] | None:
    """(column, text) of a totals label in the row: a short text cell outside the figures."""
    figures = {rows.cols[k] for k in FIGURE_KEYS if k in rows.cols}
    for c, value in enumerate(row):
        if c not in figures and isinstance(value, str) and len(value) <= 60:
            key = label_key(value)
            if key in _TOTAL_LABELS or key.startswith("tongcong"):
                return c, value
    return None


def _sum_formulas(rows: Rows, r: int) -> bool:
    """True when a figure cell of row `r` holds SUM(...) over a range of rows above it (.xlsx, .ods)."""
    formulas = rows.book.formulas(rows.sheet)
    if not formulas:
        return False
    for key in FIGURE_KEYS:
        text = formulas.get(rows.cell(r, key))
        if text and _SUM_FORMULA.match(text):
            ends = [int(m.group(1)) for m in _RANGE_END.finditer(text)]
            if ends and max(ends) <= r:  # 1-based end row above this (0-based r is its 1-based row - 1)
                return True
    return False


def _figures_of(rows: Rows, r: int, row: list[Any]) -> tuple[dict[str, int | float], dict[str, str]]:
    """The figures a row shows, read quietly (a totals row's own cells are never reported)."""
    scratch = Cursor(rows.book, "")
    values: dict[str, int | float] = {}
    cells: dict[str, str] = {}
    for key in FIGURE_KEYS:
        if key in rows.cols:
            value = _number(scratch, key, rows.get(row, key), rows.sheet, rows.cell(r, key), "")
            if value is not None:
                values[key], cells[key] = value, rows.cell(r, key)
    return values, cells


def _sums(counted: list[tuple[int, Figures]], keys: list[str]) -> dict[str, float]:
    return {k: float(sum(getattr(f, k) or 0 for _, f in counted)) for k in keys}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def totals_row(cur: Cursor, rows: Rows, r: int, row: list[Any], counted: list[tuple[int, Figures]]) -> Total | None:
    """A row of no activity that sums the rows: by its label, its SUM formulas, or figures equal to the sums.

    Without a label the row must show nothing but figures (an activity of its own would say what
    it is), and without a formula each figure must equal its column's sum over two rows or more above.
    """
    label = _total_label(row, rows)
    if label is None and any(rows.get(row, k) is not None for k in ("activity_id", "status", "result", "content")):
        return None  # a row that says what it is, and not "Tổng cộng", is an activity
    figures, cells = _figures_of(rows, r, row)
    if label is None and not _sum_formulas(rows, r):
        if not figures:
            return None
        above = [(n, f) for n, f in counted if any(getattr(f, k) is not None for k in figures)]
        sums = _sums(above, list(figures))
        if len(above) < 2 or not all(_close(v, sums[k]) for k, v in figures.items()):
            return None
    at = address(r, label[0]) if label else next(iter(cells.values()), rows.cell(r, "status") or address(r, 0))
    cur.add("totals-row", sheet=rows.sheet, cell=at, value=label[1] if label else "", detail=str(r + 1))
    return Total(r, figures, cells)


def check_totals(cur: Cursor, sheet: str, totals: list[Total], counted: list[tuple[int, Figures]]) -> None:
    """Each totals row against the rows: those since the previous total, all above it, or all of them."""
    previous = -1
    for total in totals:
        since = [(n, f) for n, f in counted if previous < n < total.row]
        above = [(n, f) for n, f in counted if n < total.row]
        keys = list(total.figures)
        choices = [_sums(rows, keys) for rows in (since, above, counted) if rows]
        shown = choices[0] if choices else dict.fromkeys(keys, 0.0)
        for key, value in total.figures.items():
            if not any(_close(value, sums[key]) for sums in choices or [shown]):
                cur.add("totals-disagree", sheet=sheet, cell=total.cells[key], value=vn_number(value, None),
                        expected=vn_number(shown[key], None), detail=str(total.row + 1))
        previous = total.row


# --------------------------------------------------------------------------- sheets


@dataclass
class ReportRead:
    """What "Báo cáo" gave: the activity rows, rows of work beyond the plan, and whether it could be read."""

    rows: list[RowRecord]
    others: list[OtherRecord]
    readable: bool


def check_report(cur: Cursor, located: Located, plan: Plan, assigned: list[Assignment]) -> ReportRead:
    """Read the activity rows by id; find edits to the locked context, totals rows and rows of no activity."""
    table = located.report
    if table is None:
        cur.add("sheet-missing", sheet=SHEET_REPORT, expected=SHEET_REPORT)
        return ReportRead([], [], False)
    columns = report_columns(plan.terms.item)  # the number column carries the plan's own word
    if table.header < 0 or not _columns_present(cur, table, columns, ("status", "result")):
        if table.header < 0:
            cur.add("column-missing", sheet=table.sheet, expected="Mã HĐ, Tình trạng", detail=f"“{table.sheet}”")
        return ReportRead([], [], False)
    rows = Rows(cur.book, table)
    sheet, cols = rows.sheet, rows.cols
    roles = {a.activity.id: a.role for a in assigned}
    by_content = {fold(a.activity.content): a.activity.id for a in assigned}
    records: dict[str, RowRecord] = {}
    seen_rows: dict[str, list[int]] = {}
    order: list[str] = []
    others: list[OtherRecord] = []
    counted: list[tuple[int, Figures]] = []
    totals: list[Total] = []
    for r, row in rows:
        aid = _activity_id(rows.get(row, "activity_id"))
        content = rows.get(row, "content")
        if not aid and _has_inputs(rows, row):
            aid = by_content.get(fold(str(content or "")), "")
        if aid not in roles:
            if not _has_inputs(rows, row):
                continue
            total = totals_row(cur, rows, r, row, counted)
            if total is not None:
                totals.append(total)
                continue
            cur.add("row-not-in-plan" if aid else "row-without-id", sheet=sheet, cell=address(r, cols["activity_id"]),
                    value=aid)
            others.append(_other_from_report(cur, rows, r, row))
            counted.append((r, others[-1].figures))
            continue
        seen_rows.setdefault(aid, []).append(r + 1)
        activity = plan.activity(aid)
        if content is not None and "content" in cols and fold(str(content)) != fold(activity.content):
            cur.add("context-changed", sheet=sheet, cell=address(r, cols["content"]), activity=aid, value=content)
        if aid in records:
            _repeat(cur, rows, r, row, records, aid, seen_rows[aid])
            continue
        order.append(aid)
        status, texts, figures, cells = _inputs(cur, rows, r, row, roles[aid], aid)
        records[aid] = RowRecord(aid, roles[aid], status, texts["result"], figures, texts["difficulties"],
                                 texts["proposals"], texts["evidence"], sheet, r + 1, cells)
        counted.append((r, figures))
    check_totals(cur, sheet, totals, counted)
    expected = [a.activity.id for a in assigned]
    if [a for a in expected if a in order] != order:
        cur.add("rows-reordered", sheet=sheet)
    for a in assigned:
        if a.activity.id not in records:
            cur.add("row-missing" if a.role == Role.LEAD else "row-missing-partner", sheet=sheet,
                    activity=a.activity.id)
    return ReportRead(list(records.values()), others, True)


def _columns_present(cur: Cursor, table: Table, columns: tuple[Column, ...], required: tuple[str, ...]) -> bool:
    ok = True
    for column in columns:
        if column.key in table.cols or column.locked:
            continue
        if column.key in required:
            cur.add("column-missing", sheet=table.sheet, expected=column.label, detail=f"“{table.sheet}”")
            ok = False
        elif column.key not in ("stt", "note"):
            cur.add("column-missing-optional", sheet=table.sheet, expected=column.label, detail=f"“{table.sheet}”")
    if "activity_id" in [c.key for c in columns] and "activity_id" not in table.cols:
        cur.add("column-missing", sheet=table.sheet, expected="Mã HĐ", detail=f"“{table.sheet}”")
        ok = False
    return ok


def _repeat(cur: Cursor, rows: Rows, r: int, row: list[Any], records: dict[str, RowRecord], aid: str,
            lines: list[int]) -> None:
    """A second row for the same activity: harmless if empty or identical, an error otherwise."""
    first = records[aid]
    same = not _has_inputs(rows, row)
    if not same:
        status, texts, figures, _ = _inputs(Cursor(cur.book, cur.path), rows, r, row, first.role, aid)
        same = (status, texts["result"], figures) == (first.status, first.result, first.figures)
    cur.add("row-repeated" if same else "row-duplicated", sheet=rows.sheet, cell=rows.cell(r, "activity_id"),
            activity=aid, detail=", ".join(map(str, lines)))


def _other_from_report(cur: Cursor, rows: Rows, r: int, row: list[Any]) -> OtherRecord:
    status, texts, figures, cells = _inputs(cur, rows, r, row, Role.PARTNER, "")
    return OtherRecord(_text(cur, rows.get(row, "content"), rows.sheet, rows.cell(r, "content")),
                       _text(cur, rows.get(row, "recommendations"), rows.sheet, rows.cell(r, "recommendations")),
                       status, texts["result"], figures, texts["proposals"], rows.sheet, r + 1, cells)


def check_other(cur: Cursor, located: Located) -> list[OtherRecord]:
    """Rows of "Hoạt động khác": work beyond the plan, added freely; a totals row is not one of them."""
    table = located.other
    if table is None or table.header < 0:
        return []
    rows = Rows(cur.book, table)
    sheet, cols = rows.sheet, rows.cols
    out: list[OtherRecord] = []
    counted: list[tuple[int, Figures]] = []
    totals: list[Total] = []
    for r, row in rows:
        if not any(rows.get(row, k) is not None for k in cols if k != "stt"):
            continue
        total = totals_row(cur, rows, r, row, counted)
        if total is not None:
            totals.append(total)
            continue
        cells = {k: address(r, c) for k, c in cols.items()}
        content = _text(cur, rows.get(row, "content"), sheet, cells.get("content", ""))
        status = _status(cur, rows.get(row, "status"), Role.PARTNER, sheet, cells.get("status", ""), "")
        result = _text(cur, rows.get(row, "result"), sheet, cells.get("result", ""))
        numbers = {k: _number(cur, k, rows.get(row, k), sheet, cells[k], "") if k in cols else None
                   for k in FIGURE_KEYS}
        _covered_warnings(cur, rows, r, row)
        out.append(OtherRecord(content, _text(cur, rows.get(row, "recommendations"), sheet,
                                              cells.get("recommendations", "")), status, result,
                               Figures(**numbers), _text(cur, rows.get(row, "note"), sheet, cells.get("note", "")),
                               sheet, r + 1, tuple(cells.items())))
        counted.append((r, out[-1].figures))
    check_totals(cur, sheet, totals, counted)
    return out


def _covered_warnings(cur: Cursor, rows: Rows, r: int, row: list[Any]) -> None:
    """One warning per merged range that shows its value over this row's empty cells."""
    seen: set[Span] = set()
    for key in rows.cols:
        if key != "stt" and rows.get(row, key) is None:
            span = rows.covered(r, key)
            if span is not None and span not in seen:
                seen.add(span)
                _merged(cur, rows, span, r, key, "", False)


def check_info(cur: Cursor, located: Located) -> tuple[dict[str, str], dt.date | None]:
    """The reporter's details; name and report date are required."""
    sheet = located.info
    if sheet is None:
        cur.add("sheet-missing", sheet=SHEET_INFO, expected=SHEET_INFO)
        return {}, None
    values = located.info_values
    info = {k: _text(cur, v, sheet, cell) for k, (v, cell) in values.items() if k != "report_date"}
    if not info.get("reporter"):
        cur.add("missing-reporter", sheet=sheet, cell=values.get("reporter", (None, ""))[1])
    raw, cell = values.get("report_date", (None, ""))
    return info, _date(cur, raw, sheet, cell)


def check_general(cur: Cursor, located: Located) -> tuple[dict[str, str], dict[str, str]]:
    """Free-text assessment, difficulties, proposals and directions."""
    sheet = located.general
    if sheet is None:
        cur.add("sheet-missing", sheet=SHEET_GENERAL, expected=SHEET_GENERAL)
        return {}, {}
    values: Labelled = located.general_values
    texts = {k: _text(cur, v, sheet, cell) for k, (v, cell) in values.items()}
    return texts, {k: cell for k, (_, cell) in values.items()}


def check_workbook(cur: Cursor, agency: str, year: int, plan: Plan,
                   assigned: list[Assignment]) -> Submission:
    """Every check of one identified workbook; findings accumulate in `cur`."""
    located = locate(cur.book, plan.terms.item)
    for wanted, actual in located.renamed:
        cur.add("sheet-renamed", sheet=actual, value=actual, expected=wanted)
    info, report_date = check_info(cur, located)
    report = check_report(cur, located, plan, assigned)
    others = report.others + check_other(cur, located)
    general, general_cells = check_general(cur, located)
    filled = any(r.status or r.result or any(v is not None for v in vars(r.figures).values()) for r in report.rows)
    if report.readable and not (filled or others or any(general.values())):
        cur.add("empty-submission")  # only when "Báo cáo" was read: a missing sheet is said once, as itself
    return Submission(agency, year, tuple(sorted(info.items())), report_date,
                      tuple(report.rows), tuple(others), tuple(general.items()), tuple(general_cells.items()))

