"""From the merged rows to the tables the report speaks of: per activity and per agency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.check.result import CheckResult
from pipeline.check.status import AgencyStatus
from pipeline.consolidate.merge import FIGURES, Merged, merge
from pipeline.model.findings import Finding
from pipeline.model.vocab import Role, Status
from pipeline.workspace.load import Workspace

if TYPE_CHECKING:
    import pandas as pd

STATUS_ORDER = (Status.DONE, Status.IN_PROGRESS, Status.NOT_STARTED, Status.NOT_REPORTED)


@dataclass(frozen=True)
class YearSummary:
    """One year's consolidated tables."""

    year: int
    activities: pd.DataFrame  # one row per active activity
    agencies: pd.DataFrame  # one row per expected agency
    merged: Merged
    reporting: tuple[AgencyStatus, ...]  # where each expected agency stands
    findings: tuple[Finding, ...]  # every finding of the check, the officer's decisions included


def summarise(ws: Workspace, check: CheckResult) -> YearSummary:
    """Per activity: the lead's status, who reported, summed figures; per agency: sent, done, findings."""
    import pandas as pd

    year = check.year
    merged = merge(check.counted(), ws.plan)
    rows = merged.rows
    assigned = ws.assignments(year)
    expected: dict[tuple[str, str], set[str]] = {}
    for a in assigned:
        expected.setdefault((a.activity.id, a.role), set()).add(a.agency)
    reported = rows[rows["status"].notna() | rows["result"].astype(bool)]
    reporters = reported.groupby("activity_id")["agency"].agg(set).to_dict()
    sums = rows.groupby("activity_id")[list(FIGURES)].sum().to_dict("index")
    lead_status = {(r["activity_id"], r["agency"]): r["status"]
                   for r in rows[rows["status"].notna()][["activity_id", "agency", "status"]].to_dict("records")}
    activity_records = []
    for activity in ws.plan.active(year):
        partners = expected.get((activity.id, Role.PARTNER), set())
        districts = expected.get((activity.id, Role.LOCAL), set())
        who = reporters.get(activity.id, set())
        figures = {k: float(sums.get(activity.id, {}).get(k, 0.0)) for k in FIGURES}
        activity_records.append({
            "activity_id": activity.id, "recommendations": activity.recommendations_label,
            "content": activity.content, "lead": activity.lead,
            "lead_name": ws.registry.get(activity.lead).short_name,
            "status": str(lead_status.get((activity.id, activity.lead), Status.NOT_REPORTED)),
            "partners_reported": len(who & partners), "partners_expected": len(partners),
            "districts_reported": len(who & districts), "districts_expected": len(districts),
            **figures, "money_total": figures["money_state"] + figures["money_other"],
        })
    by_path = {f.path: f for f in check.files}
    per_agency = rows.assign(done=rows["status"] == Status.DONE).groupby("agency").agg(
        reported=("status", "count"), done=("done", "sum"),
        money_state=("money_state", "sum"), money_other=("money_other", "sum")).to_dict("index")
    n_assigned: dict[str, int] = {}
    for a in assigned:
        n_assigned[a.agency] = n_assigned.get(a.agency, 0) + 1
    agency_records = []
    for status in check.agencies:
        agency = ws.registry.get(status.agency)
        mine = per_agency.get(status.agency, {})
        result = by_path.get(status.file)
        agency_records.append({
            "agency": agency.code, "name": agency.name, "short_name": agency.short_name, "state": str(status.state),
            "received": status.received, "file": status.file, "assigned": n_assigned.get(agency.code, 0),
            "reported": int(mine.get("reported", 0)), "done": int(mine.get("done", 0)),
            "errors": len(result.errors) if result else 0, "warnings": len(result.warnings) if result else 0,
            "money_state": float(mine.get("money_state", 0.0)), "money_other": float(mine.get("money_other", 0.0)),
        })
    return YearSummary(year, pd.DataFrame.from_records(activity_records),
                       pd.DataFrame.from_records(agency_records), merged, tuple(check.agencies),
                       tuple(check.findings()))


def combine(summaries: list[YearSummary]) -> YearSummary:
    """A period as one summary: figures summed over the years, each activity's latest reported status."""
    import pandas as pd

    frames = pd.concat([s.activities.assign(year=s.year) for s in summaries], ignore_index=True)
    latest = frames[frames["status"] != Status.NOT_REPORTED].sort_values("year").groupby("activity_id")["status"].last()
    sums = frames.groupby("activity_id", sort=False)[[*FIGURES, "money_total", "partners_reported",
                                                      "districts_reported"]].sum()
    first = frames.drop_duplicates("activity_id", keep="last").set_index("activity_id")
    keep = ["recommendations", "content", "lead", "lead_name", "partners_expected", "districts_expected"]
    combined = first[keep].join(sums).join(latest.rename("status"))
    combined["status"] = combined["status"].fillna(str(Status.NOT_REPORTED))
    order = sorted(combined.index, key=lambda i: int(str(i)[2:]))
    combined = combined.loc[order].reset_index()
    last = summaries[-1]
    merged = Merged(*(pd.concat([getattr(s.merged, part) for s in summaries], ignore_index=True)
                      for part in ("rows", "others", "general")))
    return YearSummary(last.year, combined, last.agencies, merged, last.reporting, last.findings)
