"""`baocao check`: every inbox file read, identified, checked, and given exactly one outcome."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, TypeVar

from pipeline.agencies import Registry
from pipeline.assignments import Assignment, by_agency
from pipeline.findings import (ACCEPTED, ACCEPTED_WITH_WARNINGS, MERGED_OUTCOMES, NOT_A_SPREADSHEET, REJECTED,
                               Finding, finding)
from pipeline.identify import identify
from pipeline.plan import Plan
from pipeline.reader import Book
from pipeline.rules import Cursor, check_workbook
from pipeline.select import Outcome, load_decisions, select
from pipeline.submission import FileResult, Submission
from pipeline.workspace import Workspace

if TYPE_CHECKING:
    from concurrent.futures import Future

    from pipeline.merge import Merged
    from pipeline.unpack import Member, Rejection

SPREADSHEET_KINDS = ("xlsx", "xlsm", "xls", "ods")
CHUNK = 32  # at most this many inbox files per task sent to a worker: enough to amortise pickling
# Below this many inbox files a pool costs more than it saves: forked workers start in ~20-40 ms;
# spawned ones (Windows, macOS) import the checker first, ~0.3-0.5 s each.
PARALLEL_FROM = 16
PARALLEL_FROM_SPAWNED = 96
IN_FLIGHT = 2  # tasks queued per worker besides the running one: workers never wait, memory stays bounded
SOURCE_BUDGET = 64 * 1024 * 1024  # bytes of files with findings kept for feedback copies; the rest are re-read


@dataclass(frozen=True)
class Context:
    """What checking one file needs to know; sent once to each worker."""

    plan: Plan
    registry: Registry
    year: int
    assigned: dict[str, list[Assignment]]
    engine: str = "calamine"


@dataclass(frozen=True)
class AgencyStatus:
    """Where one expected agency stands: sent on time, late, or not at all."""

    agency: str
    state: str  # "on-time" | "late" | "missing" | "rejected"
    file: str = ""
    received: dt.date | None = None


STATE_LABELS = {"on-time": "Đúng hạn", "late": "Muộn", "missing": "Chưa gửi", "rejected": "Gửi nhưng bị từ chối"}


@dataclass
class CheckResult:
    """Everything the check found for one year."""

    year: int
    deadline: dt.date
    files: list[FileResult]
    outcomes: list[Outcome]
    overrides: list[Finding]
    agencies: list[AgencyStatus]
    _merged: Merged | None = field(default=None, repr=False)
    plan: Plan | None = field(default=None, repr=False)
    sources: Mapping[str, tuple[bytes, str]] = field(default_factory=dict, repr=False)

    def counted(self) -> list[tuple[str, Submission]]:
        """(path, submission) of the files that go into the merge."""
        keep = {o.path for o in self.outcomes if o.outcome in MERGED_OUTCOMES}
        return [(f.path, f.submission) for f in self.files if f.path in keep and f.submission is not None]

    @property
    def merged(self) -> Merged:
        """The merged tables of the counted files (built once)."""
        if self._merged is None:
            from pipeline.merge import merge

            assert self.plan is not None
            self._merged = merge(self.counted(), self.plan)
        return self._merged

    def findings(self) -> list[Finding]:
        """Every finding of every file, then the officer's overrides."""
        return [f for r in self.files for f in r.findings] + self.overrides

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def exit_code(self) -> int:
        """1 when a file is rejected or an expected agency has sent nothing, else 0."""
        # a file the officer excluded is a decision taken, not something left to act on
        excluded = {f.file for f in self.overrides if f.code == "excluded-by-officer"}
        bad = any(o.outcome == REJECTED and o.path not in excluded for o in self.outcomes)
        missing = any(a.state in ("missing", "rejected") for a in self.agencies)
        return 1 if bad or missing else 0


