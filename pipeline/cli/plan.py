"""`baocao plan show|import` and `baocao agencies`: the plan register and the agency registry."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli import views
from pipeline.cli.app import CONTEXT, cli, console, echo_json, workspace


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
    ws = workspace(ctx)
    if as_json:
        echo_json(views.plan_json(ws))
    else:
        views.print_plan(console(), ws)


@plan.command("import", context_settings=CONTEXT)
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id", "plan_id", default=None, help="Mã kế hoạch (mặc định: theo baocao.toml).")
@click.pass_context
def plan_import(ctx: click.Context, source: Path, plan_id: str | None) -> None:
    """Tạo tệp kế hoạch từ quyết định: tệp văn bản trích xuất (.txt) hoặc tệp Word (.docx).

    Mã hoạt động đã cấp được giữ nguyên khi nhập lại (theo nội dung hoạt động).

    \b
    Ví dụ:
      baocao plan import plan/nguon/qd12-2021.txt
      baocao plan import "QD 12.docx"
    """
    from pipeline import cycle  # the stages import pandas, openpyxl, python-docx: only when a command runs

    result, csv_path, meta_path = cycle.import_plan(ctx.obj["root"], source, plan_id)
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
    ws = workspace(ctx)
    year = year or ws.settings.year
    if as_json:
        echo_json(views.agencies_json(ws, year))
    else:
        views.print_agencies(console(), ws, year)
