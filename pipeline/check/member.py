"""Checking one inbox file: every member of it identified, read and checked into a FileResult."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from pipeline.check.attribute import Evidence, attribute, by_email, refused
from pipeline.check.identify import identify
from pipeline.check.rules import Cursor, check_workbook
from pipeline.intake.unpack import SEP, Member, Rejection, members_of
from pipeline.model.agencies import Registry
from pipeline.model.assignments import Assignment
from pipeline.model.findings import Finding, finding
from pipeline.model.layout import fingerprint
from pipeline.model.plan import Plan
from pipeline.model.submission import FileResult, Submission
from pipeline.model.vocab import FileKind, Outcome, Severity
from pipeline.read.book import Book


@dataclass(frozen=True)
class Context:
    """What checking one file needs to know; sent once to each worker."""

    plan: Plan
    registry: Registry
    year: int
    assigned: dict[str, list[Assignment]]
    engine: str = "calamine"
    passwords: tuple[tuple[str, str], ...] = ()  # (display path, password) the officer recorded
    department: str = ""  # the department's own code: its mailbox forwards, it does not attribute


# What checking one inbox entry gives: a result per member (one, or several for a zip or e-mail).
Checked = list[FileResult]


def content_hash(sub: Submission) -> str:
    """Same content whatever the file format or name: the values, not the bytes."""
    def row(r: object) -> object:
        data = dict(vars(r))
        for key in ("sheet", "row", "cells"):
            data.pop(key, None)
        data["figures"] = vars(data["figures"]) if "figures" in data else None
        return data
    payload = {"agency": sub.agency, "year": sub.year, "info": sub.info, "rows": [row(r) for r in sub.rows],
               "others": [row(o) for o in sub.others], "general": sub.general,
               "date": str(sub.report_date)}
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _status(findings: list[Finding]) -> Outcome:
    if any(f.severity == Severity.ERROR for f in findings):
        return Outcome.REJECTED
    return Outcome.ACCEPTED_WITH_WARNINGS if findings else Outcome.ACCEPTED


def check_member(member: Member, ctx: Context) -> FileResult:
    """Check one file (or one attachment); never raises."""
    base: dict[str, Any] = {"path": member.path, "kind": member.kind, "email_date": member.email_date,
                            "mtime": member.mtime, "digest": hashlib.sha256(member.data).hexdigest()}
    try:
        return _check_member(member, ctx, base)
    except BaseException as exc:  # a hostile or broken file must never stop the run
        # the Rust reader's panics derive from BaseException; only an interrupt stops the run
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        return FileResult(status=Outcome.REJECTED,
                          findings=(finding("unreadable", member.path, detail=type(exc).__name__),), **base)


def _check_member(member: Member, ctx: Context, base: dict[str, Any]) -> FileResult:
    path = member.path
    if member.rejection is not None:
        code = member.rejection.code
        f = Finding(code, path, params=member.rejection.params)
        # a warning-level refusal (a PDF, an empty zip, a mail without attachment) is not a spreadsheet
        status = Outcome.NOT_A_SPREADSHEET if f.severity == Severity.WARNING else Outcome.REJECTED
        return FileResult(status=status, findings=(f,), **base)
    if member.kind == FileKind.ENCRYPTED:
        return FileResult(status=Outcome.REJECTED, findings=(finding("encrypted", path),), **base)
    if not FileKind(member.kind).spreadsheet:
        ext = PurePath(path.split(SEP)[-1]).suffix.lower() or "không có đuôi tệp"
        return FileResult(status=Outcome.NOT_A_SPREADSHEET,
                          findings=(finding("not-a-spreadsheet", path, detail=ext),), **base)
    book = Book(member.data, member.kind, ctx.engine, member.parts)
    try:
        findings: list[Finding] = [Finding(n.code, path, params=n.params) for n in member.notices]
        if member.kind == FileKind.XLSM:
            findings.append(finding("macro-workbook", path))
        elif member.kind == FileKind.XLS:
            findings.append(finding("legacy-format", path, detail="Excel 97-2003 (.xls)"))
        elif member.kind == FileKind.XLSB:
            findings.append(finding("legacy-format", path, detail="Excel nhị phân (.xlsb)"))
        identity, found = identify(book, path, ctx.registry, ctx.year, ctx.plan.id, ctx.plan.terms.item)
        findings += found
        if identity.agency is None:
            return FileResult(status=Outcome.REJECTED, findings=tuple(findings), **base)
        if any(f.severity == Severity.ERROR for f in found):  # another year, plan or agency: rules add only noise
            return FileResult(status=Outcome.REJECTED, findings=tuple(findings), agency=identity.agency, **base)
        assigned = ctx.assigned.get(identity.agency, [])
        if not assigned:
            findings.append(finding("not-assigned", path, value=ctx.registry.get(identity.agency).short_name,
                                    expected=ctx.year))
            return FileResult(status=Outcome.REJECTED, findings=tuple(findings), agency=identity.agency, **base)
        findings += _meta_findings(dict(identity.meta), assigned, path)
        cur = Cursor(book, path)
        sub = check_workbook(cur, identity.agency, ctx.year, ctx.plan, assigned)
        findings += cur.findings
        return FileResult(status=_status(findings), findings=tuple(findings), agency=identity.agency,
                          year=identity.year, report_date=sub.report_date, content_hash=content_hash(sub),
                          submission=sub, readable=True, **base)
    finally:
        book.close()


def _meta_findings(meta: dict[str, str], assigned: list[Assignment], path: str) -> list[Finding]:
    """The workbook was made for other activities, or the plan's text changed since it was sent."""
    sent = [a for a in meta.get("activity_ids", "").split(",") if a]
    if not sent:
        return []
    now = [a.activity.id for a in assigned]
    if sent != now:
        extra = [a for a in sent if a not in now]
        lacking = [a for a in now if a not in sent]
        detail = "; ".join(x for x in (f"không còn giao: {', '.join(extra)}" if extra else "",
                                         f"mới giao: {', '.join(lacking)}" if lacking else "") if x)
        return [finding("assignments-changed", path, detail=detail or "thứ tự khác")]
    expected = _fingerprint(tuple((a.activity.id, a.activity.content) for a in assigned))
    if meta.get("fingerprint") and meta["fingerprint"] != expected:
        return [finding("assignments-changed", path, detail="nội dung hoạt động trong kế hoạch đã được sửa sau khi "
                                                           "gửi biểu mẫu")]
    return []


@functools.lru_cache(maxsize=1024)
def _fingerprint(rows: tuple[tuple[str, str], ...]) -> str:
    """The locked context's fingerprint, once per set of assignments rather than once per file."""
    return fingerprint(list(rows))


def check_entry(entry: Path | Rejection, display: str, ctx: Context) -> Checked:
    """Read, unpack, guard and check one inbox file (every member of a zip or e-mail); never raises."""
    out: Checked = []
    evidence: list[Evidence] = []
    for member in members_of(entry, display, passwords=dict(ctx.passwords)):
        out.append(check_member(member, ctx))
        evidence.append(Evidence(refused(member, out[-1]), member.senders))
    if any(e.refused for e in evidence):
        # files nobody could read still belong to whoever sent them (check/attribute.py)
        out = attribute(out, evidence, ctx.registry, by_email(ctx.registry, ctx.department))
    return out
