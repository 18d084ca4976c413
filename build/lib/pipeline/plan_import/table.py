"""The appendix table: its header in any of the common wordings, its section rows and its activity rows.

Columns are found by their header text: the number column ("STT", "TT", "Số Khuyến nghị",
"Mục tiêu"), the content ("Nội dung hoạt động", "Nhiệm vụ"), the lead ("Cơ quan chủ trì",
"Đơn vị chủ trì"), the partners ("Cơ quan phối hợp") and the period ("Thời gian thực hiện",
"Thời gian hoàn thành"); any other column ("Sản phẩm", "Kinh phí", "Ghi chú") is kept as it is.
A header split over two rows ("Cơ quan thực hiện" above "Chủ trì | Phối hợp") is read as one.

Rows: a section row ("I. CÔNG TÁC TRUYỀN THÔNG", "A", "1." above "1.1") opens a group; every
other row is an activity. In a text extraction a merged cell is empty in the rows below its
first, a row split by a page break continues in lower case, and where the merged cell was the
lead the rest of the line shifts one field left; in Word the merges are read as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.model.errors import ConfigError
from pipeline.model.plan import parse_period
from pipeline.model.text import fold, nfc
from pipeline.plan_import.source import Cell, Line, Row, Source, Table

_LEAD = ("chutri",)
_PARTNERS = ("phoihop",)
_PERIOD = ("thoigian", "thoihan", "tiendo", "lotrinh", "thoidiem", "namthuchien")
_CONTENT = ("noidung", "nhiemvu", "hoatdong", "giaiphap", "congviec", "muctieu", "chitieu", "dean", "chuongtrinh")
_ROW_NUMBER = ("stt", "tt", "sott", "so", "sothutu", "thutu")
_ROMAN = r"[IVXL]+"
_SECTION = re.compile(rf"^(?:(?:Phần|PHẦN|Mục|MỤC)\s+)?({_ROMAN}|[A-Z]|\d+)\s*[.):]?$")
_SECTION_TITLE = re.compile(rf"^(?:(?:Phần|PHẦN|Mục|MỤC)\s+)?({_ROMAN}|[A-Z]|\d+)\s*[.):]\s*(\S.*)$")
_COLUMN_NUMBERS = re.compile(r"^\(?\d{1,2}\)?$")


@dataclass(frozen=True)
class Columns:
    """Which column of the table holds what; -1 when the table has no such column."""

    number: int
    content: int
    lead: int
    partners: int
    period: int
    extra: tuple[tuple[int, str], ...]  # (column, header) of every other column with a header
    width: int
    item: str  # the plan's word for its items, from the number column's header


@dataclass
class Draft:
    """An activity row as read, before its agencies and period are understood."""

    line: int
    group: str
    number: str
    content: str
    lead: str
    partners: list[str] = field(default_factory=list)
    period: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """A section row: its marker, title and place in the hierarchy."""

    key: str
    title: str
    parent: str


@dataclass(frozen=True)
class Appendix:
    """The appendix as read: its columns, sections and activity rows, and the text above it."""

    before: tuple[Line, ...]
    columns: Columns
    sections: tuple[Section, ...]
    drafts: tuple[Draft, ...]


def _kind(label: str) -> str:
    f = fold(label)
    if any(w in f for w in _LEAD):
        return "lead"
    if any(w in f for w in _PARTNERS):
        return "partners"
    if any(w in f for w in _PERIOD):
        return "period"
    return ""


def _looks_like_number(label: str) -> bool:
    f = fold(label)
    return f in _ROW_NUMBER or f.startswith("so") or f.endswith("so") or "khuyennghi" in f or "muctieu" in f


def _item(label: str, content_label: str) -> str:
    """'Số Khuyến nghị' -> 'Khuyến nghị'; 'STT' -> a word from the content header, else 'Nhiệm vụ'."""
    text = re.sub(r"(?i)\b(số\s+tt|số\s+thứ\s+tự|thứ\s+tự|stt|tt)\b", " ", nfc(label))
    text = re.sub(r"(?i)^\s*số\b|\bsố\s*$", " ", text)
    text = nfc(re.sub(r"[^\w\s]", " ", text))
    if not text:
        folded = fold(content_label)
        text = "Mục tiêu" if "muctieu" in folded else "Nhiệm vụ"
    return text[0].upper() + text[1:].lower()


def read_columns(labels: list[str]) -> Columns | None:
    """The columns of a header row, or None when it is not the appendix's header."""
    found: dict[str, int] = {}
    for index, label in enumerate(labels):
        kind = _kind(label)
        if kind and kind not in found:
            found[kind] = index
    if "lead" not in found:
        return None
    taken = set(found.values())
    rest = [i for i, label in enumerate(labels) if i not in taken and label]
    candidates = [i for i in rest if any(w in fold(labels[i]) for w in _CONTENT)]
    number = -1
    if rest and rest[0] == 0 and (_looks_like_number(labels[0]) or len(candidates) > (0 in candidates)):
        number = 0
    content = next((i for i in candidates if i != number), -1)
    if content < 0:
        content = next((i for i in rest if i != number and i < found["lead"]), -1)
    if content < 0:
        return None
    extra = tuple((i, nfc(labels[i])) for i in rest if i not in (number, content))
    item = _item(labels[number], labels[content]) if number >= 0 else _item("", labels[content])
    return Columns(number, content, found["lead"], found.get("partners", -1), found.get("period", -1), extra,
                   len(labels), item)


