"""`baocao generate` and `baocao template init`: the submission workbooks and their master."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli.app import CONTEXT, cli, echo_json, workspace
from pipeline.cli.app import shown as _shown
from pipeline.model.vocab import Role
from pipeline.workspace.settings import load_settings

if TYPE_CHECKING:
    from pipeline.generate.workbooks import GenerateResult


def _result_json(result: GenerateResult, root: Path) -> dict[str, Any]:
    return {
        "year": result.year,
        "folder": _shown(result.folder, root),
        "template": _shown(result.template, root),
        "template_created": result.template_created,
        "send_list": _shown(result.send_list, root),
        "workbooks": [{
            "code": w.agency.code, "name": w.agency.name, "email": w.agency.email,
            "workbook": _shown(w.workbook, root), "draft": _shown(w.draft, root),
            "chu_tri": w.rows(Role.LEAD), "phoi_hop": w.rows(Role.PARTNER), "dia_phuong": w.rows(Role.LOCAL),
            "activity_ids": [i.activity.id for i in w.items],
        } for w in result.workbooks],
        "removed": [_shown(p, root) for p in result.removed],
        "warnings": list(result.warnings),
        "timing_ms": {"setup": round(result.setup_ms, 1), "per_workbook": round(result.workbook_ms, 2),
                      "per_email": round(result.email_ms, 2)},
    }


def _ms(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _print_summary(result: GenerateResult, root: Path) -> None:
    if result.template_created:
        click.echo(f"Chưa có mẫu gốc; đã tạo mẫu mặc định {_shown(result.template, root)}.")
    click.echo(f"Đã tạo {len(result.workbooks)} biểu mẫu năm {result.year} trong "
               f"{_shown(result.workbooks_dir, root)}/ (trung bình {_ms(result.workbook_ms)} ms/tệp).")
    click.echo(f"Thư nháp kèm biểu mẫu: {_shown(result.drafts_dir, root)}/ — mở bằng Outlook hoặc "
               "Thunderbird, kiểm tra rồi bấm Gửi.")
    click.echo(f"Danh sách gửi: {_shown(result.send_list, root)}")
    if result.removed:
        click.echo(f"Đã xóa {len(result.removed)} tệp cũ của đơn vị không còn nhiệm vụ trong năm.")
    for note in result.warnings:
        click.echo(f"Lưu ý: {note}", err=True)


@cli.command("generate", context_settings=CONTEXT)
@click.option("--year", type=int, default=None, help="Năm báo cáo (mặc định: theo baocao.toml).")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON cho chương trình khác đọc.")
@click.pass_context
def generate_command(ctx: click.Context, year: int | None, as_json: bool) -> None:
    """Tạo biểu mẫu Excel cho từng đơn vị và thư điện tử nháp gửi kèm.

    Biểu mẫu được tạo từ mẫu gốc templates/submission_template.xlsx (sửa được bằng Excel);
    ghi vào outbox/<năm>/mau/, thư nháp vào outbox/<năm>/thu/, danh sách gửi vào
    outbox/<năm>/danh-sach-gui.csv. Chạy lại thì các tệp được thay mới.

    \b
    Ví dụ:
      baocao generate --year 2015
      baocao generate --json
    """
    ws = workspace(ctx)
    from pipeline import cycle  # the stages import pandas, openpyxl, python-docx: only when a command runs

    result = cycle.generate(ws, year or ws.settings.year)
    if as_json:
        echo_json(_result_json(result, ws.settings.root))
    else:
        _print_summary(result, ws.settings.root)


@cli.group("template", context_settings=CONTEXT)
def template_group() -> None:
    """Mẫu gốc của biểu mẫu gửi các đơn vị (templates/submission_template.xlsx)."""


@template_group.command("init", context_settings=CONTEXT)
@click.option("--force", is_flag=True, help="Ghi đè mẫu gốc đang có (mất các chỉnh sửa trong mẫu).")
@click.pass_context
def template_init(ctx: click.Context, force: bool) -> None:
    """Tạo mẫu gốc mặc định để sửa bằng Excel (lời hướng dẫn, màu, độ rộng cột).

    \b
    Ví dụ:
      baocao template init
      baocao template init --force
    """
    from pipeline import cycle  # the stages import pandas, openpyxl, python-docx: only when a command runs

    path = cycle.init_template(ctx.obj["root"], force)
    click.echo(f"Đã tạo mẫu gốc {_shown(path, load_settings(ctx.obj['root']).root)}. Có thể mở bằng Excel để sửa lời hướng dẫn, màu và độ rộng cột; "
               "không đổi tên trang tính và tiêu đề cột.")
