"""The desk's state: the last check of each year, and the one long step running in the background.

Pages never wait for a check: they render the last result held here. A check, the generation of
workbooks or the report runs in a background thread, one at a time; a check asked for while a
step runs is done right after it (several uploads in a row give one more check, not one each).
Generating or reporting while a step runs is refused as busy, as the workspace lock refuses a
second command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from pipeline import cycle
from pipeline.check.result import CheckResult
from pipeline.model.errors import BaocaoError
from pipeline.model.numbers import vn_number
from pipeline.web import urls
from pipeline.workspace.decisions import DECISIONS_FILE
from pipeline.workspace.load import Workspace, load_workspace
from pipeline.workspace.outbox import Busy
from pipeline.workspace.settings import SETTINGS_FILE, load_settings

CHECK, GENERATE, REPORT = "check", "generate", "report"
KINDS = {CHECK: "Kiểm tra", GENERATE: "Tạo biểu mẫu", REPORT: "Viết báo cáo"}
_WATCH_EVERY = 2.0  # seconds between two looks at the inbox for files saved outside the desk

Signature = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Snapshot:
    """A year's check as the pages show it."""

    year: int
    ws: Workspace
    result: CheckResult
    at: dt.datetime
    version: int
    signature: Signature
    files_written: bool  # the check workbook, feedback copies and drafts were written from this result


@dataclass(frozen=True)
class JobState:
    """The long step running now, or the last one that ran."""

    id: int
    kind: str
    year: int
    label: str
    started: float
    done: int = 0
    total: int = 0
    running: bool = True
    outcome: str = ""  # "ok" | "busy" | "error" once finished
    message: str = ""
    seconds: float = 0.0
    links: tuple[tuple[str, str], ...] = ()  # (label, address) of what it wrote, to download

    def as_dict(self) -> dict[str, object]:
        """For the status the page polls."""
        return {"id": self.id, "kind": self.kind, "year": self.year, "label": self.label, "done": self.done,
                "total": self.total, "running": self.running, "outcome": self.outcome, "message": self.message,
                "seconds": round(self.seconds, 2), "links": [list(x) for x in self.links]}


