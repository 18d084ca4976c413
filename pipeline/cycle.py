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

from pipeline.check.result import CheckResult
from pipeline.check.run import run_check
from pipeline.consolidate.summary import YearSummary, combine, summarise
from pipeline.generate.workbooks import DRAFTS_DIR, SEND_LIST, WORKBOOKS_DIR, GenerateResult
from pipeline.generate.workbooks import generate as generate_workbooks
from pipeline.isolation import Limits
from pipeline.model.errors import UsageError
from pipeline.model.plan import Plan
from pipeline.outputs.check_outputs import CHECK_DIR, write_check_outputs
from pipeline.outputs.summary_workbook import write_summary_workbook
from pipeline.outputs.word.context import build_context
from pipeline.outputs.word.render import render_report
from pipeline.plan_import import import_into
from pipeline.store import code_version as store_code
from pipeline.workspace.decisions import DECISIONS_FILE
from pipeline.workspace.files import write_atomic
from pipeline.workspace.load import Workspace
from pipeline.workspace.outbox import replacing, workspace_lock
from pipeline.workspace.settings import Settings, load_settings
from pipeline.workspace.templates import REPORT_TEMPLATE, SUBMISSION_TEMPLATE, install_template

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ReportResult:
    """What the report wrote, and the summaries behind it."""

    workbook: Path
    document: Path
    summary: YearSummary
    history: tuple[YearSummary, ...]
    years: tuple[int, ...]  # every year with data that went into the report


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
    with _writing(load_settings(root)):
        done = import_into(root, source, plan_id)
    return done.plan, done.csv_path, done.meta_path


def _rebase(path: Path, staging: Path, final: Path) -> Path:
    return final / path.relative_to(staging) if path.is_relative_to(staging) else path


def generate(ws: Workspace, year: int) -> GenerateResult:
    """One workbook and request e-mail per agency with something to report in `year`."""
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


def _check(ws: Workspace, year: int, staging: Path, engine: str, workers: int | None, limits: Limits,
           progress: Progress | None, on_total: Progress | None) -> CheckRun:
    result = run_check(ws, year, engine=engine, workers=workers, progress=progress, on_total=on_total, limits=limits)
    written = write_check_outputs(ws, result, staging, workers, limits)
    return CheckRun(result, {label: ws.settings.outbox(year) / path for label, path in written.items()})


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
        key = _outputs_key(ws, "check", repr(dataclasses.replace(result, reused=0)), _listing(final / WORKBOOKS_DIR))
        kept = _kept_outputs(final / CHECK_MARKER, key, final / CHECK_DIR)
        if kept is not None:
            return CheckRun(result, {label: final / path for label, path in kept.items()})
        with replacing(final, {CHECK_DIR, CHECK_MARKER}) as staging:
            written = write_check_outputs(ws, result, staging, workers, limits)
            _mark(staging / CHECK_MARKER, key, written)
    return CheckRun(result, {label: final / path for label, path in written.items()})


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
             *sorted(settings.templates_dir.glob("*"))]
    digest = hashlib.sha256("\0".join([what, _outputs_code(), store_code(), *inputs]).encode("utf-8"))
    for path in files:
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def _kept_outputs(marker: Path, key: str, *needed: Path) -> dict[str, Path] | None:
    """What the outputs written last time hold, if they were written from exactly these inputs and are all there."""
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("key") != key or not all(p.exists() for p in needed):
        return None
    written = {str(k): Path(v) for k, v in data.get("written", {}).items()}
    return written if all((marker.parent / p).exists() for p in written.values()) else None


def _mark(marker: Path, key: str, written: dict[str, Path]) -> None:
    write_atomic(marker, json.dumps({"key": key, "written": {k: v.as_posix() for k, v in written.items()}},
                                    ensure_ascii=False).encode("utf-8"))


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


def _report(ws: Workspace, year: int | None, period: tuple[int, int] | None, checks: dict[int, CheckResult],
            staging: Path, full: bool = False) -> ReportResult:
    years = _report_years(ws, year, period, checks)
    summaries = []
    for y in years:
        if y not in checks:
            checks[y] = run_check(ws, y)
        summaries.append(summarise(ws, checks[y]))
    if period is not None:
        summary, history = combine(ws, summaries, period), summaries
    else:
        summary, history = summaries[-1], summaries[:-1]
    stem, workbook_name, doc_name = _report_names(year, period)
    context = build_context(ws, summary, history, period, full=full)
    write_summary_workbook(ws, summary, staging / workbook_name, history, period, context["notes"])
    render_report(ws.settings.templates_dir / REPORT_TEMPLATE, context, staging / doc_name)
    final = ws.settings.outbox(stem)
    return ReportResult(final / workbook_name, final / doc_name, summary, tuple(history), tuple(years))


def report(ws: Workspace, year: int | None = None, period: tuple[int, int] | None = None,
           full: bool = False) -> ReportResult:
    """Consolidate the year (with earlier years for comparison) or a period, and write both outputs.

    The Word report is condensed (key figures, one paragraph per activity); `full` adds every
    implementing agency's results under each activity.
    """
    stem, workbook_name, doc_name = _report_names(year, period)
    _report_years(ws, year, period, {})
    with _writing(ws.settings), replacing(ws.settings.outbox(stem), {workbook_name, doc_name}) as staging:
        return _report(ws, year, period, {}, staging, full)


def run(ws: Workspace, year: int, progress: Progress | None = None, on_total: Progress | None = None,
        limits: Limits = Limits()) -> RunResult:
    """Check the year, write the check's outputs, then the report — all swapped in together."""
    _inbox_or_fail(ws, year)
    _, workbook_name, doc_name = _report_names(year, None)
    with _writing(ws.settings), \
            replacing(ws.settings.outbox(year), {CHECK_DIR, workbook_name, doc_name}) as staging:
        checked = _check(ws, year, staging, "calamine", None, limits, progress, on_total)
        built = _report(ws, year, None, {year: checked.result}, staging)
    return RunResult(checked, built)
