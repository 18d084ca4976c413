"""The agency registry on disk: plan/agencies.csv, read with errors that name file and line.

Columns (docs/huong-dan-su-dung.md, chapter 8): code, name, short_name, aliases (separated by
';'), kind (KINDS), email, in_related_group (1: member of “Các sở, ngành liên quan”).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.model.agencies import KIND_HELP, KINDS, LEVEL_CODES, Agency, Registry
from pipeline.model.errors import ConfigError
from pipeline.model.text import strip_diacritics
from pipeline.workspace.files import read_csv

COLUMNS = ("code", "name", "short_name", "aliases", "kind", "email", "in_related_group")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")


def _bool(value: str) -> bool | None:
    folded = strip_diacritics(value.strip()).lower()
    if folded in ("1", "x", "co", "yes", "true", "c"):
        return True
    if folded in ("", "0", "khong", "no", "false", "k"):
        return False
    return None


def load_registry(path: Path) -> Registry:
    """Read the agency registry CSV (UTF-8, with or without BOM); errors name file and line."""
    agencies: list[Agency] = []
    seen: dict[str, int] = {}
    for line, values in read_csv(path, COLUMNS, "không tìm thấy tệp danh mục cơ quan", single_line=True):
        if not any(values.values()):
            continue  # a blank line left in Excel
        code = values["code"].upper()
        if not _CODE.match(code):
            raise ConfigError(f"mã cơ quan “{values['code']}” không hợp lệ (chữ in hoa không dấu, số, “_”)", path, line)
        if code in LEVEL_CODES.values():
            raise ConfigError(f"mã cơ quan {code} dành cho “mọi đơn vị một cấp” của chương trình; hãy đặt mã khác",
                              path, line)
        if code in seen:
            raise ConfigError(f"mã cơ quan {code} trùng với dòng {seen[code]}", path, line)
        seen[code] = line
        if not values["name"]:
            raise ConfigError(f"cơ quan {code} chưa có tên", path, line)
        if values["kind"] not in KINDS:
            kinds = "; ".join(f"{k} ({KIND_HELP[k]})" for k in KINDS)
            raise ConfigError(f"loại cơ quan “{values['kind']}” không hợp lệ; dùng một trong: {kinds}", path, line)
        member = _bool(values["in_related_group"])
        if member is None:
            raise ConfigError(f"cột in_related_group phải là 1 hoặc 0, không phải “{values['in_related_group']}”", path, line)
        aliases = tuple(a.strip() for a in values["aliases"].split(";") if a.strip())
        agencies.append(
            Agency(code, values["name"], values["short_name"] or values["name"], aliases,
                   values["kind"], values["email"], member)
        )
    registry = Registry(agencies, path)
    _check_unambiguous(registry)
    return registry


def _check_unambiguous(registry: Registry) -> None:
    """Every official and short name must lead back to its own agency only."""
    for agency in registry:
        if agency.covers:
            continue
        for name in (agency.name, agency.short_name):
            codes = registry.candidates(name)
            if agency.code not in codes or len(codes) > 1:
                others = ", ".join(c for c in codes if c != agency.code)
                raise ConfigError(f"tên “{name}” của {agency.code} trùng với {others}", registry.path)
