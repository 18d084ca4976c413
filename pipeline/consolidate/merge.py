"""The hand-off: one pandas table per kind of content, from the files that count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.model.plan import Plan
from pipeline.model.submission import Submission

if TYPE_CHECKING:
    import pandas as pd

ROW_COLUMNS = ("year", "agency", "role", "activity_id", "recommendations", "status", "result", "events", "people",
               "money_state", "money_other", "difficulties", "proposals", "evidence", "source_file", "sheet", "row",
               "cells")
OTHER_COLUMNS = ("year", "agency", "content", "recommendations", "status", "result", "events", "people",
                 "money_state", "money_other", "note", "source_file", "sheet", "row", "cells")
GENERAL_COLUMNS = ("year", "agency", "field", "text", "source_file", "sheet", "cell")
FIGURES = ("events", "people", "money_state", "money_other")


@dataclass(frozen=True)
class Merged:
    """The accepted submissions of a year as tables; every row keeps its source file and cells."""

    rows: pd.DataFrame
    others: pd.DataFrame
    general: pd.DataFrame

    def totals(self) -> dict[str, float]:
        """Sums of the figures over plan rows and other activities."""
        return {k: float(self.rows[k].sum() + self.others[k].sum()) for k in FIGURES}


def _cells(pairs: tuple[tuple[str, str], ...]) -> str:
    return "; ".join(f"{key}={cell}" for key, cell in pairs if cell)


def merge(submissions: Iterable[tuple[str, Submission]], plan: Plan) -> Merged:
    """Collect each table's columns as plain lists, then build each DataFrame once.

    `submissions` is consumed once, in order: a submission is done with as soon as its rows are
    recorded, so a year of thousands of returns is never held twice (objects, then records).
    """
    recs = {a.id: a.recommendations_label for a in plan.activities}
    rows: dict[str, list[Any]] = {c: [] for c in ROW_COLUMNS}
    others: dict[str, list[Any]] = {c: [] for c in OTHER_COLUMNS}
    general: dict[str, list[Any]] = {c: [] for c in GENERAL_COLUMNS}
    for path, sub in submissions:
        for r in sub.rows:
            _append(rows, {
                "year": sub.year, "agency": sub.agency, "role": str(r.role), "activity_id": r.activity_id,
                "recommendations": recs.get(r.activity_id, ""), "status": r.status and str(r.status), "result": r.result,
                **vars(r.figures), "difficulties": r.difficulties, "proposals": r.proposals,
                "evidence": r.evidence, "source_file": path, "sheet": r.sheet, "row": r.row, "cells": _cells(r.cells),
            })
        for o in sub.others:
            _append(others, {
                "year": sub.year, "agency": sub.agency, "content": o.content, "recommendations": o.recommendations,
                "status": o.status and str(o.status), "result": o.result, **vars(o.figures), "note": o.note, "source_file": path,
                "sheet": o.sheet, "row": o.row, "cells": _cells(o.cells),
            })
        cells = dict(sub.general_cells)
        for key, text in sub.general:
            if text:
                _append(general, {"year": sub.year, "agency": sub.agency, "field": key, "text": text,
                                  "source_file": path, "sheet": "Đánh giá chung", "cell": cells.get(key, "")})
    return Merged(_frame(rows), _frame(others), _frame(general))


def _append(columns: dict[str, list[Any]], record: dict[str, Any]) -> None:
    for key, values in columns.items():
        values.append(record[key])


def _frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(columns)
    for key in FIGURES:
        if key in frame:
            frame[key] = pd.to_numeric(frame[key], errors="coerce").astype("float64")
    return frame


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts of plain Python values, like `frame.to_dict("records")`.

    Column by column (`tolist` boxes a whole column at once): about ten times faster on the
    merged rows of thousands of returns, where `to_dict` boxes every cell on its own.
    """
    columns = [str(c) for c in frame.columns]
    values = [frame.iloc[:, i].tolist() for i in range(len(columns))]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)] if columns else \
        [{} for _ in range(len(frame))]
