"""The yearly cycle as library calls: generate, check, report, run. The only orchestration.

The command line and the web desk call these functions and nothing else; each stage below is
called in the direction the data flows, never back. Every call that writes holds the
workspace's lock, and builds its outputs in a fresh folder that replaces the year's folder only
when complete (pipeline.workspace.outbox).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.check.result import CheckResult
from pipeline.check.run import run_check
from pipeline.consolidate.summary import YearSummary, combine, summarise
from pipeline.isolation import Limits
from pipeline.model.errors import UsageError
from pipeline.model.plan import Plan
from pipeline.outputs.check_outputs import CHECK_DIR, write_check_outputs
from pipeline.store import code_version as store_code
from pipeline.workspace.decisions import DECISIONS_FILE
from pipeline.workspace.files import write_atomic
from pipeline.workspace.load import Workspace
from pipeline.workspace.outbox import DRAFTS_DIR, SEND_LIST, WORKBOOKS_DIR, replacing, workspace_lock
from pipeline.workspace.settings import Settings, load_settings
from pipeline.workspace.templates import REPORT_TEMPLATE, SUBMISSION_TEMPLATE, install_template

if TYPE_CHECKING:
    from pipeline.generate.workbooks import GenerateResult

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Headline:
    """The report's figures the command line shows, kept with the outputs so a report left as it was
    needs no consolidation to be shown."""

    activities: int
    people: float
    money: float  # million đồng, state budget and other sources
    totals: dict[str, float]

    @classmethod
    def of(cls, summary: YearSummary) -> Headline:
        acts = summary.activities
        return cls(len(acts), float(acts["people"].sum()),
                   float(acts["money_state"].sum() + acts["money_other"].sum()), summary.totals())


@dataclass(frozen=True)
class ReportResult:
    """What the report wrote (or found already written from the same inputs), and the summaries behind it."""

    workbook: Path
    document: Path
    years: tuple[int, ...]  # every year with data that went into the report
    history_years: tuple[int, ...]  # the earlier years it compares with
    headline: Headline
    kept: bool  # nothing the report is made from changed: both files were left as they were
    consolidate: Callable[[], tuple[YearSummary, tuple[YearSummary, ...]]] = dataclasses.field(repr=False)

    @functools.cached_property
    def _summaries(self) -> tuple[YearSummary, tuple[YearSummary, ...]]:
        return self.consolidate()

    @property
    def summary(self) -> YearSummary:
        """The year's (or the period's) consolidation; computed again when the report was kept."""
        return self._summaries[0]

    @property
    def history(self) -> tuple[YearSummary, ...]:
        return self._summaries[1]


@dataclass(frozen=True)
class CheckRun:
    """A year's check and the files it wrote."""

    result: CheckResult
    written: dict[str, Path]


@dataclass(frozen=True)
class RunResult:
    """`run`: the check with its outputs, then the report."""

    check: CheckRun
    report: ReportResult


@contextmanager
def _writing(settings: Settings) -> Iterator[None]:
    """One command at a time on a workspace."""
    with workspace_lock(settings.outbox_dir):
        yield


def import_plan(root: Path, source: Path, plan_id: str | None = None) -> tuple[Plan, Path, Path]:
    """The plan register from the decision (.txt or .docx); activity ids kept from the register already there."""
    from pipeline.plan_import import import_into  # python-docx: only when importing

    with _writing(load_settings(root)):
        done = import_into(root, source, plan_id)
    return done.plan, done.csv_path, done.meta_path


def _rebase(path: Path, staging: Path, final: Path) -> Path:
    return final / path.relative_to(staging) if path.is_relative_to(staging) else path


def generate(ws: Workspace, year: int) -> GenerateResult:
    """One workbook and request e-mail per agency with something to report in `year`."""
    from pipeline.generate.workbooks import generate as generate_workbooks  # openpyxl: only when generating

    final = ws.settings.outbox(year)

    def files() -> set[Path]:
        return {p for d in (final / WORKBOOKS_DIR, final / DRAFTS_DIR) if d.is_dir() for p in d.iterdir()}

    with _writing(ws.settings):
        before = files()
        with replacing(final, {WORKBOOKS_DIR, DRAFTS_DIR, SEND_LIST}) as staging:
            made = generate_workbooks(ws, year, out_dir=staging)
    return dataclasses.replace(
        made, folder=final, send_list=_rebase(made.send_list, staging, final),
        workbooks=tuple(dataclasses.replace(w, workbook=_rebase(w.workbook, staging, final),
                                            draft=_rebase(w.draft, staging, final)) for w in made.workbooks),
        removed=tuple(sorted(before - files())))


