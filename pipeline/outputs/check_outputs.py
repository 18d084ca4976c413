"""What `baocao check` writes: the check workbook, feedback copies, and e-mail drafts.

Writers only: they write into the year folder they are given (a fresh one the cycle swaps in).
The feedback copies are made from the agencies' own bytes, so they are made in worker processes
(pipeline.isolation); a copy that crashes or hangs becomes the list of findings alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from pipeline.check.result import CheckResult
from pipeline.intake.unpack import SEP
from pipeline.isolation import Failed, Limits, Pool
from pipeline.mail import Attachment, addresses, build_message, department_sender, department_tag, write_eml
from pipeline.model.errors import ConfigError, UsageError
from pipeline.model.findings import Finding
from pipeline.model.submission import FileResult
from pipeline.model.text import ascii_slug
from pipeline.model.vocab import AgencyState, FileKind, Outcome, Severity
from pipeline.outputs.check_workbook import write_check_workbook
from pipeline.workspace.files import write_atomic
from pipeline.workspace.load import Workspace

if TYPE_CHECKING:
    from pipeline.outputs.feedback import FeedbackJob

CHECK_DIR = "kiem-tra"
# Advice about the file format alone is not worth a letter to the agency.
QUIET = {"legacy-format", "macro-workbook"}


def write_check_outputs(ws: Workspace, result: CheckResult, year_folder: Path, workers: int | None = None,
                        limits: Limits = Limits(), previous: Path | None = None) -> dict[str, Path]:
    """Everything under <year_folder>/kiem-tra/; returns what was written, as paths inside `year_folder`.

    `previous` is the year's folder as it stands: a feedback copy made there from the same file,
    findings and wording is taken over instead of being made again.
    """
    folder = year_folder / CHECK_DIR
    workbook = folder / f"kiem-tra-{result.year}.xlsx"
    write_check_workbook(ws, result, workbook)
    feedback = _feedback(ws, result, folder, workers, limits, previous / CHECK_DIR if previous else None)
    blank_dir = year_folder / "mau"
    reminders = _reminders(ws, result, folder, blank_dir) + _resend_requests(ws, result, folder, blank_dir)
    written = {"Tệp kiểm tra": workbook}
    if feedback:
        written["Bản phản hồi cho đơn vị"] = folder / "phan-hoi"
    if feedback or reminders:
        written["Thư nháp (phản hồi, nhắc nộp)"] = folder / "thu"
    return {label: path.relative_to(year_folder) for label, path in written.items()}


def _wants_feedback(f: FileResult, outcome: Outcome) -> bool:
    """A counted or rejected spreadsheet of a known agency with something worth a letter."""
    return (f.agency is not None and FileKind(f.kind).spreadsheet and outcome not in (Outcome.SUPERSEDED,
            Outcome.DUPLICATE) and any(x.code not in QUIET for x in f.findings))


FEEDBACK_INDEX = ".phan-hoi.json"  # in kiem-tra/: what each feedback copy was made from


@functools.lru_cache(maxsize=1)
def _feedback_code() -> str:
    """The code that makes feedback copies: a new version makes them again."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in [*sorted(here.glob("*.py")), here.parent / "model" / "findings.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _job_key(job: FeedbackJob) -> str:
    parts = (job.digest, job.member, job.kind, repr(job.findings), job.author, job.resubmit_by, job.year,
             job.path.name, _feedback_code())
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _previous_copies(previous: Path | None) -> dict[str, dict[str, str]]:
    if previous is None:
        return {}
    try:
        data = json.loads((previous / FEEDBACK_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict) and isinstance(v.get("key"), str)
            and v.get("made") in ("marked", "list")}


def _take_over(previous: Path | None, job: FeedbackJob, old: dict[str, dict[str, str]], key: str) -> str | None:
    """The copy made last time from exactly this job, linked into the new folder: "marked"/"list", or None."""
    entry = old.get(job.path.name)
    if previous is None or entry is None or entry["key"] != key:
        return None
    source = previous / "phan-hoi" / job.path.name
    try:
        if not source.is_file() or source.is_symlink():
            return None
        job.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, job.path)
        except OSError:
            shutil.copyfile(source, job.path)
    except OSError:
        return None
    return entry["made"]