def signature(root: Path, year: int) -> Signature:
    """What the check of `year` depends on, cheaply: names, sizes and times of the inbox files and settings."""
    out: list[tuple[str, int, int]] = []
    try:
        settings = load_settings(root)
        inbox = settings.inbox(year)
        extra = [root / SETTINGS_FILE, root / DECISIONS_FILE, settings.agencies_csv, settings.plan_csv,
                 settings.plan_meta]
    except BaocaoError:
        return (("?", 0, time.monotonic_ns()),)  # a broken settings file: never equal, so it is looked at again
    for path in extra:
        try:
            st = path.stat()
            out.append((path.name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((path.name, -1, 0))
    for dirpath, dirnames, filenames in os.walk(inbox):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith((".", "~$")):
                continue
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            out.append((os.path.relpath(full, inbox), st.st_size, st.st_mtime_ns))
    return tuple(out)


def _inbox_files(sig: Signature, extra: int = 5) -> int:
    return max(0, len(sig) - extra)


def _fingerprint(result: CheckResult) -> tuple[object, ...]:
    """What the pages show of a result: equal fingerprints need no refresh of the page."""
    return (tuple(result.outcomes), tuple(result.agencies), tuple(result.overrides), result.deadline,
            tuple((f.path, f.findings) for f in result.files))


def log_unexpected() -> str:
    """Write the traceback to the error log; the sentence to show the officer."""
    log = Path(os.environ.get("BAOCAO_LOG", Path.home() / "baocao-loi.log"))
    try:
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().isoformat()} baocao web {sys.argv}\n{traceback.format_exc()}\n")
        return f"Lỗi không mong đợi, công việc chưa hoàn tất. Chi tiết kỹ thuật đã ghi vào {log}; hãy gửi tệp này " \
               "cho bộ phận kỹ thuật."
    except OSError:
        return "Lỗi không mong đợi, công việc chưa hoàn tất."


class Desk:
    """The last check of each year and the background step; safe to use from any thread."""

    def __init__(self, root: Path, year: int, workers: int | None = None) -> None:
        self.root = root
        self.year = year
        self.workers = workers
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._snapshots: dict[int, Snapshot] = {}
        self._problems: dict[int, str] = {}  # why a year has no result yet (a settings file to fix, no inbox)
        self._job: JobState | None = None
        self._last: JobState | None = None
        self._wanted: list[int] = []  # years whose check was asked for while a step ran
        self._looked: dict[int, float] = {}
        self._failed: dict[int, Signature] = {}  # what the inbox and settings were when a year's check failed
        self._ids = 0
        self._version = 0
        self._thread: threading.Thread | None = None

    # -- reading ---------------------------------------------------------------------------------------

    def snapshot(self, year: int) -> Snapshot | None:
        """The last check of `year`, if any."""
        with self._lock:
            return self._snapshots.get(year)

    def problem(self, year: int) -> str:
        """Why `year` has no check to show, if a step said so."""
        with self._lock:
            return self._problems.get(year, "")

    def status(self, year: int) -> dict[str, object]:
        """What the page polls: the running or last step, and the version of the year's result."""
        with self._lock:
            snap = self._snapshots.get(year)
            return {"job": self._job.as_dict() if self._job else None,
                    "last": self._last.as_dict() if self._last else None,
                    "version": snap.version if snap else 0, "ready": snap is not None,
                    "problem": self._problems.get(year, "")}

    def running(self) -> JobState | None:
        with self._lock:
            return self._job

    def last(self) -> JobState | None:
        with self._lock:
            return self._last

    # -- asking for work -------------------------------------------------------------------------------

    def request_check(self, year: int) -> None:
        """Check `year` now, or right after the step that is running."""
        with self._lock:
            if self._job is not None:
                if year not in self._wanted:
                    self._wanted.append(year)
                return
            self._start_locked(CHECK, year)

    def start(self, kind: str, year: int) -> str:
        """Start generating or reporting; '' when started, else why not (busy)."""
        with self._lock:
            if self._job is not None:
                return f"Đang bận: {self._job.label.lower()} (năm {self._job.year}). Hãy đợi xong rồi bấm lại."
            self._start_locked(kind, year)
            return ""

    def look(self, year: int) -> None:
        """Check again when the inbox or settings changed outside the desk (files saved from Explorer)."""
        now = time.monotonic()
        with self._lock:
            if self._job is not None or now - self._looked.get(year, 0.0) < _WATCH_EVERY:
                return
            self._looked[year] = now
            snap = self._snapshots.get(year)
            # after a failed check, only a change of the files looks again (no retry loop on a broken settings file)
            known = self._failed.get(year, snap.signature if snap else None)
        if known is None or signature(self.root, year) != known:
            self.request_check(year)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no step runs and none is waiting (for tests and scripts)."""
        end = time.monotonic() + timeout
        with self._idle:
            while self._job is not None or self._wanted:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    # -- the background step ---------------------------------------------------------------------------

    def _start_locked(self, kind: str, year: int) -> None:
        self._ids += 1
        label = {CHECK: f"Đang đọc các tệp trong inbox/{year}/", GENERATE: f"Đang tạo biểu mẫu năm {year}",
                 REPORT: f"Đang kiểm tra và viết báo cáo năm {year}"}[kind]
        self._job = JobState(self._ids, kind, year, label, time.monotonic())
        self._thread = threading.Thread(target=self._work, args=(kind, year), daemon=True,
                                        name=f"baocao-web-{kind}-{year}")
        self._thread.start()

    def _update(self, **changes: object) -> None:
        with self._lock:
            if self._job is not None:
                self._job = dataclasses.replace(self._job, **changes)  # type: ignore[arg-type]

    def _total(self, n: int) -> None:
        self._update(total=n, done=0)

    def _advance(self, n: int = 1) -> None:
        with self._lock:
            if self._job is not None:
                done = self._job.done + n
                self._job = dataclasses.replace(self._job, done=min(done, self._job.total) if self._job.total else done)

    def _publish(self, ws: Workspace, result: CheckResult, sig: Signature, written: bool, outputs: bool = False) -> None:
        """Hold `result` for the pages; a new version (the pages refresh) when what they show changed."""
        with self._lock:
            old = self._snapshots.get(result.year)
            same = not outputs and old is not None and _fingerprint(old.result) == _fingerprint(result)
            if not same:
                self._version += 1
            version = old.version if same and old is not None else self._version
            self._snapshots[result.year] = Snapshot(result.year, ws, result, dt.datetime.now(), version, sig, written)
            self._problems.pop(result.year, None)
            self._failed.pop(result.year, None)

    def _work(self, kind: str, year: int) -> None:
        started = time.monotonic()
        outcome, message = "ok", ""
        links: list[tuple[str, str]] = []
        try:
            if kind == CHECK:
                message = self._check(year)
            elif kind == GENERATE:
                message, links = self._generate(year)
            else:
                message, links = self._report(year)
        except Busy as exc:
            outcome, message = "busy", f"Đang bận: {exc}"
        except BaocaoError as exc:
            outcome, message = "error", f"Lỗi: {exc}"
            if kind == CHECK:
                self._failed_check(year, str(exc))
        except Exception:
            outcome, message = "error", log_unexpected()
            if kind == CHECK:
                self._failed_check(year, message)
        with self._lock:
            if self._job is not None:
                self._last = dataclasses.replace(self._job, running=False, outcome=outcome, message=message,
                                                 seconds=time.monotonic() - started, links=tuple(links))
            self._job = None
            following = self._wanted.pop(0) if self._wanted else None
            if following is not None:
                self._start_locked(CHECK, following)
            else:
                self._idle.notify_all()

    def _failed_check(self, year: int, why: str) -> None:
        sig = signature(self.root, year)
        with self._lock:
            self._failed[year] = sig
            if year not in self._snapshots:
                self._problems[year] = why

    def _check(self, year: int) -> str:
        sig = signature(self.root, year)
        ws = load_workspace(self.root)
        self._total(_inbox_files(sig))
        result = cycle.inspect(ws, year, progress=self._advance)
        self._publish(ws, result, sig, written=False)  # the board is up to date here; the files follow
        self._update(label="Đang ghi tệp kiểm tra, bản phản hồi và thư nháp", done=0)
        try:
            run = cycle.check(ws, year, workers=self.workers, progress=self._advance, on_total=self._total)
        except Busy as exc:
            return f"Bảng đã cập nhật ({_files(result)}); chưa ghi lại được tệp kiểm tra vì đang bận: {exc}"
        self._publish(ws, run.result, sig, written=True)
        return f"Đã kiểm tra {_files(run.result)} lúc {dt.datetime.now():%H:%M}."

    def _generate(self, year: int) -> tuple[str, list[tuple[str, str]]]:
        ws = load_workspace(self.root)
        made = cycle.generate(ws, year)
        with self._lock:
            snap = self._snapshots.get(year)
            if snap is not None:  # new files to download: the pages refresh
                self._version += 1
                self._snapshots[year] = dataclasses.replace(snap, version=self._version)
        warn = f" Lưu ý: {' '.join(made.warnings)}" if made.warnings else ""
        return (f"Đã tạo {vn_number(len(made.workbooks))} biểu mẫu năm {year} và thư nháp gửi kèm.{warn}",
                [("Tải biểu mẫu và thư nháp (.zip)", urls.forms_zip(year))])

    def _report(self, year: int) -> tuple[str, list[tuple[str, str]]]:
        sig = signature(self.root, year)
        ws = load_workspace(self.root)

        def advance(n: int) -> None:
            self._advance(n)
            job = self.running()
            if job is not None and job.total and job.done >= job.total:
                self._update(label=f"Đang viết bảng tổng hợp và báo cáo Word năm {year}")

        done = cycle.run(ws, year, progress=advance, on_total=self._total)
        self._publish(ws, done.check.result, sig, written=True, outputs=True)
        shown = ws.settings.display
        return (f"Đã viết báo cáo năm {year}: {shown(done.report.document)} và {shown(done.report.workbook)}.",
                [("Tải báo cáo Word (.docx)", urls.download(year, shown(done.report.document))),
                 ("Tải bảng tổng hợp (.xlsx)", urls.download(year, shown(done.report.workbook)))])


def _files(result: CheckResult) -> str:
    return f"{vn_number(len(result.outcomes))} tệp"
