"""What the pages show, computed from a check result: plain data for the templates, no HTML here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.check.result import CheckResult
from pipeline.intake.unpack import SEP
from pipeline.model.agencies import KINDS
from pipeline.model.findings import Finding
from pipeline.model.numbers import vn_number
from pipeline.model.submission import FileResult
from pipeline.model.text import fold
from pipeline.model.vocab import AgencyState, Outcome, Severity
from pipeline.workspace.decisions import Override
from pipeline.workspace.load import Workspace

# Worst first: what the officer has to act on comes to the top when sorting by state.
_STATE_RANK = {AgencyState.REJECTED: 0, AgencyState.UNREADABLE: 1, AgencyState.MISSING: 2, AgencyState.LATE: 3,
               AgencyState.ON_TIME: 4}
TONES = {AgencyState.ON_TIME: "ok", AgencyState.LATE: "late", AgencyState.MISSING: "missing",
         AgencyState.REJECTED: "bad", AgencyState.UNREADABLE: "bad"}
OUTCOME_TONES = {Outcome.ACCEPTED: "ok", Outcome.ACCEPTED_WITH_WARNINGS: "warn", Outcome.REJECTED: "bad",
                 Outcome.SUPERSEDED: "muted", Outcome.DUPLICATE: "muted", Outcome.NOT_A_SPREADSHEET: "bad"}
FILTERS = {
    "": "Tất cả đơn vị",
    "chua-xong": "Chưa xong (chưa gửi, bị từ chối, không đọc được)",
    "dung-han": AgencyState.ON_TIME.label,
    "muon": AgencyState.LATE.label,
    "chua-gui": AgencyState.MISSING.label,
    "tu-choi": "Bị từ chối hoặc không đọc được",
    "canh-bao": "Có cảnh báo",
}
SORTS = {"": "Thứ tự danh mục", "ten": "Tên đơn vị", "tinh-trang": "Tình trạng", "ngay": "Ngày nhận",
         "loi": "Số lỗi", "canh-bao": "Số cảnh báo"}


@dataclass(frozen=True)
class Row:
    """One expected agency on the board."""

    order: int
    code: str
    name: str
    kind: str
    state: AgencyState
    warned: bool  # its counted file has warnings
    file: str
    received: dt.date | None
    late_days: int
    errors: int  # in its files still refused (not the superseded ones, not those the officer excluded)
    warnings: int  # in its counted file
    files: int
    excluded: int

    @property
    def tone(self) -> str:
        return TONES[self.state]

    @property
    def state_label(self) -> str:
        return self.state.label


@dataclass(frozen=True)
class Totals:
    """The line at the top of the board."""

    expected: int
    received: int
    on_time: int
    late: int
    missing: int
    refused: int  # rejected or unreadable
    warned: int
    files: int
    deadline: dt.date
    days_left: int

    @property
    def deadline_text(self) -> str:
        if self.days_left > 0:
            return f"còn {vn_number(self.days_left)} ngày"
        if self.days_left == 0:
            return "hạn là hôm nay"
        if self.days_left < -30:  # a past year: the count of days says nothing more
            return "đã qua hạn"
        return f"đã qua hạn {vn_number(-self.days_left)} ngày"


@dataclass(frozen=True)
class FileView:
    """One file of an agency, with what the officer may decide about it."""

    path: str
    kind: str
    outcome: Outcome
    note: str
    received: dt.date | None
    errors: int
    warnings: int
    decision: Override | None
    can_exclude: bool
    can_choose: bool
    inbox_rel: str  # the inbox file it came in, relative to the workspace ("" if gone)

    @property
    def tone(self) -> str:
        return OUTCOME_TONES[self.outcome]

    @property
    def name(self) -> str:
        return self.path.split(SEP)[-1]


@dataclass(frozen=True)
class FindingView:
    """One row of the findings table."""

    file: str
    sheet: str
    cell: str
    activity: str
    activity_text: str
    severity: Severity
    message: str
    code: str


@dataclass(frozen=True)
class Download:
    """A file the officer can download: its label, path relative to the workspace, time and size."""

    label: str
    rel: str
    name: str
    modified: dt.datetime
    size: int

    @property
    def size_text(self) -> str:
        return f"{vn_number(self.size / 1024, 0)} KB" if self.size >= 1024 else f"{self.size} byte"


def _by_agency(result: CheckResult) -> dict[str | None, list[tuple[FileResult, Outcome, str]]]:
    files = {f.path: f for f in result.files}
    out: dict[str | None, list[tuple[FileResult, Outcome, str]]] = {}
    for o in result.outcomes:
        out.setdefault(o.agency, []).append((files[o.path], o.outcome, o.note))
    return out


def _excluded(result: CheckResult) -> set[str]:
    return {f.file for f in result.overrides if f.code == "excluded-by-officer"}


def received_on(f: FileResult) -> dt.date | None:
    """When it was sent, as the check dates it (the e-mail, else the report date, else the file time)."""
    if f.email_date is not None:
        return f.email_date.date()
    if f.report_date is not None:
        return f.report_date
    return f.mtime.date() if f.mtime is not None else None


def board_rows(ws: Workspace, result: CheckResult) -> list[Row]:
    """Every agency expected this year, in registry order, with where it stands."""
    mine = _by_agency(result)
    excluded = _excluded(result)
    rows = []
    for i, status in enumerate(result.agencies, start=1):
        agency = ws.registry.get(status.agency)
        files = mine.get(status.agency, [])
        errors = sum(len(f.errors) for f, outcome, _ in files if outcome == Outcome.REJECTED and f.path not in excluded)
        counted = [(f, o) for f, o, _ in files if o.merged]
        warnings = len(counted[0][0].warnings) if counted else 0
        late = (status.received - result.deadline).days if status.received and status.state == AgencyState.LATE \
            else 0
        rows.append(Row(i, agency.code, agency.name, KINDS.get(agency.kind, agency.kind), status.state,
                        bool(counted) and counted[0][1] == Outcome.ACCEPTED_WITH_WARNINGS, status.file,
                        status.received, late, errors, warnings, len(files),
                        sum(1 for f, _, _ in files if f.path in excluded)))
    return rows


def totals(rows: list[Row], result: CheckResult, today: dt.date) -> Totals:
    """Counts over the board's rows (all of them, whatever the filter)."""
    def n(*states: AgencyState) -> int:
        return sum(1 for r in rows if r.state in states)

    return Totals(len(rows), n(AgencyState.ON_TIME, AgencyState.LATE), n(AgencyState.ON_TIME), n(AgencyState.LATE),
                  n(AgencyState.MISSING), n(AgencyState.REJECTED, AgencyState.UNREADABLE),
                  sum(1 for r in rows if r.warned), len(result.outcomes), result.deadline,
                  (result.deadline - today).days)


