"""Results kept by content: unchanged files are not read again; anything a verdict depends on invalidates."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline import cycle
from pipeline.check.run import run_check
from pipeline.workspace.load import load_workspace


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "baocao.toml", tmp_path / "baocao.toml")
    for folder in ("plan", "templates"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copytree(ROOT / "inbox" / "2015", tmp_path / "inbox" / "2015")
    return tmp_path


def _view(result: object) -> list[tuple[object, ...]]:
    return [(f.path, f.status, f.agency, f.content_hash, [(x.code, x.sheet, x.cell) for x in f.findings])
            for f in result.files]  # type: ignore[attr-defined]


def test_second_check_reads_nothing_and_finds_the_same(ws_dir: Path) -> None:
    ws = load_workspace(ws_dir)
    first = run_check(ws, 2015)
    second = run_check(ws, 2015)
    entries = len([p for p in (ws_dir / "inbox" / "2015").rglob("*") if p.is_file()])
    assert first.reused == 0 and second.reused == entries
    assert _view(first) == _view(second) and first.outcomes == second.outcomes
    assert run_check(ws, 2015, keep=False).reused == 0


def test_a_changed_file_is_read_again_and_only_it(ws_dir: Path) -> None:
    ws = load_workspace(ws_dir)
    run_check(ws, 2015)
    target = ws_dir / "inbox" / "2015" / "YTE_so-y-te_2015.xlsx"
    other = ws_dir / "inbox" / "2015" / "LAK_ubnd-huyen-lak_2015.xlsx"
    time.sleep(0.01)
    target.write_bytes(other.read_bytes())  # a different file under the same name
    again = run_check(ws, 2015)
    entries = len([p for p in (ws_dir / "inbox" / "2015").rglob("*") if p.is_file()])
    assert again.reused == entries - 1
    assert {f.agency for f in again.files if f.path == target.name} == {"LAK"}
    copy = ws_dir / "inbox" / "2015" / "copy.xlsx"
    shutil.copy(other, copy)  # a new name: read, even with known bytes
    assert run_check(ws, 2015).reused == entries


def test_touched_file_with_the_same_bytes_is_not_checked_again(ws_dir: Path) -> None:
    ws = load_workspace(ws_dir)
    run_check(ws, 2015)
    path = ws_dir / "inbox" / "2015" / "YTE_so-y-te_2015.xlsx"
    path.write_bytes(path.read_bytes())
    entries = len([p for p in (ws_dir / "inbox" / "2015").rglob("*") if p.is_file()])
    assert run_check(ws, 2015).reused == entries


def test_a_changed_plan_or_registry_invalidates_everything(ws_dir: Path) -> None:
    run_check(load_workspace(ws_dir), 2015)
    csv = ws_dir / "plan" / "agencies.csv"
    csv.write_text(csv.read_text(encoding="utf-8-sig").replace("Sở Y tế,", "Sở Y tế tỉnh,", 1), encoding="utf-8-sig")
    assert run_check(load_workspace(ws_dir), 2015).reused == 0


def test_damaged_store_costs_only_speed(ws_dir: Path) -> None:
    ws = load_workspace(ws_dir)
    first = run_check(ws, 2015)
    store = ws_dir / "outbox" / ".store" / "ket-qua.sqlite"
    store.write_bytes(b"not a database")
    again = run_check(ws, 2015)
    assert _view(again) == _view(first)


def test_unchanged_check_keeps_its_outputs(ws_dir: Path) -> None:
    ws = load_workspace(ws_dir)
    cycle.check(ws, 2015)
    workbook = ws_dir / "outbox" / "2015" / "kiem-tra" / "kiem-tra-2015.xlsx"
    before = workbook.stat().st_mtime_ns
    again = cycle.check(ws, 2015)
    assert workbook.stat().st_mtime_ns == before and again.written["Tệp kiểm tra"] == workbook
    decisions = ws_dir / "decisions.toml"
    decisions.write_text('[[exclude]]\nyear = 2015\nfile = "YTE_so-y-te_2015.xlsx"\nreason = "Rút lại"\n',
                         encoding="utf-8")
    cycle.check(load_workspace(ws_dir), 2015)
    assert workbook.stat().st_mtime_ns != before  # the officer's decision changes the outputs


def test_unchanged_run_keeps_the_report_and_a_change_rewrites_it(ws_dir: Path) -> None:
    """A second `run` on the same inbox writes nothing; a figure changed in one return rewrites the report with it."""
    shutil.copytree(ROOT / "inbox" / "2014", ws_dir / "inbox" / "2014")
    ws = load_workspace(ws_dir)
    first = cycle.run(ws, 2015)
    assert not first.report.kept and first.report.history_years == (2014,)
    document, workbook = first.report.document, first.report.workbook
    stamps = (document.stat().st_mtime_ns, workbook.stat().st_mtime_ns)
    again = cycle.run(ws, 2015)
    assert again.report.kept and (document.stat().st_mtime_ns, workbook.stat().st_mtime_ns) == stamps
    assert again.report.headline == first.report.headline
    # the summary behind a kept report is the same consolidation, computed again on demand
    assert again.report.summary.totals() == first.report.summary.totals()
    assert [h.year for h in again.report.history] == [2014]
    # `report` alone keeps it; the full report is another document, written in its place
    assert cycle.report(ws, 2015).kept
    assert not cycle.report(ws, 2015, full=True).kept
    assert not cycle.report(ws, 2015).kept  # the full report replaced the condensed one: written again
    # an earlier year's inbox changed: the comparison changes, so the report is written again
    earlier = sorted(p for p in (ws_dir / "inbox" / "2014").iterdir() if p.suffix == ".xlsx")[0]
    earlier.unlink()
    later = cycle.run(load_workspace(ws_dir), 2015)
    assert not later.report.kept and later.check.written == again.check.written


def test_report_not_written_again_needs_no_consolidation_to_be_shown(ws_dir: Path) -> None:
    """What the command line prints of a kept report comes from its marker; a damaged marker means writing again."""
    ws = load_workspace(ws_dir)
    cycle.report(ws, 2015)
    kept = cycle.report(ws, 2015)
    assert kept.kept and kept.headline.activities > 0 and "_summaries" not in kept.__dict__
    marker = ws_dir / "outbox" / "2015" / cycle.REPORT_MARKER
    marker.write_text("{not json", encoding="utf-8")
    assert not cycle.report(ws, 2015).kept
    marker.write_text('{"key": "x", "headline": {}}', encoding="utf-8")
    assert not cycle.report(ws, 2015).kept


def test_feedback_copies_of_unchanged_files_are_taken_over(ws_dir: Path) -> None:
    """Outputs written again (here: a new decision) take over each feedback copy whose file and findings are the
    same, made again only for what changed; a damaged index only costs making them all again."""
    ws = load_workspace(ws_dir)
    cycle.check(ws, 2015)
    copies = ws_dir / "outbox" / "2015" / "kiem-tra" / "phan-hoi"
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in copies.iterdir()}
    assert before
    (ws_dir / "decisions.toml").write_text('[[exclude]]\nyear = 2015\nfile = "YTE_so-y-te_2015.xlsx"\n'
                                           'reason = "Rút lại"\n', encoding="utf-8")
    cycle.check(load_workspace(ws_dir), 2015)
    after = {p.name: (p.stat().st_ino, p.read_bytes()) for p in copies.iterdir()}
    assert after == before  # the same files, linked over: nothing made again
    held = ws_dir / "held"  # links keep the old copies' inodes alive, so a new file cannot reuse one
    held.mkdir()
    for p in copies.iterdir():
        os.link(p, held / p.name)
    index = ws_dir / "outbox" / "2015" / "kiem-tra" / ".phan-hoi.json"
    index.write_text("[", encoding="utf-8")
    (ws_dir / "decisions.toml").write_text("", encoding="utf-8")
    cycle.check(load_workspace(ws_dir), 2015)
    again = {p.name: (p.stat().st_ino, p.read_bytes()) for p in copies.iterdir()}
    assert set(again) == set(before) and all(again[n][0] != before[n][0] for n in before)
