"""Build the plan register from the document that issued the plan: its text extraction or the Word file.

source reads the bytes (any common encoding, Word's merged cells), table reads the appendix in
the shapes real plans give it, identity reads the title, the issuing document and the period
from the text above it; this module turns the rows into activities with registry codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.model.agencies import Registry
from pipeline.model.errors import ConfigError
from pipeline.model.plan import Activity, Group, Plan, Terms, parse_numbers, parse_period, parse_span
from pipeline.model.text import fold, nfc
from pipeline.plan_import.identity import document, plan_years, task_groups, title
from pipeline.plan_import.source import read_source
from pipeline.plan_import.table import Appendix, Draft, read_appendix
from pipeline.workspace.files import write_atomic
from pipeline.workspace.plan_file import load_plan, write_plan
from pipeline.workspace.registry import load_registry
from pipeline.workspace.settings import SETTINGS_FILE, load_settings

__all__ = ["ImportResult", "import_into", "import_plan", "plan_id_for"]


def import_plan(source: Path, registry: Registry, plan_id: str, existing: Plan | None = None) -> Plan:
    """Parse a .txt extraction or a .docx of the issuing document into a Plan (ids kept from `existing`)."""
    read = read_source(source)
    appendix = read_appendix(read)
    lines = list(appendix.before)
    issued = document(lines)
    if issued is None:
        raise ConfigError("không tìm thấy số và ngày của văn bản ban hành kế hoạch (ví dụ “Số: 45/KH-UBND” và "
                          "“…, ngày 12 tháng 3 năm 2026”, hoặc “Ban hành kèm theo Quyết định số 12/QĐ-UBND ngày "
                          "5/1/2021”)", source)
    plan_title = title(lines)
    years = plan_years(lines, plan_title)
    activities = _activities(appendix, registry, source, existing, years)
    if years is None:
        years = (min(a.start_year for a in activities), max(a.end_year for a in activities))
    terms = Terms(appendix.columns.item, issued.kind, issued.number, issued.date)
    groups = tuple(Group(s.key, s.title, s.parent) for s in appendix.sections)
    return Plan(plan_id, plan_title, terms, years[0], years[1], tuple(task_groups(lines)), groups,
                _qualified(tuple(activities), groups))


def _activities(appendix: Appendix, registry: Registry, source: Path, existing: Plan | None,
                years: tuple[int, int] | None) -> list[Activity]:
    known = {fold(a.content): a.id for a in existing.activities} if existing else {}
    counter = max((int(i[2:]) for i in known.values()), default=0)
    item = appendix.columns.item.lower()
    if not appendix.drafts:
        raise ConfigError("bảng phụ lục không có hoạt động nào", source)
    activities: list[Activity] = []
    for row in appendix.drafts:
        numbers = parse_numbers(row.number)
        if row.number and not numbers:
            if not re.fullmatch(r"[a-zđ]\s*[.)]?", row.number.strip()):
                raise ConfigError(f"không đọc được số {item} “{row.number}”", source, row.line)
            numbers = (row.number.strip().rstrip(".)"),)
        start, end, period_text = _period(row, years, source)
        leads = _leads(registry, row, source)
        partners: list[str] = []
        for text in row.partners:
            partners += [c for c in registry.resolve_list(text, source, row.line) if c not in partners]
        content = nfc(row.content)
        activity_id = known.get(fold(content))
        if activity_id is None or activity_id in {a.id for a in activities}:
            counter += 1
            activity_id = f"HD{counter:02d}"
        activities.append(Activity(activity_id, row.group, numbers, content, leads,
                                   tuple(p for p in partners if p not in leads), start, end,
                                   tuple(row.extra.items()), period_text))
    return activities


def _period(row: Draft, years: tuple[int, int] | None, source: Path) -> tuple[int, int, str]:
    """Start, end and the plan's wording of a row's period ("" for a plain span)."""
    text = nfc(row.period)
    if not text and years:
        return years[0], years[1], ""  # no period written: the whole plan
    period = parse_period(text, years)
    if period is None:
        hint = "" if years else "; Kế hoạch không ghi giai đoạn (“giai đoạn 2026-2030”) nên không hiểu được “hằng năm”"
        raise ConfigError(f"thời gian thực hiện “{row.period}” không hợp lệ (ví dụ 2026-2030, Năm 2027, Quý IV/2026, "
                          f"Hằng năm){hint}", source, row.line)
    plain = parse_span(text) == period or text == str(period[0]) == str(period[1])
    return period[0], period[1], "" if plain else text


def _leads(registry: Registry, row: Draft, source: Path) -> tuple[str, ...]:
    """The leads' codes, agencies before levels, so that the first lead is an agency whenever there is one."""
    codes = registry.resolve_list(row.lead, source, row.line)
    if not codes:
        raise ConfigError("thiếu cơ quan chủ trì", source, row.line)
    return tuple(sorted(codes, key=lambda c: bool(registry.get(c).covers)))