def select_rows(rows: list[Row], state: str = "", query: str = "", sort: str = "", descending: bool = False
                ) -> list[Row]:
    """The rows the filter keeps, in the order asked for."""
    keep: Callable[[Row], bool] = {
        "": lambda r: True,
        "chua-xong": lambda r: not r.state.received,
        "dung-han": lambda r: r.state == AgencyState.ON_TIME,
        "muon": lambda r: r.state == AgencyState.LATE,
        "chua-gui": lambda r: r.state == AgencyState.MISSING,
        "tu-choi": lambda r: r.state in (AgencyState.REJECTED, AgencyState.UNREADABLE),
        "canh-bao": lambda r: r.warned,
    }.get(state, lambda r: True)
    wanted = fold(query) if query.strip() else ""
    out = [r for r in rows if keep(r) and (not wanted or wanted in fold(r.name) or wanted in fold(r.code))]
    key: Callable[[Row], tuple[Any, ...]] = {
        "ten": lambda r: (fold(r.name), r.order),
        "tinh-trang": lambda r: (_STATE_RANK[r.state], not r.warned, r.order),
        "ngay": lambda r: (r.received is None, r.received or dt.date.min, r.order),
        "loi": lambda r: (-r.errors, r.order),
        "canh-bao": lambda r: (-r.warnings, r.order),
    }.get(sort, lambda r: (r.order,))
    out.sort(key=key, reverse=descending)
    return out


