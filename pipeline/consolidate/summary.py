"""From the merged rows to the tables the report speaks of: per activity, per agency, and every count once.

One definition per count, used by the Word report, the summary workbook and the period review
alike (`participation` below): an agency *assigned* an activity has it in its workbook; it
*reported* it when its counted file gives the row a status; it *implemented* it when that status
is "Đang thực hiện" or "Đã hoàn thành"; "Không phát sinh" is *not arising*, "Chưa thực hiện" *not
started*. Over a period an agency counts once per activity, by the furthest it got in any year, so
no ratio can pass 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.check.result import CheckResult
from pipeline.check.status import AgencyStatus
from pipeline.consolidate.merge import FIGURES, Merged, merge
from pipeline.model.findings import Finding
from pipeline.model.vocab import AgencyState, Role, Status
from pipeline.workspace.load import Workspace

if TYPE_CHECKING:
    import pandas as pd

STATUS_ORDER = (Status.DONE, Status.IN_PROGRESS, Status.NOT_STARTED, Status.NOT_REPORTED)
COUNT_KEYS = ("assigned", "reported", "implemented", "not_arising", "not_started")
ROLE_PREFIX = {Role.LEAD: "lead", Role.PARTNER: "partner", Role.LOCAL: "local"}
# How far an agency got with an activity; over a period the furthest year counts.
_RANK = {Status.NOT_APPLICABLE: 1, Status.NOT_STARTED: 2, Status.IN_PROGRESS: 3, Status.DONE: 4}


@dataclass(frozen=True)
class YearSummary:
    """One year's consolidated tables, or a period's (then `per_year` holds each year's)."""

    year: int  # the (last) year
    activities: pd.DataFrame  # one row per activity running in the year (in any year of a period)
    agencies: pd.DataFrame  # one row per expected agency
    merged: Merged
    reporting: tuple[AgencyStatus, ...]  # where each expected agency stands (the last year's, for a period)
    findings: tuple[Finding, ...]  # every finding of the check, the officer's decisions included
    participation: pd.DataFrame  # one row per (year, activity, agency) assignment with the status it reported
    years: tuple[int, ...] = ()  # the years with data it covers
    period: tuple[int, int] | None = None
    per_year: tuple[YearSummary, ...] = field(default=())

    @property
    def label(self) -> str:
        """'năm 2015' or 'giai đoạn 2014-2020'."""
        return f"giai đoạn {self.period[0]}-{self.period[1]}" if self.period else f"năm {self.year}"

    @property
    def data_label(self) -> str:
        """'năm 2015', or for a period the years it has data of: 'các năm 2014-2016', 'các năm 2014, 2016'."""
        years = list(self.years) or [self.year]
        if len(years) == 1:
            return f"năm {years[0]}"
        if years == list(range(years[0], years[-1] + 1)):
            return f"các năm {years[0]}-{years[-1]}"
        return "các năm " + ", ".join(str(y) for y in years)

    def overall(self) -> dict[str, int]:
        """Distinct agencies over every activity: assigned, reported and implemented at least one."""
        return overall_counts(self.participation)

    def totals(self) -> dict[str, float]:
        """Figures of the plan's activities: what page 1 states and `report --json` prints."""
        acts = self.activities
        return {k: clean(float(acts[k].sum())) if len(acts) else 0.0 for k in FIGURES}

    def status_counts(self) -> dict[Status, int]:
        """How many activities stand at each status (as the report quotes it)."""
        acts = self.activities
        return {s: int((acts["status"] == s).sum()) if len(acts) else 0 for s in Status}


def clean(value: float) -> float:
    """A sum without float noise (8016.700000000002 -> 8016.7); agencies' own decimals are kept."""
    return round(value, 6)


def _rank(status: Any) -> int:
    return _RANK.get(Status(status), 0) if isinstance(status, str) and status else 0


def count_by(part: pd.DataFrame, key: str) -> dict[str, dict[str, int]]:
    """Per `key` (e.g. activity_id), for each role: agencies assigned / reported / implemented / not arising / not started.

    Plain Python over the records: a few hundred assignments, where pandas' per-call overhead costs 50x more.
    """
    best: dict[tuple[str, str, str], int] = {}
    for k, role, agency, status in part[[key, "role", "agency", "status"]].itertuples(index=False, name=None):
        at = (str(k), str(role), str(agency))
        best[at] = max(best.get(at, 0), _rank(status))
    out: dict[str, dict[str, int]] = {}
    for (k, role, _), rank in best.items():
        row = out.setdefault(k, {f"{p}_{c}": 0 for p in ROLE_PREFIX.values() for c in COUNT_KEYS})
        prefix = ROLE_PREFIX[Role(role)]
        row[f"{prefix}_assigned"] += 1
        row[f"{prefix}_reported"] += rank > 0
        row[f"{prefix}_implemented"] += rank >= 3
        row[f"{prefix}_not_arising"] += rank == 1
        row[f"{prefix}_not_started"] += rank == 2
    return out


def overall_counts(part: pd.DataFrame) -> dict[str, int]:
    """Distinct agencies: assigned anything, reported anything, implemented anything."""
    best: dict[str, int] = {}
    for agency, status in part[["agency", "status"]].itertuples(index=False, name=None):
        best[str(agency)] = max(best.get(str(agency), 0), _rank(status))
    return {"assigned": len(best), "reported": sum(1 for r in best.values() if r > 0),
            "implemented": sum(1 for r in best.values() if r >= 3)}


def _participation(ws: Workspace, year: int, rows: pd.DataFrame) -> pd.DataFrame:
    """Every assignment of `year` with the status the agency's counted file gives it (None: not reported)."""
    import pandas as pd

    status = {(a, i): s for a, i, s in rows[["agency", "activity_id", "status"]].itertuples(index=False, name=None)
              if isinstance(s, str) and s}
    records = [{"year": year, "activity_id": a.activity.id, "agency": a.agency, "role": str(a.role),
                "status": status.get((a.agency, a.activity.id))} for a in ws.assignments(year)]
    return pd.DataFrame.from_records(records, columns=["year", "activity_id", "agency", "role", "status"])


def _statuses(ws: Workspace, ids: list[str], part: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """(status, source) per activity: the first real lead's status; when the only lead is a whole level, the
    local units' (all done: done; any implementing: in progress; all not started: not started)."""
    reported: dict[str, list[tuple[str, str, Status]]] = {}
    for aid, agency, role, status in part[["activity_id", "agency", "role", "status"]].itertuples(index=False,
                                                                                                  name=None):
        if isinstance(status, str) and status:
            reported.setdefault(str(aid), []).append((str(agency), str(role), Status(status)))
    out = {}
    for activity_id in ids:
        activity = ws.plan.activity(activity_id)
        mine = reported.get(activity_id, [])
        leads = [c for c in activity.leads if not ws.registry.get(c).covers]
        if leads:
            got = [s for a, r, s in mine if a == leads[0] and r == Role.LEAD and s != Status.NOT_APPLICABLE]
            out[activity_id] = (str(got[-1]) if got else str(Status.NOT_REPORTED)), "lead"
            continue
        local = [s for _, r, s in mine if r == Role.LOCAL]
        told = [s for s in local if s != Status.NOT_APPLICABLE]
        if not local:
            status = Status.NOT_REPORTED
        elif not told:
            status = Status.NOT_APPLICABLE
        elif all(s == Status.DONE for s in told):
            status = Status.DONE
        elif any(s.implemented for s in told):
            status = Status.IN_PROGRESS
        else:
            status = Status.NOT_STARTED
        out[activity_id] = str(status), "local"
    return out


def _sums(frame: pd.DataFrame, key: str) -> dict[str, dict[str, float]]:
    """Figures summed per `key` (blank cells count as nothing)."""
    out: dict[str, dict[str, float]] = {}
    for k, *values in frame[[key, *FIGURES]].itertuples(index=False, name=None):
        mine = out.setdefault(str(k), dict.fromkeys(FIGURES, 0.0))
        for name, v in zip(FIGURES, values):
            if isinstance(v, (int, float)) and v == v:
                mine[name] += float(v)
    return out


def _activity_frame(ws: Workspace, ids: list[str], part: pd.DataFrame, rows: pd.DataFrame,
                    states: dict[str, str], status_of: dict[str, tuple[str, str, int]]) -> pd.DataFrame:
    import pandas as pd

    sums = _sums(rows, "activity_id")
    table = count_by(part, "activity_id")
    empty: dict[str, int] = {f"{p}_{k}": 0 for p in ROLE_PREFIX.values() for k in COUNT_KEYS}
    records = []
    for activity_id in ids:
        activity = ws.plan.activity(activity_id)
        lead = next((c for c in activity.leads if not ws.registry.get(c).covers), activity.lead)
        status, source, status_year = status_of[activity_id]
        figures = {k: clean(float(sums.get(activity_id, {}).get(k, 0.0))) for k in FIGURES}
        records.append({
            "activity_id": activity_id, "recommendations": activity.numbers_label, "group": activity.group,
            "content": activity.content, "lead": lead, "lead_name": ws.registry.get(lead).short_name,
            "status": status, "status_source": source, "status_year": status_year,
            "lead_state": states.get(lead, "") if source == "lead" else "",
            **empty, **table.get(activity_id, {}),
            **figures, "money_total": clean(figures["money_state"] + figures["money_other"]),
        })
    return pd.DataFrame.from_records(records)


def summarise(ws: Workspace, check: CheckResult) -> YearSummary:
    """Per activity: the status quoted, who was assigned, reported, implemented, summed figures; per agency the same."""
    import pandas as pd

    year = check.year
    merged = merge(check.each_counted(), ws.plan)
    rows = merged.rows
    part = _participation(ws, year, rows)
    states = {a.agency: str(a.state) for a in check.agencies}
    ids = [a.id for a in ws.plan.active(year)]
    status_of = {i: (status, source, year) for i, (status, source) in _statuses(ws, ids, part).items()}
    activities = _activity_frame(ws, ids, part, rows, states, status_of)

    by_path = {f.path: f for f in check.files}
    per_agency: dict[str, dict[str, int]] = {}
    for agency, status in part[["agency", "status"]].itertuples(index=False, name=None):
        rank = _rank(status)
        mine = per_agency.setdefault(str(agency), {"assigned": 0, "reported": 0, "implemented": 0, "done": 0})
        mine["assigned"] += 1
        mine["reported"] += rank > 0
        mine["implemented"] += rank >= 3
        mine["done"] += rank == 4
    sums = _sums(rows, "agency")
    other_sums = _sums(merged.others, "agency")
    agency_records = []
    for status in check.agencies:
        agency = ws.registry.get(status.agency)
        counted = per_agency.get(status.agency, {})
        result = by_path.get(status.file)
        figures = sums.get(status.agency, {})
        others = other_sums.get(status.agency, {})
        agency_records.append({
            "agency": agency.code, "name": agency.name, "short_name": agency.short_name, "kind": agency.kind,
            "state": str(status.state), "received": status.received, "file": status.file,
            "assigned": int(counted.get("assigned", 0)), "reported": int(counted.get("reported", 0)),
            "implemented": int(counted.get("implemented", 0)), "done": int(counted.get("done", 0)),
            "errors": len(result.errors) if result else 0, "warnings": len(result.warnings) if result else 0,
            **{k: clean(float(figures.get(k, 0.0))) for k in FIGURES},
            "other_money": clean(float(others.get("money_state", 0.0)) + float(others.get("money_other", 0.0))),
        })
    return YearSummary(year, activities, pd.DataFrame.from_records(agency_records), merged, tuple(check.agencies),
                       tuple(check.findings()), part, (year,))


def combine(ws: Workspace, summaries: list[YearSummary], period: tuple[int, int]) -> YearSummary:
    """A period as one summary: figures summed over the years with data, each agency counted once per activity
    (by the furthest it got), each activity's status the one of the latest year that reported it."""
    import pandas as pd

    last = summaries[-1]
    part = pd.concat([s.participation for s in summaries], ignore_index=True)
    merged = Merged(*(pd.concat([getattr(s.merged, name) for s in summaries], ignore_index=True)
                      for name in ("rows", "others", "general")))
    ids = [a.id for a in ws.plan.activities if any(a.active(s.year) for s in summaries)]
    status_of: dict[str, tuple[str, str, int]] = {}
    for activity_id in ids:
        found = (str(Status.NOT_REPORTED), "lead", last.year)
        for s in summaries:
            acts = s.activities
            row = acts[acts["activity_id"] == activity_id]
            if len(row) and row.iloc[0]["status"] != Status.NOT_REPORTED:
                found = (str(row.iloc[0]["status"]), str(row.iloc[0]["status_source"]), s.year)
        status_of[activity_id] = found
    states = {a.agency: str(a.state) for a in last.reporting}
    activities = _activity_frame(ws, ids, part, merged.rows, states, status_of)

    frames = [s.agencies.assign(year=s.year) for s in summaries]
    every = pd.concat(frames, ignore_index=True)
    keep = ["agency", "name", "short_name", "kind"]
    numbers = ["assigned", "reported", "implemented", "done", "errors", "warnings", *FIGURES, "other_money"]
    agencies = every.groupby(keep, sort=False)[numbers].sum().reset_index()
    latest = every.sort_values("year").drop_duplicates("agency", keep="last").set_index("agency")
    agencies["state"] = agencies["agency"].map(latest["state"])
    agencies["received"] = agencies["agency"].map(latest["received"])
    agencies["file"] = agencies["agency"].map(latest["file"])
    received = every.assign(got=every["state"].map(lambda v: AgencyState(v).received))
    agencies["years_reported"] = agencies["agency"].map(received.groupby("agency")["got"].sum()).fillna(0).astype(int)
    agencies["years_expected"] = agencies["agency"].map(every.groupby("agency").size()).fillna(0).astype(int)
    for k in FIGURES:
        agencies[k] = agencies[k].map(clean)
    return YearSummary(last.year, activities, agencies, merged, last.reporting,
                       tuple(f for s in summaries for f in s.findings), part, tuple(s.year for s in summaries),
                       period, tuple(summaries))
