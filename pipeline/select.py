"""Choosing among an agency's files: duplicates, superseded versions, and the officer's overrides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.files import read_toml
from pipeline.findings import (ACCEPTED, ACCEPTED_WITH_WARNINGS, DUPLICATE, NOT_A_SPREADSHEET, REJECTED, SUPERSEDED,
                               Finding, finding)
from pipeline.submission import FileResult
from pipeline.text import nfc

DECISIONS_FILE = "decisions.toml"


@dataclass(frozen=True)
class Override:
    """One decision of the officer: exclude a file, or choose it over the agency's other files."""

    action: str  # "exclude" | "choose"
    year: int
    file: str
    reason: str


@dataclass(frozen=True)
class Outcome:
    """The final outcome of one file, and why."""

    path: str
    outcome: str
    agency: str | None
    note: str = ""


def load_decisions(root: Path, year: int) -> list[Override]:
    """The officer's overrides for `year` from decisions.toml (none if the file is absent)."""
    path = root / DECISIONS_FILE
    if not path.is_file():
        return []
    data = read_toml(path)
    out = []
    for action in ("exclude", "choose"):
        for i, item in enumerate(data.get(action, []), start=1):
            if not isinstance(item, dict) or not {"year", "file", "reason"} <= set(item):
                raise ConfigError(f"mục [[{action}]] thứ {i} cần đủ year, file, reason", path)
            if not str(item["reason"]).strip():
                raise ConfigError(f"mục [[{action}]] thứ {i}: cần ghi lý do (reason)", path)
            # paths as the check report shows them; accept Windows backslashes too
            file = nfc(str(item["file"])).replace("\\", "/").strip()
            out.append(Override(action, int(item["year"]), file, nfc(str(item["reason"]))))
    return [o for o in out if o.year == year]


def _recency(result: FileResult) -> tuple[dt.date, dt.datetime, dt.datetime, str]:
    """The latest version wins: report date in the workbook, then e-mail date, then file time."""
    low = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)
    return (result.report_date or dt.date(1900, 1, 1), _aware(result.email_date) or low,
            _aware(result.mtime) or low, result.path)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def select(results: list[FileResult], overrides: list[Override]) -> tuple[list[Outcome], list[Finding]]:
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
    outcome: dict[str, Outcome] = {}
    per_agency: dict[str, list[FileResult]] = {}
    for r in results:
        if r.status == NOT_A_SPREADSHEET:
            outcome[r.path] = Outcome(r.path, NOT_A_SPREADSHEET, r.agency)
        elif r.path in excluded:
            extra.append(finding("excluded-by-officer", r.path, detail=excluded[r.path].reason))
            outcome[r.path] = Outcome(r.path, REJECTED, r.agency, f"Loại theo quyết định: {excluded[r.path].reason}")
        elif r.agency is None:
            outcome[r.path] = Outcome(r.path, REJECTED, r.agency)
        else:
            per_agency.setdefault(r.agency, []).append(r)
    for agency, files in per_agency.items():
        files.sort(key=_recency)
        usable = [f for f in files if f.status != REJECTED]
        # the officer's choice wins among usable files; a chosen file with errors cannot be merged
        pick = next((f for f in usable if f.path in chosen), usable[-1] if usable else None)
        for f in files:
            if f.path in chosen and f.status == REJECTED:
                extra.append(finding("chosen-has-errors", f.path, detail=chosen[f.path].reason))
        if pick is None:
            for f in files:
                outcome[f.path] = Outcome(f.path, REJECTED, agency)
            continue
        if pick.path in chosen:
            extra.append(finding("chosen-by-officer", pick.path, detail=chosen[pick.path].reason))
            note = f"Chọn theo quyết định: {chosen[pick.path].reason}"
        else:
            note = ""
        outcome[pick.path] = Outcome(pick.path, REJECTED if pick.status == REJECTED else pick.status, agency, note)
        newer = False
        for f in files:
            if f is pick:
                newer = True
                continue
            if f.status == REJECTED and newer and pick.path not in chosen:
                outcome[f.path] = Outcome(f.path, REJECTED, agency, f"Bản đang dùng: {pick.path}")
            elif f.content_hash and f.content_hash == pick.content_hash:
                outcome[f.path] = Outcome(f.path, DUPLICATE, agency, f"Trùng nội dung với {pick.path}")
            else:
                outcome[f.path] = Outcome(f.path, SUPERSEDED, agency, f"Bản được dùng: {pick.path}")
    return [outcome[r.path] for r in results], extra


__all__ = ["ACCEPTED", "ACCEPTED_WITH_WARNINGS", "DECISIONS_FILE", "Outcome", "Override", "load_decisions", "select"]