def _qualified(activities: tuple[Activity, ...], groups: tuple[Group, ...]) -> tuple[Activity, ...]:
    """Numbers that restart in every section ("1, 2, 3" under I and again under II) get the section's: "II.1"."""
    owners: dict[str, set[str]] = {}
    for a in activities:
        for n in a.numbers:
            owners.setdefault(n, set()).add(a.group)
    if not groups or all(len(g) <= 1 for g in owners.values()):
        return activities
    return tuple(replace(a, numbers=tuple(f"{a.group}.{n}" if a.group and not n.startswith(f"{a.group}.") else n
                                          for n in a.numbers)) for a in activities)


def plan_id_for(plan: Plan) -> str:
    """A plan id from its document: 'qd12-2021', 'kh45-2026'."""
    kind = "kh" if plan.terms.document == "Kế hoạch" else "qd"
    number = re.match(r"\d+", plan.terms.number)
    year = re.search(r"(\d{4})$", plan.terms.date)
    return f"{kind}{number.group(0) if number else ''}-{year.group(1) if year else plan.start_year}"


@dataclass(frozen=True)
class ImportResult:
    """What `plan import` wrote."""

    plan: Plan
    csv_path: Path
    meta_path: Path
    settings_updated: bool  # baocao.toml had no plan yet and now names this one


def import_into(root: Path, source: Path, plan_id: str | None = None) -> ImportResult:
    """Import into the workspace at `root`: the register under plan/, ids kept; baocao.toml names the plan."""
    settings = load_settings(root)
    registry = load_registry(settings.agencies_csv)
    parsed = import_plan(source, registry, plan_id or settings.plan or "")
    pid = plan_id or settings.plan or plan_id_for(parsed)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", pid):
        raise ConfigError(f"mã kế hoạch “{pid}” chỉ được có chữ không dấu, số, “-”, “_”", settings.path)
    csv_path, meta_path = settings.plan_dir / f"{pid}.csv", settings.plan_dir / f"{pid}.toml"
    existing = load_plan(csv_path, meta_path, registry) if csv_path.is_file() and meta_path.is_file() else None
    plan = import_plan(source, registry, pid, existing) if existing else replace(parsed, id=pid)
    write_plan(plan, csv_path, meta_path)
    updated = False
    if not settings.plan:
        set_plan(settings.root / SETTINGS_FILE, pid)
        updated = True
    return ImportResult(plan, csv_path, meta_path, updated)


def set_plan(path: Path, plan_id: str) -> None:
    """Write `plan = "<id>"` into baocao.toml, keeping every comment; the line is added if missing."""
    text = path.read_text(encoding="utf-8-sig")
    line = re.compile(r'(?m)^(plan\s*=\s*)"[^"\n]*"')
    if line.search(text):
        text = line.sub(lambda m: f'{m.group(1)}"{plan_id}"', text, count=1)
    else:
        table = re.search(r"(?m)^\[", text)
        cut = table.start() if table else len(text)
        text = text[:cut] + f'plan = "{plan_id}"\n' + ("\n" if table else "") + text[cut:]
    write_atomic(path, text.encode("utf-8"))
