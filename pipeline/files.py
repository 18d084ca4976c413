"""Reading the officer's own files (CSV registers, TOML settings) with errors that name file and line."""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.text import nfc


def read_csv(path: Path, columns: tuple[str, ...], absent: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, NFC values of `columns`) per row of a UTF-8 CSV (BOM or not); `absent` if no file."""
    if not path.is_file():
        raise ConfigError(absent, path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("tệp không ở mã UTF-8; hãy lưu lại dạng “CSV UTF-8”", path) from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError(f"thiếu cột {', '.join(missing)}", path, 1)
    for row in reader:
        yield reader.line_num, {k: nfc(row.get(k) or "") for k in columns}


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; a syntax error becomes a Vietnamese one-liner with its line."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, path) from None
    except UnicodeDecodeError:
        raise ConfigError("tệp không ở mã UTF-8", path) from None


def toml_error(exc: tomllib.TOMLDecodeError, path: Path) -> ConfigError:
    """A Vietnamese one-liner for a TOML syntax error, with the line it happened on."""
    where = re.search(r"line (\d+), column (\d+)", str(exc))
    if where is None:
        return ConfigError("sai cú pháp TOML; kiểm tra dấu nháy và dấu bằng", path)
    line, column = int(where.group(1)), int(where.group(2))
    return ConfigError(f"sai cú pháp TOML ở cột {column}; kiểm tra dấu nháy và dấu bằng", path, line)
