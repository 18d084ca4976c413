"""`baocao check` as a library call: every inbox file of a year checked and given exactly one outcome."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from pipeline.check.member import Context
from pipeline.check.pool import check_entries
from pipeline.check.result import CheckResult
from pipeline.check.select import select
from pipeline.check.status import agency_status
from pipeline.intake.unpack import iter_entries
from pipeline.isolation import Limits
from pipeline.model.assignments import by_agency
from pipeline.model.layout import TEMPLATE_VERSION
from pipeline.store import Store, Stored, code_version
from pipeline.workspace.decisions import load_decisions, load_passwords
from pipeline.workspace.load import Workspace


def expected_agencies(ws: Workspace, year: int) -> list[str]:
    """Codes of agencies that have something to report in `year`, in registry order."""
    return list(by_agency(ws.assignments(year)))


def run_check(ws: Workspace, year: int, engine: str = "calamine", workers: int | None = None,
              progress: Callable[[int], None] | None = None,
              on_total: Callable[[int], None] | None = None, limits: Limits = Limits(),
              keep: bool = True) -> CheckResult:
    """Check every file under inbox/<year>/, each in a worker process; the inbox is only read.

    `on_total` gets the number of inbox files (a zip or e-mail counts once) and `progress` is
    advanced as each is done; `limits` bound what one file may cost. With `keep`, results are
    kept by content (pipeline.store) and an unchanged file is not read again.
    """
    inbox = ws.settings.inbox(year)
    entries = list(iter_entries(inbox)) if inbox.is_dir() else []
    if on_total:
        on_total(len(entries))
    ctx = Context(ws.plan, ws.registry, year, by_agency(ws.assignments(year)), engine,
                  load_passwords(ws.settings.root, year), ws.settings.department_code)
    stored = None
    if keep:
        stored = Stored(ws.settings.outbox_dir, year, context_key(ctx))
        with Store(stored.outbox, year, stored.context) as store:
            files, reused = check_entries(entries, ctx, workers, progress, limits, store)
    else:
        files, reused = check_entries(entries, ctx, workers, progress, limits)
    outcomes, overrides = select(files, load_decisions(ws.settings.root, year))
    deadline = ws.settings.deadline_for(year)
    return CheckResult(year, deadline, files, outcomes, overrides,
                       agency_status(expected_agencies(ws, year), files, outcomes, deadline), reused,
                       stored)


def context_key(ctx: Context) -> str:
    """Everything a file's verdict depends on besides its bytes and its place in the inbox."""
    digest = hashlib.sha256()
    for part in (code_version(), TEMPLATE_VERSION, repr(ctx.plan), repr(ctx.registry.agencies), str(ctx.year),
                 ctx.engine, repr(ctx.passwords), ctx.department):
        digest.update(part.encode("utf-8") + b"\0")
    for code in sorted(ctx.assigned):  # who reports what, in which role: the plan itself is hashed above
        digest.update(repr([(a.activity.id, str(a.role), a.via_group) for a in ctx.assigned[code]]).encode() + b"\0")
    return digest.hexdigest()
