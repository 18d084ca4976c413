"""What the check of one year found: every file's result and outcome, and where each agency stands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.check.select import FileOutcome
from pipeline.check.status import AgencyStatus
from pipeline.model.findings import Finding
from pipeline.model.submission import FileResult, Submission
from pipeline.model.vocab import AgencyState, Outcome
from pipeline.store import Stored


@dataclass
class CheckResult:
    """Everything the check found for one year."""

    year: int
    deadline: dt.date
    files: list[FileResult]
    outcomes: list[FileOutcome]
    overrides: list[Finding]
    agencies: list[AgencyStatus]
    reused: int = 0  # inbox files whose result came from the store, not read again
    stored: Stored | None = None  # where the submissions not held in `files` were kept

    def counted(self) -> list[tuple[str, Submission]]:
        """(path, submission) of the files that go into the merge: the few counted, read back from the store."""
        return list(self.each_counted())

    def each_counted(self, batch: int = 200) -> Iterator[tuple[str, Submission]]:
        """The same, in order, read from the store a batch at a time so the merge never holds them all."""
        keep = {o.path for o in self.outcomes if o.outcome.merged}
        counted = [f for f in self.files if f.path in keep and (f.submission is not None or f.readable)]
        for start in range(0, len(counted), batch):
            part = counted[start:start + batch]
            missing = [f.path for f in part if f.submission is None]
            loaded = self.stored.load(missing) if missing and self.stored is not None else {}
            for f in part:
                sub = f.submission if f.submission is not None else loaded.get(f.path)
                if sub is not None:
                    yield f.path, sub

    def findings(self) -> list[Finding]:
        """Every finding of every file, then the officer's overrides."""
        return [f for r in self.files for f in r.findings] + self.overrides

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def exit_code(self) -> int:
        """1 when a file is rejected or an expected agency has sent nothing, else 0."""
        # a file the officer excluded is a decision taken, not something left to act on
        excluded = {f.file for f in self.overrides if f.code == "excluded-by-officer"}
        bad = any(o.outcome == Outcome.REJECTED and o.path not in excluded for o in self.outcomes)
        missing = any(a.state in (AgencyState.MISSING, AgencyState.REJECTED, AgencyState.UNREADABLE)
                      for a in self.agencies)
        return 1 if bad or missing else 0