class Sources(Mapping[str, tuple[bytes, str]]):
    """(bytes, kind) of each file that gets a feedback copy, by its display path.

    The bytes are kept in memory up to `budget` (a province's files fit many times over);
    beyond it only where the file lies in the inbox is kept, and it is read again when the copy
    is written, so that memory does not grow with the number of files a ministry checks.
    """

    def __init__(self, budget: int = SOURCE_BUDGET) -> None:
        self.budget = budget
        self._kept: dict[str, tuple[bytes, str]] = {}
        self._where: dict[str, tuple[Path, str]] = {}  # display path -> (inbox file, its display path)

    def add(self, path: str, data: bytes, kind: str, inbox_file: Path | None = None, display: str = "") -> None:
        """Remember one file; `inbox_file`/`display` locate it again when its bytes are not kept."""
        self._kept.pop(path, None)
        self._where.pop(path, None)
        if inbox_file is None or len(data) <= self.budget:
            self._kept[path] = (data, kind)
            self.budget -= len(data)
        else:
            self._where[path] = (inbox_file, display)

    def __getitem__(self, path: str) -> tuple[bytes, str]:
        if path in self._kept:
            return self._kept[path]
        from pipeline.unpack import reread_member

        inbox_file, display = self._where[path]
        member = reread_member(inbox_file, display, path)
        if member is None or member.rejection is not None:
            raise KeyError(path)  # the file left the inbox during the run
        return member.data, member.kind

    def __contains__(self, path: object) -> bool:
        return path in self._kept or path in self._where

    def __iter__(self) -> Iterator[str]:
        yield from self._kept
        yield from self._where

    def __len__(self) -> int:
        return len(self._kept) + len(self._where)


def _content_hash(sub: Submission) -> str:
    """Same content whatever the file format or name: the values, not the bytes."""
    def row(r: object) -> object:
        data = dict(vars(r))
        for key in ("sheet", "row", "cells"):
            data.pop(key, None)
        data["figures"] = vars(data["figures"]) if "figures" in data else None
        return data
    payload = {"agency": sub.agency, "year": sub.year, "info": sub.info, "rows": [row(r) for r in sub.rows],
               "others": [row(o) for o in sub.others], "general": sub.general,
               "date": str(sub.report_date)}
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _status(findings: list[Finding]) -> str:
    if any(f.severity == "error" for f in findings):
        return REJECTED
    return ACCEPTED_WITH_WARNINGS if findings else ACCEPTED


def check_member(member: Member, ctx: Context) -> FileResult:
    """Check one file (or one attachment); never raises."""
    base = {"path": member.path, "kind": member.kind, "email_date": member.email_date, "mtime": member.mtime}
    try:
        return _check_member(member, ctx, base)
    except Exception as exc:  # a hostile or broken file must never stop the run
        return FileResult(status=REJECTED, findings=(finding("unreadable", member.path, detail=type(exc).__name__),),
                          **base)  # type: ignore[arg-type]


def _check_member(member: Member, ctx: Context, base: dict) -> FileResult:  # type: ignore[type-arg]
    path = member.path
    if member.rejection is not None:
        code = member.rejection.code
        if code == "no-attachment":
            return FileResult(status=NOT_A_SPREADSHEET, findings=(finding(code, path),), **base)
        f = finding(code if code in _GUARD_CODES else "unreadable", path, detail=member.rejection.message_vi)
        return FileResult(status=REJECTED, findings=(f,), **base)
    if member.kind not in SPREADSHEET_KINDS:
        ext = PurePath(path.split(" » ")[-1]).suffix.lower() or "không có đuôi tệp"
        status = REJECTED if member.kind == "encrypted" else NOT_A_SPREADSHEET
        code = "encrypted" if member.kind == "encrypted" else "not-a-spreadsheet"
        detail = "Tệp được đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu rồi gửi lại." \
            if code == "encrypted" else ext
        return FileResult(status=status, findings=(finding(code, path, detail=detail),), **base)
    book = Book(member.data, member.kind, ctx.engine)
    try:
        findings: list[Finding] = []
        if member.kind == "xlsm":
            findings.append(finding("macro-workbook", path))
        elif member.kind == "xls":
            findings.append(finding("legacy-format", path, detail="Excel 97-2003 (.xls)"))
        identity, found = identify(book, path, ctx.registry, ctx.year, ctx.plan.id)
        findings += found
        if identity.agency is None:
            return FileResult(status=REJECTED, findings=tuple(findings), **base)
        assigned = ctx.assigned.get(identity.agency, [])
        if not assigned:
            findings.append(finding("not-assigned", path, value=ctx.registry.get(identity.agency).short_name,
                                    expected=ctx.year))
            return FileResult(status=REJECTED, findings=tuple(findings), agency=identity.agency, **base)
        findings += _meta_findings(dict(identity.meta), assigned, path)
        cur = Cursor(book, path)
        sub = check_workbook(cur, identity.agency, ctx.year, ctx.plan, assigned)
        findings += cur.findings
        return FileResult(status=_status(findings), findings=tuple(findings), agency=identity.agency,
                          year=identity.year, report_date=sub.report_date, content_hash=_content_hash(sub),
                          submission=sub, **base)
    finally:
        book.close()


