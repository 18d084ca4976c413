"""The `baocao` command: a thin shell over the library; messages in Vietnamese."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from pipeline import __version__
from pipeline.errors import BaocaoError, UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _VietnameseHelp:
    """The help option's own line in Vietnamese, like the rest of the help."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "Xem hướng dẫn này rồi thoát."
        return option  # type: ignore[no-any-return]


class Command(_VietnameseHelp, click.Command):
    """A command whose help is all Vietnamese."""


class Group(_VietnameseHelp, click.Group):
    """A group whose commands and subgroups get Vietnamese help too."""

    command_class = Command
    group_class = type


def _workspace(ctx: click.Context):  # type: ignore[no-untyped-def]
    from pipeline.workspace import load_workspace

    return load_workspace(ctx.obj["root"])


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def shown(path: Path, root: Path) -> str:
    """A path as the officer reads it: relative to the workspace when inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _echo_json(data: Any) -> None:
    import json  # imports are kept out of start-up: `baocao --help` should answer at once

    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group(cls=Group, context_settings=CONTEXT)
@click.option("-w", "--workspace", "root", type=click.Path(file_okay=False, path_type=Path),
              default=lambda: os.environ.get("BAOCAO_WORKSPACE", "."), show_default="thư mục hiện tại",
              help="Thư mục làm việc (chứa baocao.toml, plan/, inbox/, outbox/).")
@click.version_option(__version__, "-V", "--version", message="baocao %(version)s", help="Xem phiên bản rồi thoát.")
@click.pass_context
def cli(ctx: click.Context, root: Path) -> None:
    """baocao: tổng hợp báo cáo hằng năm thực hiện Kế hoạch của tỉnh.

    \b
    Chu trình một năm:
      baocao generate --year 2015   tạo biểu mẫu gửi các đơn vị
      baocao check --year 2015      kiểm tra các tệp đơn vị gửi về (inbox/2015/)
      baocao report --year 2015     viết bảng tổng hợp và báo cáo Word (outbox/2015/)
      baocao run --year 2015        kiểm tra + báo cáo trong một lệnh
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = root


@cli.group(context_settings=CONTEXT)
def plan() -> None:
    """Danh mục hoạt động của Kế hoạch (phụ lục của quyết định)."""


@plan.command("show", context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON cho chương trình khác đọc.")
@click.pass_context
def plan_show(ctx: click.Context, as_json: bool) -> None:
    """Xem các hoạt động của Kế hoạch như công cụ hiểu.

    \b
    Ví dụ:
      baocao plan show
      baocao plan show --json
    """
    from pipeline import views

    ws = _workspace(ctx)
    if as_json:
        _echo_json(views.plan_json(ws))
    else:
        views.print_plan(_console(), ws)


@plan.command("import", context_settings=CONTEXT)
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id", "plan_id", default=None, help="Mã kế hoạch (mặc định: theo baocao.toml).")
@click.pass_context
def plan_import(ctx: click.Context, source: Path, plan_id: str | None) -> None:
    """Tạo tệp kế hoạch từ quyết định: tệp văn bản trích xuất (.txt) hoặc tệp Word (.docx).

    Mã hoạt động đã cấp được giữ nguyên khi nhập lại (theo nội dung hoạt động).

    \b
    Ví dụ:
      baocao plan import plan/nguon/qd2130-2014.txt
      baocao plan import "QD 2130.docx"
    """
    from pipeline.agencies import load_registry
    from pipeline.plan import load_plan, write_plan
    from pipeline.plan_import import import_plan
    from pipeline.settings import load_settings

    settings = load_settings(ctx.obj["root"])
    registry = load_registry(settings.agencies_csv)
    pid = plan_id or settings.plan
    csv_path, meta_path = settings.plan_dir / f"{pid}.csv", settings.plan_dir / f"{pid}.toml"
    existing = load_plan(csv_path, meta_path, registry) if csv_path.is_file() and meta_path.is_file() else None
    result = import_plan(source, registry, pid, existing)
    write_plan(result, csv_path, meta_path)
    click.echo(f"Đã nhập {len(result.activities)} hoạt động vào {csv_path} và {meta_path}.")


@cli.command(context_settings=CONTEXT)
@click.option("--year", type=int, default=None, help="Năm báo cáo (mặc định: theo baocao.toml).")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON cho chương trình khác đọc.")
@click.pass_context
def agencies(ctx: click.Context, year: int | None, as_json: bool) -> None:
    """Danh mục cơ quan, đơn vị và nhiệm vụ của từng đơn vị trong năm.

    \b
    Ví dụ:
      baocao agencies --year 2017
      baocao agencies --json
    """
    from pipeline import views

    ws = _workspace(ctx)
    year = year or ws.settings.year
    if as_json:
        _echo_json(views.agencies_json(ws, year))
    else:
        views.print_agencies(_console(), ws, year)


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
        import datetime as dt
        import traceback

        log = Path(os.environ.get("BAOCAO_LOG", Path.home() / "baocao-loi.log"))
        try:
            with log.open("a", encoding="utf-8") as fh:
                fh.write(f"--- {dt.datetime.now().isoformat()} {sys.argv}\n{traceback.format_exc()}\n")
            where = f" Chi tiết kỹ thuật đã ghi vào {log}; hãy gửi tệp này cho bộ phận kỹ thuật."
        except OSError:
            where = ""
        click.echo(f"Lỗi không mong đợi, công việc chưa hoàn tất.{where}", err=True)
        return 3


# Commands living in their own modules register themselves on `cli` when imported.
from pipeline import cli_check, cli_generate, cli_report  # noqa: E402,F401

__all__ = ["cli", "main", "UsageError"]
