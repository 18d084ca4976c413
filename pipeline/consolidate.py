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
    merged = check.merged
    rows = merged.rows
    assigned = ws.assignments(year)
    activity_records = []
    for activity in ws.plan.active(year):
        mine = rows[rows["activity_id"] == activity.id]
        lead_rows = mine[mine["agency"] == activity.lead]
        lead_status = lead_rows["status"].dropna()
        partners_expected = {a.agency for a in assigned if a.activity.id == activity.id and a.role == "phoi_hop"}
        districts_expected = {a.agency for a in assigned if a.activity.id == activity.id and a.role == "dia_phuong"}
        reported = mine[mine["status"].notna() | mine["result"].astype(bool)]
        figures = {k: float(mine[k].sum()) for k in FIGURES}
        activity_records.append({
            "activity_id": activity.id, "recommendations": activity.recommendations_label,
            "content": activity.content, "lead": activity.lead,
            "lead_name": ws.registry.get(activity.lead).short_name,
            "status": str(lead_status.iloc[0]) if len(lead_status) else NOT_REPORTED,
            "partners_reported": int(reported["agency"].isin(partners_expected).sum()),
            "partners_expected": len(partners_expected),
            "districts_reported": int(reported["agency"].isin(districts_expected).sum()),
            "districts_expected": len(districts_expected),
            **figures, "money_total": figures["money_state"] + figures["money_other"],
        })
    states = {a.agency: a for a in check.agencies}
    by_path = {f.path: f for f in check.files}
    agency_records = []
    for code, status in states.items():
        agency = ws.registry.get(code)
        mine = rows[rows["agency"] == code]
        n_assigned = sum(1 for a in assigned if a.agency == code)
        result = by_path.get(status.file)
        agency_records.append({
            "agency": code, "name": agency.name, "short_name": agency.short_name, "state": status.state,
            "received": status.received, "file": status.file, "assigned": n_assigned,
            "reported": int((mine["status"].notna()).sum()),
            "done": int((mine["status"] == STATUS_DONE).sum()),
            "errors": len(result.errors) if result else 0, "warnings": len(result.warnings) if result else 0,
            "money_state": float(mine["money_state"].sum()), "money_other": float(mine["money_other"].sum()),
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
