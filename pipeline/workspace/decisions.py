"""decisions.toml: the officer's overrides (exclude a file, choose a version, a file's password), each with a reason."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from pipeline.model.errors import ConfigError, UsageError
from pipeline.model.text import nfc
from pipeline.workspace.files import read_toml, write_atomic
from pipeline.workspace.outbox import workspace_lock

DECISIONS_FILE = "decisions.toml"


@dataclass(frozen=True)
class Override:
    """One decision of the officer: exclude a file, or choose it over the agency's other files."""

    action: str  # "exclude" | "choose"
    year: int
    file: str
    reason: str


ACTIONS = ("exclude", "choose")
_HEADER = "# Quyết định của cán bộ tổng hợp. Mỗi mục cần đủ: year, file, reason.\n"


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


def _one_line(text: str) -> str:
    return " ".join(nfc(text).split())


def record_decision(root: Path, outbox: Path, decision: Override, withdraw: Iterable[str] = (),
                    wait: float = 10.0) -> None:
    """Add `decision` to decisions.toml, atomically and under the workspace lock; the officer's comments stay.

    `withdraw` names files of the same year whose decision of the same action the new one replaces
    (choosing a version replaces the choice of another version of that agency).
    """
    if decision.action not in ACTIONS:
        raise ValueError(decision.action)
    reason, file = _one_line(decision.reason), nfc(decision.file).replace("\\", "/").strip()
    if not reason:
        raise UsageError("cần ghi lý do cho quyết định")
    if not file:
        raise UsageError("quyết định cần tên tệp")
    dropped = {nfc(f) for f in withdraw} | {file}

    def change(doc: tomlkit.TOMLDocument) -> None:
        _drop(doc, decision.action, decision.year, dropped)
        entry = tomlkit.table()
        entry.add(tomlkit.comment(f"ghi từ trang làm việc ngày {dt.datetime.now():%d/%m/%Y %H:%M}"))
        entry.add("year", decision.year)
        entry.add("file", file)
        entry.add("reason", reason)
        entry.add(tomlkit.nl())
        items = doc.get(decision.action)
        if items is None:
            doc.add(decision.action, tomlkit.aot())
            items = doc[decision.action]
        if not isinstance(items, tomlkit.items.AoT):
            raise ConfigError(f"mục {decision.action} phải viết dạng [[{decision.action}]]", root / DECISIONS_FILE)
        items.append(entry)

    _edit(root, outbox, change, wait)


def withdraw_decision(root: Path, outbox: Path, action: str, year: int, file: str, wait: float = 10.0) -> None:
    """Remove the officer's `action` on `file` for `year` from decisions.toml (atomically, under the lock)."""
    _edit(root, outbox, lambda doc: _drop(doc, action, year, {nfc(file)}), wait)


def _drop(doc: tomlkit.TOMLDocument, action: str, year: int, files: set[str]) -> None:
    items = doc.get(action)
    if items is None:
        return
    keep = [i for i, item in enumerate(items)
            if not (isinstance(item, dict) and _is(item, year, files))]
    if len(keep) == len(items):
        return
    if not keep:
        del doc[action]
        return
    for i in reversed(range(len(items))):
        if i not in keep:
            del items[i]


def _is(item: dict[str, Any], year: int, files: set[str]) -> bool:
    try:
        return int(item.get("year", 0)) == year and nfc(str(item.get("file", ""))).replace("\\", "/").strip() in files
    except (TypeError, ValueError):
        return False


def _edit(root: Path, outbox: Path, change: Callable[[tomlkit.TOMLDocument], None], wait: float) -> None:
    """Read, change and write decisions.toml as one step under the workspace lock; check it reads back."""
    path = root / DECISIONS_FILE
    with workspace_lock(outbox, wait):
        before = read_toml(path) if path.is_file() else {}  # a syntax error is the officer's to fix, with its line
        text = path.read_text(encoding="utf-8-sig") if path.is_file() else _HEADER
        try:
            doc = tomlkit.parse(text)
            change(doc)
            out = tomlkit.dumps(doc)
            after = tomllib.loads(out)
        except (TOMLKitError, tomllib.TOMLDecodeError):
            raise ConfigError("không sửa được tệp này; hãy mở bằng Notepad, kiểm tra rồi thử lại", path) from None
        # only the two lists of decisions may change: passwords and anything else read back as they were
        if {k: v for k, v in before.items() if k not in ACTIONS} != {k: v for k, v in after.items() if k not in ACTIONS}:
            raise ConfigError("không sửa được tệp này mà giữ nguyên các mục khác; hãy sửa bằng Notepad", path)
        write_atomic(path, out.encode("utf-8"))
