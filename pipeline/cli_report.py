"""`baocao report` and `baocao run`: the consolidated outputs."""

from __future__ import annotations

import re
from typing import Any

import click

from pipeline.cli import CONTEXT, _console, _echo_json, _workspace, cli
from pipeline.errors import UsageError


def _period(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", value)
    if not match:
        raise UsageError(f"giai đoạn “{value}” phải có dạng 2014-2020")
    return int(match.group(1)), int(match.group(2))


def _print_report(result: Any, root: Any) -> None:
    from pipeline.cli import shown
    from pipeline.report_context import vn_number

    console = _console()
    acts = result.summary.activities
    console.print(f"[bold]Đã viết báo cáo tổng hợp[/bold] ({len(acts)} hoạt động; "
                  f"{vn_number(float(acts['people'].sum()))} lượt người; "
                  f"{vn_number(float(acts['money_state'].sum() + acts['money_other'].sum()), 1)} triệu đồng)")
    console.print(f"Bảng tổng hợp: {shown(result.workbook, root)}")
    console.print(f"Báo cáo Word: {shown(result.document, root)}")
    if result.history:
        console.print("Có so sánh với các năm: " + ", ".join(str(h.year) for h in result.history))


def _report_json(result: Any) -> dict[str, Any]:
    acts = result.summary.activities
    return {"workbook": str(result.workbook), "document": str(result.document),
            "years": [h.year for h in result.history] + [result.summary.year],
            "totals": {k: float(acts[k].sum()) for k in ("events", "people", "money_state", "money_other")}}


@cli.command(context_settings=CONTEXT)
@click.option("--year", type=int, default=None, help="Năm báo cáo (mặc định: theo baocao.toml).")
@click.option("--period", default=None, help="Báo cáo tổng kết cả giai đoạn, ví dụ 2014-2020.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.pass_context
def report(ctx: click.Context, year: int | None, period: str | None, as_json: bool) -> None:
    """Viết bảng tổng hợp (tong-hop-<năm>.xlsx) và dự thảo báo cáo Word (bao-cao-<năm>.docx).

    Chỉ tổng hợp các tệp hợp lệ; các năm trước có dữ liệu được đưa vào để so sánh.

    \b
    Ví dụ:
      baocao report --year 2015
      baocao report --period 2014-2020
    """
    from pipeline.report import build_report

    ws = _workspace(ctx)
    span = _period(period)
    result = build_report(ws, year or ws.settings.year, span)
    _echo_json(_report_json(result)) if as_json else _print_report(result, ws.settings.root)



@cli.command(context_settings=CONTEXT)
@click.option("--year", type=int, default=None, help="Năm báo cáo (mặc định: theo baocao.toml).")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.pass_context
def run(ctx: click.Context, year: int | None, as_json: bool) -> None:
    """Kiểm tra rồi viết báo cáo trong một lệnh (lệnh thường dùng hằng năm).

    Mã thoát 1 khi có tệp bị từ chối hoặc có đơn vị chưa gửi (báo cáo vẫn được viết từ các tệp hợp lệ).

    \b
    Ví dụ:
      baocao run --year 2015
    """
    from pipeline.check_outputs import write_check_outputs
    from pipeline.cli_check import check_json, print_check, run_with_progress
    from pipeline.report import build_report

    from pipeline.chart import ChartRenderer

    ws = _workspace(ctx)
    year = year or ws.settings.year
    from pipeline.check import run_check
    from pipeline.report import resolve, years_with_data

    renderer = ChartRenderer()  # works on the second core while the check runs on the first
    try:
        earlier = renderer.checks(ws.settings.root, years_with_data(ws, ws.plan.start_year, year - 1))
        result = run_with_progress(ws, year, quiet=as_json)
        written = write_check_outputs(ws, result)
        checks = {y: resolve(f, lambda y=y: run_check(ws, y)) for y, f in earlier.items()}  # type: ignore[misc]
        built = build_report(ws, year, checks={**checks, year: result}, renderer=renderer)
    finally:
        renderer.close()
    if as_json:
        _echo_json({"check": check_json(ws, result, written), "report": _report_json(built)})
    else:
        print_check(ws, result, written)
        _print_report(built, ws.settings.root)
    ctx.exit(int(result.exit_code))
