"""What the drafter must look at before the report goes up for signature: contradictions and anomalies.

These are facts about the consolidated data, never printed as if they were results: the Word
report anchors each as a comment at the sentence it concerns, the summary workbook lists them on
its sheet "Cần rà soát".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pipeline.consolidate.merge import FIGURES, records
from pipeline.consolidate.summary import YearSummary
from pipeline.model.vocab import AgencyState, Status

# A row's money is an outlier when it is this many times the median of the year's rows with money (on the
# sample the leads' own rows reach 10.7 times, which is ordinary: a lead spends more than a partner),
# and far out on a log scale (modified z-score over the median absolute deviation, Iglewicz-Hoaglin).
OUTLIER_FACTOR = 20.0
OUTLIER_Z = 3.5
_PROGRESS = {Status.NOT_STARTED: 1, Status.IN_PROGRESS: 2, Status.DONE: 3}


@dataclass(frozen=True)
class Anomaly:
    """One thing the figures say that the drafter must check; params are plain values for the wording."""

    kind: str  # lead-not-started-with-figures | lead-missing | regression | money-outlier | row-contradiction
    activity_id: str
    agency: str = ""
    params: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str) -> Any:
        """One parameter."""
        return dict(self.params)[key]


def anomalies(summary: YearSummary, previous: YearSummary | None = None) -> list[Anomaly]:
    """Contradictions and anomalies of a year (or a period), in plan order."""
    out: list[Anomaly] = []
    acts = summary.activities
    before = ({r["activity_id"]: r["status"] for r in records(previous.activities)}
              if previous is not None and len(previous.activities) else {})
    for r in records(acts):
        aid, status = str(r["activity_id"]), Status(r["status"])
        others = int(r["partner_implemented"]) + int(r["local_implemented"])
        figures = any(float(r[k]) > 0 for k in FIGURES)
        if status == Status.NOT_STARTED and r["status_source"] == "lead" and figures:
            out.append(Anomaly("lead-not-started-with-figures", aid, str(r["lead"]), (
                ("events", float(r["events"])), ("people", float(r["people"])), ("money", float(r["money_total"])),
                ("others", others))))
        if status == Status.NOT_REPORTED and r["status_source"] == "lead":
            out.append(Anomaly("lead-missing", aid, str(r["lead"]), (("state", str(r["lead_state"])),
                                                                       ("others", others), ("figures", figures))))
        old = before.get(aid)
        if old is not None and Status(old) in _PROGRESS and status in _PROGRESS \
                and _PROGRESS[status] < _PROGRESS[Status(old)]:
            assert previous is not None
            out.append(Anomaly("regression", aid, str(r["lead"]), (
                ("before", str(old)), ("after", str(status)), ("year_before", previous.year), ("year", summary.year))))
    rows = summary.merged.rows
    for r in records(rows):
        has = any(isinstance(v, float) and v == v and v > 0 for v in (r[k] for k in FIGURES))
        if r["status"] in (Status.NOT_STARTED, Status.NOT_APPLICABLE) and has:
            out.append(Anomaly("row-contradiction", str(r["activity_id"]), str(r["agency"]), (
                ("status", str(r["status"])), ("year", int(r["year"])), ("cell", _cell(r)))))
    out += _money_outliers(rows)
    order = {aid: i for i, aid in enumerate(acts["activity_id"])} if len(acts) else {}
    return sorted(out, key=lambda a: order.get(a.activity_id, len(order)))


def _cell(row: Any) -> str:
    return f"{row['sheet']}!{row['row']}" if row.get("sheet") else ""


def _money_outliers(rows: Any) -> list[Anomaly]:
    money = [(r, float(r["money_state"] if r["money_state"] == r["money_state"] else 0.0)
              + float(r["money_other"] if r["money_other"] == r["money_other"] else 0.0))
             for r in records(rows)]
    positive = [m for _, m in money if m > 0]
    if len(positive) < 10:
        return []
    logs = sorted(math.log(m) for m in positive)
    median = _median(logs)
    mad = _median(sorted(abs(x - median) for x in logs)) or 1e-9
    plain_median = math.exp(median)
    out = []
    for r, m in money:
        if m <= 0:
            continue
        z = 0.6745 * (math.log(m) - median) / mad
        if z > OUTLIER_Z and m > OUTLIER_FACTOR * plain_median:
            out.append(Anomaly("money-outlier", str(r["activity_id"]), str(r["agency"]), (
                ("money", m), ("median", plain_median), ("year", int(r["year"])), ("role", str(r["role"])),
                ("file", str(r["source_file"])), ("row", int(r["row"])))))
    return out


def _median(values: list[float]) -> float:
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def lead_states() -> dict[str, str]:
    """Why a lead's status is missing, as the drafter reads it (by AgencyState)."""
    return {AgencyState.REJECTED: "tệp của cơ quan chủ trì bị từ chối (chưa gửi lại bản sửa)",
            AgencyState.UNREADABLE: "tệp của cơ quan chủ trì không đọc được",
            AgencyState.MISSING: "cơ quan chủ trì chưa gửi báo cáo",
            AgencyState.ON_TIME: "cơ quan chủ trì đã gửi báo cáo nhưng để trống dòng này",
            AgencyState.LATE: "cơ quan chủ trì đã gửi báo cáo nhưng để trống dòng này"}

