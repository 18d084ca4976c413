"""`baocao check` as a library call: every inbox file of a year checked and given exactly one outcome."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.check.member import Context
from pipeline.check.pool import CHUNK, SOURCE_BUDGET, Sources, check_entries
from pipeline.check.result import CheckResult
from pipeline.check.select import select
from pipeline.check.status import agency_status
from pipeline.intake.unpack import iter_entries
from pipeline.model.assignments import by_agency
from pipeline.workspace.decisions import load_decisions, load_passwords
from pipeline.workspace.load import Workspace


def expected_agencies(ws: Workspace, year: int) -> list[str]:
    """Codes of agencies that have something to report in `year`, in registry order."""
    return list(by_agency(ws.assignments(year)))


def run_check(ws: Workspace, year: int, engine: str = "calamine", workers: int | None = None,
              progress: Callable[[int], None] | None = None,
              on_total: Callable[[int], None] | None = None, parallel_from: int | None = None,
              chunk: int = CHUNK, source_budget: int = SOURCE_BUDGET) -> CheckResult:
    """Check every file under inbox/<year>/; the inbox is only read.

    `on_total` gets the number of inbox files (a zip or e-mail counts once) and `progress` is
    advanced as each is done. `parallel_from`, `chunk` and `source_budget` exist for tests and benchmarks.
    """
    inbox = ws.settings.inbox(year)
    entries = list(iter_entries(inbox)) if inbox.is_dir() else []
    if on_total:
        on_total(len(entries))
    ctx = Context(ws.plan, ws.registry, year, by_agency(ws.assignments(year)), engine,
                  load_passwords(ws.settings.root, year), ws.settings.department_code)
    # keep the bytes of files that get a feedback copy, and only those
    sources = Sources(source_budget)
    files = check_entries(entries, ctx, workers, progress, parallel_from, chunk, sources)
    outcomes, overrides = select(files, load_decisions(ws.settings.root, year))
    deadline = ws.settings.deadline_for(year)
    return CheckResult(year, deadline, files, outcomes, overrides,
                       agency_status(expected_agencies(ws, year), files, outcomes, deadline), sources=sources)