def _feedback(ws: Workspace, result: CheckResult, folder: Path, workers: int | None, limits: Limits,
              previous: Path | None = None) -> int:
    """A marked copy and a draft e-mail for each counted-or-rejected file that has findings."""
    from pipeline.outputs.feedback import FeedbackJob, write_feedback_job, write_findings_only  # openpyxl

    outcome = {o.path: o.outcome for o in result.outcomes}
    inbox = ws.settings.inbox(result.year)
    author = department_tag(ws)
    jobs: list[tuple[FileResult, FeedbackJob]] = []
    for f in result.files:
        if not _wants_feedback(f, outcome[f.path]):
            continue
        assert f.agency is not None
        agency = ws.registry.get(f.agency)
        errors = any(x.severity == Severity.ERROR for x in f.findings)
        # a file with warnings only is for information: named and worded so, nothing to send back
        name = f"{agency.code}_{ascii_slug(agency.short_name)}_{result.year}_{'can-sua' if errors else 'de-biet'}.xlsx"
        display = f.path.split(SEP)[0]
        due = f"{ws.settings.resubmit_by(result.year):%d/%m/%Y}" if errors else ""
        jobs.append((f, FeedbackJob(inbox / display, display, f.path, f.kind, f.digest, f.findings,
                                    folder / "phan-hoi" / name, author, due, result.year)))
    if not jobs:
        return 0
    made: dict[str, str] = {}
    old = _previous_copies(previous)
    keys = {job.member: _job_key(job) for _, job in jobs}
    todo = []
    for _, job in jobs:
        taken = _take_over(previous, job, old, keys[job.member])
        if taken is None:
            todo.append(job)
        else:
            made[job.member] = taken
    if todo:
        with Pool(write_feedback_job, None, workers or 0, limits) as pool:
            for job, done in pool.map(todo):
                if isinstance(done, Failed):  # the agency's workbook crashed or hung the writer: the list alone
                    write_findings_only(list(job.findings), job.path, job.resubmit_by, job.year)
                    done = "list"
                made[job.member] = done
    index = {job.path.name: {"key": keys[job.member], "made": made[job.member]} for _, job in jobs}
    write_atomic(folder / FEEDBACK_INDEX, json.dumps(index, ensure_ascii=False, indent=0).encode("utf-8"))
    for f, job in jobs:
        agency = ws.registry.get(str(f.agency))
        has_errors = any(x.severity == Severity.ERROR for x in f.findings)
        subject = (f"Đề nghị chỉnh sửa báo cáo năm {result.year}" if has_errors
                   else f"Đã nhận báo cáo năm {result.year}, một số điểm cần lưu ý")
        msg = build_message(department_sender(ws), addresses(agency.email, agency.name),
                            f"[{author}] {subject} — {agency.short_name}",
                            _feedback_body(ws, result, f.path, list(f.findings), made[f.path] == "marked",
                                           job.resubmit_by),
                            [Attachment.from_path(job.path)])
        write_eml(msg, folder / "thu" / f"{agency.code}_phan-hoi_{result.year}.eml")
    return len(jobs)


