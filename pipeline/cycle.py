"""The yearly cycle as library calls: generate, check, report, run. The only orchestration.

The command line and the web desk call these functions and nothing else; each stage below is
called in the direction the data flows, never back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from pipeline.check.result import CheckResult
from pipeline.check.run import run_check
from pipeline.consolidate.summary import YearSummary, combine, summarise
from pipeline.generate.workbooks import GenerateResult
from pipeline.generate.workbooks import generate as generate_workbooks
from pipeline.model.errors import UsageError
from pipeline.model.plan import Plan
from pipeline.outputs.chart import ChartRenderer
from pipeline.outputs.check_outputs import write_check_outputs
from pipeline.outputs.summary_workbook import write_summary_workbook
from pipeline.outputs.word.context import build_context
from pipeline.outputs.word.render import render_report
from pipeline.plan_import import import_into
from pipeline.workspace.load import Workspace, load_workspace
from pipeline.workspace.settings import load_settings
from pipeline.workspace.templates import REPORT_TEMPLATE, SUBMISSION_TEMPLATE, install_template

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ReportResult:
    """What the report wrote, and the summaries behind it."""

    workbook: Path
    document: Path
    summary: YearSummary
    history: tuple[YearSummary, ...]


@dataclass(frozen=True)
class CheckRun:
    """A year's check and the files it wrote."""

    result: CheckResult
    written: dict[str, Path]


@dataclass(frozen=True)
class RunResult:
    """`run`: the check with its outputs, then the report."""

    check: CheckRun
    report: ReportResult


def import_plan(root: Path, source: Path, plan_id: str | None = None) -> tuple[Plan, Path, Path]:
    """The plan register from the decision (.txt or .docx); activity ids kept from the register already there."""
    done = import_into(root, source, plan_id)
    return done.plan, done.csv_path, done.meta_path


def generate(ws: Workspace, year: int) -> GenerateResult:
    """One workbook and request e-mail per agency with something to report in `year`."""
    return generate_workbooks(ws, year)


def init_template(root: Path, force: bool = False) -> Path:
    """Copy the default master workbook into the workspace's templates/ for the officer to edit."""
    settings = load_settings(root)
    path = settings.templates_dir / SUBMISSION_TEMPLATE
    if path.exists() and not force:
        raise UsageError(f"mẫu gốc {settings.display(path)} đã có; thêm --force để ghi đè (các chỉnh sửa trong mẫu sẽ mất)")
    install_template(SUBMISSION_TEMPLATE, path)
    return path


def _inbox_or_fail(ws: Workspace, year: int) -> None:
    inbox = ws.settings.inbox(year)
    if not inbox.is_dir():
        raise UsageError(f"chưa có thư mục {ws.settings.display(inbox)}/ của năm {year}. Hãy tạo thư mục này và lưu vào đó "
                         "các tệp các đơn vị gửi về, rồi chạy lại.")


def check(ws: Workspace, year: int, engine: str = "calamine", workers: int | None = None,
          progress: Progress | None = None, on_total: Progress | None = None) -> CheckRun:
    """Check every file of inbox/<year>/ and write the check workbook, feedback copies and drafts."""
    _inbox_or_fail(ws, year)
    result = run_check(ws, year, engine=engine, workers=workers, progress=progress, on_total=on_total)
    return CheckRun(result, write_check_outputs(ws, result))


def years_with_data(ws: Workspace, start: int, end: int) -> list[int]:
    """Years in [start, end] whose inbox folder exists."""
    return [y for y in range(start, end + 1) if ws.settings.inbox(y).is_dir()]


def _check_earlier(root: Path, year: int) -> CheckResult:
    """An earlier year's check, run in the helper process for the report's comparison."""
    return run_check(load_workspace(root), year, workers=1)


def _resolve(future: Future[CheckResult] | None, fallback: Callable[[], CheckResult]) -> CheckResult:
    """The helper's result, or the work done here if the helper failed."""
    if future is not None:
        try:
            return future.result(timeout=600)
        except Exception:
            pass
    return fallback()


