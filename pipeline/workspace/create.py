"""A new workspace for a province, a department and (later) a plan: `baocao init`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

import tomli_w

from pipeline.model.agencies import LEVEL_CODES
from pipeline.model.errors import UsageError
from pipeline.model.text import nfc
from pipeline.workspace.files import output_error, write_atomic
from pipeline.workspace.registry import COLUMNS
from pipeline.workspace.settings import SETTINGS_FILE, split_province, load_settings
from pipeline.workspace.templates import TEMPLATES, install_template

GROUP_CODE = "LIENQUAN"
# The group most plans name as partners; its members are marked in_related_group = 1.
GROUP_ROW = {"code": GROUP_CODE, "name": "Các sở, ngành liên quan", "short_name": "Các sở, ngành liên quan",
             "aliases": "Các sở, ban, ngành liên quan; Các cơ quan liên quan; Các đơn vị liên quan; "
                        "Các cơ quan, đơn vị liên quan; Các sở, ngành, đoàn thể liên quan",
             "kind": "nhom", "email": "", "in_related_group": "0"}
FOLDERS = ("plan/nguon", "templates", "inbox", "outbox")


@dataclass(frozen=True)
class Created:
    """What `init` wrote."""

    root: Path
    files: tuple[Path, ...]


def _toml(value: str | int) -> str:
    """`value` written as TOML (quoted and escaped for a string)."""
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def settings_text(province: str, level: str, department: str, code: str, year: int) -> str:
    """The commented baocao.toml of a new workspace."""
    shipped = resources.files("pipeline").joinpath("templates", SETTINGS_FILE).read_text(encoding="utf-8")
    values = {"province": _toml(province), "province_level": _toml(level), "department": _toml(department),
              "department_code": _toml(code), "year": str(year)}
    lines = []
    for line in shipped.splitlines():
        key = line.split(" = $", 1)[0]
        if key in values and line.startswith(f"{key} = ${key}"):
            # keep the comments of filled-in lines in their column
            code_part = f"{key} = {values[key]}"
            line = code_part.ljust(35) + " " + line[len(f"{key} = ${key}"):].lstrip()
        lines.append(line)
    return Template("\n".join(lines) + "\n").substitute(values)


def registry_text(department: str, code: str) -> bytes:
    """plan/agencies.csv with its header, the department itself and the group 'Các sở, ngành liên quan'."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerow({"code": code, "name": department, "short_name": department, "aliases": "", "kind": "so_nganh",
                     "email": "", "in_related_group": "1"})
    if code != GROUP_CODE:
        writer.writerow(GROUP_ROW)
    return out.getvalue().encode("utf-8-sig")  # Excel opens a UTF-8 CSV right only with its BOM


def create_workspace(root: Path, province: str, department: str, code: str, level: str | None = None,
                     today: dt.date | None = None) -> Created:
    """Write baocao.toml, plan/agencies.csv, templates/ and the empty folders; refuse an existing workspace."""
    root = root.resolve()
    if (root / SETTINGS_FILE).exists():
        raise UsageError(f"{root} đã là thư mục làm việc (có {SETTINGS_FILE}); không ghi đè. Chọn thư mục khác, "
                         "hoặc sửa các tệp đang có")
    name, written_level = split_province(province)
    department, code = nfc(department), code.strip().upper()
    if not name or not department:
        raise UsageError("cần ghi tên tỉnh (--province) và tên cơ quan tổng hợp (--department)")
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,31}", code) or code in LEVEL_CODES.values():
        raise UsageError(f"mã cơ quan “{code}” không dùng được: chữ in hoa không dấu, số, “_”, ví dụ SYT")
    chosen = nfc(level).lower() if level else (written_level or "tỉnh")
    if chosen not in ("tỉnh", "thành phố"):
        raise UsageError(f"--level “{level}” không hợp lệ; ghi “tỉnh” hoặc “thành phố”")
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} là một tệp, không phải thư mục")
    year = (today or dt.date.today()).year
    files = [root / SETTINGS_FILE, root / "plan" / "agencies.csv"]
    try:
        for folder in FOLDERS:
            (root / folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(root, exc) from None
    registry = root / "plan" / "agencies.csv"
    if not registry.exists():  # an officer's registry already there is kept
        write_atomic(registry, registry_text(department, code))
    for template in TEMPLATES:
        path = root / "templates" / template
        if not path.exists():
            install_template(template, path)
            files.append(path)
    write_atomic(root / SETTINGS_FILE, settings_text(name, chosen, department, code, year).encode("utf-8"))
    load_settings(root)  # what was written reads back
    return Created(root, tuple(files))
