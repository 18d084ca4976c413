"""The plan's identity from the text above its appendix: title, issuing document, period, task groups.

The issuing document is a decision ("Quyết định số 12/QĐ-UBND ngày 5/1/2021", the plan
being issued with it) or the plan itself ("Kế hoạch số 45/KH-UBND"), dated "17/9/2014" or
"ngày 12 tháng 10 năm 2021". Lines that cite other documents ("Căn cứ …", "Thực hiện …") are
never taken for it. The title is the heading "KẾ HOẠCH" and the lines that follow it, up to the
first line that is not part of a title (a blank line, "(Ban hành kèm theo …)", a section "I.",
or in Word a paragraph that is not centred).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model.plan import parse_span
from pipeline.model.text import fold, nfc, strip_diacritics
from pipeline.plan_import.source import Line

_NUMBER = r"(\d+)\s*/\s*((?:Q[ĐđD]|Qđ|qđ|KH|kh)(?:\s*-\s*[A-Za-zĐđ]+)+)"
_DATE = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})|(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
_CITING = ("can cu", "thuc hien", "theo ", "xet ", "tiep tuc thuc hien")
_KINDS = {"QĐ": "Quyết định", "KH": "Kế hoạch"}
_TITLE_STOP = re.compile(r"^(\(|Số\s*:|[IVX]+\s*[.)]|Căn cứ|Thực hiện\b|Phần\s|PHẦN\s|Điều\s|Nơi nhận)")
_MAX_TITLE_LINES = 4


@dataclass(frozen=True)
class Document:
    """The document that issued the plan."""

    kind: str  # "Quyết định" or "Kế hoạch"
    number: str  # "12/QĐ-UBND"
    date: str  # "17/9/2014", "" when the text gives none


def _citing(line: str) -> bool:
    return strip_diacritics(line.strip()).lower().startswith(_CITING)


def _date(match: re.Match[str], offset: int) -> str:
    groups = match.groups()[offset:offset + 6]
    day, month, year = (groups[0], groups[1], groups[2]) if groups[0] else (groups[3], groups[4], groups[5])
    return f"{int(day)}/{int(month)}/{year}"


def _symbol(raw: str) -> str:
    """'QĐ - UBND' -> 'QĐ-UBND'; 'QD-UBND' typed without marks -> 'QĐ-UBND'."""
    symbol = re.sub(r"\s+", "", raw).upper()
    return "QĐ" + symbol[2:] if symbol.startswith("QD") else symbol


def document(lines: list[Line]) -> Document | None:
    """The issuing document: the text's own "Số: …" header, else the one the plan says it is issued with."""
    own = "\n".join(line.text for line in lines if not _citing(line.text))
    header = re.search(rf"(?m)^\s*Số\s*:?\s*{_NUMBER}", own)
    if header:
        symbol = _symbol(header.group(2))
        dated = re.search(r",\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", own)
        date = f"{int(dated.group(1))}/{int(dated.group(2))}/{dated.group(3)}" if dated else ""
        return Document(_KINDS.get(symbol[:2], "Quyết định"), f"{header.group(1)}/{symbol}", date)
    reference = rf"(Quyết\s+định|Kế\s+hoạch)\s+số\s*:?\s*{_NUMBER}\s*,?\s*(?:ngày\s*(?:{_DATE}))?"
    issued = list(re.finditer(rf"(?i)(?:ban\s+hành|kèm)\s+(?:kèm\s+)?theo\s+{reference}", own))
    provincial = [m for m in re.finditer(rf"(?i){reference}", own) if "UBND" in _symbol(m.group(3))]
    match = next((m for m in issued if "UBND" in _symbol(m.group(3))), None) or (issued[0] if issued else None) \
        or (provincial[0] if provincial else None)
    if match is None:
        return None
    symbol = _symbol(match.group(3))
    return Document(_KINDS.get(symbol[:2], "Quyết định"), f"{match.group(2)}/{symbol}",
                    _date(match, 3) if match.group(4) or match.group(7) else "")


def title(lines: list[Line]) -> str:
    """The plan's title: 'Kế hoạch triển khai …' from the heading, else from the decision's subject line."""
    for heading, prefix in (("KẾ HOẠCH", "Kế hoạch"), ("QUYẾT ĐỊNH", "")):
        body = _after_heading(lines, heading)
        if not body:
            continue
        text = nfc(body)
        if prefix:
            return text if fold(text).startswith("kehoach") else f"{prefix} {_lower_first(text)}"
        text = re.sub(r"(?i)^(về\s+việc|v/v)\s*:?\s*", "", text)
        text = re.sub(r"(?i)^(ban\s+hành|phê\s+duyệt)\s+", "", text)
        return text[:1].upper() + text[1:]
    return "Kế hoạch"


def _lower_first(text: str) -> str:
    """'Triển khai …' -> 'triển khai …', but 'THỰC HIỆN …' and 'Đề án …' keep their case past the first word."""
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


def _after_heading(lines: list[Line], heading: str) -> str:
    for i, line in enumerate(lines):
        if line.text.strip().rstrip(":") != heading:
            continue
        parts: list[str] = []
        for nxt in lines[i + 1:]:
            text = nxt.text.strip()
            if not text and not parts:
                continue
            if (not text or _TITLE_STOP.match(text) or nxt.centered is False or len(text) > 250
                    or not any(ch.isalnum() for ch in text) or len(parts) == _MAX_TITLE_LINES
                    or (parts and text.isupper() != parts[-1].isupper())):  # a new heading ("CHỦ TỊCH …")
                break
            parts.append(text)
        if parts:
            return " ".join(parts)
    return ""


def plan_years(lines: list[Line], plan_title: str) -> tuple[int, int] | None:
    """The plan's period: 'giai đoạn 2021-2025' in its title, else in its own text; 'năm 2026' in its title."""
    own = [plan_title, *(line.text for line in lines if not _citing(line.text))]
    for text in own:
        for match in re.finditer(r"(?i)giai\s+đoạn\s*(\d{4})\s*-\s*(\d{4})", nfc(text)):
            span = parse_span(f"{match.group(1)}-{match.group(2)}")
            if span:
                return span
    single = re.search(r"(?i)\bnăm\s+(\d{4})\b", plan_title)
    return (int(single.group(1)), int(single.group(1))) if single else None


def task_groups(lines: list[Line]) -> list[str]:
    """The numbered tasks of the body's section on tasks ("II. NHIỆM VỤ …": "1. …", "2. …")."""
    groups: list[str] = []
    inside = False
    for line in lines:
        text = line.text.strip()
        roman = re.match(r"^[IVX]+\s*[.)]\s*(.+)$", text)
        if roman:
            if inside:
                break
            inside = any(w in fold(roman.group(1)) for w in ("nhiemvu", "giaiphap", "noidung"))
            continue
        match = re.match(r"^\d+\s*[.)]\s*(.+?)[.:;]?$", text)
        if inside and match and len(text) < 200:
            groups.append(match.group(1))
    return groups
