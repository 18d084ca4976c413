"""Errors the officer sees: each carries a one-line Vietnamese message."""

from __future__ import annotations

from pathlib import Path


class BaocaoError(Exception):
    """Base of every error reported to the officer; str() is the Vietnamese message."""

    exit_code = 1


class ConfigError(BaocaoError):
    """A settings, plan or registry file is wrong; the officer must fix the file."""

    exit_code = 2

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}" + (f", dòng {line}" if line is not None else "") + ": "
        super().__init__(where + message)
        self.path = path
        self.line = line


class UsageError(BaocaoError):
    """The command was called the wrong way."""

    exit_code = 2


class OutputError(BaocaoError):
    """An output file cannot be written (often: it is open in Excel on Windows, or the disk is full)."""

    exit_code = 2
