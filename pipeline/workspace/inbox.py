"""Saving a file into inbox/<year>/ the one way the inbox may change: a new file, byte for byte, never overwriting.

The desk in the browser saves what the officer drops on the page through here. A file is written
under a hidden temporary name (the check's walk skips hidden files, so a half-written upload is
never read), then given its final name by a hard link, which fails rather than replace a file
that appeared meanwhile. A name already taken (in any letter case, as Windows sees it) gets a
suffix; a file whose bytes are already in the folder is not saved twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePath
from types import TracebackType

from pipeline.model.errors import UsageError
from pipeline.model.text import nfc
from pipeline.workspace.files import output_error

_TEMP_PREFIX = ".baocao-tai-len-"
# Characters Windows forbids in names, path separators of every system, and the separator the check
# uses between a container and its members.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*»]')
# Control characters and the invisible ones that reorder or hide text (bidi overrides, zero widths).
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_NAME = 120  # characters; leaves room for the folder in Windows' 260-character paths
DEFAULT_NAME = "tep-tai-len"


class TooLarge(UsageError):
    """An upload went past the size limit; nothing of it was kept."""


@dataclass(frozen=True)
class Saved:
    """Where an upload went: its final name in the folder, or the file it is identical to."""

    name: str
    size: int
    digest: str
    same_as: str = ""  # when not empty, nothing was written: these bytes are already in the folder as `same_as`


def safe_name(client_name: str) -> str:
    """A file name the inbox can hold on any system: the last path part, no control or reserved characters."""
    base = re.split(r"[/\\]", nfc(client_name))[-1]
    base = _INVISIBLE.sub("", base)
    base = _FORBIDDEN.sub("_", base)
    base = re.sub(r"\s+", " ", base).strip(" .")  # Windows drops trailing dots and spaces; leading ones hide a file
    base = base.lstrip("~$ .")  # "~$…" is an Excel lock file, skipped by the check
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    if stem.split(".")[0].strip().lower() in _RESERVED:
        stem = "_" + stem
    if not stem.strip(" ._"):
        stem = DEFAULT_NAME
    ext = ext[:16]
    stem = stem[: MAX_NAME - len(ext) - 1].rstrip(" .")
    return f"{stem}.{ext}" if ext else stem


def _suffixed(name: str, n: int) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem} ({n}).{ext}" if dot else f"{name} ({n})"


class InboxWriter:
    """One upload being written into `folder`; `commit()` gives it its name, anything else leaves no trace."""

    def __init__(self, folder: Path, client_name: str, limit: int) -> None:
        self.folder = folder
        self.name = safe_name(client_name)
        self.limit = limit
        self.size = 0
        self._hash = hashlib.sha256()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._temp = folder / f"{_TEMP_PREFIX}{uuid.uuid4().hex}.tmp"
            self._fh = open(self._temp, "xb")
        except OSError as exc:
            raise output_error(folder, exc) from None
        self._open = True

    def write(self, chunk: bytes) -> None:
        """Append `chunk`; past the limit the upload is dropped and TooLarge raised."""
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise TooLarge(self.name)
        self._hash.update(chunk)
        try:
            self._fh.write(chunk)
        except OSError as exc:
            self.abort()
            raise output_error(self.folder / self.name, exc) from None

    def abort(self) -> None:
        """Forget the upload: the temporary file is removed."""
        if self._open:
            self._open = False
            with contextlib.suppress(OSError):
                self._fh.close()
        with contextlib.suppress(OSError):
            self._temp.unlink()

    def commit(self) -> Saved:
        """Give the upload its final name (suffixed on a clash), or drop it if the folder has these bytes."""
        digest = self._hash.hexdigest()
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._open = False
            same = _identical(self.folder, self.size, digest)
            if same:
                return Saved(same, self.size, digest, same_as=same)
            return Saved(self._link(), self.size, digest)
        except OSError as exc:
            raise output_error(self.folder / self.name, exc) from None
        finally:
            self.abort()

    def _link(self) -> str:
        taken = {p.name.casefold() for p in self.folder.iterdir()}
        for n in range(1, 10_000):
            name = self.name if n == 1 else _suffixed(self.name, n)
            if name.casefold() in taken:
                continue
            try:
                os.link(self._temp, self.folder / name)  # fails if the name appeared meanwhile: never overwrites
            except FileExistsError:
                continue
            except OSError:
                if os.name != "nt":
                    raise
                try:  # no hard links on this disk (FAT, exFAT): Windows' rename never replaces a file either
                    os.rename(self._temp, self.folder / name)
                except FileExistsError:
                    continue
            return name
        raise OSError("no free name")

    def __enter__(self) -> InboxWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.abort()


def _identical(folder: Path, size: int, digest: str) -> str:
    """The name (relative to `folder`) of a file already there with exactly these bytes, else ''."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            try:
                if path.is_symlink() or path.stat().st_size != size:
                    continue
                h = hashlib.sha256()
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
            except OSError:
                continue
            if h.hexdigest() == digest:
                return PurePath(path.relative_to(folder)).as_posix()
    return ""


def tidy_uploads(folder: Path) -> None:
    """Remove temporary files an interrupted upload left in `folder` (they were never part of the inbox)."""
    if folder.is_dir():
        for stray in folder.glob(f"{_TEMP_PREFIX}*.tmp"):
            with contextlib.suppress(OSError):
                stray.unlink()
