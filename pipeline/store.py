"""Results kept by content: an inbox file already checked against the same plan, registry and code is not read again.

One SQLite file in the outbox (outbox/.store/ket-qua.sqlite), which the officer never has to think
about: deleting it costs one slower run. A result is found by what it was checked against (the
context: tool code, workbook contract, plan, registry, year, passwords…), the file's place in the
inbox, and then the file itself: first its size and times (no read), else the SHA-256 of its bytes.
Anything that could change a verdict changes the context, so a stored result is never stale.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import pickle
import sqlite3
import stat
import zlib
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from pipeline.model.submission import FileResult, Submission

SEP = " » "  # between an inbox file's name and a member's inside it (as pipeline.intake.unpack shows them)

STORE_DIR = ".store"
STORE_FILE = "ket-qua.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results_v1 (
    context TEXT NOT NULL,
    display TEXT NOT NULL,
    year INTEGER NOT NULL,
    stat TEXT NOT NULL,
    digest TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (context, display)
)
"""


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A fingerprint of the code that makes a verdict: any change to it invalidates every stored result."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for sub in ("model", "intake", "read", "check"):
        for path in sorted((package / sub).rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update((package / "store.py").read_bytes())
    return digest.hexdigest()[:24]


def stat_key(path: Path) -> str:
    """Size and times of a file: equal keys mean the file was not written since (no read needed).

    Only regular files have one (OSError otherwise): a FIFO would block the reader, a device never end.
    """
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(f"not a regular file: {path}")
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class Stored:
    """Where a check's submissions were left, for the merge to read the few it counts."""

    outbox: Path
    year: int
    context: str

    def load(self, paths: Iterable[str]) -> dict[str, Submission]:
        with Store(self.outbox, self.year, self.context) as store:
            return store.submissions(paths)


@dataclasses.dataclass(frozen=True)
class Probe:
    """What the store needs to know of one inbox entry to find its result."""

    display: str
    stat: str
    digest: str = ""


class Store:
    """The stored results of one workspace; opened for one check, closed after it."""

    def __init__(self, outbox: Path, year: int, context: str) -> None:
        self.year, self.context = year, context
        self.path = outbox / STORE_DIR / STORE_FILE
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=5)
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error):
            self._db = None  # a store that cannot be opened only costs speed: everything is checked again

    @property
    def usable(self) -> bool:
        """False when the store could not be opened or written: results must then stay in memory."""
        return self._db is not None

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def find(self, entry: Path, display: str) -> tuple[list[FileResult] | None, Probe | None]:
        """The stored results of an inbox entry, or None; and the probe to store new results under."""
        try:
            stat = stat_key(entry)
        except OSError:
            return None, None  # gone or unreadable: the check says so
        row = None
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                row = self._db.execute("SELECT stat, digest, data FROM results_v1 WHERE context = ? AND display = ?",
                                       (self.context, display)).fetchone()
        if row is not None and row[0] == stat:
            return self._load(row[2], entry), Probe(display, stat, row[1])
        try:
            digest = file_digest(entry)
            if stat_key(entry) != stat:
                return None, None  # changed while it was read: the check reads it afresh
        except OSError:
            return None, None
        probe = Probe(display, stat, digest)
        if row is not None and row[1] == digest:  # the same bytes, written again (copied, touched)
            results = self._load(row[2], entry)
            if results is not None:
                self.save([(probe, results)])
                return results, probe
        return None, probe

    def _load(self, data: bytes, entry: Path) -> list[FileResult] | None:
        try:
            results: list[FileResult] = pickle.loads(zlib.decompress(data))
        except Exception:  # a store written by another version, or damaged: check again
            return None
        try:
            mtime = datetime.fromtimestamp(entry.stat().st_mtime, timezone.utc)
        except (OSError, OverflowError, ValueError):
            return results
        # the file time decides between an agency's versions: the file's own, not the stored one
        return [dataclasses.replace(r, mtime=mtime) if r.mtime is not None else r for r in results]

    def save(self, rows: Iterable[tuple[Probe, list[FileResult]]]) -> bool:
        """Store results (one transaction); False, and the store no longer used, when it cannot be written."""
        if self._db is None:
            return False
        data = [(self.context, p.display, self.year, p.stat, p.digest,
                 zlib.compress(pickle.dumps(r, protocol=5), 1)) for p, r in rows]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO results_v1 VALUES (?, ?, ?, ?, ?, ?)", data)
        except sqlite3.Error:
            self.close()  # a full disk or a locked file: the rest of the run keeps its results in memory
            return False
        return True

    def submissions(self, paths: Iterable[str]) -> dict[str, Submission]:
        """The submissions read from the files at these display paths, as stored."""
        wanted = set(paths)
        out: dict[str, Submission] = {}
        if self._db is None:
            return out
        for root in sorted({p.split(SEP)[0] for p in wanted}):
            try:
                row = self._db.execute("SELECT data FROM results_v1 WHERE context = ? AND display = ?",
                                       (self.context, root)).fetchone()
                results: list[FileResult] = pickle.loads(zlib.decompress(row[0])) if row else []
            except Exception:  # noqa: BLE001  a damaged store: that file is not merged, as if unread
                continue
            out.update({r.path: r.submission for r in results if r.path in wanted and r.submission is not None})
        return out

    def keep_only(self, displays: Iterable[str]) -> None:
        """Forget the year's results checked against anything else, or of files no longer in the inbox."""
        if self._db is None:
            return
        current = set(displays)
        try:
            with self._db:
                self._db.execute("DELETE FROM results_v1 WHERE year = ? AND context != ?", (self.year, self.context))
                gone = [(self.context, d) for (d,) in self._db.execute(
                    "SELECT display FROM results_v1 WHERE context = ?", (self.context,)) if d not in current]
                self._db.executemany("DELETE FROM results_v1 WHERE context = ? AND display = ?", gone)
        except sqlite3.Error:
            pass
