"""decisions.toml: the officer's overrides (exclude a file, choose a version, a file's password), each with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.model.errors import ConfigError
from pipeline.model.text import nfc
from pipeline.workspace.files import read_toml

DECISIONS_FILE = "decisions.toml"


@dataclass(frozen=True)
class Override:
    """One decision of the officer: exclude a file, or choose it over the agency's other files."""

    action: str  # "exclude" | "choose"
    year: int
    file: str
    reason: str



def load_decisions(root: Path, year: int) -> list[Override]:
    """The officer's overrides for `year` from decisions.toml (none if the file is absent)."""
    path = root / DECISIONS_FILE
    if not path.is_file():
        return []
    data = read_toml(path)
    out = []
    for action in ("exclude", "choose"):
        for i, item in enumerate(data.get(action, []), start=1):
            if not isinstance(item, dict) or not {"year", "file", "reason"} <= set(item):
                raise ConfigError(f"mục [[{action}]] thứ {i} cần đủ year, file, reason", path)
            if not str(item["reason"]).strip():
                raise ConfigError(f"mục [[{action}]] thứ {i}: cần ghi lý do (reason)", path)
            # paths as the check report shows them; accept Windows backslashes too
            file = nfc(str(item["file"])).replace("\\", "/").strip()
            out.append(Override(action, int(item["year"]), file, nfc(str(item["reason"]))))
    return [o for o in out if o.year == year]


def load_passwords(root: Path, year: int) -> tuple[tuple[str, str], ...]:
    """(file, password) pairs of [[password]] for `year`: the passwords agencies told the officer.

    ```toml
    [[password]]
    year = 2015
    file = "TUPHAP_so-tu-phap_2015.xlsx"   # the path as the check report shows it
    password = "123456"
    reason = "Sở Tư pháp báo mật khẩu qua điện thoại ngày 12/12"
    ```
    """
    path = root / DECISIONS_FILE
    if not path.is_file():
        return ()
    out = []
    for i, item in enumerate(read_toml(path).get("password", []), start=1):
        if not isinstance(item, dict) or not {"year", "file", "password", "reason"} <= set(item):
            raise ConfigError(f"mục [[password]] thứ {i} cần đủ year, file, password, reason", path)
        if not str(item["reason"]).strip():
            raise ConfigError(f"mục [[password]] thứ {i}: cần ghi lý do (reason)", path)
        if not isinstance(item["password"], str) or not item["password"]:
            raise ConfigError(f"mục [[password]] thứ {i}: mật khẩu (password) phải là chuỗi trong ngoặc kép", path)
        if int(item["year"]) == year:
            out.append((nfc(str(item["file"])).replace("\\", "/").strip(), item["password"]))
    return tuple(out)