def _labels(row: Row, above: Row | None) -> list[str]:
    """Header labels of `row`, completed from the row above where a two-row header leaves a gap."""
    labels = [c or "" for c in row.cells]
    if above is not None:
        for i, cell in enumerate(above.cells[: len(labels)]):
            if not labels[i] and cell:
                labels[i] = cell
    return [nfc(x.replace("\n", " ")) for x in labels]


def find_appendix(source: Source) -> tuple[Table, int, Columns] | None:
    """The table holding the appendix, the index of its header row and its columns."""
    for table in source.tables:
        for index, row in enumerate(table.rows):
            if not row.tabbed or not any(row.cells):
                continue
            above = table.rows[index - 1] if index and table.rows[index - 1].tabbed else None
            columns = read_columns(_labels(row, above))
            if columns is not None:
                return table, index, columns
    return None


def _section(cells: list[Cell], columns: Columns, merged: bool, following: list[list[Cell]]) -> tuple[str, str] | None:
    """(marker, title) if the row is a section row."""
    def at(i: int) -> Cell:
        return cells[i] if 0 <= i < len(cells) else ""

    others = [at(i) for i in (columns.lead, columns.partners, columns.period, *(i for i, _ in columns.extra))]
    if any(c is None or c for c in others):
        return None  # a row with a lead, a period or merged cells from above is an activity
    number, content = at(columns.number) or "", at(columns.content) or ""
    match = _SECTION.match(number)
    if match and content:
        marker, title = match.group(1), content
    elif (m := _SECTION_TITLE.match(number or content)) and not (number and content):
        marker, title = m.group(1), m.group(2)
    elif not number and content and content == content.upper() and any(ch.isalpha() for ch in content):
        return "", content  # a section title without a marker
    else:
        return None
    if marker.isdigit() and not merged and not (title == title.upper() or _sub_numbered(marker, following, columns)):
        return None  # a numbered row with merged lead and period, not a section
    return marker, title.rstrip(" :.")


def _sub_numbered(marker: str, following: list[list[Cell]], columns: Columns) -> bool:
    """True if the next numbered row is numbered under `marker` ('1.1' under '1', or 'a')."""
    for cells in following[:3]:
        number = cells[columns.number] if 0 <= columns.number < len(cells) else ""
        if number:
            return number.startswith(f"{marker}.") or bool(re.match(r"^[a-zđ][.)]?$", number))
    return False


def _marker_kind(marker: str) -> str:
    if not marker:
        return "title"
    if marker.isdigit():
        return "arabic"
    return "roman" if re.fullmatch(_ROMAN, marker) else "letter"


