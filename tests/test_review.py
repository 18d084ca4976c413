"""The drafter's notes: every kind of anomaly found in data made to have it, worded for the officer."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from conftest import ROOT
from pipeline.check.run import run_check
from pipeline.consolidate.review import anomalies
from pipeline.consolidate.summary import YearSummary, summarise
from pipeline.outputs.word.notes import TITLES, note_text
from pipeline.workspace.load import Workspace, load_workspace


@pytest.fixture(scope="module")
def years(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, YearSummary, YearSummary]:
    dest = tmp_path_factory.mktemp("ws")
    shutil.copy(ROOT / "baocao.toml", dest / "baocao.toml")
    for folder in ("plan", "templates", "inbox"):
        shutil.copytree(ROOT / folder, dest / folder)
    ws = load_workspace(dest)
    return ws, summarise(ws, run_check(ws, 2014)), summarise(ws, run_check(ws, 2015))


def _kinds(found: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(a.kind, a.activity_id) for a in found]


def test_the_sample_years_anomalies(years) -> None:  # type: ignore[no-untyped-def]
    ws, before, year = years
    found = anomalies(year, before)
    assert _kinds(found) == [("regression", "HD03"), ("lead-not-started-with-figures", "HD04"), ("regression", "HD04"),
                             ("lead-not-started-with-figures", "HD06"), ("lead-missing", "HD15")]
    # the leads' own larger rows (up to 10.7 times the median) are no outliers
    assert not [a for a in found if a.kind == "money-outlier"]
    for a in found:
        text = note_text(ws, a)
        assert text.startswith("Cần rà soát: ") and "HD" not in text and a.kind in TITLES


def test_money_far_above_the_year_and_a_not_started_row_with_figures(years) -> None:  # type: ignore[no-untyped-def]
    ws, before, year = years
    rows = year.merged.rows.copy()
    big = rows.index[(rows["agency"] == "YTE") & (rows["activity_id"] == "HD14")][0]
    rows.loc[big, "money_state"] = 9_000.0  # written in the wrong unit
    idle = rows.index[(rows["agency"] == "EAKAR") & (rows["status"] == "not-started")][0]
    rows.loc[idle, ["events", "people"]] = [2.0, 40.0]
    changed = dataclasses.replace(year, merged=dataclasses.replace(year.merged, rows=rows))
    found = [a for a in anomalies(changed, before) if a.kind in ("money-outlier", "row-contradiction")]
    assert {(a.kind, a.agency) for a in found} == {("money-outlier", "YTE"), ("row-contradiction", "EAKAR")}
    assert len(found) == 2
    outlier = next(a for a in found if a.kind == "money-outlier")
    assert "9.000,0 triệu đồng" in note_text(ws, outlier) and "Kiểm tra đơn vị tính" in note_text(ws, outlier)
    idle_note = note_text(ws, next(a for a in found if a.kind == "row-contradiction"))
    assert "“Chưa thực hiện”" in idle_note and "đã được cộng vào tổng" in idle_note
