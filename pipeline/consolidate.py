"""From the merged rows to the tables the report speaks of: per activity and per agency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.check import CheckResult
from pipeline.layout import STATUS_DONE, STATUS_IN_PROGRESS, STATUS_NOT_STARTED
from pipeline.merge import FIGURES, Merged
from pipeline.workspace import Workspace

if TYPE_CHECKING:
    import pandas as pd

NOT_REPORTED = "Chưa báo cáo"
STATUS_ORDER = (STATUS_DONE, STATUS_IN_PROGRESS, STATUS_NOT_STARTED, NOT_REPORTED)


@dataclass(frozen=True)
class YearSummary:
    """One year's consolidated tables."""

    year: int
    activities: pd.DataFrame  # one row per active activity
    agencies: pd.DataFrame  # one row per expected agency
    check: CheckResult
    merged_override: Merged | None = None  # a period review merges several years

    @property
    def merged(self) -> Merged:
        return self.merged_override if self.merged_override is not None else self.check.merged


def summarise(ws: Workspace, check: CheckResult) -> YearSummary:
    """Per activity: the lead's status, who reported, summed figures; per agency: sent, done, findings."""
    import pandas as pd

    year = check.year
    rows = check.merged.rows
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
        partners = expected.get((activity.id, "phoi_hop"), set())
        districts = expected.get((activity.id, "dia_phuong"), set())
        who = reporters.get(activity.id, set())
        figures = {k: float(sums.get(activity.id, {}).get(k, 0.0)) for k in FIGURES}
        activity_records.append({
            "activity_id": activity.id, "recommendations": activity.recommendations_label,
            "content": activity.content, "lead": activity.lead,
            "lead_name": ws.registry.get(activity.lead).short_name,
            "status": str(lead_status.get((activity.id, activity.lead), NOT_REPORTED)),
            "partners_reported": len(who & partners), "partners_expected": len(partners),
            "districts_reported": len(who & districts), "districts_expected": len(districts),
            **figures, "money_total": figures["money_state"] + figures["money_other"],
        })
    by_path = {f.path: f for f in check.files}
    per_agency = rows.assign(done=rows["status"] == STATUS_DONE).groupby("agency").agg(
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
            "agency": agency.code, "name": agency.name, "short_name": agency.short_name, "state": status.state,
            "received": status.received, "file": status.file, "assigned": n_assigned.get(agency.code, 0),
            "reported": int(mine.get("reported", 0)), "done": int(mine.get("done", 0)),
            "errors": len(result.errors) if result else 0, "warnings": len(result.warnings) if result else 0,
            "money_state": float(mine.get("money_state", 0.0)), "money_other": float(mine.get("money_other", 0.0)),
        })
    return YearSummary(year, pd.DataFrame.from_records(activity_records),
                       pd.DataFrame.from_records(agency_records), check)


def combine(summaries: list[YearSummary]) -> YearSummary:
    """A period as one summary: figures summed over the years, each activity's latest reported status."""
    import pandas as pd

    frames = pd.concat([s.activities.assign(year=s.year) for s in summaries], ignore_index=True)
    latest = frames[frames["status"] != NOT_REPORTED].sort_values("year").groupby("activity_id")["status"].last()
    sums = frames.groupby("activity_id", sort=False)[[*FIGURES, "money_total", "partners_reported",
                                                      "districts_reported"]].sum()
    first = frames.drop_duplicates("activity_id", keep="last").set_index("activity_id")
    keep = ["recommendations", "content", "lead", "lead_name", "partners_expected", "districts_expected"]
    combined = first[keep].join(sums).join(latest.rename("status"))
    combined["status"] = combined["status"].fillna(NOT_REPORTED)
    order = sorted(combined.index, key=lambda i: int(str(i)[2:]))
    combined = combined.loc[order].reset_index()
    last = summaries[-1]
    merged = Merged(*(pd.concat([getattr(s.merged, part) for s in summaries], ignore_index=True)
                      for part in ("rows", "others", "general")))
    return YearSummary(last.year, combined, last.agencies, last.check, merged)
