"""Where each expected agency stands for the year: on time, late, rejected, unreadable, or nothing received."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.check.select import FileOutcome
from pipeline.model.submission import FileResult
from pipeline.model.vocab import AgencyState


@dataclass(frozen=True)
class AgencyStatus:
    """Where one expected agency stands: sent on time, late, or not at all."""

    agency: str
    state: AgencyState
    file: str = ""
    received: dt.date | None = None


def received_on(result: FileResult) -> dt.date | None:
    """When it was sent: the e-mail's date, else the report date written in it, else the file time."""
    if result.email_date is not None:
        return result.email_date.date()
    if result.report_date is not None:
        return result.report_date
    return result.mtime.date() if result.mtime is not None else None


def agency_status(expected: list[str], files: list[FileResult], outcomes: list[FileOutcome],
                  deadline: dt.date) -> list[AgencyStatus]:
    """On time, late, missing, rejected or unreadable, for every expected agency (each counted once)."""
    by_path = {f.path: f for f in files}
    per_agency: dict[str, list[FileOutcome]] = {}
    for o in outcomes:
        if o.agency is not None:
            per_agency.setdefault(o.agency, []).append(o)
    out = []
    for code in expected:
        mine = per_agency.get(code, [])
        counted = [o for o in mine if o.outcome.merged]
        if counted:
            result = by_path[counted[0].path]
            received = received_on(result)
            state = AgencyState.LATE if received is not None and received > deadline else AgencyState.ON_TIME
            out.append(AgencyStatus(code, state, result.path, received))
        elif mine:
            # every file it sent was refused before it could be read: ask for a file that opens
            unreadable = all(not by_path[o.path].readable for o in mine)
            state = AgencyState.UNREADABLE if unreadable else AgencyState.REJECTED
            out.append(AgencyStatus(code, state, mine[0].path, received_on(by_path[mine[0].path])))
        else:
            out.append(AgencyStatus(code, AgencyState.MISSING))
    return out
