"""`baocao report` and `baocao run`: the consolidated outputs."""

from __future__ import annotations

import re

import click

from pipeline.cli.app import CONTEXT, cli, echo_json, workspace
from pipeline.cli.show import check_json, print_check, print_report, progress_bar, report_json
from pipeline.model.errors import UsageError


def _period(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", value)
    if not match:
        raise UsageError(f"giai đoạn “{value}” phải có dạng 2014-2020")
    return int(match.group(1)), int(match.group(2))


@cli.command(context_settings=CONTEXT)
@click.option("--year", type=int, default=None, help="Năm báo cáo (mặc định: theo baocao.toml).")
@click.option("--period", default=None, help="Báo cáo tổng kết cả giai đoạn, ví dụ 2014-2020.")
@click.option("--full", is_flag=True, help="Báo cáo Word đầy đủ: kèm kết quả của từng đơn vị dưới mỗi hoạt động.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.pass_context
def report(ctx: click.Context, year: int | None, period: str | None, full: bool, as_json: bool) -> None:
    """Viết bảng tổng hợp (tong-hop-<năm>.xlsx) và dự thảo báo cáo Word (bao-cao-<năm>.docx).

    Chỉ tổng hợp các tệp hợp lệ; các năm trước có dữ liệu được đưa vào để so sánh.

    \b
    Ví dụ:
      baocao report --year 2015
      baocao report --period 2014-2020
      baocao report --year 2015 --full
    """
    ws = workspace(ctx)
    from pipeline import cycle  # the stages import pandas, openpyxl, python-docx: only when a command runs

    result = cycle.report(ws, year or ws.settings.year, _period(period), full=full)
    if as_json:
        echo_json(report_json(result))
    else:
        print_report(ws, result)


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
    ws = workspace(ctx)
    from pipeline import cycle  # the stages import pandas, openpyxl, python-docx: only when a command runs

    with progress_bar(quiet=as_json) as (on_total, advance):
        done = cycle.run(ws, year or ws.settings.year, progress=advance, on_total=on_total)
    if as_json:
        echo_json({"check": check_json(done.check), "report": report_json(done.report)})
    else:
        print_check(ws, done.check)
        print_report(ws, done.report)
    ctx.exit(done.check.result.exit_code)
