"""`baocao codes`: every finding code with its severity and meaning, from the one catalogue."""

from __future__ import annotations

import click
from rich.table import Table

from pipeline.cli.app import CONTEXT, cli, console, echo_json
from pipeline.model.errors import UsageError
from pipeline.model.findings import CATALOGUE


def codes_json() -> list[dict[str, str]]:
    """The catalogue as plain data."""
    return [{"code": code, "severity": str(c.severity), "severity_vi": c.severity.label, "group": c.group,
             "title": c.title, "message": c.message} for code, c in CATALOGUE.items()]


@cli.command(context_settings=CONTEXT)
@click.argument("code", required=False)
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON cho chương trình khác đọc.")
def codes(code: str | None, as_json: bool) -> None:
    """Danh sách mã lỗi, cảnh báo mà công cụ có thể báo, với mức độ và ý nghĩa.

    Lỗi làm tệp bị từ chối (đơn vị phải sửa và gửi lại); cảnh báo không chặn việc tổng hợp.

    \b
    Ví dụ:
      baocao codes
      baocao codes not-a-number
      baocao codes --json
    """
    rows = codes_json()
    if code is not None:
        rows = [r for r in rows if r["code"] == code.strip().lower()]
        if not rows:
            raise UsageError(f"không có mã “{code}”; xem danh sách bằng lệnh: baocao codes")
    if as_json:
        echo_json(rows[0] if code is not None else rows)
        return
    out = console()
    if code is not None:
        r = rows[0]
        out.print(f"[bold]{r['code']}[/bold] — {r['title']} ({r['severity_vi']}; nhóm: {r['group']})")
        out.print(r["message"])
        return
    table = Table(show_lines=False, expand=True)
    for name in ("Mã", "Mức độ", "Nhóm", "Ý nghĩa"):
        table.add_column(name)
    for r in rows:
        table.add_row(r["code"], r["severity_vi"], r["group"], r["title"])
    out.print(table)
