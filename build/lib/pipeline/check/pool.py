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

# One walked inbox entry (a file, or why its folder could not be read) with its display path.
Entry = tuple["Path | Rejection", str]


def _check_task(ctx: Context, entry: Entry) -> Checked:
    return check_entry(entry[0], entry[1], ctx)


def failed_result(display: str, failure: Failed) -> FileResult:
    """The outcome of an inbox file whose check crashed the reader or ran out of time."""
    code = "too-slow" if failure.reason == "too-slow" else "reader-crashed"
    kind = PurePath(display.split(SEP)[0]).suffix.lower().lstrip(".") or "other"
    params = {"limit": failure.detail} if code == "too-slow" else {"detail": failure.detail}
    return FileResult(path=display, kind=kind, status=Outcome.REJECTED, findings=(finding(code, display, **params),))


def check_entries(entries: list[Entry], ctx: Context, workers: int | None = None,
                  progress: Callable[[int], None] | None = None, limits: Limits = Limits()) -> list[FileResult]:
    """Check walked inbox entries in worker processes, in order; every entry gives at least one result."""
    files: list[FileResult] = []
    with Pool(_check_task, ctx, workers or 0, limits) as pool:
        for (_, display), checked in pool.map(entries):
            if isinstance(checked, Failed):
                files.append(failed_result(display, checked))
            else:
                files.extend(checked)
            if progress:
                progress(1)
    return files