def init_template(root: Path, force: bool = False) -> Path:
    """Copy the default master workbook into the workspace's templates/ for the officer to edit."""
    settings = load_settings(root)
    path = settings.templates_dir / SUBMISSION_TEMPLATE
    if path.exists() and not force:
        raise UsageError(f"mẫu gốc {settings.display(path)} đã có; thêm --force để ghi đè (các chỉnh sửa trong mẫu "
                         "sẽ mất)")
    install_template(SUBMISSION_TEMPLATE, path)
    return path


def _inbox_or_fail(ws: Workspace, year: int) -> None:
    inbox = ws.settings.inbox(year)
    if not inbox.is_dir():
        raise UsageError(f"chưa có thư mục {ws.settings.display(inbox)}/ của năm {year}. Hãy tạo thư mục này và lưu "
                         "vào đó các tệp các đơn vị gửi về, rồi chạy lại.")


def check(ws: Workspace, year: int, engine: str = "calamine", workers: int | None = None,
          progress: Progress | None = None, on_total: Progress | None = None,
          limits: Limits = Limits()) -> CheckRun:
    """Check every file of inbox/<year>/ and write the check workbook, feedback copies and drafts.

    When nothing the outputs depend on changed since the last check (the files and their
    verdicts, the officer's decisions, the settings, the blank forms), they are kept as they are.
    """
    _inbox_or_fail(ws, year)
    final = ws.settings.outbox(year)
    with _writing(ws.settings):
        result = run_check(ws, year, engine=engine, workers=workers, progress=progress, on_total=on_total,
                           limits=limits)
        key = _check_key(ws, result)
        kept = _kept(final / CHECK_MARKER, key, final / CHECK_DIR)
        if kept is not None:
            return CheckRun(result, _written(final, kept))
        with replacing(final, {CHECK_DIR, CHECK_MARKER}) as staging:
            written = _write_check(ws, result, staging, key, workers, limits)
    return CheckRun(result, {label: final / path for label, path in written.items()})


def _write_check(ws: Workspace, result: CheckResult, staging: Path, key: str, workers: int | None,
                 limits: Limits) -> dict[str, Path]:
    written = write_check_outputs(ws, result, staging, workers, limits, previous=ws.settings.outbox(result.year))
    _mark(staging / CHECK_MARKER, key, {"written": {k: v.as_posix() for k, v in written.items()}})
    return written


def _written(final: Path, marker: dict[str, object]) -> dict[str, Path]:
    written = marker.get("written")
    return {str(k): final / str(v) for k, v in written.items()} if isinstance(written, dict) else {}


CHECK_MARKER = ".kiem-tra.json"  # what the check outputs of the year were written from


def _listing(folder: Path) -> str:
    """Names, sizes and times of a folder's files: what attaching them depends on."""
    if not folder.is_dir():
        return ""
    return repr(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))


@functools.lru_cache(maxsize=1)
def _outputs_code() -> str:
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*package.glob("outputs/**/*.py"), *package.glob("consolidate/*.py"), package / "mail.py",
                        package / "cycle.py"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _outputs_key(ws: Workspace, what: str, *inputs: str) -> str:
    """Everything a set of outputs is made from: the data, the officer's files, the templates, the code."""
    settings = ws.settings
    files = [settings.root / "baocao.toml", settings.root / DECISIONS_FILE, settings.agencies_csv,
             settings.plan_csv, settings.plan_meta, *sorted(settings.templates_dir.glob("*"))]
    digest = hashlib.sha256("\0".join([what, _outputs_code(), store_code(), *inputs]).encode("utf-8"))
    for path in files:
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def _result_key(result: CheckResult) -> str:
    """A year's check as the outputs see it: every file's verdict, digest and dates (not how it was obtained)."""
    return repr(dataclasses.replace(result, reused=0))


