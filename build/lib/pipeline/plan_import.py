"""Build the plan register from the decision: its text extraction or the Word file itself.

The appendix is a Word table with vertically merged cells. In a text extraction a merged
cell is empty in the rows below its first; a row split by a page break becomes two lines
(the second starts in lower case, with empty cells); and where the merged cell was the lead
agency, the rest of that line shifts one field left. The same carry-down rules read the
real table, where a merged cell is a `w:vMerge` continuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.model.agencies import Registry
from pipeline.model.errors import ConfigError
from pipeline.model.plan import Activity, Plan, parse_period, parse_recommendations
from pipeline.model.text import fold, nfc

FIELDS = 5  # recommendation, content, lead, partners, period


@dataclass
class _Row:
    line: int
    rec: str
    content: str
    lead: str
    partners: list[str] = field(default_factory=list)
    period: str = ""


def import_plan(source: Path, registry: Registry, plan_id: str, existing: Plan | None = None) -> Plan:
    """Parse a .txt extraction or a .docx of the decision into a Plan (ids kept from `existing`)."""
    if not source.is_file():
        raise ConfigError("không tìm thấy tệp nguồn", source)
    suffix = source.suffix.lower()
    if suffix == ".docx":
        lines, rows = _read_docx(source)
        continuation = False
    elif suffix in (".txt", ".md", ""):
        lines, rows = _read_text(source)
        continuation = True
    else:
        raise ConfigError("chỉ nhập được tệp .txt (văn bản trích từ quyết định) hoặc .docx", source)
    if not rows:
        raise ConfigError("không tìm thấy bảng phụ lục (dòng tiêu đề “Số Khuyến nghị … Cơ quan chủ trì”)", source)
    merged = _carry_down(rows, source, continuation)
    activities = _activities(merged, registry, source, existing)
    return _plan(lines, activities, plan_id, source)


def _read_text(source: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = source.read_text(encoding="utf-8-sig")
    lines = [nfc(line.replace("**", "").replace("*", "")) for line in text.splitlines()]
    raw = text.splitlines()
    header = next((i for i, line in enumerate(raw) if "\t" in line and _is_header(line.split("\t"))), None)
    if header is None:
        return lines, []
    rows = []
    for number, line in enumerate(raw[header + 1 :], start=header + 2):
        if "\t" not in line:
            if line.strip():
                break  # the table ended
            continue
        rows.append((number, [nfc(cell) for cell in line.split("\t")]))
    return lines[:header], rows


def _is_header(cells: list[str]) -> bool:
    folded = [fold(c) for c in cells]
    return any("khuyennghi" in c for c in folded) and any("chutri" in c for c in folded)


def _read_docx(source: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    import docx  # lazy: python-docx is only needed for this import path
    from docx.oxml.ns import qn

    try:
        document = docx.Document(str(source))
    except Exception as exc:  # python-docx raises many kinds for a damaged file
        raise ConfigError(f"không mở được tệp Word ({type(exc).__name__})", source) from None
    lines = [nfc(p.text) for p in document.paragraphs]
    for table in document.tables:
        rows: list[tuple[int, list[str]]] = []
        found = False
        for number, tr in enumerate(table._tbl.tr_lst, start=1):
            cells: list[str] = []
            for tc in tr.tc_lst:
                paragraphs = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p"))]
                text = "" if tc.vMerge == "continue" else nfc("\n".join(paragraphs))
                cells.extend([text] + [""] * (tc.grid_span - 1))
            if not found:
                found = _is_header(cells)
                continue
            rows.append((number, cells))
        if found:
            return lines, rows
    return lines, []


def _carry_down(rows: list[tuple[int, list[str]]], source: Path, continuation: bool) -> list[_Row]:
    merged: list[_Row] = []
    previous: _Row | None = None
    for line, cells in rows:
        cells = (cells + [""] * FIELDS)[:FIELDS] if len(cells) <= FIELDS else cells
        if len(cells) > FIELDS and any(c.strip() for c in cells[FIELDS:]):
            raise ConfigError(f"dòng có {len(cells)} cột, bảng phụ lục chỉ có {FIELDS}", source, line)
        cells = [c.strip() for c in cells[:FIELDS]]
        if not any(cells):
            continue
        rec, content, lead, partners, period = cells
        if not period and lead and parse_period(partners):
            # The lead cell was merged and the extraction dropped it: shift right.
            lead, partners, period = "", lead, partners
        if continuation and previous and not rec and not lead and content[:1].islower():
            previous.content += " " + content
            if partners:
                previous.partners.append(partners)
            if period:
                previous.period = period
            continue
        if previous is None and not (rec and lead):
            raise ConfigError("dòng đầu của bảng phụ lục thiếu số khuyến nghị hoặc cơ quan chủ trì", source, line)
        if not content:
            raise ConfigError("thiếu nội dung hoạt động", source, line)
        row = _Row(line, rec or previous.rec if previous else rec, content,
                   lead or (previous.lead if previous else ""),
                   [partners] if partners else list(previous.partners if previous else []),
                   period or (previous.period if previous else ""))
        merged.append(row)
        previous = row
    return merged


def _activities(rows: list[_Row], registry: Registry, source: Path, existing: Plan | None) -> list[Activity]:
    known = {fold(a.content): a.id for a in existing.activities} if existing else {}
    used = set(known.values())
    counter = max((int(i[2:]) for i in used), default=0)
    activities: list[Activity] = []
    for row in rows:
        recs = parse_recommendations(row.rec)
        if recs is None:
            raise ConfigError(f"không đọc được số khuyến nghị “{row.rec}”", source, row.line)
        period = parse_period(row.period)
        if period is None:
            raise ConfigError(f"thời gian thực hiện “{row.period}” không hợp lệ (dạng 2014-2020)", source, row.line)
        lead = registry.resolve_list(row.lead, source, row.line)
        if len(lead) != 1:
            raise ConfigError(f"cần đúng một cơ quan chủ trì, có “{row.lead}”", source, row.line)
        partners: list[str] = []
        for text in row.partners:
            partners += [c for c in registry.resolve_list(text, source, row.line) if c not in partners]
        content = nfc(row.content)
        activity_id = known.get(fold(content))
        if activity_id is None or activity_id in {a.id for a in activities}:
            counter += 1
            activity_id = f"HD{counter:02d}"
        activities.append(Activity(activity_id, recs, content, lead[0],
                                   tuple(p for p in partners if p != lead[0]), period[0], period[1]))
    return activities


def _plan(lines: list[str], activities: list[Activity], plan_id: str, source: Path) -> Plan:
    text = "\n".join(lines)
    decision = re.search(r"Quyết định số\s*(\d+)\s*/\s*QĐ\s*-\s*UBND\s*,?\s*ngày\s*(\d{1,2}/\d{1,2}/\d{4})", text)
    if decision is None:
        raise ConfigError("không tìm thấy số và ngày của quyết định ban hành kế hoạch", source)
    title = _title(lines) or "Kế hoạch"
    period = re.search(r"giai đoạn\s*(\d{4})\s*-\s*(\d{4})", text)
    years = (int(period.group(1)), int(period.group(2))) if period else (
        min(a.start_year for a in activities), max(a.end_year for a in activities))
    return Plan(plan_id, title, f"{decision.group(1)}/QĐ-UBND", decision.group(2), years[0], years[1],
                tuple(_task_groups(lines)), tuple(activities))


def _title(lines: list[str]) -> str:
    for i, line in enumerate(lines):
        if line.strip() == "KẾ HOẠCH":
            parts: list[str] = []
            for nxt in lines[i + 1 :]:
                if not nxt.strip() and not parts:
                    continue
                if not nxt.strip() or nxt.strip().startswith("("):
                    break
                parts.append(nxt.strip())
            if parts:
                body = " ".join(parts)
                return nfc("Kế hoạch " + body[0].lower() + body[1:])
    return ""


def _task_groups(lines: list[str]) -> list[str]:
    groups: list[str] = []
    inside = False
    for line in lines:
        stripped = line.strip()
        if re.match(r"^II\.\s", stripped):
            inside = True
            continue
        if inside and re.match(r"^III\.\s", stripped):
            break
        match = re.match(r"^\d+\.\s*(.+?)\.?$", stripped)
        if inside and match:
            groups.append(match.group(1))
    return groups
