"""Whose is a file nobody could read: the same evidence as for readable ones, taken from outside it.

A refused file (empty, cut short, password, bomb, a PDF instead of the workbook) has no
identity inside that can be read, yet it was sent by someone. In order of strength: its own
name (`YTE_…xlsx`), the names of the zip or e-mail it came in, a readable workbook that came
in the same container, the sender of that e-mail as registered in plan/agencies.csv, and last
the inbox folder it was saved in. Evidence that points at two agencies at once attributes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pipeline.check.identify import agency_from_filename
from pipeline.intake.unpack import SEP, Member
from pipeline.model.agencies import Registry
from pipeline.model.submission import FileResult
from pipeline.model.vocab import FileKind


@dataclass(frozen=True)
class Evidence:
    """What is known of one member apart from its content: was it refused, and who sent it."""

    refused: bool
    senders: tuple[str, ...] = ()


def refused(member: Member, result: FileResult) -> bool:
    """True when the file could not be opened or read at all (so nothing inside says whose it is)."""
    if member.rejection is not None or not FileKind(member.kind).spreadsheet:
        return True
    return not result.readable and any(f.code == "unreadable" for f in result.findings)


def by_email(registry: Registry, department: str = "") -> dict[str, str]:
    """Registered address -> agency code; the department's own mailbox says nothing (it forwards)."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for agency in registry.agencies:
        if agency.is_group or agency.code == department:
            continue
        for addr in re.split(r"[;,\s]+", agency.email.lower()):
            if "@" not in addr:
                continue
            if addr in out and out[addr] != agency.code:
                clash.add(addr)
            out[addr] = agency.code
    return {a: c for a, c in out.items() if a not in clash}


def attribute(results: list[FileResult], evidence: list[Evidence], registry: Registry,
              emails: dict[str, str]) -> list[FileResult]:
    """The results of one inbox entry, refused members given the agency the evidence names."""
    readers = {r.agency for r, e in zip(results, evidence) if not e.refused and r.agency is not None}
    sibling = next(iter(readers)) if len(readers) == 1 else None
    out = []
    for result, ev in zip(results, evidence):
        if ev.refused and result.agency is None:
            code = _owner(result.path, ev.senders, sibling, registry, emails)
            if code is not None:
                result = replace(result, agency=code)
        out.append(result)
    return out


def _owner(path: str, senders: tuple[str, ...], sibling: str | None, registry: Registry,
           emails: dict[str, str]) -> str | None:
    segments = path.split(SEP)
    name = agency_from_filename(segments[-1].rsplit("/", 1)[-1], registry)
    if name is not None:
        return name
    for container in reversed(segments[:-1]):
        found = agency_from_filename(container.rsplit("/", 1)[-1], registry)
        if found is not None:
            return found
    if sibling is not None:
        return sibling
    sent = {emails[s] for s in senders if s in emails}
    if len(sent) == 1:
        return sent.pop()
    for folder in reversed(segments[0].split("/")[:-1]):
        found = agency_from_filename(folder, registry)
        if found is not None:
            return found
    return None
