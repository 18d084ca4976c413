"""Checking every inbox file in worker processes: one file's crash, abort or hang is that file's outcome."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path, PurePath

from pipeline.check.member import Checked, Context, check_entry
from pipeline.intake.unpack import SEP, Rejection
from pipeline.isolation import Failed, Limits, Pool
from pipeline.model.findings import finding
from pipeline.model.submission import FileResult
from pipeline.model.vocab import Outcome
from pipeline.store import Probe, Store

SAVE_EVERY = 200  # results written to the store in batches of this many
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
                found[n] = _light(results)
            elif probe is not None:
                probes[n] = probe
    if progress and found:
        progress(len(found))
    todo = [(n, e) for n, e in enumerate(entries) if n not in found]
    fresh: list[tuple[Probe, list[FileResult]]] = []
    pending: list[int] = []
    if todo:
        with Pool(_check_task, ctx, workers or 0, limits) as pool:
            for (n, (_, display)), checked in pool.map(todo):
                if isinstance(checked, Failed):  # a crash or a timeout may not happen again: never kept
                    found[n] = [failed_result(display, checked)]
                else:
                    found[n] = checked
                    if n in probes and store is not None and store.usable:
                        fresh.append((probes[n], checked))
                        pending.append(n)
                        if len(fresh) >= SAVE_EVERY:  # to the store as they come: memory stays flat
                            _flush(store, fresh, pending, found)
                            fresh, pending = [], []
                if progress:
                    progress(1)
    if store is not None:
        _flush(store, fresh, pending, found)
        store.keep_only(display for _, display in entries)
    return [r for n in range(len(entries)) for r in found[n]], len(entries) - len(todo)


def _flush(store: Store, fresh: list[tuple[Probe, list[FileResult]]], indexes: list[int],
           found: dict[int, list[FileResult]]) -> None:
    """Save a batch; only once it is saved do its submissions leave memory (no figure is ever lost)."""
    if fresh and store.save(fresh):
        for n in indexes:
            found[n] = _light(found[n])


def _light(results: list[FileResult]) -> list[FileResult]:
    """The results without their submissions, which stay in the store until the merge asks for the few it counts."""
    return [dataclasses.replace(r, submission=None) if r.submission is not None else r for r in results]