def _check_key(ws: Workspace, result: CheckResult) -> str:
    return _outputs_key(ws, "check", _result_key(result), _listing(ws.settings.outbox(result.year) / WORKBOOKS_DIR))


def _kept(marker: Path, key: str, *needed: Path) -> dict[str, object] | None:
    """The marker of outputs written last time, if they were written from exactly these inputs and are all there."""
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key or not all(p.exists() for p in needed):
        return None
    written = data.get("written", {})
    if not isinstance(written, dict) or not all((marker.parent / str(p)).exists() for p in written.values()):
        return None
    return data


def _mark(marker: Path, key: str, data: dict[str, object]) -> None:
    write_atomic(marker, json.dumps({"key": key, **data}, ensure_ascii=False).encode("utf-8"))


def inspect(ws: Workspace, year: int, progress: Progress | None = None) -> CheckResult:
    """The check of inbox/<year>/ without writing anything: who sent what, with every finding (the web desk's board)."""
    _inbox_or_fail(ws, year)
    return run_check(ws, year, progress=progress)


def years_with_data(ws: Workspace, start: int, end: int) -> list[int]:
    """Years in [start, end] whose inbox folder exists."""
    return [y for y in range(start, end + 1) if ws.settings.inbox(y).is_dir()]


def _report_years(ws: Workspace, year: int | None, period: tuple[int, int] | None,
                  checks: dict[int, CheckResult]) -> list[int]:
    plan = ws.plan
    if period is not None:
        start, end = period
        if start > end or start < plan.start_year - 1 or end > plan.end_year + 1:
            raise UsageError(f"giai đoạn {start}-{end} nằm ngoài kế hoạch ({plan.start_year}-{plan.end_year})")
        years = years_with_data(ws, start, end)
        if not years:
            raise UsageError(f"chưa có dữ liệu năm nào trong giai đoạn {start}-{end} (thư mục inbox/<năm>/)")
        return years
    assert year is not None
    if year not in checks and not ws.settings.inbox(year).is_dir():
        raise UsageError(f"chưa có dữ liệu năm {year} (thư mục inbox/{year}/ chưa có); hãy lưu các tệp các đơn vị "
                         "gửi về vào đó rồi chạy lại.")
    return [*years_with_data(ws, plan.start_year, year - 1), year]


def _report_names(year: int | None, period: tuple[int, int] | None) -> tuple[str, str, str]:
    """(folder name, workbook name, document name) of a year's report or a period's review."""
    if period is not None:
        stem = f"{period[0]}-{period[1]}"
        return stem, f"tong-hop-{stem}.xlsx", f"bao-cao-tong-ket-{stem}.docx"
    return str(year), f"tong-hop-{year}.xlsx", f"bao-cao-{year}.docx"


REPORT_MARKER = ".bao-cao.json"  # what the report of the year (or the period) was written from


@dataclass
class _ReportJob:
    """A report about to be made: its years, their checks, the key of everything it is made from."""

    year: int | None
    period: tuple[int, int] | None
    full: bool
    years: list[int]
    checks: dict[int, CheckResult]
    key: str

    @property
    def names(self) -> tuple[str, str, str]:
        return _report_names(self.year, self.period)


def _report_job(ws: Workspace, year: int | None, period: tuple[int, int] | None, checks: dict[int, CheckResult],
                 full: bool) -> _ReportJob:
    """Earlier years' checks come from the store: a year whose inbox did not change is not read again."""
    years = _report_years(ws, year, period, checks)
    for y in years:
        if y not in checks:
            checks[y] = run_check(ws, y)
    key = _outputs_key(ws, "report", repr((year, period, full)), *(_result_key(checks[y]) for y in years))
    return _ReportJob(year, period, full, years, checks, key)


def _consolidate(ws: Workspace, job: _ReportJob) -> tuple[YearSummary, tuple[YearSummary, ...]]:
    summaries = [summarise(ws, job.checks[y]) for y in job.years]
    if job.period is not None:
        return combine(ws, summaries, job.period), tuple(summaries)
    return summaries[-1], tuple(summaries[:-1])


