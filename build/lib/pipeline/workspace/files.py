"""The officer's own files: CSV registers and TOML settings read with errors that name file and line,
and the one atomic writer every output goes through."""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomli_w

from pipeline.model.errors import ConfigError, OutputError
from pipeline.model.text import nfc

# A value of the officer's files may hold no control character: a line break inside a CSV field or a
# TOML string is almost always a paste from Word, and would break every file built from it.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def read_csv(path: Path, columns: tuple[str, ...], absent: str, single_line: bool = False,
             optional: tuple[str, ...] = (), others: bool = False) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, NFC values of `columns`) per row of a UTF-8 CSV (BOM or not); `absent` if no file.

    With `single_line`, a value holding a line break or control character is a ConfigError.
    `optional` columns may be missing (their values are then ""); with `others`, every further
    column comes too, under its header.
    """
    if not path.is_file():
        raise ConfigError(absent, path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("tệp không ở mã UTF-8; hãy lưu lại dạng “CSV UTF-8”", path) from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [nfc(h) for h in reader.fieldnames or [] if h is not None]
    missing = [c for c in columns if c not in header and c not in optional]
    if missing:
        raise ConfigError(f"thiếu cột {', '.join(missing)}", path, 1)
    keys = (*columns, *optional, *(h for h in header if h not in columns and h not in optional and h)) if others \
        else (*columns, *optional)
    reader.fieldnames = header
    for row in reader:
        if single_line:
            for key in keys:
                check_text(row.get(key) or "", path, reader.line_num, key)
        yield reader.line_num, {k: nfc(row.get(k) or "") for k in keys}


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


def write_toml(path: Path, data: dict[str, Any], header: str = "") -> None:
    """Write `data` as TOML (a comment `header` first), atomically; it always reads back the same."""
    text = tomli_w.dumps(data, multiline_strings=False)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    write_atomic(path, (comment + text).encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    Readers never see half a file; a failure leaves the old file and no temporary one. The
    officer gets one Vietnamese line naming the path and what to do.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are shared with colleagues
        os.replace(tmp, path)
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def output_error(path: Path, exc: OSError) -> OutputError:
    """The officer's reading of an operating-system refusal to write `path`."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"không ghi được {path}: ổ đĩa đã đầy. Hãy giải phóng dung lượng rồi chạy lại.")
    if exc.errno == errno.EROFS:
        return OutputError(f"không ghi được {path}: ổ đĩa chỉ cho đọc. Hãy chọn thư mục outbox ở ổ khác "
                           "(mục [paths] trong baocao.toml) rồi chạy lại.")
    if exc.errno == errno.EISDIR or path.is_dir():
        return OutputError(f"không ghi được {path}: đã có một thư mục cùng tên. Hãy đổi tên hoặc xóa thư mục đó "
                           "rồi chạy lại.")
    if isinstance(exc, PermissionError):
        return OutputError(f"không ghi được {path}: tệp đang mở trong Excel hoặc chương trình khác, hoặc không có "
                           "quyền ghi. Hãy đóng tệp rồi chạy lại.")
    return OutputError(f"không ghi được {path} ({exc.strerror or type(exc).__name__}). Hãy kiểm tra ổ đĩa và "
                       "quyền ghi rồi chạy lại.")


def check_strings(data: dict[str, Any], path: Path) -> None:
    """Every text value of a TOML file on one line, without control characters: else a ConfigError at its line."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()

    def line_of(key: str) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        return next((n for n, text in enumerate(lines, start=1) if pattern.match(text)), None)

    def walk(value: object, key: str, where: int | None) -> None:
        if isinstance(value, str):
            check_text(value, path, where, key)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k), line_of(str(k)) or where)
        elif isinstance(value, list):
            for item in value:
                walk(item, key, where)

    walk(data, "", None)


def check_text(value: str, path: Path, line: int | None = None, key: str = "") -> str:
    """`value` unless it holds a line break or control character: then a ConfigError naming file and line."""
    if _CONTROL.search(value):
        where = f" ở {key}" if key else ""
        raise ConfigError(f"giá trị{where} có ký tự xuống dòng hoặc ký tự điều khiển; hãy viết trên một dòng",
                          path, line)
    return value