def read_appendix(source: Source) -> Appendix:
    """The appendix rows of the document; ConfigError naming the line when one cannot be read."""
    found = find_appendix(source)
    if found is None:
        raise ConfigError("không tìm thấy bảng phụ lục (cần dòng tiêu đề có các cột như “STT”, “Nội dung”, “Cơ quan "
                          "chủ trì”, “Cơ quan phối hợp”, “Thời gian thực hiện”). Nếu chữ tiếng Việt trong tệp bị lỗi "
                          "phông, hãy lưu lại tệp dạng UTF-8 hoặc .docx", source.path)
    table, header, columns = found
    rows = list(table.rows[header + 1:])
    before = table.before if source.merged_cells else table.before[:header]  # a text's lines are its rows
    sections: list[Section] = []
    drafts: list[Draft] = []
    stack: list[tuple[str, str]] = []  # (marker kind, key) of the open sections
    previous: Draft | None = None
    label = f"số {columns.item.lower()}"
    for position, row in enumerate(rows):
        if not row.tabbed:
            if not (row.cells[0] or "").strip():
                continue
            if not _SECTION_TITLE.match(row.cells[0] or ""):
                break  # a line without tabs ends the table in a text extraction
        cells = _fit(list(row.cells), columns, source.path, row.number)
        if not any(cells):
            continue
        if _is_column_numbers(cells):
            continue
        following = [list(r.cells) for r in rows[position + 1:position + 4]]
        section = _section(cells, columns, source.merged_cells, following)
        if section is not None:
            marker, title = section
            kind = _marker_kind(marker)
            while stack and (stack[-1][0] == kind or kind in [k for k, _ in stack]):
                popped = stack.pop()
                if popped[0] == kind:
                    break
            parent = stack[-1][1] if stack else ""
            key = marker or f"M{len(sections) + 1}"
            key = f"{parent}.{key}" if parent else key
            stack.append((kind, key))
            sections.append(Section(key, title, parent))
            previous = None  # nothing is carried into a new section
            continue
        draft = _draft(cells, columns, source, row.number, previous, stack[-1][1] if stack else "", label)
        if draft is None:
            continue  # joined to the row above
        drafts.append(draft)
        previous = draft
    return Appendix(before, columns, tuple(sections), tuple(drafts))


def _is_column_numbers(cells: list[Cell]) -> bool:
    """The '(1) (2) (3)' row under a header."""
    filled = [c for c in cells if c]
    return len(filled) >= 3 and all(_COLUMN_NUMBERS.match(c) for c in filled)


def _fit(cells: list[Cell], columns: Columns, path: Path, line: int) -> list[Cell]:
    if len(cells) > columns.width and any(c for c in cells[columns.width:]):
        raise ConfigError(f"dòng có {len(cells)} cột, bảng phụ lục chỉ có {columns.width}", path, line)
    return (cells + [""] * columns.width)[: columns.width]


def _is_period(text: str) -> bool:
    return parse_period(text, (1, 1)) is not None


def _draft(cells: list[Cell], columns: Columns, source: Source, line: int, previous: Draft | None, group: str,
           label: str) -> Draft | None:
    """An activity row with merged cells carried down; None when it continues the row above."""
    text = not source.merged_cells
    if text and columns.period >= 0 and columns.partners == columns.lead + 1 and columns.period == columns.partners + 1:
        written = [cells[i] or "" for i in (columns.lead, columns.partners, columns.period)]
        if written[0] and not _is_period(written[2]) and _is_period(written[1]):
            # The lead cell was merged and the extraction dropped it: the rest of the line shifted left.
            cells = cells[: columns.lead] + [""] + cells[columns.lead: -1]

    def get(i: int) -> Cell:
        return cells[i] if i >= 0 else ""

    number, content, lead = get(columns.number), get(columns.content) or "", get(columns.lead)
    partners, period = get(columns.partners), get(columns.period)
    extra = {name: get(i) for i, name in columns.extra}
    if text and previous and not number and not lead and content[:1].islower():
        previous.content += " " + content
        if partners:
            previous.partners.append(partners)
        if period:
            previous.period = period
        for name, value in extra.items():
            if value:
                previous.extra[name] = f"{previous.extra.get(name, '')} {value}".strip()
        return None
    # In text every empty cell may be a merged one; in Word only the merged ones (None) are.
    def carried(value: Cell, before: str) -> str:
        if value is None or (text and not value):
            return before if previous else ""
        return value

    if previous is None and (lead is None or not lead or (columns.number >= 0 and not number)):
        where = f"của mục {group}" if group else "của bảng phụ lục"
        raise ConfigError(f"dòng đầu {where} thiếu {label} hoặc cơ quan chủ trì", source.path, line)
    if not content:
        raise ConfigError("thiếu nội dung hoạt động", source.path, line)
    return Draft(
        line, group, carried(number, previous.number if previous else ""), content,
        carried(lead, previous.lead if previous else ""),
        [partners] if partners else (list(previous.partners) if previous and (partners is None or text) else []),
        carried(period, previous.period if previous else ""),
        {name: (previous.extra.get(name, "") if value is None and previous else value or "")
         for name, value in extra.items()},
    )
