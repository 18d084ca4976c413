"""The plan: its identity, its own terms, its groups and the activities of its appendix."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model.text import nfc, strip_diacritics

_SPAN = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")
_DIGITS = re.compile(r"\d+")
_NUMBER = re.compile(r"(?:\b(?:[IVXL]+|[A-Z])\.)?\d+(?:\.\d+)*")  # "12", "1.2", "II.3"
# Words of a period cell meaning "every year of the plan" ("Hằng năm", "Thường xuyên"), and those
# meaning "from then on" ("Từ năm 2027", "2026 và các năm tiếp theo"); matched without marks.
_EVERY_YEAR = ("hang nam", "thuong xuyen", "hang quy", "hang thang", "dinh ky", "lien tuc", "ca giai doan",
               "toan giai doan", "trong giai doan", "suot giai doan", "hang ky")
_ONWARDS = ("tu nam", "tro di", "cac nam tiep theo", "nhung nam tiep theo", "tiep theo")
FIRST_YEAR, LAST_YEAR = 1990, 2100


@dataclass(frozen=True)
class Terms:
    """The plan's own words: what it calls one item of its appendix, and the document that issued it."""

    item: str = "Nhiệm vụ"  # the appendix's first column names its items: "Khuyến nghị", "Nhiệm vụ", "Mục tiêu"
    document: str = "Quyết định"  # the kind of document that issued the plan: "Quyết định" or "Kế hoạch"
    number: str = ""  # its number and symbol, e.g. "123/KH-UBND"
    date: str = ""  # its date, d/m/yyyy

    @property
    def number_label(self) -> str:
        """Header of the plan's number column in workbooks and the report, e.g. 'Nhiệm vụ số'."""
        return f"{self.item} số"

    @property
    def reference(self) -> str:
        """'Kế hoạch số 123/KH-UBND ngày 12/10/2021' (without the date when it is unknown)."""
        return f"{self.document} số {self.number}" + (f" ngày {self.date}" if self.date else "")

    @property
    def short_reference(self) -> str:
        """'Kế hoạch 123/KH-UBND': how a subject line names the plan, whichever document issued it."""
        return f"Kế hoạch {self.number}"


@dataclass(frozen=True)
class Group:
    """A section row of the appendix ("I. CÔNG TÁC TRUYỀN THÔNG"): activities below it belong to it."""

    key: str  # the section's marker, qualified by its parent's: "I", "II", "A", "I.1"
    title: str
    parent: str = ""  # key of the enclosing section, "" at the top level


@dataclass(frozen=True)
class Activity:
    """One row of the appendix; agencies are registry codes."""

    id: str
    group: str  # key of the innermost Group the row sits in, "" when the appendix has no sections
    numbers: tuple[str, ...]  # the plan's own numbers of the row, as written: ("83", "84"), ("1.2",)
    content: str
    leads: tuple[str, ...]  # one or more: the first is the one whose status the report quotes
    partners: tuple[str, ...]
    start_year: int
    end_year: int
    extra: tuple[tuple[str, str], ...] = ()  # further appendix columns: (header, value), e.g. ("Sản phẩm", "…")
    period_text: str = ""  # the period as the plan writes it ("Hằng năm", "Quý IV/2026"); "" for a plain span

    def active(self, year: int) -> bool:
        """True if the activity runs in `year`."""
        return self.start_year <= year <= self.end_year

    @property
    def lead(self) -> str:
        """The first lead agency."""
        return self.leads[0]

    @property
    def period(self) -> str:
        """The period as agencies read it: the plan's wording, else '2014-2020' or '2026'."""
        if self.period_text:
            return self.period_text
        return str(self.start_year) if self.start_year == self.end_year else f"{self.start_year}-{self.end_year}"

    @property
    def numbers_label(self) -> str:
        """'83, 84'."""
        return ", ".join(self.numbers)

    @property
    def recommendations(self) -> tuple[str, ...]:
        """The older name of `numbers`."""
        return self.numbers

    @property
    def recommendations_label(self) -> str:
        """The older name of `numbers_label`."""
        return self.numbers_label

    def field(self, header: str) -> str:
        """The value of an extra appendix column ("" when the plan has no such column)."""
        return next((v for k, v in self.extra if k == header), "")


