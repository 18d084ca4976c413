"""`baocao check`: the officer's view of what came back."""

from __future__ import annotations

import click

from pipeline.cli.app import CONTEXT, cli, echo_json, workspace
from pipeline.cli.show import check_json, print_check, progress_bar


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
    ws = workspace(ctx)
    from pipeline import cycle  # the stages import pandas, openpyxl, python-docx: only when a command runs

    with progress_bar(quiet=as_json) as (on_total, advance):
        done = cycle.check(ws, year or ws.settings.year, engine=engine, workers=workers, progress=advance,
                           on_total=on_total)
    if as_json:
        echo_json(check_json(done))
    else:
        print_check(ws, done)
    ctx.exit(done.result.exit_code)