def _start_earlier(ws: Workspace, renderer: ChartRenderer, years: list[int]) -> dict[int, Future[CheckResult]]:
    """Earlier years checked in the chart's helper process while this one works."""
    out: dict[int, Future[CheckResult]] = {}
    for y in years:
        future = renderer.submit(_check_earlier, ws.settings.root, y)
        if future is not None:
            out[y] = future
    return out


def _chart_pairs(summary: YearSummary) -> list[tuple[str, str]]:
    """(recommendation label, status) per activity: what the chart draws."""
    acts = summary.activities
    if not len(acts):
        return []
    return [(str(r), str(s)) for r, s in zip(acts["recommendations"], acts["status"])]


def _report_years(ws: Workspace, year: int | None, period: tuple[int, int] | None,
                  checks: dict[int, CheckResult]) -> list[int]:
    plan = ws.plan
    if period is not None:
        start, end = period
        if start > end or start < plan.start_year - 1 or end > plan.end_year + 1:
            raise UsageError(f"giai đoạn {start}-{end} nằm ngoài kế hoạch ({plan.start_year}-{plan.end_year})")
        years = years_with_data(ws, start, end)
        if not years:
            raise UsageError(f"chưa có dữ liệu năm nào trong giai đoạn {start}-{end} (thư mục inbox/<năm>/)")
        return years
    assert year is not None
    if year not in checks and not ws.settings.inbox(year).is_dir():
        raise UsageError(f"chưa có dữ liệu năm {year} (thư mục inbox/{year}/ chưa có); hãy lưu các tệp các đơn vị "
                         "gửi về vào đó rồi chạy lại.")
    return [*years_with_data(ws, plan.start_year, year - 1), year]


def report(ws: Workspace, year: int | None = None, period: tuple[int, int] | None = None,
           checks: dict[int, CheckResult] | None = None, renderer: ChartRenderer | None = None) -> ReportResult:
    """Consolidate the year (with earlier years for comparison) or a period, and write both outputs."""
    own = renderer is None
    chart = renderer or ChartRenderer()
    try:
        return _report(ws, year, period, dict(checks or {}), chart)
    finally:
        if own:
            chart.close()


def _report(ws: Workspace, year: int | None, period: tuple[int, int] | None, checks: dict[int, CheckResult],
            renderer: ChartRenderer) -> ReportResult:
    years = _report_years(ws, year, period, checks)
    pending = _start_earlier(ws, renderer, [y for y in years[:-1] if y not in checks])
    summaries = []
    for y in years:
        if y not in checks:
            checks[y] = _resolve(pending.get(y), functools.partial(run_check, ws, y))
        summaries.append(summarise(ws, checks[y]))
    if period is not None:
        summary, history = combine(summaries), summaries
        stem = f"{period[0]}-{period[1]}"
        doc_name = f"bao-cao-tong-ket-{stem}.docx"
    else:
        summary, history = summaries[-1], summaries[:-1]
        stem = str(summary.year)
        doc_name = f"bao-cao-{stem}.docx"
    folder = ws.settings.outbox(stem)
    workbook_path = folder / f"tong-hop-{stem}.xlsx"
    write_summary_workbook(ws, summary, workbook_path, history, period)
    context = build_context(ws, summary, history if history else None, renderer.render(_chart_pairs(summary)),
                            period)
    document = folder / doc_name
    render_report(ws.settings.templates_dir / REPORT_TEMPLATE, context, document)
    return ReportResult(workbook_path, document, summary, tuple(history))


def run(ws: Workspace, year: int, progress: Progress | None = None, on_total: Progress | None = None) -> RunResult:
    """Check the year, write the check's outputs, then the report: the usual yearly command."""
    _inbox_or_fail(ws, year)
    renderer = ChartRenderer()  # works on the second core while the check runs on the first
    try:
        earlier = _start_earlier(ws, renderer, years_with_data(ws, ws.plan.start_year, year - 1))
        checked = check(ws, year, progress=progress, on_total=on_total)
        checks = {y: _resolve(f, functools.partial(run_check, ws, y)) for y, f in earlier.items()}
        built = report(ws, year, checks={**checks, year: checked.result}, renderer=renderer)
    finally:
        renderer.close()
    return RunResult(checked, built)
