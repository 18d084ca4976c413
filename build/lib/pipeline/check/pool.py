"""Checking many inbox files across worker processes, streaming, with bounded memory."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

from pipeline.check.member import Checked, Context, check_entry
from pipeline.intake.unpack import Rejection, reread_member
from pipeline.model.submission import FileResult

CHUNK = 32  # at most this many inbox files per task sent to a worker: enough to amortise pickling
# Below this many inbox files a pool costs more than it saves: forked workers start in ~20-40 ms;
# spawned ones (Windows, macOS) import the checker first, ~0.3-0.5 s each.
PARALLEL_FROM = 16
PARALLEL_FROM_SPAWNED = 96
IN_FLIGHT = 2  # tasks queued per worker besides the running one: workers never wait, memory stays bounded
SOURCE_BUDGET = 64 * 1024 * 1024  # bytes of files with findings kept for feedback copies; the rest are re-read

# One walked inbox entry (a file, or why its folder could not be read) with its display path.
Entry = tuple["Path | Rejection", str]
T = TypeVar("T")
R = TypeVar("R")
_WORKER_CTX: Context | None = None


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


def _init_worker(ctx: Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


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
    done: Iterator[tuple[list[Entry], list[Checked]]]
    if workers <= 1 or len(entries) < parallel_from:
        done = (([e], [check_entry(e[0], e[1], ctx)]) for e in entries)
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
