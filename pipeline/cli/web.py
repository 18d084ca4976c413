"""`baocao web`: the officer's desk in the browser, served from this PC only."""

from __future__ import annotations

import signal

import click

from pipeline.cli.app import CONTEXT, cli


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends the desk as Ctrl-C does: quietly, once uvicorn has shut down


@cli.command(context_settings=CONTEXT)
@click.option("--year", type=int, default=None, help="Năm mở ra đầu tiên (mặc định: theo baocao.toml).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Cổng mạng; 0 là một cổng còn trống bất kỳ.")
@click.option("--no-browser", is_flag=True, help="Không tự mở trình duyệt (chỉ in địa chỉ).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Địa chỉ nghe. Chỉ đổi khi muốn máy khác trong mạng vào được (có cảnh báo).")
@click.option("--workers", type=int, default=None, hidden=True)
@click.option("--max-upload-mb", type=click.IntRange(1, 1024), default=None, hidden=True)
@click.pass_context
def web(ctx: click.Context, year: int | None, port: int, no_browser: bool, host: str, workers: int | None,
        max_upload_mb: int | None) -> None:
    """Mở trang làm việc trên trình duyệt: bảng theo dõi đơn vị nào đã gửi, kéo thả tệp vào inbox,
    xem lỗi và ghi quyết định, tạo biểu mẫu, viết báo cáo và tải về.

    Dòng đầu tiên in ra là địa chỉ cần mở (có mã truy cập, đổi sau mỗi lần chạy). Trang chỉ mở
    được trên chính máy này. Bấm Ctrl-C để dừng.

    \b
    Ví dụ:
      baocao web
      baocao web --year 2015
      baocao web --port 8765 --no-browser
    """
    from pipeline.web.server import serve  # Starlette and uvicorn only when the desk is wanted

    def say(line: str) -> None:
        click.echo(line)

    def warn(line: str) -> None:
        click.echo(line, err=True)

    signal.signal(signal.SIGTERM, _stop)
    try:
        serve(ctx.obj["root"], year, host, port, not no_browser, say, warn, workers,
              max_upload_mb * 1024 * 1024 if max_upload_mb else None)
    except KeyboardInterrupt:
        pass
    click.echo("Đã dừng trang làm việc.", err=True)
