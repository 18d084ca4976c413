"""What one returned workbook says, once read and checked: plain frozen data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.model.findings import Finding
from pipeline.model.vocab import Outcome, Role, Severity, Status

Number = int | float | None


@dataclass(frozen=True)
class Figures:
    """The numeric inputs of one row."""

    events: Number = None
    people: Number = None
    money_state: Number = None
    money_other: Number = None


@dataclass(frozen=True)
class RowRecord:
    """One activity row of the sheet "Báo cáo", normalised."""

    activity_id: str
    role: Role
    status: Status | None
    result: str
    figures: Figures
    difficulties: str
    proposals: str
    evidence: str
    sheet: str
    row: int
    cells: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OtherRecord:
    """One row of work beyond the plan ("Hoạt động khác", or an unknown row of "Báo cáo")."""

    content: str
    recommendations: str
    status: Status | None
    result: str
    figures: Figures
    note: str
    sheet: str
    row: int
    cells: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Submission:
    """An agency's return for a year, as read from one file."""

    agency: str
    year: int
    info: tuple[tuple[str, str], ...]
    report_date: dt.date | None
    rows: tuple[RowRecord, ...]
    others: tuple[OtherRecord, ...]
    general: tuple[tuple[str, str], ...]
    general_cells: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FileResult:
    """The check of one file found in the inbox, before choosing among an agency's files."""

    path: str
    kind: str
    status: Outcome
    findings: tuple[Finding, ...]
    agency: str | None = None
    year: int | None = None
    report_date: dt.date | None = None
    email_date: dt.datetime | None = None
    mtime: dt.datetime | None = None
    content_hash: str = ""  # of the values read: the same report saved twice, in any format, has one
    submission: Submission | None = None
    digest: str = ""  # SHA-256 of the file's bytes: the same file, not changed since it was checked
    readable: bool = False  # a submission was read from it (kept in the store when not held here)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != Severity.ERROR]
