"""`baocao report`: the summary workbook and the Word report for a year or a whole period."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from pipeline.chart import ChartRenderer
from pipeline.check import CheckResult, run_check
from pipeline.consolidate import YearSummary, combine, summarise
from pipeline.errors import UsageError
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class ReportResult:
    """What the report wrote, and the summaries behind it."""

    workbook: Path
    document: Path
    summary: YearSummary
    history: tuple[YearSummary, ...]


def years_with_data(ws: Workspace, start: int, end: int) -> list[int]:
    """Years in [start, end] whose inbox folder exists."""
    return [y for y in range(start, end + 1) if ws.settings.inbox(y).is_dir()]


def resolve(future: Future[CheckResult] | None, fallback: Callable[[], CheckResult]) -> CheckResult:
    """The helper's result, or the work done here if the helper failed."""
    if future is not None:
        try:
            return future.result(timeout=600)
        except Exception:
            pass
    return fallback()


def chart_pairs(summary: YearSummary) -> list[tuple[str, str]]:
    """(recommendation label, status) per activity: what the chart draws."""
    acts = summary.activities
    if not len(acts):
        return []
    return [(str(r), str(s)) for r, s in zip(acts["recommendations"], acts["status"])]


def build_report(ws: Workspace, year: int | None = None, period: tuple[int, int] | None = None,
                 checks: dict[int, CheckResult] | None = None,
                 check: Callable[[int], CheckResult] | None = None,
                 renderer: ChartRenderer | None = None) -> ReportResult:
    """Check the year (and earlier years with data), consolidate, and write both outputs."""
    own = renderer is None
    renderer = renderer or ChartRenderer()
    try:
        return _build_report(ws, year, period, dict(checks or {}), check, renderer)
    finally:
        if own:
            renderer.close()


def _build_report(ws: Workspace, year: int | None, period: tuple[int, int] | None, checks: dict[int, CheckResult],
                  check: Callable[[int], CheckResult] | None, renderer: ChartRenderer) -> ReportResult:
    from pipeline.report_context import build_context
    from pipeline.summary_workbook import write_summary_workbook
    from pipeline.word_report import render_report

    run = check or (lambda y: run_check(ws, y))
    plan = ws.plan
    pending: dict[int, Future[CheckResult]] = {}
    if period is not None:
        start, end = period
        if start > end or start < plan.start_year - 1 or end > plan.end_year + 1:
            raise UsageError(f"giai đoạn {start}-{end} nằm ngoài kế hoạch ({plan.start_year}-{plan.end_year})")
        years = years_with_data(ws, start, end)
        if not years:
            raise UsageError(f"chưa có dữ liệu năm nào trong giai đoạn {start}-{end} (thư mục inbox/<năm>/)")
    else:
        assert year is not None
        if year not in checks and not ws.settings.inbox(year).is_dir():
            raise UsageError(f"chưa có dữ liệu năm {year} (thư mục inbox/{year}/ chưa có); hãy lưu các tệp các đơn vị "
                             "gửi về vào đó rồi chạy lại.")
        years = [y for y in years_with_data(ws, plan.start_year, year - 1)] + [year]
    if check is None:
        # earlier years are checked in the helper process while this one checks the rest
        pending = renderer.checks(ws.settings.root, [y for y in years[:-1] if y not in checks])
    summaries = []
    for y in years:
        if y not in checks:
            checks[y] = resolve(pending.get(y), lambda: run(y))
        summaries.append(summarise(ws, checks[y]))
    if period is not None:
        summary = combine(summaries)
        history = summaries
        folder = ws.settings.outbox(f"{period[0]}-{period[1]}")
        stem = f"{period[0]}-{period[1]}"
        doc_name = f"bao-cao-tong-ket-{stem}.docx"
    else:
        summary = summaries[-1]
        history = summaries[:-1]
        folder = ws.settings.outbox(summary.year)
        stem = str(summary.year)
        doc_name = f"bao-cao-{stem}.docx"
    folder.mkdir(parents=True, exist_ok=True)
    workbook_path = folder / f"tong-hop-{stem}.xlsx"
    write_summary_workbook(ws, summary, workbook_path, history, period)
    context = build_context(ws, summary, history if history else None, renderer.render(chart_pairs(summary)), period)
    document = folder / doc_name
    render_report(ws.settings.templates_dir / "bao_cao.docx", context, document)
    return ReportResult(workbook_path, document, summary, tuple(history))
