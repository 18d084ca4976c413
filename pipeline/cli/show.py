"""What `check`, `report` and `run` print: a short Vietnamese summary, or JSON for scripts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.cli.app import console, shown
from pipeline.model.numbers import vn_number
from pipeline.model.vocab import AgencyState, Outcome, Severity
from pipeline.workspace.load import Workspace

if TYPE_CHECKING:
    from pipeline.cycle import CheckRun, Progress as Advance, ReportResult


@contextlib.contextmanager
def progress_bar(quiet: bool) -> Iterator[tuple[Advance | None, Advance | None]]:
    """(on_total, advance) callbacks drawing a progress bar on the terminal; none when quiet."""
    if quiet:
        yield None, None
        return
    with Progress(TextColumn("Đang đọc các tệp"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console(), transient=True) as bar:
        task = bar.add_task("đọc", total=None)
        yield (lambda n: bar.update(task, total=n)), (lambda n: bar.advance(task, n))


def check_json(run: CheckRun) -> dict[str, Any]:
    """The check as plain data for scripts."""
    result = run.result
    return {
        "year": result.year, "deadline": result.deadline.isoformat(),
        "counts": {str(o): result.count(o) for o in Outcome}, "files_found": len(result.outcomes),
        "reused": result.reused,
        "files": [{"path": o.path, "outcome": str(o.outcome), "agency": o.agency, "note": o.note}
                  for o in result.outcomes],
        "findings": [f.as_dict() for f in result.findings()],
        "agencies": [{"agency": a.agency, "state": str(a.state), "file": a.file,
                      "received": a.received.isoformat() if a.received else None} for a in result.agencies],
        "outputs": {k: str(v) for k, v in run.written.items()},
        "exit_code": result.exit_code,
    }


def print_check(ws: Workspace, run: CheckRun, limit: int = 15) -> None:
    """A short summary: outcomes, then errors (apart from warnings), then who has not sent."""
    result = run.result
    out = console()
    reused = f" ({result.reused} tệp không đổi, dùng lại kết quả trước)" if result.reused else ""
    out.print(f"[bold]Kiểm tra báo cáo năm {result.year}[/bold] — {len(result.outcomes)} tệp{reused}, hạn nộp "
              f"{result.deadline:%d/%m/%Y}")
    table = Table(show_header=True)
    table.add_column("Kết quả")
    table.add_column("Số tệp", justify="right")
    for o in Outcome:
        table.add_row(o.label, str(result.count(o)))
    out.print(table)
    # what the agencies must fix: errors of files that were not replaced by a newer one
    live = {o.path for o in result.outcomes if o.outcome not in (Outcome.SUPERSEDED, Outcome.DUPLICATE)}
    errors = [f for f in result.findings() if f.severity == Severity.ERROR and f.file in live
              and f.code != "excluded-by-officer"]
    warnings = [f for f in result.findings() if f.severity != Severity.ERROR and f.file in live]
    if result.overrides:
        out.print(f"Quyết định của cán bộ được áp dụng: {len(result.overrides)} (xem trang “Quyết định của cán bộ”).")
    if errors:
        out.print(f"[bold red]{len(errors)} lỗi phải xử lý[/bold red] (đơn vị cần sửa và gửi lại):")
        for f in errors[:limit]:
            where = " ".join(x for x in (f.sheet, f.cell) if x)
            out.print(f"  • {f.file}{' — ' + where if where else ''}: {f.message_vi}")
        if len(errors) > limit:
            out.print(f"  … và {len(errors) - limit} lỗi khác (xem tệp kiểm tra).")
    out.print(f"{len(warnings)} cảnh báo (không chặn việc tổng hợp; xem trang “Cảnh báo” của tệp kiểm tra).")
    for state in (AgencyState.MISSING, AgencyState.UNREADABLE, AgencyState.REJECTED, AgencyState.LATE):
        names = [ws.registry.get(a.agency).short_name for a in result.agencies if a.state == state]
        if names:
            out.print(f"{state.label} ({len(names)}): {', '.join(names)}")
    on_time = sum(1 for a in result.agencies if a.state == AgencyState.ON_TIME)
    out.print(f"Đúng hạn: {on_time}/{len(result.agencies)} đơn vị.")
    for label, path in run.written.items():
        out.print(f"{label}: {shown(path, ws.settings.root)}")


def report_json(result: ReportResult) -> dict[str, Any]:
    """The report as plain data for scripts."""
    return {"workbook": str(result.workbook), "document": str(result.document),
            "years": list(result.years),
            "totals": result.headline.totals}


def print_report(ws: Workspace, result: ReportResult) -> None:
    """What the report wrote, with its headline figures."""
    out = console()
    root = ws.settings.root
    head = result.headline
    done = "Báo cáo tổng hợp giữ nguyên vì dữ liệu không đổi" if result.kept else "Đã viết báo cáo tổng hợp"
    out.print(f"[bold]{done}[/bold] ({head.activities} hoạt động; {vn_number(head.people)} lượt người; "
              f"{vn_number(head.money, 1)} triệu đồng)")
    out.print(f"Bảng tổng hợp: {shown(result.workbook, root)}")
    out.print(f"Báo cáo Word: {shown(result.document, root)}")
    if result.history_years:
        out.print("Có so sánh với các năm: " + ", ".join(str(y) for y in result.history_years))
