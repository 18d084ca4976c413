"""Entry point of `baocao`: every error becomes one Vietnamese line and an exit code."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from pathlib import Path

import click

from pipeline.cli import check, codes, generate, init, plan, report  # noqa: F401  (each registers its commands)
from pipeline.cli.app import cli
from pipeline.model.errors import BaocaoError


def _usage_vi(exc: click.ClickException) -> str:
    """Vietnamese wording for click's usage errors (option names stay as typed)."""
    if isinstance(exc, click.NoSuchOption):
        return f"không có tùy chọn {exc.option_name}."
    if isinstance(exc, click.MissingParameter):
        name = exc.param.opts[0] if exc.param is not None and exc.param.opts else "tham số"
        return f"thiếu {name}."
    if isinstance(exc, click.BadParameter):
        name = exc.param.opts[0] if exc.param is not None and exc.param.opts else "tham số"
        return f"giá trị của {name} không hợp lệ ({exc.message})."
    if isinstance(exc, click.UsageError) and "No such command" in exc.message:
        return f"không có lệnh này ({exc.message.split(chr(39))[1] if chr(39) in exc.message else exc.message})."
    return exc.format_message()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning every error into a Vietnamese line and an exit code."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        result = cli.main(args=argv, prog_name="baocao", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Abort:
        click.echo("Đã dừng theo yêu cầu.", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        hint = f" Xem hướng dẫn: {ctx.command_path} --help" if ctx is not None else ""
        click.echo(f"Lỗi cách dùng: {_usage_vi(exc)}{hint}", err=True)
        return 2
    except BaocaoError as exc:
        click.echo(f"Lỗi: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Đã dừng theo yêu cầu.", err=True)
        return 2
    except Exception:  # the officer never sees a traceback; it goes to a log file
        log = Path(os.environ.get("BAOCAO_LOG", Path.home() / "baocao-loi.log"))
        try:
            with log.open("a", encoding="utf-8") as fh:
                fh.write(f"--- {dt.datetime.now().isoformat()} {sys.argv}\n{traceback.format_exc()}\n")
            where = f" Chi tiết kỹ thuật đã ghi vào {log}; hãy gửi tệp này cho bộ phận kỹ thuật."
        except OSError:
            where = ""
        click.echo(f"Lỗi không mong đợi, công việc chưa hoàn tất.{where}", err=True)
        return 3
