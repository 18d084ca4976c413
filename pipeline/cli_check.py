"""`baocao check`: the officer's view of what came back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pipeline.cli import CONTEXT, _console, _echo_json, _workspace, cli


def run_with_progress(ws: Any, year: int, quiet: bool, engine: str = "calamine", workers: int | None = None) -> Any:
    """Run the check with a progress bar on the terminal (none when quiet)."""
    from pipeline.check import run_check
    from pipeline.cli import shown
    from pipeline.errors import UsageError

    inbox = ws.settings.inbox(year)
    if not inbox.is_dir():
        raise UsageError(f"chưa có thư mục {shown(inbox, ws.settings.root)}/ của năm {year}. Hãy tạo thư mục này và "
                         "lưu vào đó các tệp các đơn vị gửi về, rồi chạy lại.")
    if quiet:
        return run_check(ws, year, engine=engine, workers=workers)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("Đang đọc các tệp"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=_console(), transient=True) as bar:
        task = bar.add_task("đọc", total=None)
        return run_check(ws, year, engine=engine, workers=workers,
                         on_total=lambda n: bar.update(task, total=n),
                         progress=lambda n: bar.advance(task, n))


def check_json(ws: Any, result: Any, written: dict[str, Any]) -> dict[str, Any]:
    """The check as plain data for scripts."""
    from pipeline.findings import OUTCOMES

    return {
        "year": result.year, "deadline": result.deadline.isoformat(),
        "counts": {o: result.count(o) for o in OUTCOMES}, "files_found": len(result.outcomes),
        "files": [{"path": o.path, "outcome": o.outcome, "agency": o.agency, "note": o.note} for o in result.outcomes],
        "findings": [vars(f) for f in result.findings()],
        "agencies": [{"agency": a.agency, "state": a.state, "file": a.file,
                      "received": a.received.isoformat() if a.received else None} for a in result.agencies],
        "outputs": {k: str(v) for k, v in written.items()},
        "exit_code": result.exit_code,
    }


def print_check(ws: Any, result: Any, written: dict[str, Any], limit: int = 15) -> None:
    """A short summary: outcomes, then errors (apart from warnings), then who has not sent."""
    from rich.table import Table

    from pipeline.check import STATE_LABELS
    from pipeline.findings import OUTCOME_LABELS, OUTCOMES

    console = _console()
    console.print(f"[bold]Kiểm tra báo cáo năm {result.year}[/bold] — {len(result.outcomes)} tệp, hạn nộp "
                  f"{result.deadline:%d/%m/%Y}")
    table = Table(show_header=True)
    table.add_column("Kết quả")
    table.add_column("Số tệp", justify="right")
    for o in OUTCOMES:
        table.add_row(OUTCOME_LABELS[o], str(result.count(o)))
    console.print(table)
    # what the agencies must fix: errors of files that were not replaced by a newer one
    live = {o.path for o in result.outcomes if o.outcome not in ("superseded", "duplicate")}
    errors = [f for f in result.findings() if f.severity == "error" and f.file in live
              and f.code != "excluded-by-officer"]
    warnings = [f for f in result.findings() if f.severity != "error" and f.file in live]
    if result.overrides:
        console.print(f"Quyết định của cán bộ được áp dụng: {len(result.overrides)} (xem trang “Quyết định của cán bộ”).")
    if errors:
        console.print(f"[bold red]{len(errors)} lỗi phải xử lý[/bold red] (đơn vị cần sửa và gửi lại):")
        for f in errors[:limit]:
            where = " ".join(x for x in (f.sheet, f.cell) if x)
            console.print(f"  • {f.file}{' — ' + where if where else ''}: {f.message_vi}")
        if len(errors) > limit:
            console.print(f"  … và {len(errors) - limit} lỗi khác (xem tệp kiểm tra).")
    console.print(f"{len(warnings)} cảnh báo (không chặn việc tổng hợp; xem trang “Cảnh báo” của tệp kiểm tra).")
    for state in ("missing", "rejected", "late"):
        names = [ws.registry.get(a.agency).short_name for a in result.agencies if a.state == state]
        if names:
            console.print(f"{STATE_LABELS[state]} ({len(names)}): {', '.join(names)}")
    on_time = sum(1 for a in result.agencies if a.state == "on-time")
    console.print(f"Đúng hạn: {on_time}/{len(result.agencies)} đơn vị.")
    from pipeline.cli import shown

    for label, path in written.items():
        console.print(f"{label}: {shown(path, ws.settings.root)}")


@cli.command(context_settings=CONTEXT)
@click.option("--year", type=int, default=None, help="Năm báo cáo (mặc định: theo baocao.toml).")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON cho chương trình khác đọc.")
@click.option("--engine", type=click.Choice(["calamine", "openpyxl"]), default="calamine", hidden=True)
@click.option("--workers", type=int, default=None, hidden=True)
@click.pass_context
def check(ctx: click.Context, year: int | None, as_json: bool, engine: str, workers: int | None) -> None:
    """Kiểm tra các tệp đơn vị gửi về trong inbox/<năm>/ (không sửa, không xóa tệp nào).

    Ghi vào outbox/<năm>/kiem-tra/: tệp kiểm tra (lỗi, cảnh báo, tình trạng nộp), bản phản hồi
    cho từng đơn vị có lỗi hoặc điểm cần lưu ý (ô được tô màu, có ghi chú), thư nháp phản hồi
    và thư nhắc các đơn vị chưa gửi.
    Mã thoát 1 khi có tệp bị từ chối hoặc có đơn vị chưa gửi.

    \b
    Ví dụ:
      baocao check --year 2015
      baocao check --year 2015 --json
    """
    from pipeline.check_outputs import write_check_outputs

    ws = _workspace(ctx)
    year = year or ws.settings.year
    result = run_with_progress(ws, year, quiet=as_json, engine=engine, workers=workers)
    written = write_check_outputs(ws, result)
    if as_json:
        _echo_json(check_json(ws, result, written))
    else:
        print_check(ws, result, written)
    ctx.exit(int(result.exit_code))


__all__ = ["check", "run_with_progress", "Path"]
