"""Choosing among an agency's files: duplicates, superseded versions, and the officer's overrides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.model.findings import Finding, finding
from pipeline.model.submission import FileResult
from pipeline.model.vocab import Outcome
from pipeline.workspace.decisions import DECISIONS_FILE, Override


@dataclass(frozen=True)
class FileOutcome:
    """The final outcome of one file, and why."""

    path: str
    outcome: Outcome
    agency: str | None
    note: str = ""


def _recency(result: FileResult) -> tuple[dt.date, dt.datetime, dt.datetime, str]:
    """The latest version wins: report date in the workbook, then e-mail date, then file time."""
    low = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)
    return (result.report_date or dt.date(1900, 1, 1), _aware(result.email_date) or low,
            _aware(result.mtime) or low, result.path)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def select(results: list[FileResult], overrides: list[Override]) -> tuple[list[FileOutcome], list[Finding]]:
    """One outcome per file; the extra findings record the officer's overrides.

    Per agency the latest usable file counts (or the one the officer chose); older files are
    superseded, or duplicates when their content is the same. A rejected file older than the
    one that counts was corrected since, so it is superseded too; a rejected file newer than it
    stays rejected, for the officer to see.
    """
    extra: list[Finding] = []
    excluded = {o.file: o for o in overrides if o.action == "exclude"}
    chosen = {o.file: o for o in overrides if o.action == "choose"}
    paths = {r.path for r in results}
    for o in overrides:
        if o.file not in paths:
            extra.append(finding("decision-unmatched", DECISIONS_FILE, value=o.file))
    outcome: dict[str, FileOutcome] = {}
    per_agency: dict[str, list[FileResult]] = {}
    for r in results:
        if r.status == Outcome.NOT_A_SPREADSHEET:
            outcome[r.path] = FileOutcome(r.path, Outcome.NOT_A_SPREADSHEET, r.agency)
        elif r.path in excluded:
            extra.append(finding("excluded-by-officer", r.path, detail=excluded[r.path].reason))
            outcome[r.path] = FileOutcome(r.path, Outcome.REJECTED, r.agency, f"Loại theo quyết định: {excluded[r.path].reason}")
        elif r.agency is None:
            outcome[r.path] = FileOutcome(r.path, Outcome.REJECTED, r.agency)
        else:
            per_agency.setdefault(r.agency, []).append(r)
    for agency, files in per_agency.items():
        files.sort(key=_recency)
        usable = [f for f in files if f.status != Outcome.REJECTED]
        # the officer's choice wins among usable files; a chosen file with errors cannot be merged
        pick = next((f for f in usable if f.path in chosen), usable[-1] if usable else None)
        for f in files:
            if f.path in chosen and f.status == Outcome.REJECTED:
                extra.append(finding("chosen-has-errors", f.path, detail=chosen[f.path].reason))
        if pick is None:
            for f in files:
                outcome[f.path] = FileOutcome(f.path, Outcome.REJECTED, agency)
            continue
        if pick.path in chosen:
            extra.append(finding("chosen-by-officer", pick.path, detail=chosen[pick.path].reason))
            note = f"Chọn theo quyết định: {chosen[pick.path].reason}"
        else:
            note = ""
        outcome[pick.path] = FileOutcome(pick.path, pick.status, agency, note)
        newer = False
        for f in files:
            if f is pick:
                newer = True
                continue
            if f.status == Outcome.REJECTED and newer and pick.path not in chosen:
                outcome[f.path] = FileOutcome(f.path, Outcome.REJECTED, agency, f"Bản đang dùng: {pick.path}")
            elif f.content_hash and f.content_hash == pick.content_hash:
                outcome[f.path] = FileOutcome(f.path, Outcome.DUPLICATE, agency, f"Trùng nội dung với {pick.path}")
            else:
                outcome[f.path] = FileOutcome(f.path, Outcome.SUPERSEDED, agency, f"Bản được dùng: {pick.path}")
    return [outcome[r.path] for r in results], extra