def _feedback_body(ws: Workspace, result: CheckResult, path: str, findings: list[Finding], marked: bool,
                   resubmit_by: str = "") -> str:
    from pipeline.outputs.feedback import SHEET_FIXES, SHEET_NOTES

    errors = [f for f in findings if f.severity == Severity.ERROR]
    warnings = [f for f in findings if f.severity != Severity.ERROR]
    contact = ws.settings.contact
    lines = [
        "Kính gửi Quý cơ quan, đơn vị,",
        "",
        f"{ws.settings.department} đã nhận được báo cáo năm {result.year} của Quý đơn vị "
        f"(tệp “{PurePath(path.split(SEP)[-1]).name}”) và trân trọng cảm ơn.",
    ]
    if errors:
        lines += ["", f"Qua kiểm tra, báo cáo còn {len(errors)} lỗi cần chỉnh sửa trước khi tổng hợp:"]
        lines += [f"  - {_where(f)}{f.message_vi}" for f in errors[:30]]
    if warnings:
        lead = "Ngoài ra có" if errors else "Qua kiểm tra, báo cáo có"
        lines += ["", f"{lead} {len(warnings)} điểm cần lưu ý (không bắt buộc sửa):"]
        lines += [f"  - {_where(f)}{f.message_vi}" for f in warnings[:15]]
        if len(warnings) > 15:
            lines.append(f"  - … và {len(warnings) - 15} điểm khác (xem trang “{SHEET_FIXES if errors else SHEET_NOTES}” "
                         "trong tệp đính kèm).")
    attached = (f"Tệp đính kèm là bản phản hồi: trang “{SHEET_FIXES}” liệt kê từng điểm" if errors else
                f"Tệp đính kèm (để biết) liệt kê các điểm cần lưu ý ở trang “{SHEET_NOTES}”")
    if marked and any(x.cell for x in findings):
        attached += "; trong bảng, các ô liên quan được tô màu (đỏ: lỗi, cam: lưu ý) và có ghi chú"
    lines += ["", attached + ".",
              "Đề nghị Quý đơn vị chỉnh sửa trên tệp biểu mẫu đã điền và gửi lại bằng cách trả lời thư này"
              + (f" trước ngày {resubmit_by}." if resubmit_by else ".")
              if errors else "Báo cáo đã được đưa vào tổng hợp; Quý đơn vị không cần gửi lại.",
              "", f"Mọi thông tin xin liên hệ: {contact.name}, điện thoại {contact.phone}, email {contact.email}.",
              "", "Trân trọng./."]
    return "\n".join(lines)


def _where(f: Finding) -> str:
    parts = [p for p in (f.sheet, f"ô {f.cell}" if f.cell else "") if p]
    return f"[{', '.join(parts)}] " if parts else ""


def blank_index(folder: Path, year: int) -> dict[str, Path]:
    """The blank workbooks `generate` wrote, by agency code: `<CODE>_<name>_<year>.xlsx`, the first by name.

    The folder is listed once, not searched once per agency: a province with thousands of communes
    that have not reported yet costs one listing, not thousands.
    """
    suffix = f"_{year}.xlsx"
    index: dict[str, Path] = {}
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.is_file() and entry.name.endswith(suffix))
    except OSError:
        return {}
    for name in names:
        parts = name[:-len(suffix)].split("_")
        for i in range(1, len(parts)):  # the code is any run of leading parts that leaves a name after it
            index.setdefault("_".join(parts[:i]), folder / name)
    return index


def _blank_forms(ws: Workspace, year: int, codes: list[str], blank_dir: Path,
                 scratch: Path) -> tuple[dict[str, Path], str]:
    """Each agency's blank workbook: from mau/ when `generate` wrote it, else made now; (found, why none)."""
    index = blank_index(blank_dir, year)
    found = {code: index[code] for code in codes if code in index}
    if all(c in found for c in codes):
        return found, ""
    from pipeline.generate.workbooks import generate

    try:
        made = generate(ws, year, out_dir=scratch, only={c for c in codes if c not in found})
    except (UsageError, ConfigError) as exc:  # e.g. a setting generate needs is blank
        return found, str(exc)
    for w in made.workbooks:
        found.setdefault(w.agency.code, w.workbook)
    return found, ""


def _reminders(ws: Workspace, result: CheckResult, folder: Path, blank_dir: Path) -> int:
    """A reminder draft to each expected agency that has sent nothing, with its blank workbook (made if missing)."""
    missing = [s.agency for s in result.agencies if s.state == AgencyState.MISSING]
    if not missing:
        return 0
    with tempfile.TemporaryDirectory(prefix="baocao-mau-") as scratch:
        return _write_reminders(ws, result, folder, blank_dir, Path(scratch), missing)