@dataclass(frozen=True)
class Plan:
    """The plan's identity, terms, groups and activities."""

    id: str
    title: str
    terms: Terms
    start_year: int
    end_year: int
    task_groups: tuple[str, ...]  # the tasks the plan's body lists ("II. NHIỆM VỤ": 1., 2., …)
    groups: tuple[Group, ...]  # the appendix's sections, in order
    activities: tuple[Activity, ...]

    @property
    def decision(self) -> str:
        """Number and symbol of the document that issued the plan, e.g. '12/QĐ-UBND'."""
        return self.terms.number

    @property
    def decision_date(self) -> str:
        """Date of that document, d/m/yyyy."""
        return self.terms.date

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Headers of the appendix's further columns, in order."""
        seen: dict[str, None] = {}
        for a in self.activities:
            seen.update((k, None) for k, _ in a.extra)
        return tuple(seen)

    def activity(self, activity_id: str) -> Activity:
        """The activity with this id (KeyError if none)."""
        for a in self.activities:
            if a.id == activity_id:
                return a
        raise KeyError(activity_id)

    def group(self, key: str) -> Group:
        """The group with this key (KeyError if none)."""
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)

    def active(self, year: int) -> list[Activity]:
        """Activities running in `year`, in plan order."""
        return [a for a in self.activities if a.active(year)]


def plan_reference(plan: Plan, committee: str) -> str:
    """The plan as a sentence cites it, after "Thực hiện":

    'Quyết định số 12/QĐ-UBND ngày 5/1/2021 của UBND tỉnh X ban hành Kế hoạch …' when a decision
    issued the plan, 'Kế hoạch số 45/KH-UBND ngày 12/3/2026 của UBND thành phố Y về việc …' when
    the plan is its own document.
    """
    terms = plan.terms
    if terms.document == "Kế hoạch":
        rest = re.sub(r"(?i)^kế\s+hoạch\s+", "", plan.title)
        return f"{terms.reference} của {committee}" + (f" về việc {rest[:1].lower() + rest[1:]}" if rest else "")
    return f"{terms.reference} của {committee} ban hành {plan.title}"


def parse_span(text: str) -> tuple[int, int] | None:
    """'2014-2020' (any dash, spaces) -> (2014, 2020); None if not a span of years."""
    match = _SPAN.match(nfc(text))
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return (start, end) if start <= end else None


def parse_period(text: str, plan_years: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """The years an appendix period covers; None if it is not a period.

    '2026-2030', '2026 – 2030', 'Năm 2027', 'Quý IV/2026', '30/6/2026' give their years;
    'Hằng năm', 'Thường xuyên' every year of the plan (`plan_years`); 'Từ năm 2027',
    '2026 và hằng năm' from that year to the plan's end. A number that is no year
    ('2014-202') makes it no period.
    """
    flat = " ".join(re.findall(r"[0-9a-z]+", strip_diacritics(nfc(text)).lower()))
    years: list[int] = []
    for digits in _DIGITS.findall(flat):
        if len(digits) <= 2:
            continue  # a day, month or quarter
        if len(digits) != 4 or not FIRST_YEAR <= int(digits) <= LAST_YEAR:
            return None
        years.append(int(digits))
    every = any(w in flat for w in _EVERY_YEAR)
    onwards = any(w in flat for w in _ONWARDS)
    if not years:
        return plan_years if every and plan_years else None
    if years != sorted(years):
        return None  # "2030-2026": a slip, not a period
    start, end = years[0], years[-1]
    if (every or onwards) and plan_years and len(set(years)) == 1:
        end = max(end, plan_years[1])
    return start, end


def parse_numbers(text: str) -> tuple[str, ...]:
    """The plan's numbers in a cell: 'Số 83, 84' -> ('83', '84'); '1.2.' -> ('1.2',); 'II.3' -> ('II.3',)."""
    return tuple(_NUMBER.findall(nfc(text)))
