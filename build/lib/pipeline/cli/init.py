"""`baocao init`: a new workspace for a province and its department."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.app import CONTEXT, cli
from pipeline.workspace.create import create_workspace


@cli.command("init", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--province", required=True, help="Tên tỉnh hoặc thành phố trực thuộc trung ương, ví dụ “Quảng Trị”.")
@click.option("--department", required=True, help="Cơ quan tổng hợp báo cáo, ví dụ “Sở Y tế”.")
@click.option("--department-code", "code", required=True, help="Mã của cơ quan đó trong danh mục, ví dụ SYT.")
@click.option("--level", type=click.Choice(["tỉnh", "thành phố"]), default=None,
              help="“thành phố” cho thành phố trực thuộc trung ương (mặc định: theo --province, hoặc “tỉnh”).")
def init_command(folder: Path, province: str, department: str, code: str, level: str | None) -> None:
    """Tạo thư mục làm việc mới: baocao.toml, danh mục cơ quan, mẫu biểu, inbox/, outbox/.

    Các mục chưa biết (người ký, hạn nộp, cán bộ đầu mối…) để trống trong baocao.toml;
    lệnh nào cần sẽ báo tên mục đó.

    \b
    Ví dụ:
      baocao init D:\\BaoCao\\TNTT --province "Quảng Trị" --department "Sở Y tế" --department-code SYT
      baocao init danang --province "Đà Nẵng" --level "thành phố" --department "Sở Khoa học và Công nghệ" --department-code SKHCN
    """
    created = create_workspace(folder, province, department, code, level)
    root = created.root
    click.echo(f"Đã tạo thư mục làm việc {root}:")
    click.echo("  baocao.toml (cấu hình), plan/agencies.csv (danh mục cơ quan), templates/ (mẫu biểu mẫu và báo cáo),"
               " plan/nguon/, inbox/, outbox/")
    click.echo(f"Việc tiếp theo (chạy các lệnh trong thư mục đó: cd \"{root}\"):")
    click.echo("  1. Mở plan/agencies.csv bằng Excel: thêm các sở, ngành, đoàn thể và UBND cấp huyện, cấp xã "
               "(mã, tên, tên ngắn, loại, email). Lưu dạng “CSV UTF-8”.")
    click.echo("  2. Chép văn bản ban hành kế hoạch (.docx hoặc .txt) vào plan/nguon/ rồi chạy:")
    click.echo("       baocao plan import plan/nguon/<tên tệp>")
    click.echo("  3. Mở baocao.toml bằng Notepad: điền hạn nộp (deadline), cán bộ đầu mối [contact], "
               "người ký [signer], ký hiệu báo cáo (report_symbol).")
    click.echo("  4. Tạo biểu mẫu: baocao generate --year <năm>")
