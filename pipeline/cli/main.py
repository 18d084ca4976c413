"""Entry point of `baocao`: every error becomes one Vietnamese line and an exit code."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import signal
import sys
import traceback
from pathlib import Path

import click

from pipeline.cli import check, codes, generate, init, plan, report, web  # noqa: F401  (each registers its commands)
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


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM): unwind like Ctrl-C, so that every worker is stopped."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _stopped(code: int) -> int:
    """One line for an interruption; a second Ctrl-C while the run tidies up is ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, ValueError):
        click.echo("Đã dừng theo yêu cầu; các tệp kết quả giữ nguyên như trước lần chạy này.", err=True)
    return code


def _os_error(exc: OSError) -> str:
    """The officer's reading of a disk or permission problem outside the atomic writer."""
    where = exc.filename or "tệp"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"ổ đĩa đã đầy khi ghi {where}. Hãy giải phóng dung lượng rồi chạy lại."
    if exc.errno == errno.EROFS:
        return f"không ghi được {where}: ổ đĩa chỉ cho đọc. Hãy chọn thư mục khác rồi chạy lại."
    if isinstance(exc, PermissionError):
        return f"không có quyền đọc hoặc ghi {where}, hoặc tệp đang mở trong chương trình khác. Hãy đóng tệp, " \
               "kiểm tra quyền truy cập rồi chạy lại."
    return f"không đọc hoặc ghi được {where} ({exc.strerror or type(exc).__name__}). Hãy kiểm tra ổ đĩa rồi chạy lại."


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning every error into a Vietnamese line and an exit code."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    with contextlib.suppress(ValueError):  # only the main thread may set handlers (tests run commands in threads)
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C unwinds, so workers are stopped
    try:
        return _main(argv)
    finally:
        # the work is done: a signal from now on ends the process quietly, with no traceback at exit
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)


def _main(argv: list[str] | None) -> int:
    try:
        result = cli.main(args=argv, prog_name="baocao", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except (click.exceptions.Abort, KeyboardInterrupt):
        return _stopped(130)
    except Terminated:
        return _stopped(143)
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
    except BrokenPipeError:
        # the reader of our output has gone (`baocao check | head`): nothing left to say to it
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        click.echo(f"Lỗi: {_os_error(exc)}", err=True)
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