def agency_files(ws: Workspace, result: CheckResult, code: str | None, decisions: list[Override],
                 others: bool = False) -> list[FileView]:
    """The files of agency `code` (or, with `others`, the files of no expected agency), with the officer's options."""
    by_agency = _by_agency(result)
    if others:
        expected = {a.agency for a in result.agencies}
        files = [x for key, items in by_agency.items() if key not in expected for x in items]
    else:
        files = by_agency.get(code, [])
    decided = {d.file: d for d in decisions}
    inbox = ws.settings.inbox(result.year)
    out = []
    for f, outcome, note in files:
        top = inbox / f.path.split(SEP)[0]
        decision = decided.get(f.path)
        spreadsheet = outcome != Outcome.NOT_A_SPREADSHEET
        out.append(FileView(f.path, f.kind, outcome, note, received_on(f), len(f.errors), len(f.warnings), decision,
                            spreadsheet and decision is None,
                            decision is None and f.agency is not None and f.status != Outcome.REJECTED
                            and outcome in (Outcome.SUPERSEDED, Outcome.DUPLICATE),
                            ws.settings.display(top) if top.is_file() else ""))
    return out


def _cell_key(cell: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    if not match:
        return (0, 0)
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return (int(match.group(2)), col)


def findings_of(ws: Workspace, result: CheckResult, files: list[FileView]) -> list[FindingView]:
    """The findings of these files and the officer's decisions on them: errors first, then by sheet and cell."""
    paths = {f.path: i for i, f in enumerate(files)}
    found: list[Finding] = [x for r in result.files if r.path in paths for x in r.findings]
    found += [x for x in result.overrides if x.file in paths]
    found.sort(key=lambda x: (paths[x.file], x.severity != Severity.ERROR, x.sheet, _cell_key(x.cell)))
    out = []
    for x in found:
        try:
            text = ws.plan.activity(x.activity_id).content if x.activity_id else ""
        except KeyError:
            text = ""
        out.append(FindingView(x.file, x.sheet, x.cell, x.activity_id, text[:160] + ("…" if len(text) > 160 else ""),
                               x.severity, x.message_vi, x.code))
    return out


def _owned(name: str, code: str, codes: set[str]) -> bool:
    """A file named CODE_… of this agency, not of another whose code begins with CODE_."""
    if not name.startswith(code + "_"):
        return False
    return not any(other != code and other.startswith(code + "_") and name.startswith(other + "_") for other in codes)


def agency_downloads(ws: Workspace, year: int, code: str) -> list[Download]:
    """What the outbox holds for this agency: feedback copies and drafts of the check, its blank workbook and letter."""
    codes = {a.code for a in ws.registry}
    folder = ws.settings.outbox(year)
    places = (("kiem-tra/phan-hoi", "Bản phản hồi (ô cần sửa được tô màu)"), ("kiem-tra/thu", "Thư nháp"),
              ("mau", "Biểu mẫu trống"), ("thu", "Thư gửi biểu mẫu"))
    out = []
    for sub, label in places:
        where = folder / sub
        if not where.is_dir():
            continue
        for path in sorted(where.iterdir()):
            if path.is_file() and not path.name.startswith(".") and _owned(path.name, code, codes):
                out.append(_download(ws, label_for(path.name, label), path))
    return out


def label_for(name: str, label: str) -> str:
    """A draft's label says what it asks: feedback, a reminder, or to send again."""
    for part, what in (("_phan-hoi_", "Thư nháp phản hồi"), ("_nhac-nop_", "Thư nháp nhắc nộp"),
                       ("_gui-lai_", "Thư nháp đề nghị gửi lại")):
        if part in name and label == "Thư nháp":
            return what
    return label


def _download(ws: Workspace, label: str, path: Path) -> Download:
    st = path.stat()
    return Download(label, ws.settings.display(path), path.name, dt.datetime.fromtimestamp(st.st_mtime), st.st_size)


def year_downloads(ws: Workspace, year: int) -> list[Download]:
    """The year's outputs that exist: the check workbook, the summary workbook, the Word report."""
    folder = ws.settings.outbox(year)
    out = []
    for rel, label in ((f"kiem-tra/kiem-tra-{year}.xlsx", "Tệp kiểm tra"),
                       (f"tong-hop-{year}.xlsx", "Bảng tổng hợp"),
                       (f"bao-cao-{year}.docx", "Dự thảo báo cáo Word")):
        path = folder / rel
        if path.is_file():
            out.append(_download(ws, label, path))
    return out


def forms_made(ws: Workspace, year: int) -> int:
    """How many blank workbooks `generate` left in the outbox for the year."""
    folder = ws.settings.outbox(year) / "mau"
    return sum(1 for p in folder.glob("*.xlsx")) if folder.is_dir() else 0