def _meta_findings(meta: dict[str, str], assigned: list[Assignment], path: str) -> list[Finding]:
    """The workbook was made for other activities, or the plan's text changed since it was sent."""
    sent = [a for a in meta.get("activity_ids", "").split(",") if a]
    if not sent:
        return []
    now = [a.activity.id for a in assigned]
    if sent != now:
        extra = [a for a in sent if a not in now]
        lacking = [a for a in now if a not in sent]
        detail = "; ".join(x for x in (f"không còn giao: {', '.join(extra)}" if extra else "",
                                         f"mới giao: {', '.join(lacking)}" if lacking else "") if x)
        return [finding("assignments-changed", path, detail=detail or "thứ tự khác")]
    expected = _fingerprint(tuple((a.activity.id, a.activity.content) for a in assigned))
    if meta.get("fingerprint") and meta["fingerprint"] != expected:
        return [finding("assignments-changed", path, detail="nội dung hoạt động trong kế hoạch đã được sửa sau khi "
                                                           "gửi biểu mẫu")]
    return []


@functools.lru_cache(maxsize=1024)
def _fingerprint(rows: tuple[tuple[str, str], ...]) -> str:
    """The locked context's fingerprint, once per set of assignments rather than once per file."""
    from pipeline.layout import fingerprint

    return fingerprint(list(rows))


_GUARD_CODES = {"file-too-large", "zip-bomb", "xml-bomb", "unsafe-path", "too-many-sheets", "too-many-cells",
                "encrypted", "corrupt-file"}

_WORKER_CTX: Context | None = None
T = TypeVar("T")
R = TypeVar("R")
# One walked inbox entry (a file, or why its folder could not be read) with its display path.
Entry = tuple["Path | Rejection", str]
# What checking one entry gives: per member, its result and, for a file that gets a feedback copy, its bytes.
Checked = list[tuple[FileResult, "bytes | None", str]]


def _init_worker(ctx: Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _wants_source(result: FileResult, kind: str) -> bool:
    """Files that get a feedback copy: a spreadsheet of a known agency with findings."""
    return bool(result.findings) and kind in SPREADSHEET_KINDS and result.agency is not None


def check_entry(entry: Path | Rejection, display: str, ctx: Context) -> Checked:
    """Read, unpack, guard and check one inbox file (every member of a zip or e-mail); never raises."""
    from pipeline.unpack import members_of

    out: Checked = []
    for member in members_of(entry, display):
        result = check_member(member, ctx)
        out.append((result, member.data if _wants_source(result, member.kind) else None, member.kind))
    return out


def _check_entries_chunk(entries: list[Entry]) -> list[Checked]:
    assert _WORKER_CTX is not None
    return [check_entry(entry, display, _WORKER_CTX) for entry, display in entries]


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pooled(task: Callable[[list[T]], list[R]], items: Iterable[T], ctx: Context, workers: int,
            chunk: int) -> Iterator[tuple[list[T], list[R]]]:
    """(chunk, task(chunk)) in input order, computed across `workers` processes.

    At most workers x (1 + IN_FLIGHT) chunks are queued or running at any time, so neither the
    inputs nor the results of the whole inbox are ever held at once by the pool.
    """
    from concurrent.futures import ProcessPoolExecutor  # imported only when a pool is used

    pending: deque[tuple[list[T], Future[list[R]]]] = deque()
    batches = _chunks(items, chunk)
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(ctx,)) as pool:
        for batch in batches:
            pending.append((batch, pool.submit(task, batch)))
            if len(pending) >= workers * (1 + IN_FLIGHT):
                break
        while pending:
            batch, future = pending.popleft()
            done = future.result()
            following = next(batches, None)
            if following is not None:
                pending.append((following, pool.submit(task, following)))
            yield batch, done


