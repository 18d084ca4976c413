"""The outbox changes all at once: a command builds a year's outputs in a fresh folder and swaps it in.

After any interruption — Ctrl-C, a killed process, a full disk, a power cut — the outbox holds
either the previous complete set of a year's outputs or the new complete set, never a mix, and
the next command tidies what an interrupted one left. One command runs on a workspace at a time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.model.errors import OutputError, UsageError
from pipeline.workspace.files import output_error

# What `generate` writes into a year's folder of the outbox.
WORKBOOKS_DIR = "mau"  # one workbook per agency
DRAFTS_DIR = "thu"  # one request e-mail per agency
SEND_LIST = "danh-sach-gui.csv"  # who gets which workbook at which address

LOCK_FILE = ".baocao.lock"
_STAGING, _OLD = ".tmp-", ".old-"


class Busy(UsageError):
    """Another baocao command is working on this workspace."""


@contextlib.contextmanager
def workspace_lock(outbox: Path, wait: float = 2.0) -> Iterator[None]:
    """Hold the workspace's lock (a file in the outbox); a second command waits `wait` seconds, then refuses."""
    try:
        outbox.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(outbox, exc) from None
    lock = FileLock(str(outbox / LOCK_FILE))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise Busy("một lệnh baocao khác đang chạy trên thư mục làm việc này (hoặc trang làm việc trên trình "
                   "duyệt đang kiểm tra, tổng hợp). Hãy đợi lệnh đó xong rồi chạy lại.") from None
    except OSError as exc:
        raise output_error(outbox / LOCK_FILE, exc) from None
    try:
        yield
    finally:
        lock.release()


def tidy(outbox: Path) -> None:
    """Finish what an interrupted command left: drop half-built folders, restore a set half swapped."""
    if not outbox.is_dir():
        return
    for path in sorted(outbox.iterdir()):
        name = path.name
        if name.startswith(_STAGING):
            shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(_OLD):
            target = outbox / name[len(_OLD):].rsplit(".", 1)[0]
            if target.exists():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.rename(target)
    for stray in outbox.rglob(".*.tmp"):  # a temporary file of the atomic writer, left by a kill
        with contextlib.suppress(OSError):
            stray.unlink()


def _carry(source: Path, dest: Path) -> None:
    """Put `source` into the new set unchanged: hard links where the disk allows, copies elsewhere."""
    if source.is_dir():
        shutil.copytree(source, dest, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(source), str(dest))


def _link_or_copy(source: str, dest: str) -> str:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)
    return dest


@contextlib.contextmanager
def replacing(folder: Path, produced: Iterable[str]) -> Iterator[Path]:
    """A fresh folder standing for `folder`: write the outputs named `produced` (top-level names) into it.

    Everything else already in `folder` is carried over; on success the fresh folder replaces
    `folder` in two renames, on any failure it is removed and `folder` is left as it was.
    """
    parent = folder.parent
    token = uuid.uuid4().hex[:8]
    staging = parent / f"{_STAGING}{folder.name}.{token}"
    try:
        tidy(parent)
        staging.mkdir(parents=True)
        names = set(produced)
        if folder.is_dir():
            for item in folder.iterdir():
                if item.name not in names and not item.name.endswith(".tmp"):
                    _carry(item, staging / item.name)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise output_error(staging if staging.exists() else parent, exc) from None
    try:
        yield staging
    except OutputError as exc:  # name the file the officer knows, not the half-built folder
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(str(exc).replace(str(staging), str(folder))) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = parent / f"{_OLD}{folder.name}.{token}"
    try:
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
    except OSError as exc:
        if old.exists() and not folder.exists():
            with contextlib.suppress(OSError):
                old.rename(folder)
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, PermissionError):
            raise OutputError(f"không thay được thư mục {folder}: có tệp trong đó đang mở (Excel, Word…). Hãy đóng "
                              "các tệp đó rồi chạy lại.") from None
        raise output_error(folder, exc) from None
    shutil.rmtree(old, ignore_errors=True)
