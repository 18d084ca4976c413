"""The `baocao` group and what every command shares: the workspace option, console, JSON output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from pipeline import __version__
from pipeline.workspace.load import Workspace, load_workspace

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _VietnameseHelp(click.Command):
    """The help option's own line in Vietnamese, like the rest of the help."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Xem hướng dẫn này rồi thoát."
        return option


class Command(_VietnameseHelp):
    """A command whose help is all Vietnamese."""


class Group(_VietnameseHelp, click.Group):
    """A group whose commands and subgroups get Vietnamese help too."""

    command_class = Command
    group_class = type


def workspace(ctx: click.Context) -> Workspace:
    """The workspace named by -w (settings, registry and plan), loaded."""
    return load_workspace(ctx.obj["root"])


def console() -> Console:
    """The console every command prints to."""
    return Console(highlight=False, soft_wrap=False)


def shown(path: Path, root: Path) -> str:
    """A path as the officer reads it: relative to the workspace when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def echo_json(data: Any) -> None:
    """Print `data` as JSON for scripts (UTF-8, not escaped)."""
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