def _parallel_from() -> int:
    import multiprocessing

    return PARALLEL_FROM if multiprocessing.get_start_method() == "fork" else PARALLEL_FROM_SPAWNED


def check_entries(entries: list[Entry], ctx: Context, workers: int | None = None,
                  progress: Callable[[int], None] | None = None, parallel_from: int | None = None,
                  chunk: int = CHUNK, sources: Sources | None = None) -> list[FileResult]:
    """Check walked inbox entries in order, streaming: a file's bytes live only while it is checked.

    With many entries and workers > 1, whole inbox files go to worker processes in chunks, so
    that reading, unpacking and the guard run in parallel as well as the checks. The bytes of
    files that get a feedback copy are added to `sources`.
    """
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if parallel_from is None:
        parallel_from = _parallel_from()
    if workers <= 1 or len(entries) < parallel_from:
        done: Iterator[tuple[list[Entry], list[Checked]]] = (
            ([e], [check_entry(e[0], e[1], ctx)]) for e in entries)
    else:
        # several tasks per worker even for a province's inbox, so that no worker waits for the other
        size = max(1, min(chunk, -(-len(entries) // (workers * 4))))
        done = _pooled(_check_entries_chunk, entries, ctx, workers, size)
    files: list[FileResult] = []
    for batch, checked in done:
        for (entry, display), members in zip(batch, checked):
            for result, data, kind in members:
                files.append(result)
                if data is not None and sources is not None:
                    sources.add(result.path, data, kind, entry if isinstance(entry, Path) else None, display)
        if progress:
            progress(len(batch))
    return files


def expected_agencies(ws: Workspace, year: int) -> list[str]:
    """Codes of agencies that have something to report in `year`, in registry order."""
    return list(by_agency(ws.assignments(year)))


def _received(result: FileResult) -> dt.date | None:
    """When it was sent: the e-mail's date, else the report date written in it, else the file time."""
    if result.email_date is not None:
        return result.email_date.date()
    if result.report_date is not None:
        return result.report_date
    return result.mtime.date() if result.mtime is not None else None


def agency_status(ws: Workspace, year: int, files: list[FileResult], outcomes: list[Outcome],
                  deadline: dt.date) -> list[AgencyStatus]:
    """On time, late, missing or rejected, for every expected agency (each counted once)."""
    by_path = {f.path: f for f in files}
    per_agency: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.agency is not None:
            per_agency.setdefault(o.agency, []).append(o)
    out = []
    for code in expected_agencies(ws, year):
        mine = per_agency.get(code, [])
        counted = [o for o in mine if o.outcome in MERGED_OUTCOMES]
        if counted:
            result = by_path[counted[0].path]
            received = _received(result)
            state = "late" if received is not None and received > deadline else "on-time"
            out.append(AgencyStatus(code, state, result.path, received))
        elif mine:
            out.append(AgencyStatus(code, "rejected", mine[0].path, _received(by_path[mine[0].path])))
        else:
            out.append(AgencyStatus(code, "missing"))
    return out


def run_check(ws: Workspace, year: int, engine: str = "calamine", workers: int | None = None,
              progress: Callable[[int], None] | None = None,
              on_total: Callable[[int], None] | None = None, parallel_from: int | None = None,
              chunk: int = CHUNK, source_budget: int = SOURCE_BUDGET) -> CheckResult:
    """Check every file under inbox/<year>/; the inbox is only read.

    `on_total` gets the number of inbox files (a zip or e-mail counts once) and `progress` is
    advanced as each is done. `parallel_from`, `chunk` and `source_budget` exist for tests and benchmarks.
    """
    from pipeline.unpack import iter_entries

    inbox = ws.settings.inbox(year)
    entries = list(iter_entries(inbox)) if inbox.is_dir() else []
    if on_total:
        on_total(len(entries))
    ctx = Context(ws.plan, ws.registry, year, by_agency(ws.assignments(year)), engine)
    # keep the bytes of files that get a feedback copy, and only those
    sources = Sources(source_budget)
    files = check_entries(entries, ctx, workers, progress, parallel_from, chunk, sources)
    outcomes, overrides = select(files, load_decisions(ws.settings.root, year))
    deadline = ws.settings.deadline_for(year)
    return CheckResult(year, deadline, files, outcomes, overrides, agency_status(ws, year, files, outcomes, deadline),
                       plan=ws.plan, sources=sources)
