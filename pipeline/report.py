"""`baocao report`: the summary workbook and the Word report for a year or a whole period."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.check import CheckResult, run_check
from pipeline.consolidate import STATUS_ORDER, YearSummary, combine, summarise
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


def chart_png(summary: YearSummary) -> bytes | None:
    """A stacked bar chart of activity status per recommendation, for the Word appendix."""
    acts = summary.activities
    if not len(acts):
        return None
    # Figure + Agg canvas, without pyplot: less import time and no global figure state
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    installed = {f.name for f in font_manager.fontManager.ttflist}
    serif = next((f for f in ("Times New Roman", "Liberation Serif", "DejaVu Serif") if f in installed), "serif")
    recs = list(dict.fromkeys(acts["recommendations"]))
    colours = ("#70AD47", "#FFC000", "#C00000", "#A5A5A5")
    with matplotlib.rc_context({"font.family": [serif]}):
        fig = Figure(figsize=(8, 3.6), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        bottom = [0] * len(recs)
        for status, colour in zip(STATUS_ORDER, colours):
            counts = [int(((acts["recommendations"] == r) & (acts["status"] == status)).sum()) for r in recs]
            ax.bar([f"KN {r}" for r in recs], counts, bottom=bottom, color=colour, label=status)
            bottom = [b + c for b, c in zip(bottom, counts)]
        ax.set_ylabel("Số hoạt động")
        ax.set_title("Tình trạng thực hiện các hoạt động theo khuyến nghị")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=4, frameon=False, fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    return out.getvalue()


def build_report(ws: Workspace, year: int | None = None, period: tuple[int, int] | None = None,
                 checks: dict[int, CheckResult] | None = None,
                 check: Callable[[int], CheckResult] | None = None) -> ReportResult:
    """Check the year (and earlier years with data), consolidate, and write both outputs."""
    from pipeline.report_context import build_context
    from pipeline.summary_workbook import write_summary_workbook
    from pipeline.word_report import render_report

    checks = dict(checks or {})
    run = check or (lambda y: run_check(ws, y))
    plan = ws.plan
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
    summaries = []
    for y in years:
        if y not in checks:
            checks[y] = run(y)
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
    context = build_context(ws, summary, history if history else None, chart_png(summary), period)
    document = folder / doc_name
    render_report(ws.settings.templates_dir / "bao_cao.docx", context, document)
    return ReportResult(workbook_path, document, summary, tuple(history))