def _history_years(job: _ReportJob) -> tuple[int, ...]:
    return tuple(job.years) if job.period is not None else tuple(job.years[:-1])


def _kept_report(ws: Workspace, job: _ReportJob) -> ReportResult | None:
    stem, workbook_name, doc_name = job.names
    final = ws.settings.outbox(stem)
    data = _kept(final / REPORT_MARKER, job.key, final / workbook_name, final / doc_name)
    headline = data.get("headline") if data is not None else None
    if not isinstance(headline, dict):
        return None
    try:
        shown = Headline(int(headline["activities"]), float(headline["people"]), float(headline["money"]),
                         {str(k): float(v) for k, v in dict(headline["totals"]).items()})
    except (KeyError, TypeError, ValueError):
        return None
    return ReportResult(final / workbook_name, final / doc_name, tuple(job.years), _history_years(job), shown,
                        True, functools.partial(_consolidate, ws, job))


def _write_report(ws: Workspace, job: _ReportJob, staging: Path) -> ReportResult:
    # the writers import xlsxwriter and python-docx: only when a report is written
    from pipeline.outputs.summary_workbook import write_summary_workbook
    from pipeline.outputs.word.context import build_context
    from pipeline.outputs.word.render import render_report

    summary, history = _consolidate(ws, job)
    stem, workbook_name, doc_name = job.names
    context = build_context(ws, summary, list(history), job.period, full=job.full)
    write_summary_workbook(ws, summary, staging / workbook_name, list(history), job.period, context["notes"])
    render_report(ws.settings.templates_dir / REPORT_TEMPLATE, context, staging / doc_name)
    headline = Headline.of(summary)
    _mark(staging / REPORT_MARKER, job.key, {"headline": dataclasses.asdict(headline)})
    final = ws.settings.outbox(stem)
    done = (summary, history)
    return ReportResult(final / workbook_name, final / doc_name, tuple(job.years), _history_years(job), headline,
                        False, lambda: done)


def report(ws: Workspace, year: int | None = None, period: tuple[int, int] | None = None,
           full: bool = False) -> ReportResult:
    """Consolidate the year (with earlier years for comparison) or a period, and write both outputs.

    The Word report is condensed (key figures, one paragraph per activity); `full` adds every
    implementing agency's results under each activity. When nothing the report is made from
    changed since it was written, both files are left as they are.
    """
    stem, workbook_name, doc_name = _report_names(year, period)
    _report_years(ws, year, period, {})
    with _writing(ws.settings):
        job = _report_job(ws, year, period, {}, full)
        kept = _kept_report(ws, job)
        if kept is not None:
            return kept
        with replacing(ws.settings.outbox(stem), {workbook_name, doc_name, REPORT_MARKER}) as staging:
            return _write_report(ws, job, staging)


def run(ws: Workspace, year: int, progress: Progress | None = None, on_total: Progress | None = None,
        limits: Limits = Limits()) -> RunResult:
    """Check the year, write the check's outputs, then the report — all swapped in together.

    Outputs whose inputs did not change since they were written are left as they are.
    """
    _inbox_or_fail(ws, year)
    final = ws.settings.outbox(year)
    with _writing(ws.settings):
        result = run_check(ws, year, progress=progress, on_total=on_total, limits=limits)
        check_key = _check_key(ws, result)
        kept_check = _kept(final / CHECK_MARKER, check_key, final / CHECK_DIR)
        job = _report_job(ws, year, None, {year: result}, False)
        built = _kept_report(ws, job)
        produced = set() if kept_check is not None else {CHECK_DIR, CHECK_MARKER}
        if built is None:
            produced |= set(job.names[1:]) | {REPORT_MARKER}
        if not produced:
            assert kept_check is not None and built is not None
            return RunResult(CheckRun(result, _written(final, kept_check)), built)
        with replacing(final, produced) as staging:
            written = (_written(final, kept_check) if kept_check is not None else
                       {label: final / path
                        for label, path in _write_check(ws, result, staging, check_key, None, limits).items()})
            if built is None:
                built = _write_report(ws, job, staging)
    return RunResult(CheckRun(result, written), built)
