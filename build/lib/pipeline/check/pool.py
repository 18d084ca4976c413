"""Checking every inbox file in worker processes: one file's crash, abort or hang is that file's outcome."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath

from pipeline.check.member import Checked, Context, check_entry
from pipeline.intake.unpack import SEP, Rejection
from pipeline.isolation import Failed, Limits, Pool
from pipeline.model.findings import finding
from pipeline.model.submission import FileResult
from pipeline.model.vocab import Outcome
from pipeline.store import Probe, Store

# One walked inbox entry (a file, or why its folder could not be read) with its display path.
Entry = tuple["Path | Rejection", str]


def _check_task(ctx: Context, item: tuple[int, Entry]) -> Checked:
    entry, display = item[1]
    return check_entry(entry, display, ctx)


def failed_result(display: str, failure: Failed) -> FileResult:
    """The outcome of an inbox file whose check crashed the reader or ran out of time."""
    code = "too-slow" if failure.reason == "too-slow" else "reader-crashed"
    kind = PurePath(display.split(SEP)[0]).suffix.lower().lstrip(".") or "other"
    params = {"limit": failure.detail} if code == "too-slow" else {"detail": failure.detail}
    return FileResult(path=display, kind=kind, status=Outcome.REJECTED, findings=(finding(code, display, **params),))


def check_entries(entries: list[Entry], ctx: Context, workers: int | None = None,
                  progress: Callable[[int], None] | None = None, limits: Limits = Limits(),
                  store: Store | None = None) -> tuple[list[FileResult], int]:
    """Check walked inbox entries in worker processes, in order; every entry gives at least one result.

    Entries whose result is in `store` are not read again (and need no worker); returns the
    results and how many entries were taken from the store.
    """
    found: dict[int, list[FileResult]] = {}
    probes: dict[int, Probe] = {}
    for n, (entry, display) in enumerate(entries):
        if store is not None and isinstance(entry, Path):
            results, probe = store.find(entry, display)
            if results is not None:
                found[n] = results
            elif probe is not None:
                probes[n] = probe
    if progress and found:
        progress(len(found))
    todo = [(n, e) for n, e in enumerate(entries) if n not in found]
    fresh: list[tuple[Probe, list[FileResult]]] = []
    if todo:
        with Pool(_check_task, ctx, workers or 0, limits) as pool:
            for (n, (_, display)), checked in pool.map(todo):
                if isinstance(checked, Failed):  # a crash or a timeout may not happen again: never kept
                    found[n] = [failed_result(display, checked)]
                else:
                    found[n] = checked
                    if n in probes:
                        fresh.append((probes[n], checked))
                if progress:
                    progress(1)
    if store is not None:
        store.save(fresh)
        store.keep_only(display for _, display in entries)
    return [r for n in range(len(entries)) for r in found[n]], len(entries) - len(todo)