def _write_reminders(ws: Workspace, result: CheckResult, folder: Path, blank_dir: Path, scratch: Path,
                     missing: list[str]) -> int:
    forms, why = _blank_forms(ws, result.year, missing, blank_dir, scratch)
    count = 0
    deadline = f"{result.deadline:%d/%m/%Y}"
    contact = ws.settings.contact
    for status in result.agencies:
        if status.state != AgencyState.MISSING:
            continue
        agency = ws.registry.get(status.agency)
        blanks = [forms[agency.code]] if agency.code in forms else []
        body = "\n".join([
            "Kính gửi Quý cơ quan, đơn vị,",
            "",
            f"Đến nay {ws.settings.department} chưa nhận được báo cáo kết quả thực hiện Kế hoạch "
            f"{ws.plan.decision} năm {result.year} của Quý đơn vị (hạn nộp {deadline}).",
            "Đề nghị Quý đơn vị khẩn trương điền biểu mẫu " + ("đính kèm" if blanks else "đã được gửi")
            + " và gửi lại bằng cách trả lời thư này.",
            *([] if blanks else [f"(Ghi chú cho cán bộ, xóa trước khi gửi: chưa đính kèm được biểu mẫu trống vì {why}.)"]),
            "", f"Mọi thông tin xin liên hệ: {contact.name}, điện thoại {contact.phone}, email {contact.email}.",
            "", "Trân trọng./.",
        ])
        msg = build_message(department_sender(ws), addresses(agency.email, agency.name),
                            f"[{department_tag(ws)}] Nhắc gửi báo cáo năm {result.year} — {agency.short_name}", body,
                            [Attachment.from_path(p) for p in blanks[:1]])
        write_eml(msg, folder / "thu" / f"{agency.code}_nhac-nop_{result.year}.eml")
        count += 1
    return count


def _resend_requests(ws: Workspace, result: CheckResult, folder: Path, blank_dir: Path) -> int:
    """A draft to each agency whose files all came in unreadable, asking for exactly the fix of each file."""
    count = 0
    contact = ws.settings.contact
    mine: dict[str, list[str]] = {}
    for outcome in result.outcomes:
        if outcome.agency is not None and outcome.outcome in (Outcome.REJECTED, Outcome.NOT_A_SPREADSHEET):
            mine.setdefault(outcome.agency, []).append(outcome.path)
    by_path = {f.path: f for f in result.files}
    blanks_of = blank_index(blank_dir, result.year)
    for status in result.agencies:
        if status.state != AgencyState.UNREADABLE:
            continue
        agency = ws.registry.get(status.agency)
        # a scan or a document instead of the workbook: send the blank workbook again with the request
        paths = mine.get(status.agency, [])
        sent_other = any(f.code == "not-a-spreadsheet" for p in paths for f in by_path[p].findings)
        blank = blanks_of.get(agency.code) if sent_other else None
        blanks = [blank] if blank is not None else []
        lines = [
            "Kính gửi Quý cơ quan, đơn vị,",
            "",
            f"{ws.settings.department} đã nhận được tệp Quý đơn vị gửi cho báo cáo kết quả thực hiện Kế hoạch "
            f"{ws.plan.decision} năm {result.year} và trân trọng cảm ơn. Tuy nhiên chưa mở được tệp nào để đọc "
            "số liệu:",
        ]
        for path in paths:
            name = PurePath(path.split(SEP)[-1]).name
            for f in by_path[path].findings:
                lines.append(f"  - Tệp “{name}”: {f.message_vi}")
        lines += ["", "Đề nghị Quý đơn vị xử lý như trên và gửi lại toàn bộ tệp biểu mẫu .xlsx đã điền bằng cách "
                      "trả lời thư này (không cần điền lại nếu tệp gốc vẫn còn)."
                  + (" Biểu mẫu trống được gửi kèm để tiện điền." if blanks else ""),
                  "", f"Mọi thông tin xin liên hệ: {contact.name}, điện thoại {contact.phone}, email {contact.email}.",
                  "", "Trân trọng./."]
        msg = build_message(department_sender(ws), addresses(agency.email, agency.name),
                            f"[{department_tag(ws)}] Đề nghị gửi lại báo cáo năm {result.year} (tệp không mở được) — "
                            f"{agency.short_name}", "\n".join(lines), [Attachment.from_path(p) for p in blanks[:1]])
        write_eml(msg, folder / "thu" / f"{agency.code}_gui-lai_{result.year}.eml")
        count += 1
    return count
